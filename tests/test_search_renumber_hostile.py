"""Hostile review of the pages renumbered in URL order (``split_index_chunks``).

Pagefind numbers pages in the order it reads their files; the build renumbers them in
the order of their URLs, in the metadata, every word-index chunk (pages and variants)
and the filters. Attacked here on bundles Pagefind wrote from raw HTML whose files were
made in different orders, with diacritics (variants), non-ASCII URLs, filters and
several languages: what a search finds (in Chromium, through Pagefind's own script),
the bytes, a failure half way, the time it takes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WORDS = ["café", "cafe", "cafè", "naïve", "naive", "résumé", "resume", "über", "uber",
         "straße", "strasse", "ﬁle", "İstanbul", "istanbul", "日本語", "quillback",
         "marmoset", "cache", "the", "zoë", "zoe", "ångström", "angstrom"]
"""Incident text an author controls: diacritics (Pagefind's variants), ligatures,
dotted capitals, CJK."""

NAMES = ["alpha", "écho", "zebra", "Zulu", "a-b", "a.b", "a_b", "a", "ab", "ωmega", "日本",
         "émile", "e", "ｆullwidth", "\U0001F600smile", "\uFFFDrepl", "x%20y"]
"""Page folders whose URLs sort differently as code points, UTF-16 or case-folded."""

SERVICES = ["checkout-api", "pricing-cache", "payments-api", "café-svc"]


def _page(number: int, rnd: random.Random, language: str) -> str:
    words = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 40)))
    services = "".join(f'<span data-pagefind-filter="service">{s}</span>'
                       for s in rnd.sample(SERVICES, rnd.randint(1, 3)))
    return (f'<!doctype html><html lang="{language}"><head><title>T{number}</title></head>'
            f'<body><main data-pagefind-body>'
            f'<h1 data-pagefind-meta="title">Incident {number} {rnd.choice(WORDS)}</h1>'
            f'<span data-pagefind-meta="id">INC-{number}</span>'
            f'<span data-pagefind-filter="severity">{rnd.choice(["SEV1", "SEV2", "SEV3"])}'
            f'</span>{services}<span data-pagefind-filter="year">{2020 + number % 4}</span>'
            f'<span data-pagefind-filter="status:published"></span>'
            f'<p>{words}</p></main></body></html>')


def write_raw_site(folder: Path, count: int, order: str, languages: tuple[str, ...] = ("en",)
                   ) -> None:
    """``count`` playbill-like pages, their files made in ``order`` (``fwd``, ``rev`` or
    ``shuf``): the order Pagefind reads them in on tmpfs, hence its page numbers."""
    rnd = random.Random(1)
    items = [(f"incidents/{NAMES[i] if i < len(NAMES) else f'inc-{i:04d}'}/index.html",
              _page(i, rnd, languages[i % len(languages)])) for i in range(count)]
    if order == "rev":
        items.reverse()
    elif order == "shuf":
        random.Random(99).shuffle(items)
    for name, html in items:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")


def run_pagefind(site: Path, bundle: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--glob",
                           "**/*.html", "--output-path", str(bundle)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def _decoded(path: Path):
    import cbor2

    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(b"pagefind_dcd")
    return cbor2.loads(raw[len(b"pagefind_dcd"):])


def what_a_search_sees(bundle: Path) -> dict:
    """Per language: every word and variant with the URLs of its pages and their
    positions; every filter value with its pages' URLs; each page's word count; the rest
    of the metadata. Page numbers are read as Pagefind's script reads them."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    seen = {}
    for language, record in entry["languages"].items():
        meta = _decoded(bundle / f"pagefind.{record['hash']}.pf_meta")
        urls = []
        for page in meta[1]:
            raw = gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment").read_bytes())
            urls.append(json.loads(raw[len(b"pagefind_dcd"):])["url"])

        def named(pages: list, urls: list = urls) -> dict:
            number, found = 0, {}
            for step, *rest in pages:
                number += step
                assert urls[number] not in found
                found[urls[number]] = rest
            return found

        words = {}
        for _low, _high, name in meta[2]:
            for word, pages, variants in _decoded(bundle / "index" / f"{name}.pf_index")[0]:
                words[word] = (named(pages), {v: named(p) for v, p in variants})
        filters = {}
        for _name, hashed in meta[3]:
            name, values = _decoded(bundle / "filter" / f"{hashed}.pf_filter")
            filters[name] = {value: sorted(urls[n] for n in pages) for value, pages in values}
        seen[language] = {"words": words, "filters": filters, "rest": meta[4:],
                          "pages": {url: page[1:] for url, page in zip(urls, meta[1],
                                                                        strict=True)}}
    return seen


def files_of(bundle: Path) -> dict[str, str]:
    return {p.relative_to(bundle).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


def page_urls(bundle: Path) -> list[str]:
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    return [json.loads(gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment")
                                       .read_bytes())[len(b"pagefind_dcd"):])["url"]
            for page in _decoded(meta_path)[1]]


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A raw site read in a shuffled order, and Pagefind's bundle of it, untouched."""
    root = tmp_path_factory.mktemp("shuffled")
    write_raw_site(root / "site", 120, "shuf")
    run_pagefind(root / "site", root / "raw")
    urls = page_urls(root / "raw")
    assert urls != sorted(urls)  # Pagefind's numbers are not the URLs' order: renumbered
    return root / "site", root / "raw"


def test_renumbering_keeps_every_word_variant_filter_and_count(
        shuffled: tuple[Path, Path], tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import split_index_chunks

    raw = shuffled[1]
    bundle = tmp_path / "bundle"
    shutil.copytree(raw, bundle)
    assert split_index_chunks(bundle) > 0
    urls = page_urls(bundle)
    assert urls == sorted(urls)
    seen, before = what_a_search_sees(bundle), what_a_search_sees(raw)
    assert seen == before
    variants = {v for word in seen["en"]["words"].values() for v in word[1]}
    assert {"café", "cafè", "naïve", "zoë", "ångström"} <= variants


@pytest.mark.parametrize("count", [3, 60])
@pytest.mark.parametrize("where", ["memory", "disk"])
def test_the_same_pages_read_in_any_order_give_the_same_bytes(
        where: str, count: int, tmp_path: Path) -> None:
    """Files made in URL order, in reverse, shuffled, in memory or on disk: the same
    bytes. Three pages: an index Pagefind writes in one chunk, which
    ``split_index_chunks`` kept with Pagefind's name when nothing needed renumbering
    (Pagefind read a folder in memory in URL order), named after its content when it
    did: other names, another metadata."""
    from mkdocs_pmtheater.publish.fulltext import MEMORY_FOLDER, _finish_bundle

    if where == "memory":
        if not Path(MEMORY_FOLDER).is_dir():
            pytest.skip("no folder in memory")
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="pmt-renumber-", dir=MEMORY_FOLDER))
    else:
        root = tmp_path
    try:
        bundles = {}
        for order in ("fwd", "rev", "shuf"):
            write_raw_site(root / order, count, order)
            run_pagefind(root / order, root / f"{order}-bundle")
            _finish_bundle(root / f"{order}-bundle")
            bundles[order] = files_of(root / f"{order}-bundle")
        assert bundles["fwd"] == bundles["rev"] == bundles["shuf"]
    finally:
        if where == "memory":
            shutil.rmtree(root, ignore_errors=True)


