"""Full-text search on the post-mortem index, in headless Chromium.

A word written only in one scene is typed into the index's "Search every
word" box: Pagefind (loaded on first use) finds the playbill and the result
links to that scene; the facets checked in the filter apply to it; from
``file://`` the page says full-text search needs HTTP and the filter works.
"""

from __future__ import annotations

import gzip
import json

import pytest
from browsing import open_page, serve_directory
from conftest import BuiltSite, SiteFactory
from test_search import INCIDENT, OTHER, SCENE_WORD, build_in_parts

pytestmark = pytest.mark.browser


@pytest.fixture
def built(site: SiteFactory) -> BuiltSite:
    site.config["theme"]["features"] = ["content.action.edit", "navigation.instant"]
    site.config["theme"]["font"] = False  # no web fonts from outside: the network is closed
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    assert (built.site_dir / "pagefind" / "pagefind.js").is_file()
    return built


def test_a_word_in_one_scene_links_to_that_scene(built: BuiltSite, chromium) -> None:
    with serve_directory(built.site_dir) as url:
        page, errors, outside = open_page(chromium, url + "incidents/")
        box = page.locator(".pmt-fulltext")
        assert box.is_visible()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.fill("#pmt-ft", SCENE_WORD)
        results = page.locator(".pmt-ft-results li")
        results.first.wait_for()
        assert results.count() == 1
        link = results.first.locator("a")
        assert link.get_attribute("href") == "/incidents/inc-2024-031/#scene-2"
        assert link.inner_text() == "INC-2024-031: Checkout errors after the pricing cache expired"
        where = results.first.locator(".pmt-ft-where").inner_text().strip()
        assert where == "– Scene 2 (14:20 UTC)"
        assert results.first.locator("mark").first.inner_text().lower() == SCENE_WORD
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert any("/pagefind/pagefind-js.pagefind" in r for r in requests)  # on use only

        # The facets of the filter form apply: SEV3 only leaves no playbill with the word.
        page.check('input[name="severity"][value="SEV3"]')
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent.startsWith('No post-mortem')")
        assert results.count() == 0
        page.uncheck('input[name="severity"][value="SEV3"]')
        results.first.wait_for()

        # Following the result lands on the scene (Material's instant navigation).
        link.click()
        page.wait_for_url("**/incidents/inc-2024-031/#scene-2")
        assert page.locator("#scene-2").inner_text().count(SCENE_WORD) == 1
        assert errors == [] and outside == [], (errors, outside)


def test_words_from_every_section_are_found(built: BuiltSite, chromium) -> None:
    with serve_directory(built.site_dir) as url:
        page, errors, _ = open_page(chromium, url + "incidents/")
        for query, anchor, label in (("aiko", "#ai-1", "Action item AI-1"),
                                     ("marmoset", "#scene-flush", "Scene flush (14:30 UTC)"),
                                     ("expiries", "#contributing-factors",
                                      "Contributing factors")):
            page.fill("#pmt-ft", query)
            page.wait_for_function(
                "q => [...document.querySelectorAll('.pmt-ft-results a')].some("
                "a => a.getAttribute('href').endsWith(q))", arg=anchor)
            where = page.locator(".pmt-ft-where").first.inner_text().strip()
            assert where == "– " + label
        assert errors == []


def test_from_file_the_page_says_so_and_the_filter_still_works(site: SiteFactory,
                                                               chromium) -> None:
    # As sites browsed from file:// are built: Material's offline plugin, no directory URLs.
    site.config["plugins"] = ["search", "offline", "pmtheater"]
    site.config["use_directory_urls"] = False
    site.config["theme"]["font"] = False
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    assert (built.site_dir / "pagefind" / "pagefind.js").is_file()
    index = (built.site_dir / "incidents" / "index.html").as_uri()
    page = chromium.new_page()  # not open_page: its network guard would refuse file://
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(index)
    page.wait_for_selector("form.pmt-filters:not([hidden])")
    note = page.locator(".pmt-ft-note")
    assert note.is_visible()
    assert "served over HTTP" in note.inner_text()
    assert not page.locator(".pmt-fulltext").is_visible()
    page.fill("#pmt-q", "latency")  # a word of a summary, from the filter's data file
    page.wait_for_function(
        "document.querySelector('.pmt-count').textContent === '1 of 2'")
    assert errors == []
    page.close()


