"""Benchmark: search that scales (issue #12, item 3), printed against its targets.

By default it measures 10,000 incidents for real (``--sizes`` for others): the
generated site of benchmarks/generate.py (about 15 scenes, 6 action items and 2
awards each; build.py's site, copied to ``--out``/search-<count> with one rare word,
:data:`RARE_WORD`, planted in one scene of one incident), built once with the
plugin (MkDocs, Material, Pagefind: the whole site, in a fresh process) and reused
by later runs (``--reuse`` measures again without building). It prints:

* Material's ``search/search_index.json``: bytes per incident (the playbills'
  entries only, and the whole file divided by the incidents), and gzip size.
  Target: at most 1.5 KB per incident.
* Pagefind: the bundle's size on disk (``--index-time``: also the time to index
  the built site again), and in headless Chromium (``/usr/bin/chromium``, the site
  on a local HTTP server that does not compress), per query of :data:`QUERIES`
  (a word found in one scene only, common words, a person, a common word with
  facets checked), each on a fresh page with an empty cache:

  - every byte fetched, by kind: Pagefind's start-up files (``pagefind.js`` or its
    gzipped copy ``pagefind-js.pagefind`` that our worker fetches, the worker that
    runs it, ours (``pmtheater-search.js``) or Pagefind's, the WebAssembly, the
    metadata ``.pf_meta``, the entry) and its per-query files (index chunks, filter
    chunks, the fragments of the results shown), with and without the start-up files
    (fetched on focusing the box, so a reader who focuses it has them before the
    first key), as served and as a server that gzips scripts would send them; the
    index page's own files too;
  - the time from the keystroke (the ``input`` event) to the first frame painted
    with the results, typed as a reader does (the page settled: Material's search
    has built its index; half a second after focusing the box) and typed at once
    right after load (Material's search worker indexing the site beside it), and
    for a next query on the same page;
  - typed key by key, 80 ms apart, on a settled page: the time from the last key
    to the first frame with that query's results (every key is a search: this
    shows whether the searches of the keys before queue up behind it).

Targets at 10,000 incidents: at most 300 KB transferred for a query, first
results within 300 ms. The figures depend on the machine's load: the load
average is printed beside them.

    python benchmarks/search.py [--sizes 10000] [--out DIR] [--json FILE] [--reuse]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from build import prepare, run_build  # noqa: E402 - scripts next to this one
from generate import incident_yaml  # noqa: E402

from mkdocs_pmtheater.publish.fulltext import PACKED_SCRIPT  # noqa: E402

TARGET_INDEX_BYTES = 1536
TARGET_QUERY_BYTES = 300 * 1024
TARGET_FIRST_MS = 300.0


RARE_WORD = "zanzibar"
"""Planted in one scene of one incident (the generated text has no word of its own in a
scene): the check of issue #12, "a word found only in one scene through Pagefind"."""
RARE_SCENE = 7
"""The scene (0-based) of the incident that gets the rare word."""