def test_several_languages_give_the_same_entry_on_every_run(tmp_path: Path) -> None:
    """Pagefind lists a bundle's languages in ``pagefind-entry.json`` in the order of a
    hash map, another on each run; :func:`order_filters` wrote that order back. Three
    languages, four runs of the same folder: all the same bytes."""
    from mkdocs_pmtheater.publish.fulltext import _finish_bundle

    write_raw_site(tmp_path / "site", 30, "fwd", ("en", "fr", "de"))
    found = []
    for run in range(4):
        bundle = tmp_path / f"bundle-{run}"
        run_pagefind(tmp_path / "site", bundle)
        _finish_bundle(bundle)
        found.append(files_of(bundle))
    assert all(files == found[0] for files in found), [
        json.loads((tmp_path / f"bundle-{run}" / "pagefind-entry.json").read_text())
        ["languages"].keys() for run in range(4)]


def test_several_languages_each_renumbered_alone(shuffled: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import split_index_chunks

    write_raw_site(tmp_path / "site", 90, "shuf", ("en", "fr", "pt-br"))
    run_pagefind(tmp_path / "site", tmp_path / "raw")
    shutil.copytree(tmp_path / "raw", tmp_path / "bundle")
    assert split_index_chunks(tmp_path / "bundle") > 0
    assert what_a_search_sees(tmp_path / "bundle") == what_a_search_sees(tmp_path / "raw")


def each_write_failing(monkeypatch: pytest.MonkeyPatch, step: Callable[[Path], object],
                       raw: Path, tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """Run ``step`` on a copy of the bundle ``raw`` to count its file writes (the
    bundle steps write through ``fulltext._replace``), then on a fresh copy once per
    write, that write failing as on a full disk; yields ``(failing write, writes,
    bundle)`` after each run."""
    from mkdocs_pmtheater.publish import fulltext

    real = fulltext._replace
    calls = 0
    failing = 0

    def write(path: Path, data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == failing:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(fulltext, "_replace", write)
    shutil.copytree(raw, tmp_path / "whole")
    step(tmp_path / "whole")
    total = calls
    assert total > 3
    for failing in range(1, total + 1):  # write() reads it: this write fails
        calls = 0
        bundle = tmp_path / f"fail-{failing}"
        shutil.copytree(raw, bundle)
        step(bundle)
        yield failing, total, bundle


def test_a_failure_half_way_leaves_a_bundle_that_finds_the_same(
        shuffled: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file write in turn fails (a full disk): the bundle then finds exactly what
    Pagefind's did, never pages numbered one way in a chunk and another in the
    metadata or a filter."""
    from mkdocs_pmtheater.publish import fulltext

    raw = shuffled[1]
    before = what_a_search_sees(raw)
    for failing, _total, bundle in each_write_failing(
            monkeypatch, fulltext.split_index_chunks, raw, tmp_path):
        assert what_a_search_sees(bundle) == before, failing


def test_a_damaged_last_chunk_leaves_the_bundle_as_pagefind_wrote_it(
        shuffled: tuple[Path, Path], tmp_path: Path) -> None:
    from mkdocs_pmtheater.publish.fulltext import split_index_chunks

    bundle = tmp_path / "bundle"
    shutil.copytree(shuffled[1], bundle)
    [meta_path] = bundle.glob("pagefind.*.pf_meta")
    last = bundle / "index" / f"{_decoded(meta_path)[2][-1][2]}.pf_index"
    last.write_bytes(last.read_bytes()[:-20])  # cut short
    before = files_of(bundle)
    assert split_index_chunks(bundle) == 0
    assert files_of(bundle) == before


def test_a_part_of_450_pages_read_in_another_order_is_renumbered_in_url_order(
        tmp_path: Path) -> None:
    """A part of 450 raw pages Pagefind read in a shuffled order comes out numbered in
    URL order. (What it costs is a benchmark's figure, not a timed test: see
    benchmarks/README.md, "Pagefind's copies in memory".)"""
    from mkdocs_pmtheater.publish.fulltext import split_index_chunks

    write_raw_site(tmp_path / "site", 450, "shuf")
    run_pagefind(tmp_path / "site", tmp_path / "bundle")
    urls = page_urls(tmp_path / "bundle")
    assert urls != sorted(urls)
    assert split_index_chunks(tmp_path / "bundle") > 0
    assert page_urls(tmp_path / "bundle") == sorted(urls)


SEARCHES = [("café", {}), ("cafe", {}), ("cafè", {}), ("naïve", {}), ("istanbul", {}),
            ("İstanbul", {}), ("ångström", {}), ("zoë", {}), ("quillback", {}),
            ("日本語", {}), ("straße", {}), ("cafe", {"severity": "SEV2"}),
            ("the", {"service": ["café-svc"]}), ("marmoset", {"year": "2021"}),
            ("resume", {"service": {"all": ["checkout-api", "payments-api"]}}),
            ("", {"service": "café-svc"}), ("", {"status": "published"})]

SEARCH_SCRIPT = """async (searches) => {
  const pagefind = await import('./pagefind/pagefind.js');
  await pagefind.init();
  const out = [];
  for (const [term, filters] of searches) {
    const found = await pagefind.search(term === '' ? null : term, {filters});
    const data = await Promise.all(found.results.map((r) => r.data()));
    out.push({
      term, count: found.unfilteredResultCount, filters: found.filters,
      totalFilters: found.totalFilters,
      pages: data.map((d) => [d.url, d.word_count, d.locations, d.excerpt,
                              d.meta.title]).sort(),
    });
  }
  return out;
}"""


@pytest.mark.browser
def test_chromium_finds_the_same_pages_in_the_renumbered_bundle(
        shuffled: tuple[Path, Path], tmp_path: Path, chromium) -> None:
    """Pagefind's own script, in Chromium, on Pagefind's bundle and on the build's (pages
    renumbered in URL order, chunks cut small): every search (words with diacritics,
    filters, filters alone) gives the same playbills, positions, excerpts and counts."""
    from browsing import open_page, serve_directory

    from mkdocs_pmtheater.publish.fulltext import _finish_bundle

    results = {}
    for name in ("raw", "finished"):
        root = tmp_path / name
        root.mkdir()
        shutil.copytree(shuffled[1], root / "pagefind")
        if name == "finished":
            _finish_bundle(root / "pagefind", later_part=False)
            urls = page_urls(root / "pagefind")
            assert urls == sorted(urls)
        (root / "index.html").write_text('<!doctype html><html lang="en"><body></body></html>')
        with serve_directory(root) as url:
            page, errors, outside = open_page(chromium, url)
            results[name] = page.evaluate(SEARCH_SCRIPT, SEARCHES)
            page.close()
            assert errors == [] and outside == []
    assert all(found["pages"] for found in results["raw"]), [
        found["term"] for found in results["raw"] if not found["pages"]]
    for raw, finished in zip(results["raw"], results["finished"], strict=True):
        assert finished == raw, raw["term"]


@pytest.mark.parametrize("languages", [("en",), ("en", "fr")])
def test_a_failure_half_way_through_ordering_filters_leaves_every_file_named(
        languages: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The step run right after the renumbering (:func:`order_filters`, which names the
    renumbered filters and metadata after their content) fails on each write in turn: the
    entry still names metadata that exists, naming filters that exist, finding the
    same."""
    from mkdocs_pmtheater.publish import fulltext

    write_raw_site(tmp_path / "site", 40, "shuf", languages)
    run_pagefind(tmp_path / "site", tmp_path / "raw")
    fulltext.split_index_chunks(tmp_path / "raw")
    fulltext.tighten_chunk_bounds(tmp_path / "raw")
    before = what_a_search_sees(tmp_path / "raw")
    for failing, total, bundle in each_write_failing(
            monkeypatch, fulltext.order_filters, tmp_path / "raw", tmp_path):
        try:
            seen = what_a_search_sees(bundle)
        except FileNotFoundError as missing:
            pytest.fail(f"write {failing} of {total} failed: {missing.filename} is named "
                        "but was removed")
        assert seen == before, failing


def test_a_bundle_without_filters_keeps_its_metadata_named(tmp_path: Path) -> None:
    """Pages with no ``data-pagefind-filter`` (a custom_dir template without the facets,
    another tool's pages through the Zensical route): the metadata is renamed after its
    content, so the entry must name it."""
    from mkdocs_pmtheater.publish.fulltext import _finish_bundle

    for number in range(3):
        page = tmp_path / "site" / "p" / f"{number}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f'<html lang="en"><body><main data-pagefind-body><p>word{number} '
                        'café</p></main></body></html>', encoding="utf-8")
    run_pagefind(tmp_path / "site", tmp_path / "bundle")
    before = what_a_search_sees(tmp_path / "bundle")
    _finish_bundle(tmp_path / "bundle")
    assert what_a_search_sees(tmp_path / "bundle") == before


def test_the_zensical_route_in_parts_gives_the_builds_bytes_with_hostile_text(
        site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Incidents full of diacritics, ligatures and CJK, in three parts: the MkDocs build
    (copies in memory, linked last to first) and ``python -m
    mkdocs_pmtheater.publish.fulltext SITE`` on the written site (its parts linked on
    disk, every page renumbered) publish the same bundle, byte for byte."""
    from conftest import REPO
    from test_search import INCIDENT, SCENE_WORD

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795651200")
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": 3}}]
    rnd = random.Random(7)
    for number in range(8):
        text = " ".join(rnd.choice(WORDS) for _ in range(12)).replace("the", "ça")
        site.incident(f"2024/i{number}.yaml", INCIDENT.format(word=SCENE_WORD).replace(
            "INC-2024-031", f"INC-2024-{40 - number:03d}").replace(
            "A million cache keys expired together and checkout failed.",
            json.dumps(text, ensure_ascii=False)).replace(
            "[cache, stampede]", json.dumps(rnd.sample(["café", "ﬁle", "zoë", "日本"], 2),
                                            ensure_ascii=False)))
    built = site.build(strict=True)
    assert built.warnings == []
    bundle = built.site_dir / "pagefind"
    assert (bundle / "shard-3").is_dir()
    published = files_of(bundle)
    shutil.rmtree(bundle)
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext",
                           str(built.site_dir), "--shard-size", "3"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert files_of(bundle) == published