def test_the_search_benchmark_runs_and_reports_against_the_targets(tmp_path) -> None:
    """benchmarks/search.py is run by hand at 1,000 and more incidents; this keeps it
    working (exercised on 30 incidents, not timed)."""
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO

    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "search.py"), "--sizes", "30",
         "--out", str(tmp_path / "bench"), "--json", str(figures)],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Material's index:" in done.stdout and "(target 1536 B): meets" in done.stdout
    (row,) = json.loads(figures.read_text())
    assert row["material"]["bytes_per_incident"] <= 1536
    pagefind = row["pagefind"]
    assert pagefind["pages"] == 30
    assert "Pagefind's 10,000-incident targets: not measured" in done.stdout
    for run in pagefind["runs"]:
        assert run["results_shown"] > 0 and run["errors"] == [], run
        # Every query fetched index chunks and the fragments of the results shown.
        fetched = {kind for phase in run["bytes"].values() for kind in phase}
        assert {"index", "fragment"} <= fetched, run
        assert run["first_ms"] > 0
    typed = [run["typed_ms"] for run in pagefind["runs"] if "typed_ms" in run]
    assert len(typed) == 5 and all(ms > 0 for ms in typed), typed  # one per query
    assert done.stdout.count("typed key by key, 80 ms apart: last key to its results") == 5
    rare = [run for run in pagefind["runs"] if run["query"].startswith("rare word")]
    assert rare and all(run["count_text"] == "1 post-mortem" for run in rare)
    assert all("#scene-8" in run["links"][0] for run in rare)  # the scene it was planted in


HOSTILE = """
id: INC-2025-666
title: "Zanzibar <img src=x onerror=window.pwned=1> title"
severity: SEV3
started_at: 2025-02-01T10:00:00Z
summary: "Zanzibar <script>window.pwned=2</script> summary"
services: ["<b onmouseover=window.pwned=3>svc</b>"]
cast:
  - role: Engineer
timeline:
  - at: "10:05"
    character: Engineer
    action: "Zanzibar <svg onload=window.pwned=4> in a scene"
"""


def test_hostile_text_in_results_is_shown_as_text(site: SiteFactory, chromium) -> None:
    site.config["theme"]["font"] = False
    site.incident("2025/hostile.yaml", HOSTILE)
    built = site.build(strict=True)
    with serve_directory(built.site_dir) as url:
        page, errors, _ = open_page(chromium, url + "incidents/")
        page.fill("#pmt-ft", "zanzibar")
        page.locator(".pmt-ft-results li").first.wait_for()
        result = page.locator(".pmt-ft-results li").first
        assert "<img src=x onerror=window.pwned=1>" in result.locator("a").inner_text()
        assert result.locator("img, script, svg, b").count() == 0
        page.wait_for_timeout(300)
        assert page.evaluate("window.pwned") is None
        assert errors == []