def rare_incident(count: int) -> int:
    """Which incident (1-based, as the generator numbers them) holds the rare word."""
    return max(1, (count * 43) // 100)


def prepare_search_site(out: Path, count: int, seed: int) -> Path:
    """The generated site of ``count`` incidents (as build.py's), copied to
    ``out/search-<count>`` with :data:`RARE_WORD` planted in one scene; reused when
    its marker says so. Returns the root (``docs/``, ``mkdocs.yml``)."""
    import shutil

    import yaml

    root = out / f"search-{count}"
    marker = root / ".generated"
    stamp = f"{count} {seed} {RARE_WORD}@{rare_incident(count)}/{RARE_SCENE}\n"
    if marker.is_file() and marker.read_text() == stamp:
        return root
    source = prepare(out.resolve(), "plugin", count, seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(source / "docs", root / "docs")
    shutil.copy2(source / "mkdocs.yml", root / "mkdocs.yml")
    number = rare_incident(count)
    [path] = list((root / "docs" / "incidents").glob(f"*/inc-*-{number:05d}.yaml"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["timeline"][RARE_SCENE]["action"] = (
        data["timeline"][RARE_SCENE]["action"].rstrip(".")
        + f" after the {RARE_WORD} sidecar leaked file handles.")
    path.write_text(incident_yaml(data), encoding="utf-8")
    marker.write_text(stamp)
    return root


def material_figures(site_dir: Path, count: int) -> dict[str, float]:
    path = site_dir / "search" / "search_index.json"
    raw = path.read_bytes()
    docs = json.loads(raw)["docs"]
    playbills = [d for d in docs if d["location"].split("/")[1:2] and
                 d["location"].startswith("incidents/inc-")]
    playbill_bytes = sum(len(json.dumps(d, separators=(",", ":")).encode()) + 1
                         for d in playbills)
    return {"file_bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 6)),
            "bytes_per_incident": playbill_bytes / count,
            "file_bytes_per_incident": len(raw) / count}


def pagefind_index_seconds(site_dir: Path) -> tuple[float, int]:
    from mkdocs_pmtheater.publish.fulltext import index_site

    started = time.perf_counter()
    report = index_site(site_dir)
    if report.error:
        raise SystemExit(report.error)
    return time.perf_counter() - started, report.pages


QUERIES: list[dict[str, Any]] = [
    {"name": "rare word, one scene", "term": RARE_WORD},
    {"name": "common word", "term": "autoscaler"},
    {"name": "two common words", "term": "certificate expired"},
    {"name": "person", "term": "priya"},
    {"name": "common word + filters", "term": "autoscaler",
     "filters": {"severity": ["SEV1", "SEV2"], "year": ["2024"]}},
]
"""The queries of issue #12's item 3: a word found in one scene only, common words of the
generated text (every playbill has them), a person, and a query with facets checked."""

# Installed before the page's own scripts: notes the time of the keystroke in the
# full-text box and the time the first frame showing its results was painted (the
# results' count is written last; a frame callback then a task runs after that frame).
PAINT_PROBE = """
window.__pmtPf = {key: null, painted: null};
document.addEventListener("input", function (event) {
  if (!event.target || event.target.id !== "pmt-ft") return;
  window.__pmtPf = {key: event.timeStamp, painted: null};
}, true);
new MutationObserver(function () {
  var probe = window.__pmtPf, count = document.querySelector(".pmt-ft-count");
  if (probe.key === null || probe.painted !== null || probe.waiting ||
      !count || !count.textContent) return;
  probe.waiting = true;
  requestAnimationFrame(function () {
    setTimeout(function () { probe.painted = performance.now(); }, 0);
  });
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

SEARCH_READY = """
() => {
  const meta = document.querySelector(".md-search-result__meta");
  return !meta || !/initializing/i.test(meta.textContent);
}
"""
"""Material's search has built its index (its worker indexes the whole site after every
full page load: seconds of both cores at 10,000 incidents), as benchmarks/catalogue_browser.py
waits for it."""


def kind_of(url: str) -> str:
    """The kind of one fetched file: Pagefind's start-up (script, worker, WebAssembly,
    metadata), its per-query files (index chunks, filter chunks, fragments), or the page's
    own (HTML, CSS, JavaScript, Material's search index, other)."""
    path = url.split("?", 1)[0]
    if path.endswith("/assets/pmtheater/pmtheater-search.js"):
        return "script"  # the page's worker that runs Pagefind: fetched with its start-up
    if "/pagefind/" in path:
        name = path.rsplit("/pagefind/", 1)[-1]
        if name.startswith("shard-") and "/" in name:  # a part after the first (shards.py)
            name = name.split("/", 1)[1]
        for folder, kind in (("index/", "index"), ("filter/", "filter"),
                             ("fragment/", "fragment")):
            if name.startswith(folder):
                return kind
        if name.startswith("wasm."):
            return "wasm"
        if name.endswith(".pf_meta"):
            return "meta"
        # pagefind.js, or the gzipped copy of it our worker fetches (fulltext.pack_script)
        return "script" if name.endswith(".js") or name == PACKED_SCRIPT else "entry"
    if path.endswith("search_index.json"):
        return "page: Material search index"
    for suffix, kind in ((".html", "page: html"), ("/", "page: html"), (".css", "page: css"),
                         (".js", "page: js"), (".json", "page: json")):
        if path.endswith(suffix):
            return kind
    return "page: other"


ALL_SHOWN = """
() => {
  const text = document.querySelector(".pmt-ft-count").textContent;
  const total = /^\\d+/.test(text) ? parseInt(text, 10) : 0;
  return document.querySelectorAll(".pmt-ft-results li").length === Math.min(total, 10);
}
"""
"""Every result of the first page is on the page (ten at most, as the script shows)."""

TYPED_PROBE = """
window.__pmtTyped = {last: null, done: null, want: null};
document.addEventListener("input", function (event) {
  if (event.target && event.target.id === "pmt-ft") {
    window.__pmtTyped.last = event.timeStamp;
    window.__pmtTyped.done = null;
  }
}, true);
new MutationObserver(function () {
  var t = window.__pmtTyped, count = document.querySelector(".pmt-ft-count");
  var first = document.querySelector(".pmt-ft-results a");
  if (!t.want || t.done !== null || !count || !first) return;
  if (count.textContent === t.want[0] && first.href === t.want[1]) t.done = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
"""Notes the last key typed in the full-text box and when the page first shows that query's
results (its count and first link, known from the query typed at once)."""

TYPING_DELAY_MS = 80
"""A fast typist's pause between keys (12 a second): every key is a search."""


def typed_run(browser: Any, url: str, query: dict[str, Any], want: tuple[str, str]) -> float:
    """The query typed key by key (:data:`TYPING_DELAY_MS` apart) into the box of a settled
    page, as a reader types it: ms from the last key to the first frame with its results.
    Each key is a search, and a word on every playbill takes Pagefind a few hundred ms:
    this shows whether searches queue up behind the last key."""
    from browsing import isolate

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    isolate(page)
    page.add_init_script(TYPED_PROBE)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(SEARCH_READY, timeout=600_000, polling=250)
    for name, values in (query.get("filters") or {}).items():
        for value in values:
            page.check(f'form[data-pmt-filters] input[name="{name}"][value="{value}"]',
                       force=True)
    page.focus("#pmt-ft")
    page.wait_for_timeout(500)
    page.evaluate("want => { window.__pmtTyped.want = want; }", list(want))
    page.type("#pmt-ft", query["term"], delay=TYPING_DELAY_MS)
    page.wait_for_function("window.__pmtTyped.done !== null", timeout=120_000)
    ms = page.evaluate("window.__pmtTyped.done - window.__pmtTyped.last")
    context.close()
    return float(ms)


STARTUP_KINDS = ("script", "entry", "wasm", "meta")
QUERY_KINDS = ("index", "filter", "fragment")


def one_run(browser: Any, url: str, query: dict[str, Any], focus_first: bool) -> dict[str, Any]:
    """A fresh page (a new browser context: empty cache), the query typed into the full-text
    box either at once, right after the page loaded (Material's search still indexing the
    site beside it), or as a reader does: once the page has settled (Material's search
    ready), half a second after the box got focus (focus starts loading Pagefind). Then a
    second query on the same page. Bytes by kind, per phase."""
    from browsing import isolate

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    isolate(page)
    page.add_init_script(PAINT_PROBE)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    phase = {"now": "load"}
    fetched: list[tuple[str, str, int, int]] = []  # phase, kind, bytes, bytes if gzipped

    def note(response: Any) -> None:
        try:
            body = response.body()
        except Exception:  # a response without a body (a redirect, an aborted fetch)
            body = b""
        kind = kind_of(response.url)
        # What a server that gzips text sends; Pagefind's own files are gzipped already.
        text = kind in ("script", "entry") or (kind.startswith("page: ")
                                               and not kind.endswith("other"))
        zipped = (len(gzip.compress(body, 6)) if text and body[:2] != b"\x1f\x8b"
                  else len(body))
        fetched.append((phase["now"], kind, len(body), zipped))

    page.on("response", note)
    # The renderer's main thread: how long its tasks ran (CPU, less disturbed by other work
    # on the machine than the wall time from the key to the frame).
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def busy() -> float:
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        return metrics.get("TaskDuration", 0.0) * 1000

    started = time.perf_counter()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    settled = float("nan")
    if focus_first:
        page.wait_for_function(SEARCH_READY, timeout=600_000, polling=250)
        settled = time.perf_counter() - started
    if query.get("filters"):
        for name, values in query["filters"].items():
            for value in values:
                page.check(f'form[data-pmt-filters] input[name="{name}"][value="{value}"]',
                           force=True)
        page.wait_for_timeout(300)
    phase["now"] = "focus"
    if focus_first:
        page.focus("#pmt-ft")
        page.wait_for_timeout(500)
    phase["now"] = "query"
    timings = []
    busy_ms = []
    for term in (query["term"], query["term"] + " checkout"):
        before = busy()
        page.fill("#pmt-ft", term)
        page.wait_for_function("window.__pmtPf.painted !== null", timeout=120_000)
        probe = page.evaluate("window.__pmtPf")
        busy_ms.append(busy() - before)
        timings.append(probe["painted"] - probe["key"])
        if term == query["term"]:
            # Results are shown as their fragments arrive: wait for all of them (the count
            # says how many), and for their responses to be noted, before taking stock.
            page.wait_for_function(ALL_SHOWN, timeout=120_000)
            shown = page.locator(".pmt-ft-results li").count()
            deadline = time.perf_counter() + 10
            while (sum(1 for ph, kind, _, _ in fetched if ph == "query" and kind == "fragment")
                   < shown and time.perf_counter() < deadline):
                page.wait_for_timeout(50)
            page.wait_for_timeout(200)
            first = list(fetched)
            count_text = page.locator(".pmt-ft-count").inner_text()
            links = page.eval_on_selector_all(".pmt-ft-results a", "as => as.map(a => a.href)")
    context.close()
    by_phase: dict[str, dict[str, list[int]]] = {}
    for ph, kind, size, zipped in first:
        slot = by_phase.setdefault(ph, {}).setdefault(kind, [0, 0])
        slot[0] += size
        slot[1] += zipped
    return {"query": query["name"], "term": query["term"], "filters": query.get("filters"),
            "focus_first": focus_first, "first_ms": timings[0], "next_ms": timings[1],
            "material_ready_s": settled, "first_busy_ms": busy_ms[0],
            "next_busy_ms": busy_ms[1],
            "bytes": by_phase, "results_shown": shown, "count_text": count_text,
            "links": links[:3],
            # Material's web fonts are refused (no network): not an error here.
            "errors": [e for e in errors if "net::ERR_FAILED" not in e]}


def query_bytes(run: dict[str, Any], *, startup: bool, zipped: bool = False) -> int:
    """Bytes of Pagefind's files a query fetched: the per-query files only, or with
    Pagefind's start-up files too (wherever they were fetched: on focus or on the key)."""
    kinds = QUERY_KINDS + (STARTUP_KINDS if startup else ())
    return sum(sizes[1 if zipped else 0] for phase in run["bytes"].values()
               for kind, sizes in phase.items() if kind in kinds)


def browser_figures(site_dir: Path) -> dict[str, Any]:
    from browsing import launch, serve_directory
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright, serve_directory(site_dir) as url:
        browser = launch(playwright)
        for query in QUERIES:
            for focus_first in (True, False):
                runs.append(one_run(browser, url + "incidents/", query, focus_first))
                print(f"  {query['name']!r} {'after focus' if focus_first else 'at once'}: "
                      f"{runs[-1]['first_ms']:.0f} ms, {query_bytes(runs[-1], startup=True)} B, "
                      f"{runs[-1]['count_text']!r}", flush=True)
            runs[-1]["typed_ms"] = typed_run(browser, url + "incidents/", query,
                                             (runs[-1]["count_text"], runs[-1]["links"][0]))
            print(f"  {query['name']!r} typed key by key: last key to its results "
                  f"{runs[-1]['typed_ms']:.0f} ms", flush=True)
        browser.close()
    focused = [r for r in runs if r["focus_first"]]
    at_once = [r for r in runs if not r["focus_first"]]
    return {"runs": runs,
            "focused_ms_median": statistics.median(r["first_ms"] for r in focused),
            "focused_ms_max": max(r["first_ms"] for r in focused),
            "focused_busy_ms_median": statistics.median(r["first_busy_ms"] for r in focused),
            "cold_ms_median": statistics.median(r["first_ms"] for r in at_once),
            "warm_ms_median": statistics.median(r["next_ms"] for r in runs),
            "typed_ms_median": statistics.median(r["typed_ms"] for r in at_once),
            "typed_ms_max": max(r["typed_ms"] for r in at_once),
            "bytes_max": max(query_bytes(r, startup=True) for r in focused),
            "bytes_gzip_max": max(query_bytes(r, startup=True, zipped=True) for r in focused),
            "bytes_query_only_max": max(query_bytes(r, startup=False) for r in focused),
            "bytes_median": statistics.median(query_bytes(r, startup=True) for r in focused)}


def measure(out: Path, count: int, seed: int, reuse: bool = False,
            index_time: bool = False) -> dict[str, Any]:
    root = prepare_search_site(out, count, seed)
    site_dir = root / "site"
    if reuse and (site_dir / "pagefind" / "pagefind.js").is_file():
        build: dict[str, Any] = {"build_seconds": float("nan"), "cpu_seconds": float("nan")}
        # The page's script as this checkout has it: a site built by an older one would
        # read a bundle indexed again since (python -m mkdocs_pmtheater.publish.fulltext)
        # with its old script, which may not know that bundle's parts.
        from mkdocs_pmtheater.publish.production import ASSETS_DIR

        for name in ("pmtheater.js", "pmtheater-search.js"):
            current = (ASSETS_DIR / name).read_bytes()
            script = site_dir / "assets" / "pmtheater" / name
            if not script.is_file() or script.read_bytes() != current:
                script.write_bytes(current)
                print(f"  {script} was another version's: replaced with this checkout's",
                      flush=True)
        index = (site_dir / "incidents" / "index.html").read_text(encoding="utf-8")
        if "data-pmt-fulltext-worker" not in index:
            print("  the index page predates pmtheater-search.js: it searches with "
                  "Pagefind's own worker (build again to measure this checkout)", flush=True)
    else:
        build = run_build(root, site_dir)
    if not (site_dir / "pagefind" / "pagefind.js").is_file():
        raise SystemExit("the build wrote no Pagefind bundle: is pagefind[bin] installed?")
    from mkdocs_pmtheater.publish.shards import count_pages, read_shard_list

    seconds, pages = (pagefind_index_seconds(site_dir) if index_time
                      else (float("nan"), count_pages(site_dir / "pagefind")))
    parts = 1 + len(read_shard_list(site_dir / "pagefind"))
    bundle = sum(p.stat().st_size for p in (site_dir / "pagefind").rglob("*") if p.is_file())
    load_before = os.getloadavg()
    browser = browser_figures(site_dir)
    return {"incidents": count, "build_seconds": build["build_seconds"],
            "build_cpu_seconds": build.get("cpu_seconds"),
            "material": material_figures(site_dir, count),
            "load_average": [load_before, os.getloadavg()],
            "pagefind": {"index_seconds": seconds, "pages": pages, "parts": parts,
                         "bundle_bytes": bundle,
                         **browser}}


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def kib(n: float) -> str:
    return f"{n / 1024:.1f}"


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| incidents | Material index B/incident (file B/incident) | index gzip KiB "
        "| Pagefind index s | bundle MiB (parts) | query KiB with start-up, median / max "
        "(max, scripts gzipped) | query KiB without start-up, max "
        "| first results ms, median: settled, 0.5 s after focus / typed at once after load "
        "/ next query |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        m, p = r["material"], r["pagefind"]
        lines.append(
            f"| {r['incidents']:,} | {m['bytes_per_incident']:.0f} "
            f"({m['file_bytes_per_incident']:.0f}) | {kib(m['gzip_bytes'])} "
            f"| {p['index_seconds']:.1f} | {p['bundle_bytes'] / 2**20:.1f} ({p['parts']}) "
            f"| {kib(p['bytes_median'])} / {kib(p['bytes_max'])} ({kib(p['bytes_gzip_max'])}) "
            f"| {kib(p['bytes_query_only_max'])} "
            f"| {p['focused_ms_median']:.0f} / {p['cold_ms_median']:.0f} "
            f"/ {p['warm_ms_median']:.0f} |")
    last = rows[-1]
    lines.append("")
    lines.append(f"Load average (1, 5, 15 min) before / after the browser runs: "
                 f"{last['load_average'][0]} / {last['load_average'][1]}")
    lines.append("")
    lines.append(f"Per query at {last['incidents']:,} incidents: KiB by kind of file "
                 "(load = with the page, focus = on focusing the box, query = after the key):")
    for run in last["pagefind"]["runs"]:
        parts = "; ".join(
            f"{phase}: " + ", ".join(f"{kind} {kib(sizes[0])}"
                                     for kind, sizes in sorted(kinds.items())
                                     if not kind.startswith("page: "))
            for phase, kinds in run["bytes"].items()
            if any(not k.startswith("page: ") for k in kinds))
        how = (f"0.5 s after focus, page settled ({run['material_ready_s']:.0f} s after load)"
               if run["focus_first"] else "typed at once right after load")
        filters = f", {run['filters']}" if run["filters"] else ""
        lines.append(
            f"  {run['query']} ({run['term']!r}{filters}), {how}: "
            f"{kib(query_bytes(run, startup=True))} KiB with start-up "
            f"({kib(query_bytes(run, startup=True, zipped=True))} scripts gzipped), "
            f"{kib(query_bytes(run, startup=False))} KiB without; first results "
            f"{run['first_ms']:.0f} ms (main thread busy {run['first_busy_ms']:.0f} ms), "
            f"next query {run['next_ms']:.0f} ms (busy {run['next_busy_ms']:.0f} ms); "
            + (f"typed key by key, {TYPING_DELAY_MS} ms apart: last key to its results "
               f"{run['typed_ms']:.0f} ms; " if "typed_ms" in run else "") +
            f"{run['count_text']!r}, first link {run['links'][:1]}; {parts}"
            + (f"; ERRORS {run['errors']}" if run["errors"] else ""))
    page_load: dict[str, int] = {}
    for kind, sizes in last["pagefind"]["runs"][0]["bytes"].get("load", {}).items():
        page_load[kind] = sizes[0]
    lines.append("  The index page itself (before any query): " + ", ".join(
        f"{kind[6:] if kind.startswith('page: ') else kind} {kib(size)} KiB"
        for kind, size in sorted(page_load.items())))
    lines.append("")
    material_max = max(r["material"]["bytes_per_incident"] for r in rows)
    lines.append(f"Material's index: {material_max:.0f} B per incident at most "
                 f"(target {TARGET_INDEX_BYTES} B): {verdict(material_max <= TARGET_INDEX_BYTES)} "
                 "the target (flat with size: the same entries per playbill).")
    if last["incidents"] >= 10_000:
        p = last["pagefind"]
        lines.append(
            f"Pagefind at {last['incidents']:,} incidents (measured): "
            f"{kib(p['bytes_max'])} KiB for the largest query with Pagefind's start-up files "
            f"({kib(p['bytes_query_only_max'])} KiB without them; target 300 KB = 293.0 KiB): "
            f"{verdict(p['bytes_max'] <= TARGET_QUERY_BYTES)} with start-up, "
            f"{verdict(p['bytes_query_only_max'] <= TARGET_QUERY_BYTES)} without; first results "
            f"{p['focused_ms_median']:.0f} ms median (main thread busy "
            f"{p['focused_busy_ms_median']:.0f} ms), {p['focused_ms_max']:.0f} ms at most, "
            f"typed 0.5 s after focusing the box on a settled page (target "
            f"{TARGET_FIRST_MS:.0f} ms): {verdict(p['focused_ms_max'] <= TARGET_FIRST_MS)}; "
            f"typed at once right after load {p['cold_ms_median']:.0f} ms median; typed key by "
            f"key ({TYPING_DELAY_MS} ms apart), from the last key to its results "
            f"{p['typed_ms_median']:.0f} ms median, {p['typed_ms_max']:.0f} ms at most.")
    else:
        lines.append("Pagefind's 10,000-incident targets: not measured (pass --sizes 10000).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--reuse", action="store_true",
                        help="measure sites already built in --out again, without building")
    parser.add_argument("--index-time", action="store_true",
                        help="also time Pagefind indexing the built site again on its own")
    args = parser.parse_args()
    rows = []
    for count in args.sizes:
        started = time.perf_counter()
        rows.append(measure(args.out, count, args.seed, args.reuse, args.index_time))
        print(f"{count:,} incidents measured in {time.perf_counter() - started:.0f} s",
              flush=True)
    print()
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
