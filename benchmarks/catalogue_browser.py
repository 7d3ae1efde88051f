"""How fast the post-mortem index filters, and how small it is, at thousands of incidents.

Builds a generated site (``generate.write_site``), then reports:

- the index page's size: gzip bytes per incident (target: under 150);
- in headless Chromium, for a series of keystrokes in the filter box (three
  rounds, each from an empty field): the time the script spends updating the
  table (``pmtheater:filter`` user-timing measure), and the time from the
  keystroke to the first frame drawn after it (keydown ``timeStamp`` to a task
  queued from the next animation frame, so style, layout and paint of the
  updated table are included). Part of that time is the wait for the display's
  next refresh (up to 16.7 ms at 60 Hz, even on an empty page), so the script
  also reports the keystroke's own work: the same time without the idle wait
  between the page's update (laid out) and the start of the frame (target:
  under 16 ms), and the page's main-thread CPU time per keystroke (Chromium's
  counters; unlike the times, it hardly moves when other work shares the
  CPUs). The page writes its URL
  just after that frame, so the write is not included, but it is when it
  delays a later keystroke. Rounds 2 and 3 repeat round 1's queries, whose
  results the page has kept; the median of each round is shown;
- those keystrokes twice: typed right after the page loads, and on a fresh
  load once Material's search is ready. After every full page load Material's
  search builds its index in a worker (about 5 s for 5,000 incidents on two
  cores since its index keeps only titles, summaries, services, tags and root
  causes; 30 to 40 s before) and competes with the page for the CPU, so
  keystrokes typed meanwhile are slower;
- the same on a 10-incident site, measured in the same run: the floor that the
  browser, Playwright and the machine add by themselves (on a busy shared
  machine this floor alone can exceed 16 ms).

    python benchmarks/catalogue_browser.py [--count 5000] [--out DIR] [--reuse]

Not a test: timings depend on the machine. Uses Debian's Chromium
(``/usr/bin/chromium``) through Playwright.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSETS = HERE.parent / "mkdocs_pmtheater" / "assets"
sys.path.insert(0, str(HERE))

from generate import write_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
BUILD_EPOCH = "1795651200"  # 2026-11-26, as in the tests
# Type, erase (the worst case: every row comes back), and type again.
KEYS = list("cache") + ["Backspace"] * 5 + list("checkout") + ["Backspace"] * 8 + list("@priya")

PROBE = """
() => {
  window.__pmtKeys = [];
  // From the keystroke (keydown's timeStamp) to a task queued from the first animation
  // frame requested after the page updated the table (in the last input listener), so
  // the frame's style, layout and paint of the update are in. Part of that time is idle:
  // the wait for the display's next refresh (vsync, up to 16.7 ms at 60 Hz), which no
  // page can shorten. The keystroke's own work is that time without the wait: the
  // listener lays out the page (the browser's editor does so right after input events
  // anyway, to place the caret), and the time from then to the frame is the wait.
  let start = null;
  document.addEventListener("keydown", (event) => { start = event.timeStamp; }, true);
  window.addEventListener("input", () => {
    if (start === null) return;
    const began = start;
    start = null;
    document.documentElement.getBoundingClientRect();
    const handled = performance.now();
    requestAnimationFrame(() => {
      const wait = performance.now() - handled;
      setTimeout(() => {
        const done = performance.now();
        const measure = performance.getEntriesByName("pmtheater:filter").pop();
        window.__pmtKeys.push({ paint: done - began, own: done - began - wait,
                                script: measure ? measure.duration : null,
                                count: document.querySelector(".pmt-count").textContent });
      }, 0);
    });
  });
}
"""


def build(root: Path, count: int, seed: int) -> Path:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    write_site(root, count, seed)
    os.environ["SOURCE_DATE_EPOCH"] = BUILD_EPOCH
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    cwd = os.getcwd()
    try:
        os.chdir(root)
        started = time.perf_counter()
        mkdocs_build(load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site")))
        print(f"built {count} incidents in {time.perf_counter() - started:.0f} s")
    finally:
        os.chdir(cwd)
    return root / "site"


def serve(site_dir: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sizes(site_dir: Path, count: int) -> dict[str, float]:
    page = (site_dir / "incidents" / "index.html").read_bytes()
    data = (site_dir / "assets" / "pmtheater" / "index-search.json").read_bytes()
    script = (site_dir / "assets" / "pmtheater" / "pmtheater.js").read_bytes()
    return {
        "index_bytes": len(page),
        "index_gzip": len(gzip.compress(page, 9)),
        "index_gzip_per_incident": len(gzip.compress(page, 9)) / count,
        "data_gzip": len(gzip.compress(data, 9)),
        "script_gzip": len(gzip.compress(script, 9)),
    }


SEARCH_READY = """
() => {
  const meta = document.querySelector(".md-search-result__meta");
  return !meta || !/initializing/i.test(meta.textContent);
}
"""


def open_index(page, url: str) -> float:
    """Load the index and wait until it is enhanced and has its summaries; returns seconds."""
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    page.wait_for_selector("form.pmt-filters:not([hidden])")
    page.wait_for_load_state("networkidle")  # the summaries file
    page.evaluate(PROBE)
    return time.perf_counter() - started


# Chromium's own counters (DevTools Performance domain): the page's main thread CPU time
# (ThreadTime) and where its time went, in seconds since the page loaded.
CPU_METRICS = ("ThreadTime", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration")


def cpu_metrics(cdp) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: metrics[name] for name in CPU_METRICS}


def type_rounds(page, rounds: int, cdp) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Type KEYS ``rounds`` times, each time from an empty field (not measured).

    Returns the samples (each with ``cpu``: the main thread's CPU time from just before the
    key is pressed to its frame, in ms) and, per keystroke in ms, the page's main-thread CPU
    time and its script, style and layout time (Chromium's counters) over the whole typing,
    pauses and URL writes included. CPU
    time, unlike the wall-clock figures, hardly changes when other work shares the CPUs;
    it includes the browser's work for the keystroke (editing, Material's handlers), the
    URL writes and Playwright's polling, which the floor site has too.
    """
    samples: list[dict[str, float]] = []
    spent = dict.fromkeys(CPU_METRICS, 0.0)
    field = page.locator("#pmt-q")
    field.focus()
    for _ in range(rounds):
        field.fill("")
        page.wait_for_function("() => { const c = document.querySelector('.pmt-count')"
                               ".textContent.split(' of '); return c[0] === c[1]; }")
        page.wait_for_timeout(300)
        page.evaluate("window.__pmtKeys = []")
        before_round = cpu_metrics(cdp)
        per_key = []
        for key in KEYS:
            before = page.evaluate("window.__pmtKeys.length")
            thread = cpu_metrics(cdp)["ThreadTime"]
            page.keyboard.press(key)
            page.wait_for_function(f"window.__pmtKeys.length > {before}")
            per_key.append(1000 * (cpu_metrics(cdp)["ThreadTime"] - thread))
            page.wait_for_timeout(30)  # a person types about 5 keys a second
        after_round = cpu_metrics(cdp)
        for name in CPU_METRICS:
            spent[name] += after_round[name] - before_round[name]
        keys = page.evaluate("window.__pmtKeys")
        for sample, cpu in zip(keys, per_key, strict=True):
            sample["cpu"] = cpu
        samples += keys
    return samples, {name: 1000 * value / len(samples) for name, value in spent.items()}


