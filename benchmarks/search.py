"""Benchmark: search that scales (issue #12, item 3), printed against its targets.

For each size (1,000 and 2,000 incidents by default, from benchmarks/generate.py:
about 15 scenes, 6 action items and 2 awards each) it builds the site with the
plugin (in a fresh process, as benchmarks/build.py does; sites are shared with
it in --out) and prints:

* Material's ``search/search_index.json``: bytes per incident (the playbills'
  entries only, and the whole file divided by the incidents), and gzip size.
  Target: at most 1.5 KB per incident.
* Pagefind: the time to index the built site (run again on its own), the
  bundle's size on disk, and in headless Chromium (``/usr/bin/chromium``, the
  site on a local HTTP server), per query typed into the index's "Search every
  word" box on a fresh page: the bytes fetched from ``pagefind/`` for that
  query (script, WebAssembly, index and filter chunks, the fragments of the
  ten results shown) and the time from the keystroke to the results drawn
  (user-timing measure ``pmtheater:fulltext``): typed at once on a fresh page
  (Pagefind not loaded yet), typed half a second after the box got focus (as a
  reader does; focus starts loading Pagefind), and a next query. Targets at 10,000
  incidents: at most 300 KB transferred for a query, first results within
  300 ms.

Bytes are the files as served: Pagefind's index, filter and fragment files are
already gzip-compressed; ``pagefind.js`` and the WebAssembly are counted
uncompressed (a server that compresses them sends less). Building 10,000
incidents takes about five minutes of two cores per build here; pass
``--sizes 10000`` to measure it, otherwise the 10,000-incident figures are
extrapolated linearly from the two sizes measured, and say so.

    python benchmarks/search.py [--sizes 1000 2000] [--out DIR] [--json FILE] [--reuse]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from build import prepare, run_build  # noqa: E402 - scripts next to this one

QUERIES = ["autoscaler", "certificate expired", "night owl", "priya", "grafana dashboard"]
"""Words of the generated text: from a phrase in many summaries to a person and an award."""
TARGET_INDEX_BYTES = 1536
TARGET_QUERY_BYTES = 300 * 1024
TARGET_FIRST_MS = 300.0


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


def browser_figures(site_dir: Path) -> dict[str, Any]:
    from browsing import launch, open_page, serve_directory
    from playwright.sync_api import sync_playwright

    runs = []
    with sync_playwright() as playwright, serve_directory(site_dir) as url:
        browser = launch(playwright)
        for query in QUERIES:
            page, errors, _ = open_page(browser, url + "incidents/")
            fetched: dict[str, int] = {}
            compressed: dict[str, int] = {}

            def note(response, fetched=fetched, compressed=compressed) -> None:
                if "/pagefind/" in response.url:
                    try:
                        body = response.body()
                    except Exception:  # a response without a body (aborted)
                        body = b""
                    fetched[response.url] = len(body)
                    # What a server that gzips text sends (Pagefind's own files are
                    # compressed already).
                    compressed[response.url] = (len(gzip.compress(body, 6))
                                                if response.url.endswith(".js") else len(body))

            page.on("response", note)
            timings = []
            for term in (query, query + " checkout"):  # cold, then warm
                page.evaluate("performance.clearMeasures('pmtheater:fulltext')")
                page.fill("#pmt-ft", term)
                page.wait_for_function(
                    "performance.getEntriesByName('pmtheater:fulltext').length > 0",
                    timeout=60_000)
                timings.append(page.evaluate(
                    "performance.getEntriesByName('pmtheater:fulltext')[0].duration"))
                if term == query:
                    cold_bytes = sum(fetched.values())
                    cold_gzip = sum(compressed.values())
                    parts = split_bytes(fetched)
                    shown = page.locator(".pmt-ft-results li").count()
            page.close()
            # As a reader does: the box is focused (which starts loading Pagefind), and
            # the first key comes half a second later.
            page, _, _ = open_page(browser, url + "incidents/")
            page.focus("#pmt-ft")
            page.wait_for_timeout(500)
            page.fill("#pmt-ft", query)
            page.wait_for_function(
                "performance.getEntriesByName('pmtheater:fulltext').length > 0",
                timeout=60_000)
            focused = page.evaluate(
                "performance.getEntriesByName('pmtheater:fulltext')[0].duration")
            runs.append({"query": query, "cold_ms": timings[0], "warm_ms": timings[1],
                         "focused_ms": focused,
                         "bytes": cold_bytes, "bytes_gzip": cold_gzip, "parts": parts,
                         "results_shown": shown,
                         # Material's web fonts are refused (no network): not an error here.
                         "errors": [e for e in errors if "net::ERR_FAILED" not in e]})
            page.close()
        browser.close()
    return {"runs": runs,
            "cold_ms_median": statistics.median(r["cold_ms"] for r in runs),
            "warm_ms_median": statistics.median(r["warm_ms"] for r in runs),
            "focused_ms_median": statistics.median(r["focused_ms"] for r in runs),
            "bytes_max": max(r["bytes"] for r in runs),
            "bytes_gzip_max": max(r["bytes_gzip"] for r in runs),
            "bytes_median": statistics.median(r["bytes"] for r in runs)}


def split_bytes(fetched: dict[str, int]) -> dict[str, int]:
    """Bytes of one query by kind of Pagefind file: what is fixed and what grows."""
    parts = {"script+wasm": 0, "entry": 0, "index": 0, "filter": 0, "fragment": 0}
    for url, size in fetched.items():
        name = url.rsplit("/pagefind/", 1)[-1]
        kind = ("fragment" if name.startswith("fragment/") else
                "index" if name.startswith("index/") else
                "filter" if name.startswith("filter/") else
                "entry" if name.startswith("pagefind-entry") else "script+wasm")
        parts[kind] += size
    return parts


def measure(out: Path, count: int, seed: int, reuse: bool = False) -> dict[str, Any]:
    root = prepare(out, "plugin", count, seed)
    site_dir = root / "site"
    if reuse and (site_dir / "pagefind" / "pagefind.js").is_file():
        build = {"build_seconds": float("nan")}
    else:
        build = run_build(root, site_dir)
    if not (site_dir / "pagefind" / "pagefind.js").is_file():
        raise SystemExit("the build wrote no Pagefind bundle: is pagefind[bin] installed?")
    seconds, pages = pagefind_index_seconds(site_dir)
    bundle = sum(p.stat().st_size for p in (site_dir / "pagefind").rglob("*") if p.is_file())
    return {"incidents": count, "build_seconds": build["build_seconds"],
            "material": material_figures(site_dir, count),
            "pagefind": {"index_seconds": seconds, "pages": pages, "bundle_bytes": bundle,
                         **browser_figures(site_dir)}}


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def report(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| incidents | Material index B/incident (file B/incident) | index gzip KiB "
        "| Pagefind index s | bundle MiB | query KiB median / max (max, scripts gzipped) "
        "| first results ms, median: typed at once / 0.5 s after focus / next query |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        m, p = r["material"], r["pagefind"]
        lines.append(
            f"| {r['incidents']:,} | {m['bytes_per_incident']:.0f} "
            f"({m['file_bytes_per_incident']:.0f}) | {m['gzip_bytes'] / 1024:.1f} "
            f"| {p['index_seconds']:.1f} | {p['bundle_bytes'] / 2**20:.1f} "
            f"| {p['bytes_median'] / 1024:.0f} / {p['bytes_max'] / 1024:.0f} "
            f"({p['bytes_gzip_max'] / 1024:.0f}) "
            f"| {p['cold_ms_median']:.0f} / {p['focused_ms_median']:.0f} "
            f"/ {p['warm_ms_median']:.0f} |")
    lines.append("")
    lines.append("Per query (largest size), bytes by kind of file:")
    for run in rows[-1]["pagefind"]["runs"]:
        parts = ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in run["parts"].items())
        lines.append(f"  {run['query']!r}: {run['bytes'] / 1024:.1f} KiB "
                     f"({run['bytes_gzip'] / 1024:.1f} KiB with scripts gzipped; {parts}); "
                     f"{run['cold_ms']:.0f} ms typed at once, {run['focused_ms']:.0f} ms after "
                     f"focus, {run['warm_ms']:.0f} ms next query, "
                     f"{run['results_shown']} results shown")
    lines.append("")
    last = rows[-1]
    material_max = max(r["material"]["bytes_per_incident"] for r in rows)
    lines.append(f"Material's index: {material_max:.0f} B per incident at most "
                 f"(target {TARGET_INDEX_BYTES} B): {verdict(material_max <= TARGET_INDEX_BYTES)} "
                 "the target (flat with size: the same entries per playbill).")
    if last["incidents"] >= 10_000:
        q_bytes, first_ms, how = (last["pagefind"]["bytes_max"],
                                  last["pagefind"]["focused_ms_median"], "measured")
    elif len(rows) >= 2:
        a, b = rows[0], rows[-1]
        scale = (10_000 - a["incidents"]) / (b["incidents"] - a["incidents"])
        q_bytes = a["pagefind"]["bytes_max"] + scale * (
            b["pagefind"]["bytes_max"] - a["pagefind"]["bytes_max"])
        first_ms = a["pagefind"]["focused_ms_median"] + scale * (
            b["pagefind"]["focused_ms_median"] - a["pagefind"]["focused_ms_median"])
        how = (f"extrapolated linearly from {a['incidents']:,} and {b['incidents']:,} "
               "incidents, not measured")
    else:
        q_bytes = first_ms = float("nan")
        how = "not estimated (measure two sizes to extrapolate)"
    lines.append(f"Pagefind at 10,000 incidents ({how}): {q_bytes / 1024:.0f} KiB for a query "
                 f"(target 300 KB): {verdict(q_bytes <= TARGET_QUERY_BYTES)}; first results in "
                 f"{first_ms:.0f} ms after focusing the box (target {TARGET_FIRST_MS:.0f} ms): "
                 f"{verdict(first_ms <= TARGET_FIRST_MS)}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--reuse", action="store_true",
                        help="measure sites already built in --out again, without building")
    args = parser.parse_args()
    rows = []
    for count in args.sizes:
        started = time.perf_counter()
        rows.append(measure(args.out, count, args.seed, args.reuse))
        print(f"{count:,} incidents measured in {time.perf_counter() - started:.0f} s",
              flush=True)
    print()
    print(report(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