def test_chunks_with_exact_bounds_still_find_their_words(tmp_path, chromium) -> None:
    """On a generated site big enough for Pagefind to split its index into chunks, the
    build makes some chunk bounds exact (``tighten_chunk_bounds``): in Chromium the word
    such a bound names is still found, through that chunk, and so are the words of the
    chunk after it."""
    import gzip
    import re

    import cbor2
    from conftest import build_site
    from generate import write_site
    from test_search import check_chunk_bounds, pagefind_file

    root = write_site(tmp_path / "generated", 100)
    config = root / "mkdocs.yml"  # no web fonts from outside: the network is closed
    config.write_text(config.read_text().replace("  name: material\n",
                                                 "  name: material\n  font: false\n"))
    built = build_site(root)
    bundle = built.site_dir / "pagefind"
    tightened = check_chunk_bounds(bundle)
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    chunks = pagefind_file(meta_path)[2]
    low, high, name = tightened[0]
    following = chunks[chunks.index([low, high, name]) + 1]
    later = pagefind_file(bundle / "index" / f"{following[2]}.pf_index")[0][0][0]
    assert gzip.decompress(meta_path.read_bytes()).startswith(b"pagefind_dcd")
    assert cbor2  # the build needs it (the "search" extra) to make the bounds exact
    with serve_directory(built.site_dir) as url:
        page, errors, _ = open_page(chromium, url + "incidents/")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        for word, chunk in ((high[:-1], name), (later, following[2])):
            page.fill("#pmt-ft", "")  # an empty box clears the results and their count
            page.wait_for_function("document.querySelector('.pmt-ft-count').textContent === ''")
            requests.clear()
            page.fill("#pmt-ft", word)
            page.wait_for_function(
                "w => document.querySelector('.pmt-ft-count').textContent !== '' && "
                "document.querySelector('#pmt-ft').value === w", arg=word)
            count = page.locator(".pmt-ft-count").inner_text()
            assert re.match(r"^\d+ post-mortems?", count), (word, count)
            assert any(f"/pagefind/index/{chunk}.pf_index" in r for r in requests), (
                word, requests)
        assert errors == []



def search_scene_word(chromium, url: str):
    """The index page, with the word of one scene typed in the full-text box and its one
    result on the page, linked to that scene. Returns the page, its errors, the outside
    URLs it tried and every URL it requested since it loaded."""
    page, errors, outside = open_page(chromium, url + "incidents/")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.fill("#pmt-ft", SCENE_WORD)
    results = page.locator(".pmt-ft-results li")
    results.first.wait_for()
    assert results.first.locator("a").get_attribute("href") == "/incidents/inc-2024-031/#scene-2"
    return page, errors, outside, requests


def test_an_index_in_parts_finds_every_playbill(site: SiteFactory, chromium) -> None:
    """With one playbill per Pagefind run (``pagefind_shard_size: 1``) the bundle is in
    three parts; the page merges them: a word of the second part's scene is found and
    linked to its scene, a word of two parts gives both playbills in one count, the
    facets apply to every part, and only the first part's WebAssembly is fetched."""
    site.config["theme"]["font"] = False
    built = build_in_parts(site, 1)
    bundle = built.site_dir / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert entry["pmtheater_parts"] == ["shard-2/", "shard-3/"]
    with serve_directory(built.site_dir) as url:
        page, errors, outside, requests = search_scene_word(chromium, url)
        assert page.locator(".pmt-ft-results li").count() == 1
        assert any("/pagefind/shard-2/pagefind-entry.json" in r for r in requests)
        assert any("/pagefind/shard-3/pagefind-entry.json" in r for r in requests)
        wasm = [r for r in requests if "wasm." in r]
        assert wasm and all("/pagefind/wasm." in r for r in wasm), wasm

        page.fill("#pmt-ft", "checkout")
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent === '2 post-mortems'")
        hrefs = sorted(a.get_attribute("href").split("#")[0]
                       for a in page.locator(".pmt-ft-results li a").all())
        assert hrefs == ["/incidents/inc-2023-001/", "/incidents/inc-2024-031/"]

        page.check('input[name="severity"][value="SEV1"]')
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent === '1 post-mortem'")
        assert page.locator(".pmt-ft-results li a").first.get_attribute("href").startswith(
            "/incidents/inc-2023-001/")
        assert errors == [] and outside == [], (errors, outside)


def fragments(requests: list[str]) -> list[str]:
    return [r for r in requests if "/pagefind/fragment/" in r]