FRAMES_ON_DEMAND = ["--disable-frame-rate-limit", "--disable-gpu-vsync"]
"""Chromium draws a frame as soon as one is needed instead of on the display's refresh:
keystroke to frame is then the keystroke's own work, the frame's style, layout and paint,
with no wait for the next vsync (``--frames on-demand``)."""


def measure(site_dir: Path, rounds: int = 3, *, on_demand: bool = False) -> dict[str, object]:
    """Keystrokes typed right after load, and again on a fresh load once Material's search is ready.

    Material's search builds its index in a worker after every full page load; on a large
    site that takes long and competes for the CPU. Each sample has ``paint`` (keystroke to
    next frame), ``script`` and the count shown.
    """
    from playwright.sync_api import sync_playwright

    server = serve(site_dir)
    url = f"http://127.0.0.1:{server.server_address[1]}/incidents/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS + (FRAMES_ON_DEMAND if on_demand else []))
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # Offline: answer requests for web fonts and other hosts with nothing.
            page.route(lambda u: not u.startswith("http://127.0.0.1"),
                       lambda route: route.fulfill(status=200, body=""))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
            print(f"index loaded and enhanced in {open_index(page, url):.2f} s")
            indexing = [not page.evaluate(SEARCH_READY)]
            early = type_rounds(page, rounds, cdp)
            indexing.append(not page.evaluate(SEARCH_READY))
            started = time.perf_counter()
            open_index(page, url)
            page.wait_for_function(SEARCH_READY, timeout=600_000, polling=250)
            search_ready = time.perf_counter() - started
            ready = type_rounds(page, rounds, cdp)
            browser.close()
    finally:
        server.shutdown()
    return {"early": early, "indexing": indexing, "ready": ready, "search_ready": search_ready}


