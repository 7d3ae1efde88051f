"""Benchmark: building a site with pmtheater against the same content written as Markdown.

For each size (1,000, 2,000 and 5,000 incidents by default; about 15 scenes, 6
action items and 2 awards each, from benchmarks/generate.py) this script builds
two sites in the same run, each in a fresh Python process:

* ``plugin``: the incident YAML files and the pmtheater plugin, which publishes
  a playbill per incident plus the index, action-item board, hall of fame and
  metrics pages;
* ``markdown``: the same incidents pre-written as Markdown pages with the same
  sections, kept out of the navigation (benchmarks/markdown_baseline.py): issue
  #12's baseline. ``--with-lists`` also builds ``markdown-lists``, the same plus a
  hand-kept index, action-item list and hall of fame (the baseline before: its
  Python-Markdown tables of thousands of rows made the plugin look faster).

It prints the build's wall time, the ratio plugin/markdown (of wall time, and of
the CPU time the build process used, which a busy machine disturbs less), the
plugin's own time (all its event handlers) per incident, each build's peak
memory (max RSS) and their ratio, and the gzip size of the index page, then the
verdict against issue #12's targets: time at most 0.8 x the baseline's, peak
memory at most the baseline's, both growing linearly. This is a script, not a
timed test: run it by hand, on a quiet machine; it prints the load average.

    python benchmarks/build.py [--sizes 1000 2000 5000] [--out DIR] [--repeat 1]
                               [--with-lists] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write_site  # noqa: E402 - the generator lives next to this script
from markdown_baseline import write_markdown_site  # noqa: E402

EPOCH = "1795651200"  # 2026-11-26: the same "today" for every build


def child(root: Path, site_dir: Path) -> None:
    """In a fresh process: build ``root`` once and print the measurements as JSON."""
    import logging
    import resource

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    plugin_seconds = 0.0
    try:
        from mkdocs_pmtheater.plugin import PmTheaterPlugin
    except ImportError:  # pragma: no cover - the baseline does not need the plugin
        PmTheaterPlugin = None  # type: ignore[assignment]
    if PmTheaterPlugin is not None:
        # Time every event handler of the plugin: its own share of the build.
        from mkdocs.plugins import CombinedEvent

        def timing(original: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Any:
                nonlocal plugin_seconds
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    plugin_seconds += time.perf_counter() - started

            if hasattr(original, "mkdocs_priority"):
                timed.mkdocs_priority = original.mkdocs_priority  # type: ignore[attr-defined]
            return timed

        for name in [n for n in vars(PmTheaterPlugin) if n.startswith("on_")]:
            original = vars(PmTheaterPlugin)[name]
            if isinstance(original, CombinedEvent):  # several handlers of one event
                setattr(PmTheaterPlugin, name,
                        CombinedEvent(*(timing(m) for m in original.methods)))
            else:
                setattr(PmTheaterPlugin, name, timing(original))

    warnings: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    # Pagefind runs in a process of its own (publish/fulltext.py): time how long the build
    # waits for it, and count its CPU time (the children's) as part of the build's.
    pagefind_wait = 0.0
    try:
        from mkdocs_pmtheater.publish import fulltext
    except ImportError:  # pragma: no cover - the baseline does not need the plugin
        fulltext = None  # type: ignore[assignment]
    if fulltext is not None and hasattr(fulltext, "PagefindRun"):
        original_wait = fulltext.PagefindRun.wait

        def timed_wait(self: Any) -> Any:
            nonlocal pagefind_wait
            started = time.perf_counter()
            try:
                return original_wait(self)
            finally:
                pagefind_wait += time.perf_counter() - started

        fulltext.PagefindRun.wait = timed_wait  # type: ignore[method-assign]

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    # The incident files are read on two cores (load/parallel.py): a forked child reads
    # part of them. Count its CPU time apart from Pagefind's, and its peak memory beside
    # the build process's at that moment (both RSS: the pages they share count twice).
    reading = {"reading_cpu_seconds": 0.0, "reading_child_peak_mib": 0.0,
               "reading_parent_mib": 0.0}
    try:
        from mkdocs_pmtheater.load import loader
    except ImportError:  # pragma: no cover - the baseline does not need the plugin
        loader = None  # type: ignore[assignment]
    if loader is not None and hasattr(loader, "map_in_two"):
        original_map = loader.map_in_two

        def timed_map(*args: Any, **kwargs: Any) -> Any:
            before = children_cpu()
            try:
                return original_map(*args, **kwargs)
            finally:
                reading["reading_cpu_seconds"] += children_cpu() - before
                child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                reading["reading_child_peak_mib"] = max(reading["reading_child_peak_mib"],
                                                        child)
                reading["reading_parent_mib"] = max(reading["reading_parent_mib"],
                                                    _rss_mib())

        loader.map_in_two = timed_map  # type: ignore[assignment]

    # Playbills are rendered ahead by another forked child (plugin/ahead.py): its CPU
    # time apart too, counted when it is reaped, and how many playbills it rendered.
    ahead = {"ahead_cpu_seconds": 0.0, "ahead_taken": 0}
    try:
        from mkdocs_pmtheater.load import parallel
        from mkdocs_pmtheater.plugin import ahead as ahead_module
    except ImportError:  # pragma: no cover - the baseline does not need the plugin
        parallel = None  # type: ignore[assignment]
    if parallel is not None and hasattr(parallel, "AheadInChild"):
        original_stop = parallel.AheadInChild._stop
        original_close = ahead_module.PlaybillsAhead.close

        def timed_stop(self: Any, *args: Any, **kwargs: Any) -> Any:
            before = children_cpu()
            try:
                return original_stop(self, *args, **kwargs)
            finally:
                ahead["ahead_cpu_seconds"] += children_cpu() - before

        def counted_close(self: Any) -> Any:
            ahead["ahead_taken"] += self.taken
            return original_close(self)

        parallel.AheadInChild._stop = timed_stop  # type: ignore[method-assign]
        ahead_module.PlaybillsAhead.close = counted_close  # type: ignore[method-assign]

    logging.getLogger("mkdocs").addHandler(Count())
    os.chdir(root)
    started, cpu_started = time.perf_counter(), time.process_time()
    children_started = children_cpu()
    build(load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir)))
    seconds = time.perf_counter() - started
    own_cpu = time.process_time() - cpu_started
    pagefind_cpu = (children_cpu() - children_started - reading["reading_cpu_seconds"]
                    - ahead["ahead_cpu_seconds"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"build_seconds": seconds,
                      "cpu_seconds": own_cpu + pagefind_cpu + reading["reading_cpu_seconds"]
                      + ahead["ahead_cpu_seconds"],
                      "python_cpu_seconds": own_cpu, "pagefind_cpu_seconds": pagefind_cpu,
                      "pagefind_wait_seconds": pagefind_wait,
                      "plugin_seconds": plugin_seconds,
                      "peak_mib": rss / 1024, **reading, **ahead, "warnings": warnings[:5],
                      "warning_count": len(warnings)}))


def _rss_mib() -> float:
    """This process's resident memory now (Linux ``/proc``; 0 elsewhere), in MiB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_build(root: Path, site_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(root), str(site_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    memory = TreeMemory(process.pid)
    memory.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"build of {root} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    # Samples can miss a short peak: none is below the build process's own (exact) peak.
    own_peak = result["peak_mib"]
    result["tree_peak_mib"] = max(memory.peak_mib, own_peak)
    result["tree_peak_parts"] = memory.peak_parts
    result["python_peak_mib"] = max(memory.python_peak_mib, own_peak)
    index = site_dir / "incidents" / "index.html"
    result["index_gzip_kib"] = (len(gzip.compress(index.read_bytes(), 9)) / 1024
                                if index.is_file() else None)
    return result