def test_pagefind_runs_in_the_pages_own_worker(built: BuiltSite, chromium) -> None:
    """The index page starts pmtheater-search.js as a worker, which loads Pagefind's
    script and WebAssembly: Pagefind's own worker script is never fetched, and results
    are found, linked and marked as before."""
    with serve_directory(built.site_dir) as url:
        page, errors, outside, requests = search_scene_word(chromium, url)
        results = page.locator(".pmt-ft-results li")
        assert results.first.locator("mark").first.inner_text().lower() == SCENE_WORD
        workers = [w.url for w in page.workers]  # Material's search has one too
        assert url + "assets/pmtheater/pmtheater-search.js" in workers, workers
        assert not any("pagefind" in w for w in workers), workers
        # Pagefind's script arrives as its gzipped copy (PACKED_SCRIPT), not as itself.
        assert any(r.endswith("/pagefind/pagefind-js.pagefind") for r in requests)
        assert not any(r.endswith("/pagefind/pagefind.js") for r in requests), requests
        assert any("/pagefind/wasm." in r for r in requests)
        assert not any("pagefind-worker.js" in r for r in requests), requests
        assert len(fragments(requests)) == 1  # the one result shown
        assert errors == [] and outside == [], (errors, outside)


def pagefind_script_requests(requests: list[str]) -> list[str]:
    return [r.rsplit("/", 1)[1] for r in requests
            if r.endswith(("/pagefind/pagefind.js", "/pagefind/pagefind-js.pagefind"))]


@pytest.mark.parametrize("damage", ["gone", "not gzip", "cut short", "another version",
                                    "a page"])
def test_without_a_usable_gzipped_script_the_worker_imports_pagefinds(
        built: BuiltSite, chromium, damage: str) -> None:
    """A bundle whose gzipped copy of pagefind.js is missing (made by ``python -m
    pagefind``), damaged, a page in its place (the answer of a host that sends its home
    page, status 200, for any path it does not have), or of another Pagefind version
    than the index (left by an earlier build when Pagefind, which never empties its
    folder, indexed the site again): the worker imports pagefind.js itself and finds
    the same playbill, linked to the same scene."""
    packed = built.site_dir / "pagefind" / "pagefind-js.pagefind"
    if damage == "gone":
        packed.unlink()
    elif damage == "not gzip":
        packed.write_bytes(b"\x1f\x8b this is not a gzip member")
    elif damage == "cut short":
        packed.write_bytes(packed.read_bytes()[:-2000])
    elif damage == "a page":  # a host that answers any path with the site's home page
        packed.write_bytes((built.site_dir / "index.html").read_bytes())
    else:
        script = gzip.decompress(packed.read_bytes())
        assert script.startswith(b'const pagefind_version="1.')
        packed.write_bytes(gzip.compress(script.replace(
            b'pagefind_version="1.', b'pagefind_version="0.', 1)))
    with serve_directory(built.site_dir) as url:
        page, errors, outside, requests = search_scene_word(chromium, url)
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert pagefind_script_requests(requests) == ["pagefind-js.pagefind", "pagefind.js"]
        assert not any("pagefind-worker.js" in r for r in requests), requests
        assert outside == []
        if damage == "gone":  # the copy's 404 is the only error
            assert all("404" in e for e in errors), errors
        else:
            assert errors == [], errors


def test_a_site_under_a_sub_path_searches_through_the_gzipped_script(
        site: SiteFactory, chromium, tmp_path) -> None:
    """A site published under a path (``site_url`` .../handbook/, served there), its
    index in parts: the worker imports Pagefind from a ``blob:`` address, which says
    nothing of where the bundle is, so Pagefind is told (basePath); else it looks for
    its files at /pagefind/ (one part: search waits forever, without an error; in parts:
    the worker fails and the page fetches pagefind.js). Found in the second part, linked
    under the path, and pagefind.js is not fetched."""
    site.config["theme"]["font"] = False
    site.config["site_url"] = "https://docs.example.test/handbook/"
    built = build_in_parts(site, 1)
    served = tmp_path / "served"
    served.mkdir()
    (served / "handbook").symlink_to(built.site_dir, target_is_directory=True)
    with serve_directory(served) as url:
        page, errors, outside = open_page(chromium, url + "handbook/incidents/")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.fill("#pmt-ft", SCENE_WORD)
        results = page.locator(".pmt-ft-results li")
        results.first.wait_for(timeout=15000)
        assert results.count() == 1
        assert (results.first.locator("a").get_attribute("href")
                == "/handbook/incidents/inc-2024-031/#scene-2")
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert pagefind_script_requests(requests) == ["pagefind-js.pagefind"]
        assert any(r.startswith(url + "handbook/pagefind/shard-2/") for r in requests)
        assert not any(r.startswith(url + "pagefind/") for r in requests), requests
        assert errors == [] and outside == [], (errors, outside)