def report(label: str, result: tuple[list[dict[str, float]], dict[str, float]],
           rounds: int = 3) -> None:
    samples, cpu = result
    paint = [s["paint"] for s in samples]
    script = [s["script"] for s in samples if s["script"] is not None]
    per_round = len(paint) // rounds
    medians = ", ".join(f"{statistics.median(paint[i * per_round:(i + 1) * per_round]):.1f}"
                        for i in range(rounds))
    print(f"-- {label}: {len(samples)} keystrokes")
    print(f"filter script per keystroke: median {statistics.median(script):.1f} ms, "
          f"p95 {percentile(script, 0.95):.1f} ms, max {max(script):.1f} ms")
    print(f"keystroke to next frame: median {statistics.median(paint):.1f} ms, "
          f"p95 {percentile(paint, 0.95):.1f} ms, max {max(paint):.1f} ms; "
          f"median by round: {medians}")
    own = [s["own"] for s in samples]
    print(f"  of which the keystroke's own work (without the wait for the display's next "
          f"refresh): median {statistics.median(own):.1f} ms, p95 {percentile(own, 0.95):.1f} ms, "
          f"max {max(own):.1f} ms (target < 16)")
    per_key = [s["cpu"] for s in samples]
    print(f"main-thread CPU time, keystroke to its frame: median {statistics.median(per_key):.1f} "
          f"ms, p95 {percentile(per_key, 0.95):.1f} ms, max {max(per_key):.1f} ms; all typing, "
          f"per keystroke: {cpu['ThreadTime']:.2f} ms (script {cpu['ScriptDuration']:.2f}, "
          f"style {cpu['RecalcStyleDuration']:.2f}, layout {cpu['LayoutDuration']:.2f})")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "catalogue")
    parser.add_argument("--frames", choices=("vsync", "on-demand"), default="vsync",
                        help="vsync: frames on the display's refresh, as a browser draws "
                             "them (keystroke to frame includes the wait for it); "
                             "on-demand: a frame as soon as one is needed, so keystroke to "
                             "frame is the page's own latency")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the site already built in --out, with the package's "
                             "current script and styles")
    args = parser.parse_args()
    site_dir = args.out / "site"
    if not (args.reuse and (site_dir / "incidents" / "index.html").is_file()):
        site_dir = build(args.out, args.count, args.seed)
    baseline_out = args.out.parent / (args.out.name + "-baseline")
    baseline_dir = baseline_out / "site"
    if not (args.reuse and (baseline_dir / "incidents" / "index.html").is_file()):
        baseline_dir = build(baseline_out, 10, args.seed)
    if args.reuse:  # measure the package's script and styles as they are now
        for folder in (site_dir, baseline_dir):
            for name in ("pmtheater.js", "pmtheater.css"):
                shutil.copyfile(ASSETS / name, folder / "assets" / "pmtheater" / name)
    count = len(list((args.out / "docs" / "incidents").rglob("*.yaml")))
    size = sizes(site_dir, count)  # after the copy, so the script measured is the one sized
    print(f"incidents: {count}; frames: {args.frames}")
    print(f"index page: {size['index_bytes']:,} bytes, {size['index_gzip']:,} gzip "
          f"= {size['index_gzip_per_incident']:.1f} gzip bytes per incident (target < 150)")
    print(f"summaries file (fetched after load): {size['data_gzip']:,} gzip bytes; "
          f"script: {size['script_gzip']:,} gzip bytes")
    loads = []
    for label, folder in ((f"{count} incidents", site_dir), ("10 incidents (floor)", baseline_dir)):
        result = measure(folder, on_demand=args.frames == "on-demand")
        loads.append(os.getloadavg()[0])
        first, last = result["indexing"]
        search = ("building its index all along" if last else
                  "building its index at first" if first else "ready")
        report(f"{label}, typing right after load (Material's search {search})", result["early"])
        report(f"{label}, on a fresh load once Material's search is ready "
               f"({result['search_ready']:.0f} s after load)", result["ready"])
    print(f"load average after measuring: {loads[0]:.2f} and {loads[1]:.2f} on "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