INTERVAL = 0.25
"""Seconds between samples: reading ``smaps_rollup`` walks a process's page tables (8 ms
for Pagefind's 600 MiB), which would take a share of the cores the build uses if done
more often; Pagefind's peak lasts seconds."""


class TreeMemory(threading.Thread):
    """The peak of the memory a build's processes hold together: the build process, the
    children it forks (reading, rendering ahead) and Pagefind's, sampled every
    :data:`INTERVAL` seconds. Each process counts its proportional set size (``Pss`` in
    ``/proc/PID/smaps_rollup``: a page shared by two processes counts half in each), so
    the sum is what they hold together, with the files the build keeps in memory
    (tmpfs), which no process's PSS shows. Linux only; elsewhere the peak stays 0."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mib = 0.0
        self.peak_parts: dict[str, float] = {}
        self.python_peak_mib = 0.0
        """The same without Pagefind's own process (the build and its Python children)."""
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        before = _shared_memory_kib()
        while not self._done.wait(INTERVAL):
            parts = {f"{name} {pid}": kib / 1024 for pid, name, kib in _tree_pss(self.pid)}
            # Files in memory (tmpfs: the plugin's copies for Pagefind in /dev/shm) belong
            # to no process: counted as what the machine's shared memory grew by.
            in_memory = (_shared_memory_kib() - before) / 1024
            if in_memory >= 1:
                parts["files in memory"] = in_memory
            total = sum(parts.values())
            if total > self.peak_mib:
                self.peak_mib, self.peak_parts = total, parts
            python = sum(mib for name, mib in parts.items() if not name.startswith("pagefind"))
            self.python_peak_mib = max(self.python_peak_mib, python)