def test_a_policy_refusing_blob_scripts_makes_the_worker_import_pagefinds(
        built: BuiltSite, chromium) -> None:
    """A site served with a Content Security Policy that allows scripts from itself only
    (no ``blob:``) on the worker: importing the inflated copy is refused, and the worker
    imports pagefind.js from the site, finding the same playbill."""
    policy = "script-src 'self' 'wasm-unsafe-eval'"

    def headers_for(path: str) -> dict[str, str]:
        return ({"Content-Security-Policy": policy}
                if path.endswith("pmtheater-search.js") else {})

    with serve_directory(built.site_dir, headers_for=headers_for) as url:
        page, _, outside, requests = search_scene_word(chromium, url)
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert pagefind_script_requests(requests) == ["pagefind-js.pagefind", "pagefind.js"]
        assert not any("pagefind-worker.js" in r for r in requests), requests
        assert outside == []


def test_a_server_that_decodes_the_gzipped_script_itself_is_understood(
        built: BuiltSite, chromium) -> None:
    """A server that labels the gzipped copy ``Content-Encoding: gzip`` (as some do for
    any gzip file): the browser inflates it, the worker sees the script itself and
    imports it as it is, without fetching pagefind.js."""
    def headers_for(path: str) -> dict[str, str]:
        return {"Content-Encoding": "gzip"} if path.endswith(".pagefind") and (
            "pagefind-js" in path) else {}

    with serve_directory(built.site_dir, headers_for=headers_for) as url:
        page, errors, outside, requests = search_scene_word(chromium, url)
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert pagefind_script_requests(requests) == ["pagefind-js.pagefind"]
        assert errors == [] and outside == [], (errors, outside)


def test_without_its_worker_the_page_searches_with_pagefinds_own(built: BuiltSite,
                                                                 chromium) -> None:
    """A site whose worker script is gone (a theme that shadows the assets folder, a
    deploy that dropped it) still searches: the page falls back to Pagefind's own
    worker, and finds the same playbill."""
    (built.site_dir / "assets" / "pmtheater" / "pmtheater-search.js").unlink()
    with serve_directory(built.site_dir) as url:
        page, errors, _, requests = search_scene_word(chromium, url)
        assert page.locator(".pmt-ft-count").inner_text() == "1 post-mortem"
        assert any(r.endswith("/assets/pmtheater/pmtheater-search.js") for r in requests)
        assert any(r.endswith("/pagefind/pagefind-worker.js") for r in requests)
        # The missing worker's 404 and its failed start are the only errors.
        assert all("404" in e or "pmtheater-search" in e for e in errors), errors


def test_a_query_replaced_before_its_results_fetches_no_fragments(built: BuiltSite,
                                                                  chromium) -> None:
    """Typing on before a query's results arrive: only the last query's results are
    fetched and shown (the worker loads fragments only for the results the page asks
    for, which are the newest query's)."""
    with serve_directory(built.site_dir) as url:
        page, errors, _ = open_page(chromium, url + "incidents/")
        # A first query that finds nothing: Pagefind has started, no fragment is cached.
        page.fill("#pmt-ft", "zzyzx")
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent.startsWith('No post-mortem')")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        # One key after another (a task each, as typing is): each query reaches the worker.
        page.evaluate("""async () => {
          const input = document.querySelector('#pmt-ft');
          for (const term of ['payments', 'checkout', 'marmoset']) {
            input.value = term;
            input.dispatchEvent(new Event('input', {bubbles: true}));
            await new Promise(resolve => setTimeout(resolve, 0));
          }
        }""")
        results = page.locator(".pmt-ft-results li")
        results.first.wait_for()
        page.wait_for_timeout(500)
        assert [a.get_attribute("href") for a in page.locator(".pmt-ft-results a").all()] == [
            "/incidents/inc-2024-031/#scene-flush"]
        assert len(fragments(requests)) == 1, fragments(requests)
        assert errors == []


