"""Benchmark: ``pmtheater validate`` against ``check-jsonschema`` on the same incident files.

Generates a site of realistic incidents (10,000 by default, with
benchmarks/generate.py), then, in one run, times

* ``pmtheater validate`` (the build's checks: YAML with line numbers, the JSON
  Schema, the checks the schema cannot express, the checks across files), and
* ``check-jsonschema --schemafile schemas/incident.schema.json FILES...``
  (the schema alone),

both as the commands a CI job would run, and prints the times and their ratio.
The target is pmtheater at most a third of check-jsonschema's time.

Then the pre-commit hook's case, ``pmtheater validate FILE`` (issue #12: at most
1 s at 10,000 incidents): one file, cold (no ``.pmtheater-cache/``), warm (the
summaries of the other files cached), warm with a new file that repeats the id
of a cached file (both must be named), and ``--no-cache`` for reference; wall
time and the CPU time of the command (less disturbed by other work on a shared
machine), against the target. This is a script, not a timed test: run it by
hand on a quiet machine.

    python benchmarks/validate.py [--count 10000] [--seed 1] [--out DIR] [--repeat 1]
                                  [--precommit-only]

The generated site is kept in ``--out`` (default ``benchmarks/out/validate-<count>``)
and reused by the next run with the same count and seed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = REPO / "schemas" / "incident.schema.json"
sys.path.insert(0, str(HERE))

from generate import write_site  # noqa: E402 - the generator lives next to this script


def tool(name: str) -> str:
    """A console script of this Python's environment, never one found on PATH (that could
    be another installation than the one measured)."""
    local = Path(sys.executable).parent / name
    if not local.is_file():
        raise SystemExit(f"{local} is not installed (pip install -e '.[test]')")
    return str(local)


def prepare(out: Path, count: int, seed: int) -> list[str]:
    marker = out / ".generated"
    wanted = f"{count} {seed}\n"
    if not (marker.is_file() and marker.read_text() == wanted):
        if out.exists():
            shutil.rmtree(out)
        started = time.perf_counter()
        write_site(out, count, seed)
        marker.write_text(wanted)
        print(f"generated {count} incidents in {time.perf_counter() - started:.1f} s")
    files = sorted(str(p.relative_to(out)) for p in (out / "docs" / "incidents").rglob("*.yaml"))
    assert len(files) == count, f"expected {count} files, found {len(files)}"
    return files


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return time.perf_counter() - started, done


def cpu_timed(command: list[str], cwd: Path
              ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall time and CPU time (user + system) of the command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, done = timed(command, cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done


TARGET = 1.0
"""Seconds for ``pmtheater validate FILE`` at 10,000 incidents (issue #12, item 2)."""


def precommit(out: Path, files: list[str], repeat: int) -> None:
    """One file as the pre-commit hook validates it: cold, warm, with a duplicate id."""
    pmtheater = tool("pmtheater")
    given = files[len(files) // 2]
    other = files[len(files) // 3]
    other_id = next(line[4:].strip() for line in (out / other).read_text().splitlines()
                    if line.startswith("id: "))
    duplicate = out / Path(given).parent / "zz-duplicate.yaml"
    shown = str(duplicate.relative_to(out))

    def run(name: str, command: list[str], expect: int, fresh: bool = False,
            judged: bool = True) -> float:
        best_wall = best_cpu = float("inf")
        for _ in range(repeat if judged else 1):  # the slow reference runs once
            if fresh:
                shutil.rmtree(out / ".pmtheater-cache", ignore_errors=True)
            wall, cpu, done = cpu_timed(command, out)
            if done.returncode != expect:
                raise SystemExit(f"{name}: exit {done.returncode}, expected {expect}:\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
            if expect == 1:  # the duplicate: both files named
                problems = json.loads(done.stdout)["problems"]
                text = json.dumps(problems)
                if not (shown in text and other in text):
                    raise SystemExit(f"{name}: the duplicate id was not reported: {text}")
            best_wall, best_cpu = min(wall, best_wall), min(cpu, best_cpu)
        verdict = ("(for reference)" if not judged else f"(target {TARGET:.0f} s)"
                   + ("" if best_wall <= TARGET else "  -- ABOVE TARGET"))
        print(f"{name:<34} {best_wall:6.2f} s wall {best_cpu:6.2f} s CPU  {verdict}")
        return best_wall

    print(f"\npre-commit: pmtheater validate FILE in a {len(files)}-incident repository "
          f"(fastest of {repeat}; load average {os.getloadavg()[0]:.1f})")
    try:
        run("one file, no cache (--no-cache)", [pmtheater, "validate", "--no-cache", given], 0,
            judged=False)
        run("one file, cold (cache written)", [pmtheater, "validate", given], 0, fresh=True,
            judged=False)
        run("one file, warm", [pmtheater, "validate", given], 0)
        duplicate.write_text((out / given).read_text().replace(
            next(line for line in (out / given).read_text().splitlines()
                 if line.startswith("id: ")), f"id: {other_id}", 1))
        run("duplicate id of a cached file", [pmtheater, "validate", "--format", "json", shown],
            1)
        run("duplicate id, warm", [pmtheater, "validate", "--format", "json", shown], 1)
    finally:
        duplicate.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each tool this many times and keep the fastest")
    parser.add_argument("--precommit-only", action="store_true",
                        help="only the pre-commit figures (one file), not the whole folder")
    args = parser.parse_args()
    out = (args.out or HERE / "out" / f"validate-{args.count}").resolve()
    files = prepare(out, args.count, args.seed)
    if not args.precommit_only:
        whole_folder(out, files, args.repeat)
    precommit(out, files, args.repeat)


def whole_folder(out: Path, files: list[str], repeat: int) -> None:
    """The whole incidents folder: pmtheater validate against check-jsonschema."""
    pmtheater = [tool("pmtheater"), "validate", "--no-cache"]
    check = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA), *files]
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, command in (("pmtheater validate", pmtheater), ("check-jsonschema", check)):
            seconds, done = timed(command, out)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}):\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
            best[name] = min(seconds, best.get(name, seconds))
            print(f"{name:<20} {seconds:8.2f} s  {len(files) / seconds:8.0f} files/s")
    ratio = best["pmtheater validate"] / best["check-jsonschema"]
    print(f"\n{len(files)} files; pmtheater validate takes {ratio:.2f} of check-jsonschema's "
          f"time (target: at most 0.33){'' if ratio <= 1 / 3 else '  -- ABOVE TARGET'}")


if __name__ == "__main__":
    main()
