"""Hostile review of the fragments and index chunks named in sequence (``name_in_sequence``)
and of the bundle's files gzipped again (``_gzipped``, ``pack_webassembly``).

Attacked on small bundles Pagefind writes from raw HTML (several languages sharing one
``fragment/`` and ``index/`` folder, filters, sorts, hostile words): a failure half way
(a full disk, a file system without hard links, a process killed), a damaged fragment,
``deflate`` missing, a second run, pages edited, added, removed or reordered.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cbor2")

from mkdocs_pmtheater.publish import fulltext
from mkdocs_pmtheater.publish.fulltext import (
    _finish_bundle,
    name_in_sequence,
    pack_webassembly,
)

SIGNATURE = b"pagefind_dcd"


def _page(language: str, title: str, body: str, sort: str, severity: str = "SEV1") -> str:
    return (f'<!doctype html><html lang="{language}"><head><title>{title}</title></head>'
            f'<body><main data-pagefind-body data-pagefind-sort="date:{sort}">'
            f'<h1>{title}</h1><span data-pagefind-filter="severity">{severity}</span>'
            f'<p>{body}</p><h2 id="scene-1">Scene one</h2><p>scene {body} zebra</p>'
            f'</main></body></html>')


PAGES = {
    "incidents/a/index.html": _page("en", "Alpha &lt;b&gt;", "pagefind_dcd en_abc "
                                    "0123456789-0 fragment/../x.pf_fragment", "2024-01-01"),
    "incidents/b/index.html": _page("en", "Same", "identical words here", "2024-02-01"),
    "incidents/c/index.html": _page("en", "Same", "identical words here", "2023-02-01"),
    "incidents/d/index.html": _page("fr", "Panne", "le cache était vide éléphant",
                                    "2022-01-01", "SEV2"),
    "incidents/e/index.html": _page("fr", "Même", "identical words here", "2021-01-01"),
    "incidents/f.html": _page("de", "Ausfall", "Straße Größe " + "wort " * 40, "2020-01-01",
                              "SEV3"),
    "incidents/g/index.html": _page("en", "Many", " ".join(f"w{i}" for i in range(1500)),
                                    "2019-01-01"),
}


def write_pages(site: Path, pages: dict[str, str]) -> Path:
    for name, html in pages.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return site


def pagefind_bundle(tmp_path: Path, pages: dict[str, str] = PAGES, name: str = "raw") -> Path:
    """Pagefind's own bundle of ``pages`` (nothing of the build's done to it)."""
    site = write_pages(tmp_path / f"{name}-site", pages)
    bundle = tmp_path / name
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--glob",
                           "incidents/**/*.html", "--output-path", str(bundle)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return bundle


def finished_bundle(tmp_path: Path, pages: dict[str, str] = PAGES, name: str = "b") -> Path:
    bundle = pagefind_bundle(tmp_path, pages, name)
    _finish_bundle(bundle)
    return bundle


def files(bundle: Path) -> dict[str, bytes]:
    return {p.relative_to(bundle).as_posix(): p.read_bytes()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


def decoded(path: Path):
    import cbor2

    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(SIGNATURE)
    return cbor2.loads(raw[len(SIGNATURE):])


def named(bundle: Path) -> set[str]:
    """Every file the entry and the metadata name (so the bundle's consistent files)."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    out = {"pagefind-entry.json"}
    for language in entry["languages"].values():
        meta_name = f"pagefind.{language['hash']}.pf_meta"
        out.add(meta_name)
        meta = decoded(bundle / meta_name)
        out |= {f"fragment/{page[0]}.pf_fragment" for page in meta[1]}
        out |= {f"index/{chunk[2]}.pf_index" for chunk in meta[2]}
        out |= {f"filter/{item[1]}.pf_filter" for item in meta[3]}
    return out


def assert_consistent(bundle: Path) -> None:
    """Every file named exists, and no fragment, chunk, filter, metadata or temporary
    file is there that nothing names (a stray fragment file is counted as a page)."""
    names = named(bundle)
    present = {name for name in files(bundle)
               if name.split("/")[0] in ("fragment", "index", "filter")
               or name.endswith((".pf_meta", ".tmp"))} | {"pagefind-entry.json"}
    assert names <= set(files(bundle)), names - set(files(bundle))
    assert present == names, present ^ names


def by_name(bundle: Path) -> dict[str, bytes]:
    """Each fragment's and chunk's name with its bytes, gunzipped."""
    return {f"{p.parent.name}/{p.name}": gzip.decompress(p.read_bytes())
            for folder in ("fragment", "index") for p in (bundle / folder).iterdir()}


def test_a_copy_cut_short_by_a_full_disk_leaves_the_bundle_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No hard links (the copy fallback), and the disk fills up while the third file is
    copied: the bundle is Pagefind's, file for file; no half-written temporary file is
    left in it (it would be published, and counted as a page by ``count_pages``). (One
    language: Pagefind lists several in another order on each run, and one with fewer
    than three files would be renamed whole first.)"""
    bundle = pagefind_bundle(tmp_path, {name: html for name, html in PAGES.items()
                                        if 'lang="en"' in html})
    before = files(bundle)
    copies = []
    real_copy = shutil.copyfile

    def no_link(old: Path, new: Path) -> None:
        raise OSError(errno.EPERM, "no hard links here")

    def filling_copy(old, new):
        copies.append(new)
        if len(copies) == 3:
            Path(new).write_bytes(Path(old).read_bytes()[:5])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_copy(old, new)

    monkeypatch.setattr(fulltext.os, "link", no_link)
    monkeypatch.setattr(fulltext.shutil, "copyfile", filling_copy)
    assert name_in_sequence(bundle) == 0
    assert len(copies) == 3
    assert files(bundle) == before


def test_a_metadata_cut_short_by_a_full_disk_leaves_the_bundle_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every link made, then the disk fills up while the metadata naming them is written:
    the bundle is Pagefind's, file for file, without the temporary metadata."""
    bundle = pagefind_bundle(tmp_path)
    before = files(bundle)
    real_write = Path.write_bytes

    def filling_write(self: Path, data: bytes) -> int:
        if self.name.endswith(".pf_meta.tmp"):
            real_write(self, data[:7])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", filling_write)
    assert name_in_sequence(bundle) == 0
    assert files(bundle) == before


def test_without_hard_links_the_files_are_copied(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system without hard links: the same bundle as with them."""
    linked = finished_bundle(tmp_path, name="linked")

    def no_link(old: Path, new: Path) -> None:
        raise OSError(errno.EPERM, "no hard links here")

    monkeypatch.setattr(fulltext.os, "link", no_link)
    copied = finished_bundle(tmp_path, name="copied")
    assert files(copied) == files(linked)
    assert_consistent(copied)


def test_a_damaged_fragment_leaves_its_language_as_pagefind_wrote_it(tmp_path: Path) -> None:
    """A fragment that is not gzip: nothing raises, every file named is there, and the
    language holding it keeps Pagefind's names."""
    bundle = pagefind_bundle(tmp_path)
    [fr] = bundle.glob("pagefind.fr_*.pf_meta")
    victim = decoded(fr)[1][0][0]
    (bundle / "fragment" / f"{victim}.pf_fragment").write_bytes(b"not gzip at all")
    _finish_bundle(bundle)
    assert_consistent(bundle)
    [fr] = bundle.glob("pagefind.fr_*.pf_meta")
    assert decoded(fr)[1][0][0] == victim


def test_a_process_killed_while_renaming_leaves_a_searchable_bundle_a_rerun_finishes(
        tmp_path: Path) -> None:
    """The process is killed (no clean-up) after some links are made: the metadata still
    names Pagefind's files, all there; run again, the bundle is the one an uninterrupted
    run makes, with no file left over (a new name already a link to its file, as the
    killed run left it, made ``os.replace`` of the temporary link a no-op: POSIX
    ``rename`` does nothing between two links of one file, and ``<name>.tmp`` stayed in
    ``fragment/``, published and counted as a page)."""
    done = finished_bundle(tmp_path, name="done")
    bundle = pagefind_bundle(tmp_path, name="killed")
    for step in ("split_index_chunks", "tighten_chunk_bounds"):
        getattr(fulltext, step)(bundle)
    program = (
        "import os, sys\n"
        "from mkdocs_pmtheater.publish import fulltext\n"
        "real, made = fulltext._link, []\n"
        "def link(old, new):\n"
        "    made.extend([new] if old.name.startswith('en_') else [])\n"
        "    if len(made) == 3:  # English's third: its first two are linked\n"
        "        os.link(old, new.with_name(new.name + '.tmp'))\n"
        "        os._exit(9)\n"
        "    real(old, new)\n"
        "fulltext._link = link\n"
        "fulltext.name_in_sequence(sys.argv[1])\n")
    killed = subprocess.run([sys.executable, "-c", program, str(bundle)], check=False,
                            env={**os.environ, "PYTHONPATH": str(Path(fulltext.__file__)
                                                                 .parents[2])})
    assert killed.returncode == 9
    assert named(bundle) <= set(files(bundle))
    assert any(name.endswith(".tmp") for name in files(bundle))
    _finish_bundle(bundle)
    assert_consistent(bundle)
    assert by_name(bundle) == by_name(done)


def test_without_deflate_the_names_are_the_same_and_the_bundle_as_searchable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``deflate`` not installed: zlib gzips, the build goes on, and every name holds the
    same content as with libdeflate (names come from content, not from gzip's bytes)."""
    with_deflate = finished_bundle(tmp_path, name="libdeflate")
    monkeypatch.setitem(sys.modules, "deflate", None)
    without = finished_bundle(tmp_path, name="zlib")
    assert by_name(without) == by_name(with_deflate)
    assert_consistent(without)
    for name, data in files(without).items():
        if name.endswith((".pf_meta", ".pf_index", ".pf_filter", ".pagefind")):
            assert gzip.decompress(data) == gzip.decompress(files(with_deflate)[name])
    assert pack_webassembly(without) == 0


def test_a_second_run_changes_nothing_and_names_are_never_reused(tmp_path: Path) -> None:
    """Run again on a finished bundle, every byte stays. Then builds of edited, added,
    removed and reordered pages: a name found in two of them holds the same content in
    both, and every language is named apart from the others in the shared folders."""
    first = finished_bundle(tmp_path, name="first")
    before = files(first)
    _finish_bundle(first)
    assert files(first) == before
    assert_consistent(first)

    edited = dict(PAGES)
    edited["incidents/b/index.html"] = PAGES["incidents/b/index.html"].replace(
        "identical", "different")
    added = {**PAGES, "incidents/h/index.html": _page("en", "New", "fresh words", "2018")}
    removed = {k: v for k, v in PAGES.items() if k != "incidents/a/index.html"}
    swapped = dict(PAGES)  # two pages' contents exchanged: same words, other URLs
    swapped["incidents/b/index.html"], swapped["incidents/g/index.html"] = (
        PAGES["incidents/g/index.html"], PAGES["incidents/b/index.html"])
    builds = [by_name(first)]
    for number, pages in enumerate((edited, added, removed, swapped, PAGES)):
        bundle = finished_bundle(tmp_path, pages, name=f"build{number}")
        assert_consistent(bundle)
        builds.append(by_name(bundle))
        salts = {}
        for language_meta in bundle.glob("pagefind.*.pf_meta"):
            meta = decoded(language_meta)
            salts[language_meta.name] = {page[0].split("-")[0] for page in meta[1]}
            assert len(salts[language_meta.name]) == 1
        assert len(set().union(*salts.values())) == len(salts)  # one salt per language
    assert builds[-1] == builds[0]  # the same pages again: the same names
    for one in builds:
        for other in builds:
            assert all(one[name] == other[name] for name in one.keys() & other.keys())


def test_a_deflate_that_fails_leaves_a_finished_bundle_gzipped_by_zlib(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``deflate`` that imports but fails when called (another major version's API, a
    broken build): nothing raises out of the bundle's finishing (which would drop the
    whole index: ``index_in_parts`` removes a bundle whose finishing raised), and the
    bundle is the one zlib gives."""
    import types

    monkeypatch.setitem(sys.modules, "deflate", None)
    zlib_made = finished_bundle(tmp_path, name="zlib")
    broken = types.ModuleType("deflate")

    def gzip_compress(data: bytes, level: int = 6) -> bytes:
        raise RuntimeError("libdeflate: compression failed")

    broken.gzip_compress = gzip_compress  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "deflate", broken)
    bundle = finished_bundle(tmp_path, name="broken")
    assert files(bundle) == files(zlib_made)
    assert_consistent(bundle)


SEARCH = """async ([bundle, language, queries]) => {
  document.documentElement.lang = language;
  const pagefind = await import('/' + bundle + '/pagefind.js');
  await pagefind.options({baseUrl: '/'});
  await pagefind.init();
  const found = {filters: await pagefind.filters()};
  for (const query of queries) {
    const search = await pagefind.search(query.term, {filters: query.filters || {},
                                                      sort: query.sort || undefined});
    const results = [];
    for (const result of search.results) {
      const data = await result.data();
      results.push([data.url, data.excerpt, data.meta, data.word_count, data.filters,
                    data.sub_results.map(s => [s.url, s.title, s.excerpt])]);
    }
    found[JSON.stringify(query)] = [search.unfilteredResultCount, search.filters, results];
  }
  return found;
}"""


@pytest.mark.browser
def test_the_names_change_nothing_a_search_finds(tmp_path: Path, chromium) -> None:
    """In Chromium, through Pagefind's own script: the bundle with its fragments and
    chunks named in sequence (and gzipped by libdeflate) finds, in each of three languages
    sharing its folders, what it found before they were renamed: the same pages, excerpts,
    sub-results, filter counts, in the same order (sorted too)."""
    from browsing import serve_directory

    raw = pagefind_bundle(tmp_path)
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><html><body></body></html>")
    before, after = web / "before", web / "after"
    shutil.copytree(raw, before)
    for step in ("split_index_chunks", "tighten_chunk_bounds", "order_filters"):
        getattr(fulltext, step)(before)
    shutil.copytree(raw, after)
    _finish_bundle(after)
    assert not any(name.startswith(("fragment/en_", "index/en_")) for name in files(after))
    queries = [{"term": term} for term in (
        "identical", "zebra", "scene", "cache", "éléphant", "elephant", "straße", "wort",
        "w12", "w149", "pagefind_dcd", "en_abc", "0123456789", "identical words", "sc")]
    queries += [{"term": None, "filters": {"severity": "SEV1"}},
                {"term": "scene", "sort": {"date": "asc"}},
                {"term": "scene", "sort": {"date": "desc"}}]
    with serve_directory(web) as url:
        for language in ("en", "fr", "de"):
            found = []
            for bundle in ("before", "after"):
                page = chromium.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(url + "index.html")
                found.append(page.evaluate(SEARCH, [bundle, language, queries]))
                page.close()
                assert errors == []
            assert found[0] == found[1], language
            assert sum(len(v[2]) for k, v in found[1].items() if k != "filters") > 3