FAKE_PAGEFIND = """
export function options() {}
export function init() { return Promise.resolve(); }
export function mergeIndex() { return Promise.resolve(); }
export function search(term) {
  // Slow, as a word on every playbill of a big site is: 300 ms.
  return new Promise(function (resolve) {
    setTimeout(function () { resolve({ results: [{ data: function () {
      return Promise.resolve({ url: "/" + term + "/", meta: {}, content: term,
                               locations: [], anchors: [] });
    } }] }); }, 300);
  });
}
"""


def test_the_worker_runs_one_search_at_a_time_and_then_the_newest(tmp_path, chromium) -> None:
    """Searches that arrive while one runs wait, and only the newest of them runs next;
    the others are answered at once as replaced (total -1), so that typing never queues
    up searches behind the key the reader pressed last. The worker script is the
    plugin's; the Pagefind module under it is a stand-in that takes 300 ms a search."""
    from mkdocs_pmtheater.publish.production import ASSETS_DIR

    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "pagefind.js").write_text(FAKE_PAGEFIND)
    (tmp_path / "pagefind" / "pagefind-entry.json").write_text('{"version": "1.5.2"}')
    (tmp_path / "worker.js").write_bytes((ASSETS_DIR / "pmtheater-search.js").read_bytes())
    (tmp_path / "index.html").write_text("<!doctype html><html lang=en><title>t</title>")
    with serve_directory(tmp_path) as url:
        page, errors, _ = open_page(chromium, url)
        answers = page.evaluate("""async (pagefind) => {
          const worker = new Worker("worker.js", {type: "module"});
          const seen = [];
          const all = new Promise((resolve) => {
            worker.onmessage = (event) => {
              seen.push(event.data);
              if (event.data.type === "result") resolve();
            };
          });
          worker.postMessage({type: "start", pagefind, root: "/", lang: "en"});
          await new Promise((r) => setTimeout(r, 300));
          for (let id = 1; id <= 5; id++) {
            worker.postMessage({type: "search", id, term: "t" + id, filters: {}});
          }
          // Once the newest is found, ask for its result.
          await new Promise((resolve) => {
            const wait = () => seen.some((m) => m.type === "found" && m.id === 5)
              ? resolve() : setTimeout(wait, 20);
            wait();
          });
          worker.postMessage({type: "show", id: 5, count: 1});
          await all;
          return seen;
        }""", url + "pagefind/pagefind.js")
        assert answers[:2] == [{"type": "starting"}, {"type": "started"}]
        found = {m["id"]: m["total"] for m in answers if m["type"] == "found"}
        assert found == {1: 1, 2: -1, 3: -1, 4: -1, 5: 1}, answers
        # The replaced ones were answered before the first search ended.
        order = [m.get("id") for m in answers if m["type"] == "found"]
        assert order == [2, 3, 4, 1, 5], order
        [result] = [m for m in answers if m["type"] == "result"]
        assert result["id"] == 5 and result["data"]["url"] == "/t5/"
        assert errors == []