def _shared_memory_kib() -> int:
    """``Shmem`` of ``/proc/meminfo`` (KiB): tmpfs files among it; 0 where unknown."""
    try:
        with open("/proc/meminfo") as info:
            return next((int(line.split()[1]) for line in info
                         if line.startswith("Shmem:")), 0)
    except OSError:
        return 0


def _tree_pss(root: int) -> list[tuple[int, str, int]]:
    """``(pid, command, Pss KiB)`` of ``root`` and its descendants."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        parents[int(entry)] = (int(text[text.rindex(")") + 2:].split()[1]), name)
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (parent, _) in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    found = []
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                pss = next((int(line.split()[1]) for line in rollup
                            if line.startswith("Pss:")), 0)
        except (OSError, StopIteration):
            continue
        found.append((pid, parents.get(pid, (0, "?"))[1], pss))
    return found


BASELINES = {"markdown": False, "markdown-lists": True}
"""The Markdown sites: incident pages only (issue #12's baseline: "the same content
written as Markdown pages kept out of the navigation"), or with the hand-kept lists."""


def prepare(out: Path, kind: str, count: int, seed: int) -> Path:
    root = out / f"{kind}-{count}"
    marker = root / ".generated"
    stamp = f"{count} {seed}\n" if kind == "plugin" else f"{count} {seed} {kind}\n"
    if not (marker.is_file() and marker.read_text() == stamp):
        if root.exists():
            shutil.rmtree(root)
        if kind == "plugin":
            write_site(root, count, seed)
        else:
            write_markdown_site(root, count, seed, lists=BASELINES[kind])
        marker.write_text(stamp)
    return root


def measure(out: Path, count: int, seed: int, repeat: int,
            kinds: tuple[str, ...] = ("plugin", "markdown")) -> dict[str, Any]:
    row: dict[str, Any] = {"incidents": count}
    roots = {kind: prepare(out, kind, count, seed) for kind in kinds}
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in roots}
    # Alternate the two sites, so that a change in the machine's load hits both alike.
    for _ in range(repeat):
        for kind, root in roots.items():
            runs[kind].append(run_build(root, root / "site"))
    for kind, kind_runs in runs.items():
        best = min(kind_runs, key=lambda r: r["build_seconds"])
        if best["warning_count"]:
            print(f"  {kind}-{count}: {best['warning_count']} warnings, e.g. {best['warnings']}")
        best["build_seconds_all"] = [r["build_seconds"] for r in kind_runs]
        best["cpu_seconds_all"] = [r["cpu_seconds"] for r in kind_runs]
        best["cpu_seconds"] = min(r["cpu_seconds"] for r in kind_runs)
        row[kind] = best
    row["ratio"] = row["plugin"]["build_seconds"] / row["markdown"]["build_seconds"]
    # Issue #12 quotes the median of three alternating runs: report it beside the fastest.
    row["median_ratio"] = (statistics.median(row["plugin"]["build_seconds_all"])
                           / statistics.median(row["markdown"]["build_seconds_all"]))
    row["median_cpu_ratio"] = (statistics.median(row["plugin"]["cpu_seconds_all"])
                               / statistics.median(row["markdown"]["cpu_seconds_all"]))
    row["cpu_ratio"] = row["plugin"]["cpu_seconds"] / row["markdown"]["cpu_seconds"]
    row["memory_ratio"] = row["plugin"]["peak_mib"] / row["markdown"]["peak_mib"]
    if "markdown-lists" in row:
        row["lists_cpu_ratio"] = (row["plugin"]["cpu_seconds"]
                                  / row["markdown-lists"]["cpu_seconds"])
    return row


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| incidents | plugin build (s) | markdown build (s) | ratio | CPU ratio "
        "| plugin's own ms/incident | build ms/incident | peak MiB plugin / markdown "
        "| memory ratio | index.html gzip KiB | Pagefind CPU s / build waited s "
        "| median ratio / CPU ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        p, m, n = r["plugin"], r["markdown"], r["incidents"]
        lines.append(
            f"| {n:,} | {p['build_seconds']:.1f} | {m['build_seconds']:.1f} | {r['ratio']:.2f} "
            f"| {r['cpu_ratio']:.2f} | {1000 * p['plugin_seconds'] / n:.2f} "
            f"| {1000 * p['build_seconds'] / n:.2f} "
            f"| {p['peak_mib']:.0f} / {m['peak_mib']:.0f} | {r['memory_ratio']:.2f} "
            f"| {p['index_gzip_kib']:.1f} "
            f"| {p['pagefind_cpu_seconds']:.1f} / {p['pagefind_wait_seconds']:.1f} "
            f"| {r['median_ratio']:.2f} / {r['median_cpu_ratio']:.2f} |"
        )
    lines.append("")
    lines.append("CPU time is the build process's plus its children's (Pagefind runs as a "
                 "process of its own; a forked child reads part of the incident files); "
                 "'build waited' is the time the build spent waiting for Pagefind to finish.")
    for r in rows:
        p = r["plugin"]
        if p.get("reading_cpu_seconds"):
            both = p["reading_child_peak_mib"] + p["reading_parent_mib"]
            lines.append(
                f"{r['incidents']:,} incidents, reading on two cores: the child's CPU "
                f"{p['reading_cpu_seconds']:.1f} s, its peak {p['reading_child_peak_mib']:.0f} "
                f"MiB while the build process held {p['reading_parent_mib']:.0f} MiB (RSS "
                f"both: shared pages count twice; their sum {both:.0f} MiB against the "
                f"build's peak {p['peak_mib']:.0f} MiB).")
        if p.get("ahead_taken"):
            lines.append(
                f"{r['incidents']:,} incidents, playbills rendered ahead: the child rendered "
                f"{p['ahead_taken']:,} of the playbills the build used, in "
                f"{p['ahead_cpu_seconds']:.1f} s of CPU (with those it rendered after the "
                "build had already done them, until it was stopped).")
        if p.get("tree_peak_mib"):
            m = r["markdown"]
            parts = ", ".join(f"{name} {mib:.0f}" for name, mib in
                              sorted(p["tree_peak_parts"].items(), key=lambda x: -x[1]))
            lines.append(
                f"{r['incidents']:,} incidents, every process of the build together (PSS "
                f"sum, sampled every {INTERVAL * 1000:.0f} ms): plugin "
                f"{p['tree_peak_mib']:.0f} MiB at its peak "
                f"({parts}), markdown {m['tree_peak_mib']:.0f} MiB: "
                f"{p['tree_peak_mib'] / m['tree_peak_mib']:.2f}; without Pagefind's process "
                f"(the build and its forked children) {p['python_peak_mib']:.0f} MiB: "
                f"{p['python_peak_mib'] / m['tree_peak_mib']:.2f}.")
    lines.append("")
    for r in rows:
        # Issue #12's measure: the median of three alternating runs' wall times.
        verdict = [f"time {r['median_ratio']:.2f} (median wall, the issue's measure; fastest "
                   f"{r['ratio']:.2f}, CPU {r['cpu_ratio']:.2f}) against 0.80: "
                   + ("met" if r["median_ratio"] <= 0.8 else "MISSED"),
                   f"peak memory of the build process {r['memory_ratio']:.2f} against 1.00: "
                   + ("met" if r["memory_ratio"] <= 1.0 else "MISSED")]
        if r["plugin"].get("tree_peak_mib") and r["markdown"].get("tree_peak_mib"):
            together = r["plugin"]["tree_peak_mib"] / r["markdown"]["tree_peak_mib"]
            verdict.append(f"with its other processes (Pagefind's) {together:.2f}: "
                           + ("met" if together <= 1.0 else "MISSED"))
        if "lists_cpu_ratio" in r:
            verdict.append(f"CPU ratio against the Markdown site with hand-kept lists "
                           f"{r['lists_cpu_ratio']:.2f}")
        lines.append(f"{r['incidents']:,} incidents: " + "; ".join(verdict))
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = ((last["plugin"]["build_seconds"] / last["incidents"])
                  / (first["plugin"]["build_seconds"] / first["incidents"]))
        lines.append("")
        lines.append(f"Time per incident at {last['incidents']:,} incidents is {growth:.2f}x "
                     f"that at {first['incidents']:,} (1.00 is linear growth).")
        # Linear memory: each step adds about the same MiB per incident (the interpreter,
        # MkDocs and the theme are the fixed part).
        for kind in ("plugin", "markdown"):
            steps = []
            for a, b in itertools.pairwise(rows):
                added = b[kind]["peak_mib"] - a[kind]["peak_mib"]
                per_1000 = added * 1000 / (b["incidents"] - a["incidents"])
                steps.append(f"{per_1000:.0f} ({a['incidents']:,} to {b['incidents']:,})")
            cpu = [f"{1000 * r[kind]['cpu_seconds'] / r['incidents']:.1f}" for r in rows]
            lines.append(f"{kind}: peak MiB added per 1,000 incidents " + ", ".join(steps)
                         + "; CPU ms per incident " + " / ".join(cpu))
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="builds per site; the fastest counts")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--with-lists", action="store_true",
                        help="also build the Markdown site with a hand-kept index, action-item "
                             "list and hall of fame (the baseline before issue #12)")
    args = parser.parse_args()
    kinds = ("plugin", "markdown", *(["markdown-lists"] if args.with_lists else []))
    rows = []
    for count in args.sizes:
        started = time.perf_counter()
        rows.append(measure(args.out, count, args.seed, args.repeat, kinds))
        rows[-1]["load_average"] = os.getloadavg()
        print(f"{count:,} incidents measured in {time.perf_counter() - started:.0f} s "
              f"(load average {rows[-1]['load_average'][0]:.1f})", flush=True)
    print()
    print(report(rows))
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