def test_an_index_in_parts_whose_webassembly_fails_says_so(site: SiteFactory,
                                                           chromium) -> None:
    """Pagefind merges the other parts once the first part's WebAssembly is loaded, and
    waits for it forever: when it cannot load, the page (in our worker, then with
    Pagefind's own) says full-text search is not available instead of never answering."""
    site.config["theme"]["font"] = False
    built = build_in_parts(site, 1)
    with serve_directory(built.site_dir) as url:
        page, _, _ = open_page(chromium, url + "incidents/")
        page.route("**/pagefind/wasm.*", lambda r: r.fulfill(status=404, body=""))
        page.fill("#pmt-ft", SCENE_WORD)
        note = page.locator(".pmt-ft-note")
        note.wait_for(timeout=10_000)
        assert "Full-text search is not available" in note.inner_text()
        assert page.locator(".pmt-fulltext").is_hidden()


def test_a_worker_script_that_is_not_ours_gives_way_to_pagefinds(built: BuiltSite,
                                                                 chromium) -> None:
    """A script at the worker's address that never answers (an older deploy's, still
    cached; anything else) does not leave the search waiting for good: after a few
    seconds of silence the page searches with Pagefind's own worker."""
    with serve_directory(built.site_dir) as url:
        page, errors, _ = open_page(chromium, url + "incidents/")
        page.route("**/assets/pmtheater/pmtheater-search.js", lambda r: r.fulfill(
            status=200, content_type="text/javascript", body="// not the theater's\n"))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.fill("#pmt-ft", SCENE_WORD)
        results = page.locator(".pmt-ft-results li")
        results.first.wait_for(timeout=15_000)
        assert results.first.locator("a").get_attribute("href") == (
            "/incidents/inc-2024-031/#scene-2")
        assert any(r.endswith("/pagefind/pagefind-worker.js") for r in requests)
        assert errors == [], errors


def test_a_fragment_that_fails_to_arrive_fails_that_query_only(built: BuiltSite,
                                                                chromium) -> None:
    """Once Pagefind has started, a file of its index that cannot be loaded (the network,
    a deploy under way) fails the query, which says so, and the box stays: the next
    query works again."""
    with serve_directory(built.site_dir) as url:
        page, errors, _, _ = search_scene_word(chromium, url)
        fragments_dir = built.site_dir / "pagefind" / "fragment"
        kept = {p.name: p.read_bytes() for p in fragments_dir.iterdir()}
        for path in fragments_dir.iterdir():
            path.unlink()
        page.fill("#pmt-ft", "payments")  # the other playbill: its fragment not yet loaded
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent.startsWith('This search failed')")
        assert page.locator(".pmt-fulltext").is_visible()
        assert page.locator(".pmt-ft-results li").count() == 0
        for name, data in kept.items():
            (fragments_dir / name).write_bytes(data)
        page.fill("#pmt-ft", "")
        page.fill("#pmt-ft", "upgrade")  # a word of the same playbill's title
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent === '1 post-mortem'")
        assert page.locator(".pmt-ft-results a").first.get_attribute("href").startswith(
            "/incidents/inc-2025-002/")
        assert all("404" in e for e in errors), errors


# Notes, in the worker, every Pagefind instance's search: its base, its words, its count.
NOTE_SEARCHES = ("const searchTime=Date.now()-searchStart;",
                 "(self.__pmtSearched=self.__pmtSearched||[]).push([this.basePath,term,"
                 "results.length]);const searchTime=Date.now()-searchStart;")


def worker_searches(page) -> list:
    """Pagefind's searches so far in the page's worker (its script patched by the route
    :data:`NOTE_SEARCHES` sets up)."""
    worker = next((w for w in page.workers if w.url.endswith("pmtheater-search.js")), None)
    return worker.evaluate("self.__pmtSearched || []") if worker else []


def note_searches(page) -> None:
    """Patches pagefind.js, and its gzipped copy (sent as it is, then), as
    :data:`NOTE_SEARCHES` says."""
    def patch(route) -> None:
        response = route.fetch()
        body = response.body()
        body = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
        assert body.count(NOTE_SEARCHES[0]) == 1
        route.fulfill(response=response, body=body.replace(*NOTE_SEARCHES))

    page.route("**/pagefind/pagefind.js", patch)
    page.route("**/pagefind/pagefind-js.pagefind", patch)


def test_the_worker_warms_pagefind_up_on_a_made_up_index(built: BuiltSite, chromium) -> None:
    """Once started, with no search waiting, the worker searches two made-up words found on
    every page of a made-up index of its own (so that the browser has optimised Pagefind's
    WebAssembly before the first search: WARM_UP in pmtheater.js). Nothing of it is
    fetched, and every query then finds what Pagefind's own worker finds."""
    queries = [SCENE_WORD, "payments", "checkout", "cache expired", "upgrade"]

    def run(page) -> list:
        seen = []
        for term in queries:
            page.fill("#pmt-ft", "")
            page.fill("#pmt-ft", term)
            page.wait_for_function(
                "(() => { const c = document.querySelector('.pmt-ft-count').textContent;"
                " return c && (c.startsWith('No post-mortem') || "
                "document.querySelectorAll('.pmt-ft-results li').length > 0); })()")
            page.wait_for_timeout(200)
            seen.append((page.locator(".pmt-ft-count").inner_text(), page.eval_on_selector_all(
                ".pmt-ft-results a", "as => as.map(a => a.getAttribute('href'))")))
        return seen

    entry = json.loads((built.site_dir / "pagefind" / "pagefind-entry.json").read_text())
    pages = sum(language["page_count"] for language in entry["languages"].values())
    with serve_directory(built.site_dir) as url:
        page, errors, outside = open_page(chromium, url + "incidents/")
        note_searches(page)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.focus("#pmt-ft")  # starts the worker
        for _ in range(100):
            if worker_searches(page):
                break
            page.wait_for_timeout(100)
        warm = worker_searches(page)
        if entry["version"] == "1.5.2":  # the formats the worker builds its made-up index in
            assert warm == [[url + "pagefind/pmt-warm/", "zq zr", pages]], warm
        else:  # another Pagefind (the extra allows <2): no warm-up, the same results
            assert warm == [], warm
        ours = run(page)
        searched = worker_searches(page)
        assert all(s[0] == url + "pagefind/" for s in searched[1:]), searched
        assert not any("pmt-warm" in r for r in requests), requests
        assert errors == [] and outside == [], (errors, outside)
        page.close()
    (built.site_dir / "assets" / "pmtheater" / "pmtheater-search.js").unlink()
    with serve_directory(built.site_dir) as url:
        page, _, _ = open_page(chromium, url + "incidents/")
        pagefinds = run(page)
        assert [w.url for w in page.workers if w.url.endswith("pagefind-worker.js")]
    assert ours == pagefinds
    assert ours[0] == ("1 post-mortem", ["/incidents/inc-2024-031/#scene-2"])


def test_the_warm_up_is_silent_on_an_index_without_a_stemmer(site: SiteFactory,
                                                            chromium) -> None:
    """A language Pagefind has no stemmer for (Japanese here) is indexed with ``"wasm":
    null`` and searched with ``wasm.unknown.pagefind``: the made-up index answers that
    name too, so the warm-up neither logs an error nor fails, and it still runs."""
    site.config["theme"]["language"] = "ja"
    site.config["theme"]["font"] = False
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    entry = json.loads((built.site_dir / "pagefind" / "pagefind-entry.json").read_text())
    assert [language["wasm"] for language in entry["languages"].values()] == [None]
    with serve_directory(built.site_dir) as url:
        page, errors, outside = open_page(chromium, url + "incidents/")
        note_searches(page)
        page.focus("#pmt-ft")
        for _ in range(100):
            if worker_searches(page):
                break
            page.wait_for_timeout(100)
        assert worker_searches(page) == [[url + "pagefind/pmt-warm/", "zq zr", 2]], errors
        page.fill("#pmt-ft", SCENE_WORD)
        page.wait_for_function("document.querySelectorAll('.pmt-ft-results li').length > 0")
        assert page.locator(".pmt-ft-results a").first.get_attribute("href").startswith(
            "/incidents/inc-2024-031/")
        assert errors == [] and outside == [], (errors, outside)
