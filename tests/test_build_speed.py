"""Build speed (issue #12, item 5) without changing what is published.

* Material's search plugin reads a playbill without the elements it skips
  (``render/searchslim.py``): its index must be the one it makes from the whole
  page, checked with Material's own parser on hand-made edge cases, on random
  markup, and on real builds (both plugin orders) against builds that do not slim.
  Playbills of the packaged templates get the fast cut (``search_cut``); overridden
  templates, ``allow_html``, a body another plugin changed, and markup the fast cut
  is unsure of go to ``search_slim``: real builds of the example site, a generated
  200-incident site and hostile incident text against builds that do not slim.
* Pagefind runs on copies of the playbills beside the build (``publish/fulltext.py``,
  ``StreamedCopies`` sent as pages are converted, ``PlaybillCopies`` as fallback):
  its bundle must be the one it makes from the written site (both plugin orders,
  "Referenced by" filled in, a ``custom_dir`` override of its partial), and a theme
  that adds Pagefind attributes of its own, or a playbill changed after it was
  streamed, makes the build index the written site instead.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import sys
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import EXAMPLE_SITE, REPO, SiteFactory, build_site
from material.plugins.search.plugin import SearchIndex
from material.plugins.search.plugin import void as material_void

import mkdocs_pmtheater.plugin.plugin as plugin_module
from mkdocs_pmtheater.publish import fulltext
from mkdocs_pmtheater.render.searchslim import appended_cut, search_cut, search_slim

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import write_site  # the benchmark's generator


def material_entries(html: str) -> list[dict] | str:
    """The entries Material's search plugin makes of a page holding ``html`` (or the
    error it raises: its parser fails on some markup, such as the end of a kept element
    whose start it skipped; the slim page must fail alike)."""
    index = SearchIndex()
    page = SimpleNamespace(meta={}, content=html, toc=[], url="p/", title="Page")
    try:
        index.add_entry_from_context(page)
    except ValueError as exc:
        return f"ValueError: {exc}"
    return index.entries


def assert_same_index(html: str) -> str:
    slim = search_slim(html)
    assert material_entries(html if slim is None else slim) == material_entries(html), slim
    return html if slim is None else slim


PLAYBILL_LIKE = (
    '<article data-pagefind-body><h1 id="playbill">Title</h1>\n'
    '<section><h2 id="the-story">The story</h2><p>Kept words.</p>\n'
    '<h3 id="impact" data-search-exclude>Impact</h3>\n'
    '<div data-search-exclude><p>Impact words.</p></div></section>\n'
    '<section data-search-exclude><h2 id="cast" data-search-exclude>Cast</h2>\n'
    '<ul><li><span>@priya</span> on call</li><li>@aiko</li></ul></section>\n'
    '<section><h2 id="critique" data-search-exclude>Critique</h2>\n'
    '<ul data-search-exclude><li>Answer <ol><li>nested</li></ol></li></ul>\n'
    '<h3 id="root-causes">Root causes</h3><ul><li>A root cause.</li></ul></section>\n'
    '</article>\n')



STAMPEDE = """
id: INC-1
title: Cache stampede
severity: SEV3
started_at: 2024-03-14T14:02:00Z
summary: Something broke and we fixed it.
"""
"""A one-incident file (site.incident dedents what it is given)."""


@pytest.mark.parametrize("html", [
    PLAYBILL_LIKE,
    # The parser compares skipped elements by tag name: a nested <div> ends the skip.
    "<p>a</p><div data-search-exclude><div>x</div>shown</div><p>c</p>",
    # A heading inside a skipped element still opens an index section.
    '<p>a</p><section data-search-exclude><h2 id="x">X</h2><p>t</p></section><p>after</p>',
    # An end tag that does not close the last element is ignored: the skip goes on.
    "<p>a</p><ul data-search-exclude><li><p>x</li></ul><p>y</p>",
    '<p>a</p><p data-search-exclude="yes">z</p><p title="data-search-exclude">shown</p>',
    '<p>a</p><div data-search-exclude/>after<p>b</p>',
    '<p>a</p><div class="linenodiv"><pre>1\n2</pre></div><pre><code>x = 1</code></pre>',
    '<p>a</p><div data-search-exclude><svg><title>chart</title><g><title>x</title></g>'
    '</svg></div><p>b</p>',
    '<p>a</p><div data-search-exclude><script>if (a < b) {}</script></div><p>b</p>',
    '<p>a</p><!-- <div data-search-exclude> --><p>b</p>',
    '<p>a</p><div data-search-exclude title="x>y"><p>t</p></div><p>3 &lt; 4</p>',
    '<p>a</p><div data-search-exclude><p>x</p></div>\n \n<div data-search-exclude>y</div> <p>b</p>',
    '<div data-search-exclude><p>first</p></div><p>b</p>',
    '<h2 id="t" data-search-exclude>T</h2><div data-search-exclude>x</div><p>under T</p>'
    '<h2 id="u">U</h2><p>u</p>',
])

def test_slim_html_gives_materials_search_the_same_entries(html: str) -> None:
    assert_same_index(html)


def test_a_playbill_loses_most_of_its_markup_for_search() -> None:
    slim = assert_same_index(PLAYBILL_LIKE)
    assert "@priya" not in slim and "Impact words" not in slim and "nested" not in slim
    assert "Kept words." in slim and "A root cause." in slim


def test_unsure_markup_is_left_whole() -> None:
    for html in ('<p>a</p><!-- note --><div data-search-exclude>x</div>',
                 '<p>a</p><div data-search-exclude><script>a<b</script></div>',
                 '<p>a</p><div data-search-exclude>x</div><p title="a<b">c</p>',
                 "<p>a</p><div data-search-exclude>x</div><p>1 < 2</p>",
                 # Unclosed tags (each scan stops at the next "<": linear time).
                 "<a " * 20000, '<a "' + "<b " * 20000):
        assert search_slim(html) is None, html


_TAGS = ["div", "p", "ul", "li", "section", "span", "h2", "h3", "pre", "code", "svg", "title",
         "br", "img", "sub"]


def _random_html(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.3 or depth > 4:
            parts.append(rng.choice(["word ", " ", "\n", "two words", "&amp; more", ""]))
            continue
        tag = rng.choice(_TAGS)
        attributes = rng.choice(["", "", " data-search-exclude", ' id="a"',
                                 ' id="b" data-search-exclude', ' class="linenodiv"',
                                 ' data-search-exclude="v"'])
        if tag in ("br", "img"):
            parts.append(f"<{tag}{attributes}>")
            continue
        inner = "" if tag == "title" else _random_html(rng, depth + 1)
        end = rng.choice([f"</{tag}>"] * 8 + ["", f"</{rng.choice(_TAGS)}>"])
        parts.append(f"<{tag}{attributes}>{inner}{end}")
    return "".join(parts)


def test_random_markup_gives_the_same_entries() -> None:
    rng = random.Random(12)
    slimmed = 0
    for _ in range(3000):
        html = "<p>start</p>" + _random_html(rng)
        slim = assert_same_index(html)
        slimmed += slim != html
    assert slimmed > 300  # the cut is made often, not only left out


def _site_files(site_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(site_dir).as_posix(): p.read_bytes() for p in site_dir.rglob("*")
            if p.is_file() and not p.relative_to(site_dir).as_posix().startswith("pagefind/")}


@pytest.mark.parametrize("plugins", [["search", "pmtheater"], ["pmtheater", "search"]])
def test_a_built_site_is_the_same_with_slim_search_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: list[str],
        build_epoch: str) -> None:
    root = write_site(tmp_path / "generated", 12)
    config = (root / "mkdocs.yml").read_text()
    config = config.replace("plugins:\n  - search\n  - pmtheater\n",
                            "plugins:\n" + "".join(f"  - {p}\n" for p in plugins))
    assert all(f"  - {p}\n" in config for p in plugins)
    (root / "mkdocs.yml").write_text(config)
    seen: list[int] = []
    original = SearchIndex.add_entry_from_context

    def spy(self: SearchIndex, page: object) -> None:
        if "/inc-" in page.url:  # type: ignore[attr-defined]
            seen.append(len(page.content))  # type: ignore[attr-defined]
        original(self, page)

    monkeypatch.setattr(SearchIndex, "add_entry_from_context", spy)
    with monkeypatch.context() as patch:
        cuts = _spy_fast_cut(patch)
        slim = build_site(root, site_dir=tmp_path / "slim")
    assert len(cuts) == 12 and all(cuts)  # the fast cut, in either plugin order
    slim_sizes, seen[:] = list(seen), []
    monkeypatch.setattr(plugin_module, "uses_materials_search_only", lambda config: False)
    whole = build_site(root, site_dir=tmp_path / "whole")
    assert slim.warnings == whole.warnings == []
    assert len(slim_sizes) == len(seen) == 12
    assert sum(slim_sizes) < sum(seen) / 3  # Material's parser read a third or less ...
    slim_files, whole_files = _site_files(slim.site_dir), _site_files(whole.site_dir)
    assert slim_files.keys() == whole_files.keys()
    # ... and the site, search/search_index.json included, is byte for byte the same.
    assert [name for name in slim_files if slim_files[name] != whole_files[name]] == []


def test_mkdocs_own_search_reads_playbills_whole(site: SiteFactory) -> None:
    """MkDocs' own search plugin indexes every word of a page (it knows no
    data-search-exclude), so playbills reach it whole, as before."""
    site.config["theme"] = {"name": "mkdocs"}
    site.incident("one.yaml", STAMPEDE + 'cast:\n  - role: On-Call Engineer\n'
                  '    actor: "@quillback"\n')
    built = site.build(strict=True)
    index = (built.site_dir / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "@quillback" in index


def _bundle(site_dir: Path) -> tuple[dict[str, bytes], list[bytes], dict]:
    """Pagefind's bundle: its fragment, word-index and filter files and its metadata (the
    same names and bytes for the same pages: the build orders the filters, see
    ``order_filters``), and its page counts."""
    bundle = site_dir / "pagefind"
    exact = {p.relative_to(bundle).as_posix(): p.read_bytes()
             for folder in ("fragment", "index") for p in (bundle / folder).iterdir()}
    filters = sorted((p.name, p.read_bytes()) for p in [*(bundle / "filter").iterdir(),
                                                        *bundle.glob("*.pf_meta")])
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    return exact, filters, {k: v["page_count"] for k, v in entry["languages"].items()}


def _count_site_indexing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = plugin_module.index_site

    def spy(site_dir: str, **kwargs: object) -> fulltext.IndexReport:
        calls.append(str(site_dir))
        return original(site_dir, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plugin_module, "index_site", spy)
    return calls


def _paths_taken(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the Pagefind paths a build took: ``stream`` (StreamedCopies gave the
    bundle), ``copies`` (PlaybillCopies started), and, through index_site, ``site``."""
    taken = {"stream": 0, "copies": 0}
    finish, start = fulltext.StreamedCopies.finish, fulltext.PlaybillCopies.start

    def spy_finish(self: fulltext.StreamedCopies) -> fulltext.IndexReport | None:
        report = finish(self)
        taken["stream"] += report is not None
        return report

    def spy_start(self: fulltext.PlaybillCopies, html_tag: str) -> None:
        taken["copies"] += 1
        start(self, html_tag)

    monkeypatch.setattr(fulltext.StreamedCopies, "finish", spy_finish)
    monkeypatch.setattr(fulltext.PlaybillCopies, "start", spy_start)
    return taken


def _index_the_written_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, builds index the written site: the stream is refused and no copies
    are made (Pagefind's slowest path, what the copies must match)."""
    monkeypatch.setattr(fulltext.StreamedCopies, "seal", lambda self, final: False)
    monkeypatch.setattr(plugin_module.PmTheaterPlugin, "_playbill_copies",
                        lambda self, files, config: None)


def _copies_cut(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each playbill streamed to Pagefind's child gets a cut copy (pagefind_cut)."""
    cut: list[bool] = []
    add = fulltext.StreamedCopies.add

    def spy(self: fulltext.StreamedCopies, *args: object, ours: bool = False) -> None:
        cut.append(ours and self.cut)
        add(self, *args, ours=ours)  # type: ignore[arg-type]

    monkeypatch.setattr(fulltext.StreamedCopies, "add", spy)
    return cut


REFERENCES_OVERRIDE = """
<div class="my-refs"><h2 id="referenced-by">Cited by</h2>
{% for ref in references %}<a href="{{ ref.url }}">{{ ref.title }}</a> zyzzyva {% endfor %}
</div>
"""
"""A referenced-by partial that Pagefind indexes (no data-pagefind-ignore): the block
changes the bundle, so the streamed copies of those playbills must hold it."""


def _referenced_site(root: Path, plugins: list[str], override: bool) -> list[str]:
    """A generated site of 12 incidents, some linked to from Markdown pages (their
    "Referenced by" is filled in), in the given plugin order; returns the linked ids."""
    write_site(root, 12)
    ids = sorted(line.split(": ", 1)[1] for path in (root / "docs/incidents").rglob("*.yaml")
                 for line in path.read_text().splitlines() if line.startswith("id: "))
    assert len(ids) == 12
    links = "".join(f"* [{i}](incident:{i})\n" for i in ids[:5])
    (root / "docs/runbooks/refs.md").write_text(f"# Known incidents\n\n{links}")
    (root / "docs/runbooks/one.md").write_text(f"# One\n\n[it](incident:{ids[0]})\n")
    config = (root / "mkdocs.yml").read_text()
    config = config.replace("plugins:\n  - search\n  - pmtheater\n",
                            "plugins:\n" + "".join(f"  - {p}\n" for p in plugins))
    assert all(f"  - {p}\n" in config for p in plugins)
    if override:
        partial = root / "overrides/pmtheater/partials/referenced-by.html"
        partial.parent.mkdir(parents=True)
        partial.write_text(REFERENCES_OVERRIDE)
        config = config.replace("  name: material\n",
                                "  name: material\n  custom_dir: overrides\n")
        assert "custom_dir" in config
    (root / "mkdocs.yml").write_text(config)
    return ids[:5]


@pytest.mark.parametrize("override", [False, True], ids=["packaged", "custom_dir"])
@pytest.mark.parametrize("plugins", [["search", "pmtheater"], ["pmtheater", "search"]])
def test_pagefind_on_copies_makes_the_bundle_of_the_written_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str,
        plugins: list[str], override: bool) -> None:
    root, linked = _referenced_site_own_tmp(tmp_path, monkeypatch, plugins, override)
    calls = _count_site_indexing(monkeypatch)
    taken = _paths_taken(monkeypatch)
    cut = _copies_cut(monkeypatch)
    streamed = build_site(root, site_dir=tmp_path / "streamed")
    # Pagefind ran on the copies streamed while pages were converted, and only there;
    # the packaged templates' copies without what Pagefind ignores (pagefind_cut).
    assert (taken, calls) == ({"stream": 1, "copies": 0}, [])
    assert cut == [not override] * 12
    # The copies made once the first page is written, the fallback (the stream is
    # refused, as when its child fails) ...
    monkeypatch.setattr(fulltext.StreamedCopies, "seal", lambda self, final: False)
    copies = build_site(root, site_dir=tmp_path / "copies")
    assert (taken, calls) == ({"stream": 1, "copies": 1}, [])
    # ... and the written site, as before either.
    monkeypatch.setattr(plugin_module.PmTheaterPlugin, "_playbill_copies",
                        lambda self, files, config: None)
    written = build_site(root, site_dir=tmp_path / "written")
    assert len(calls) == 1
    assert streamed.warnings == copies.warnings == written.warnings == []
    for slug in (i.lower() for i in linked):  # "Referenced by" is filled in
        page = (written.site_dir / "incidents" / slug / "index.html").read_text()
        assert 'id="referenced-by"' in page and "Known incidents" in page
        assert ("zyzzyva" in page) == override
    assert _bundle(streamed.site_dir) == _bundle(written.site_dir)
    assert _bundle(copies.site_dir) == _bundle(written.site_dir)
    assert _bundle(streamed.site_dir)[2] == {"en": 12}
    # The override is indexed (no data-pagefind-ignore): the bundle holds its words.
    words = b"".join(gzip.decompress(p.read_bytes())
                     for p in (streamed.site_dir / "pagefind" / "fragment").iterdir())
    assert (words.count(b"zyzzyva") == 6) == override
    assert not list(Path(fulltext.tempfile.gettempdir()).glob("pmtheater-pagefind-*"))


def _add_hook(root: Path, source: str) -> None:
    """Give the site at ``root`` an MkDocs hook module (``hooks.py``) of ``source``."""
    (root / "hooks.py").write_text(textwrap.dedent(source))
    with (root / "mkdocs.yml").open("a") as config:
        config.write("hooks:\n  - hooks.py\n")


def _referenced_site_own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             plugins: list[str] | None = None,
                             override: bool = False) -> tuple[Path, list[str]]:
    """:func:`_referenced_site` in ``tmp_path/generated``, with a temporary folder of the
    test's own for Pagefind's copies (other builds on the machine leave theirs in the
    shared one while they run); returns the site's root and the linked ids."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # not in memory (copies_home)
    root = tmp_path / "generated"
    return root, _referenced_site(root, plugins or ["search", "pmtheater"], override)


def test_pages_of_another_language_than_the_streamed_copies_use_the_copies_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    # The copies are streamed under <html lang> of the theme's language; written pages
    # of another one (a theme that says otherwise) send the build to the copies made
    # with the first written page's tag, which give the written site's bundle.
    root, _ = _referenced_site_own_tmp(tmp_path, monkeypatch)
    monkeypatch.setattr(plugin_module, "theme_language", lambda theme: "fr")
    calls = _count_site_indexing(monkeypatch)
    taken = _paths_taken(monkeypatch)
    built = build_site(root, site_dir=tmp_path / "site")
    assert built.warnings == []
    assert (taken, calls) == ({"stream": 0, "copies": 1}, [])
    assert _bundle(built.site_dir)[2] == {"en": 12}
    assert not list(Path(fulltext.tempfile.gettempdir()).glob("pmtheater-pagefind-*"))


def test_a_build_that_fails_while_streaming_leaves_no_pagefind_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    # A hook fails on the sixth playbill, once five were streamed: the build's error
    # (on_build_error) stops Pagefind's child, and its copies go with it.
    root, _ = _referenced_site_own_tmp(tmp_path, monkeypatch)
    _add_hook(root, """
        seen = []
        def on_page_markdown(markdown, page, config, files):
            if "/inc-" in page.url:
                seen.append(page.url)
                if len(seen) == 6:
                    raise RuntimeError("hook failed")
            return markdown
        """)
    started: list[fulltext.StreamedCopies] = []
    add = fulltext.StreamedCopies.add

    def spy(self: fulltext.StreamedCopies, *args: object, **kwargs: object) -> None:
        add(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(fulltext.StreamedCopies, "add", spy)
    with pytest.raises(RuntimeError, match="hook failed"):
        build_site(root, site_dir=tmp_path / "site")
    assert len(started) == 5 and started[-1].run is not None  # playbills were streamed
    process = started[-1].run._process
    assert process is not None and process.poll() is not None  # the child was stopped
    assert list((tmp_path / "tmp").iterdir()) == []


def test_build_dirty_gives_the_bundle_of_the_written_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    # `mkdocs build --dirty` into a built site (the old bundle is there): the bundle
    # is the one a full build's written site gives.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    root, _ = _referenced_site_own_tmp(tmp_path, monkeypatch)
    monkeypatch.setattr(plugin_module.PmTheaterPlugin, "_playbill_copies",
                        lambda self, files, config: None)
    monkeypatch.setattr(fulltext.StreamedCopies, "seal", lambda self, final: False)
    written = build_site(root, site_dir=tmp_path / "written")
    monkeypatch.undo()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # not in memory (copies_home)
    built = build_site(root, site_dir=tmp_path / "site")
    calls = _count_site_indexing(monkeypatch)
    taken = _paths_taken(monkeypatch)
    monkeypatch.chdir(root)
    build(load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "site")), dirty=True)
    # MkDocs converts generated pages again even when dirty: every playbill is streamed.
    assert (taken, calls) == ({"stream": 1, "copies": 0}, [])
    assert _bundle(built.site_dir) == _bundle(written.site_dir)
    assert _bundle(built.site_dir)[2] == {"en": 12}
    assert not list(Path(fulltext.tempfile.gettempdir()).glob("pmtheater-pagefind-*"))


def test_a_playbill_changed_after_it_was_streamed_is_indexed_as_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    # A hook changes one playbill's body once it was converted (and streamed): its copy
    # no longer matches the written page, so the build indexes the written site.
    root, _ = _referenced_site_own_tmp(tmp_path, monkeypatch)
    _add_hook(root, """
        def on_page_context(context, page, config, nav):
            if "inc-2023-00002" in page.url:
                page.content = page.content.replace("</article>", "<p>quokka</p></article>")
            return context
        """)
    calls = _count_site_indexing(monkeypatch)
    taken = _paths_taken(monkeypatch)
    built = build_site(root, site_dir=tmp_path / "site")
    assert built.warnings == []
    assert "quokka" in (built.site_dir / "incidents/inc-2023-00002/index.html").read_text()
    assert (taken, len(calls)) == ({"stream": 0, "copies": 0}, 1)
    words = b"".join(gzip.decompress(p.read_bytes())
                     for p in (built.site_dir / "pagefind" / "fragment").iterdir())
    assert b"quokka" in words
    assert not list(Path(fulltext.tempfile.gettempdir()).glob("pmtheater-pagefind-*"))


def test_a_theme_with_pagefind_attributes_of_its_own_is_indexed_as_written(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The theme marks every page with a filter of its own, outside the playbill's body:
    # the copies lack it, so the build indexes the written pages, which have it.
    site.page("../overrides/main.html", """
        {% extends "base.html" %}
        {% block footer %}<span data-pagefind-filter="site">handbook</span>{{ super() }}
        {% endblock %}
        """)
    site.config["theme"]["custom_dir"] = "overrides"
    site.incident("one.yaml", STAMPEDE)
    calls = _count_site_indexing(monkeypatch)
    built = site.build(strict=True)
    assert len(calls) == 1
    (path,) = (built.site_dir / "pagefind" / "fragment").iterdir()
    raw = gzip.decompress(path.read_bytes())
    fragment = json.loads(raw[raw.index(b"{"):])
    assert fragment["filters"]["site"] == ["handbook"]
    assert fragment["meta"]["title"] == "Cache stampede"


@pytest.mark.parametrize(("body", "cut"), [
    ('<p>a</p><div data-pagefind-ignore><span>x</span></div><p>b</p>', "<p>a</p><p>b</p>"),
    ('<DIV Data-Pagefind-Ignore="ALL">x</DIV>b', "b"),  # names without case, as lol_html
    ("<dl><dt data-pagefind-ignore='index'>Saw:</dt><dd>it</dd></dl>", "<dl><dd>it</dd></dl>"),
    # Left whole: a filter, metadata or sort key inside (kept by "index"), an element of
    # its name inside (whose end would be taken for its own), another value, a value
    # merely naming the attribute, a void element, comments and raw text anywhere.
    ('<div data-pagefind-ignore><b data-pagefind-filter="tag">x</b></div>', None),
    ("<div data-pagefind-ignore><div>x</div>y</div>", None),
    ('<div data-pagefind-ignore="other">x</div>', None),
    ('<a title="x data-pagefind-ignore y" href="#">x</a>', None),
    ('<img data-pagefind-ignore alt="x">y', None),
    ("<!-- c --><div data-pagefind-ignore>x</div>", None),
    ('<div data-pagefind-ignore>x</div><a title="a>b">y</a>', None),
    ('<div data-pagefind-ignore>x<script>"</div>"</script></div>', None),
    # <title> is RCDATA to lol_html, in <svg> too: plain text in it is cut around; a tag
    # in it, or a title left open, leaves the body whole.
    ('<svg><title>a &lt; b</title></svg><i data-pagefind-ignore>x</i>y',
     "<svg><title>a &lt; b</title></svg>y"),
    ("<svg><title>t<i data-pagefind-ignore></title></svg>x</i>y", None),
    ("<svg><title>t</svg><i data-pagefind-ignore>x</i>y", None),
])
def test_pagefind_cut(body: str, cut: str | None) -> None:
    assert fulltext.pagefind_cut(body) == (body if cut is None else cut)


def test_hostile_text_gives_the_bundle_of_the_written_site_with_cut_copies(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    _hostile_site(site)
    site.incident("four.yaml", STAMPEDE.replace("INC-1", "INC-4").replace(
        "summary: Something broke and we fixed it.\n", "") + textwrap.dedent('''\
        summary: |
          a [link](https://e.test/ "x data-pagefind-ignore y") data-pagefind-ignore
          <span data-pagefind-ignore>quetzal</span> `<div data-pagefind-ignore>`
        '''))
    (site.root / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(site.root / "tmp"))
    monkeypatch.setenv("TMPDIR", str(site.root / "tmp"))  # not in memory (copies_home)
    cut = _copies_cut(monkeypatch)
    calls = _count_site_indexing(monkeypatch)
    streamed = site.build()
    assert cut == [True] * 4 and calls == []
    _index_the_written_site(monkeypatch)
    written = build_site(site.root, site_dir=site.root / "written")
    assert len(calls) == 1
    assert _bundle(streamed.site_dir) == _bundle(written.site_dir)
    words = b"".join(gzip.decompress(p.read_bytes())
                     for p in (streamed.site_dir / "pagefind" / "fragment").iterdir())
    assert b"quetzal" in words  # the sanitiser dropped the attribute: text, indexed


# -- the fast cut (searchslim.search_cut): playbills the packaged templates wrote --------

def assert_same_index_cut(html: str) -> str | None:
    cut = search_cut(html)
    if cut is not None:
        assert material_entries(cut) == material_entries(html), cut
    return cut


@pytest.mark.parametrize("html", [
    PLAYBILL_LIKE,
    # A <section> whose headings are skipped too and its children: cut to a stand-in.
    '<article><h1 id="t">T</h1><p>kept</p>\n<section data-search-exclude><h2 id="c" '
    'data-search-exclude>C</h2><p>cast</p><h3 id="d" data-search-exclude>D</h3><p>d</p>'
    '</section>\n<div><div><h2 id="k">K</h2>x</div>after</div></article>',
    '<li><section data-search-exclude><h2 id="c" data-search-exclude>C</h2>x</section>'
    '</li><p>b</p>',
    '<p>a</p><ul data-search-exclude><li>x</li></ul>\n \n<ol data-search-exclude><li>y</li>'
    '</ol> <p>b</p>',
    '<div data-search-exclude><p>first</p></div><p>b</p>',
    '<h2 id="t" data-search-exclude>T</h2><div data-search-exclude>x</div><p>under T</p>'
    '<h2 id="u">U</h2><p>u</p>',
    '<p>a   <span data-search-exclude>x</span>   word</p>',
    '<P>a</P><DIV DATA-SEARCH-EXCLUDE>x</DIV><p>b</p>',
    # Skipped headings become their name, id or not, and data-search-exclude.
    '<h1 id="t">T</h1><p>a</p><h3 data-search-exclude>no id</h3><p>b</p>'
    '<h3 id="x" title="t" data-search-exclude>X</h3><p>swallowed</p>',
])
def test_fast_cut_gives_materials_search_the_same_entries(html: str) -> None:
    assert assert_same_index_cut(html) not in (None, html)


@pytest.mark.parametrize("html", [
    # A heading that is not skipped is an index entry: its element is left whole.
    '<article><p>a</p><section data-search-exclude><h2 id="x">X</h2><p>t</p></section>'
    '<p>after</p></article>',
    # A skipped heading deeper down: the parser would return to its section later on.
    '<section data-search-exclude><div><h2 id="c" data-search-exclude>C</h2></div>'
    '</section><div><div><h2 id="k">K</h2>x</div>after</div>',
])
def test_fast_cut_leaves_elements_with_headings_whole(html: str) -> None:
    assert assert_same_index_cut(html) == html


@pytest.mark.parametrize("html", [
    # The parser compares skipped elements by name: a nested <div> ends the skip.
    "<p>a</p><div data-search-exclude><div>x</div>shown</div><p>c</p>",
    '<p>a</p><div class="linenodiv"><pre>1</pre></div><p>b</p>',
    '<p>a</p><!-- c --><div data-search-exclude>x</div>',
    '<p>a</p><div data-search-exclude><script>x</script></div>',
    # A "<" in an attribute value: a tag search could find a tag that is none.
    '<p title="</div>">a</p><div data-search-exclude>x</div>',
    '<p>a</p><div data-search-exclude>x',
])
def test_fast_cut_leaves_what_it_is_unsure_of_to_search_slim(html: str) -> None:
    assert search_cut(html) is None


def _well_formed_html(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.3 or depth > 4:
            parts.append(rng.choice(["word ", " ", "\n", "two words", "&amp; more", ""]))
            continue
        tag = rng.choice(_TAGS)
        attributes = rng.choice(["", "", " data-search-exclude", ' id="a"',
                                 ' id="b" data-search-exclude', ' data-search-exclude="v"'])
        if tag in ("br", "img"):
            parts.append(f"<{tag}{attributes}>")
            continue
        inner = "" if tag == "title" else _well_formed_html(rng, depth + 1)
        parts.append(f"<{tag}{attributes}>{inner}</{tag}>")
    return "".join(parts)


def test_fast_cut_reads_the_word_written_many_times_in_linear_time() -> None:
    """Each occurrence of "data-search-exclude" looks back for its tag only as far as the
    one before it: 200,000 in one text (as a summary may hold them) are one pass."""
    words = "data-search-exclude " * 200_000
    html = (f'<p title="data-search-exclude">{words}</p><div data-search-exclude>x</div>'
            f'<p>{words}<span data-search-exclude>y</span></p>')
    started = time.process_time()
    cut = search_cut(html)
    assert time.process_time() - started < 2  # quadratic: minutes
    assert cut == html.replace("<div data-search-exclude>x</div>", "<br>").replace(
        "<span data-search-exclude>y</span>", "<br>")


def test_fast_cut_on_random_well_formed_markup_gives_the_same_entries() -> None:
    rng = random.Random(5)
    cut = 0
    for _ in range(3000):
        html = "<p>start</p>" + _well_formed_html(rng)
        result = assert_same_index_cut(html)
        cut += result is not None and result != html
    assert cut > 300


class _WellFormed(HTMLParser):
    """Checks search_cut's premise on a playbill: every element is closed, in order (as
    Material's parser reads them: void elements have no end tag). What the fast cut finds
    itself (comments, markup in attribute values) it leaves to search_slim."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in material_void:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-6:])
        self.open.pop()


def _assert_well_formed(html: str) -> None:
    checker = _WellFormed()
    checker.feed(html)
    checker.close()
    assert checker.open == []


def _spy_fast_cut(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each call of the plugin's search_cut: whether it cut the playbill. Every playbill
    given to it must be well formed, as the fast cut assumes (checked here on every
    playbill of the builds below)."""
    calls: list[bool] = []
    original = plugin_module.search_cut

    def spy(html: str) -> str | None:
        _assert_well_formed(html)
        result = original(html)
        calls.append(result is not None and result != html)
        return result

    monkeypatch.setattr(plugin_module, "search_cut", spy)
    return calls


def _fast_and_whole(root: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *,
                    strict: bool = False) -> tuple[dict[str, bytes], dict[str, bytes],
                                                    list[bool]]:
    """The site built as usual (with a spy on the fast cut) and with Material's search
    reading every playbill whole: their files, and the fast cut's calls."""
    with monkeypatch.context() as patch:
        calls = _spy_fast_cut(patch)
        fast = build_site(root, site_dir=out / "fast", strict=strict)
    with monkeypatch.context() as patch:
        patch.setattr(plugin_module, "uses_materials_search_only", lambda config: False)
        whole = build_site(root, site_dir=out / "whole", strict=strict)
    assert fast.warnings == whole.warnings
    return _site_files(fast.site_dir), _site_files(whole.site_dir), calls


def _assert_same_sites(fast: dict[str, bytes], whole: dict[str, bytes]) -> None:
    assert fast.keys() == whole.keys()
    assert fast["search/search_index.json"] == whole["search/search_index.json"]
    assert [name for name in fast if fast[name] != whole[name]] == []


def test_example_site_index_is_the_same_with_the_fast_cut(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    root = tmp_path / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    fast, whole, calls = _fast_and_whole(root, tmp_path, monkeypatch, strict=True)
    playbills = sum(1 for name in fast if name.startswith("incidents/")
                    and name.endswith("/index.html") and b"pmt-playbill" in fast[name])
    assert playbills > 3 and len(calls) == playbills and all(calls)
    _assert_same_sites(fast, whole)


def test_generated_site_of_200_index_is_the_same_with_the_fast_cut(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str) -> None:
    root = write_site(tmp_path / "generated", 200)
    appended: list[tuple[int, int]] = []

    def spy(html: str, block: str) -> str | None:
        cut = appended_cut(html, block)
        appended.append((len(html), len(cut or html)))
        return cut

    monkeypatch.setattr(plugin_module, "appended_cut", spy)
    read: dict[str, int] = {}
    original = SearchIndex.add_entry_from_context

    def reading(self: SearchIndex, page: object) -> None:
        # The first build is the usual one (the second reads every page whole).
        read.setdefault(page.file.src_uri, len(page.content))  # type: ignore[attr-defined]
        original(self, page)

    monkeypatch.setattr(SearchIndex, "add_entry_from_context", reading)
    fast, whole, calls = _fast_and_whole(root, tmp_path, monkeypatch)
    assert len(calls) == 200 and all(calls)
    # The catalogue pages, excluded from Material's search, reach it empty (and are
    # published whole: the sites are compared below).
    assert sorted(src for src, size in read.items() if size == 0) == [
        f"incidents/{name}.md" for name in
        ("action-items", "hall-of-fame", "index", "metrics", "themes")]
    # The runbook every incident names: Material read it without its 200-line block.
    [(full, read)] = appended
    assert read < full / 5
    runbook = fast["runbooks/api-latency/index.html"].decode()
    assert runbook.count('class="pmt-id"') == 200
    index = json.loads(fast["search/search_index.json"])
    assert sum(doc["location"].startswith("incidents/inc-") for doc in index["docs"]) >= 800
    _assert_same_sites(fast, whole)


def _hostile_site(site: SiteFactory) -> None:
    site.incident("one.yaml", STAMPEDE + textwrap.dedent('''\
        impact: |
          ## Impact heading {: #mine }

          data-search-exclude <h2 id="x">not a tag</h2> <section data-search-exclude>
        cast:
          - role: On-Call Engineer
            actor: "@quillback"
            notes: |
              ### A heading in a skipped section

              words after it
        review:
          root_causes:
            - "# not a heading <div data-search-exclude>x</div>"
          contributing_factors:
            - "## also not one"
        '''))
    site.incident("two.yaml", STAMPEDE.replace("INC-1", "INC-2").replace(
        "summary: Something broke and we fixed it.\n", "") + textwrap.dedent('''\
        summary: |
          ## Summary heading

          kept *words* `data-search-exclude` [link](https://e.test/){: title="<section>" }
        impact: |
          !!! note "An admonition: a div in the skipped impact div"
              boxed words

          after the box
        '''))
    site.incident("three.yaml", STAMPEDE.replace("INC-1", "INC-3") + textwrap.dedent('''\
        impact: "*a*   [x](https://e.test/){: .linenodiv }   word"
        '''))


def test_hostile_text_gives_the_same_index_with_the_fast_cut(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    _hostile_site(site)
    site.build()  # writes mkdocs.yml
    fast, whole, calls = _fast_and_whole(site.root, site.root.parent, monkeypatch)
    assert len(calls) == 3 and calls.count(True) >= 1  # some left to search_slim
    index = fast["search/search_index.json"].decode()
    assert "Summary heading" in index and "@quillback" not in index
    _assert_same_sites(fast, whole)


def test_fast_cut_is_not_used_for_overridden_templates_or_raw_html(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    _hostile_site(site)
    # An override may write markup the fast cut would read wrong: an element left open
    # makes the parser ignore the end tag of the skipped <div>, and skip what follows.
    playbill = (REPO / "mkdocs_pmtheater" / "templates" / "pmtheater" / "playbill.html")
    site.page("../overrides/pmtheater/playbill.html", playbill.read_text().replace(
        '{% include "pmtheater/partials/cast.html" %}',
        '<div data-search-exclude class="overridden"><span>x</div>\n'
        '{% include "pmtheater/partials/cast.html" %}'))
    site.config["theme"]["custom_dir"] = "overrides"
    site.build()
    fast, whole, calls = _fast_and_whole(site.root, site.root.parent / "a", monkeypatch)
    assert calls == []
    assert b'class="overridden"' in fast["incidents/inc-1/index.html"]
    _assert_same_sites(fast, whole)
    del site.config["theme"]["custom_dir"]
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": True}}]
    site.build()
    fast, whole, calls = _fast_and_whole(site.root, site.root.parent / "b", monkeypatch)
    assert calls == []
    _assert_same_sites(fast, whole)


def test_a_replaced_icon_counts_as_an_override(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The awards partial includes Material's trophy icon through the theme's loader: a
    # custom_dir's own copy is markup of the site's in every playbill with an award, so
    # neither fast cut (Material's search, Pagefind's copies) may assume its shape.
    site.page("../overrides/.icons/material/trophy-outline.svg",
              '<svg viewBox="0 0 24 24"><title>Trophy</title>'
              '<g data-search-exclude><span>x</g><path d="M1 1"/></svg>')
    site.config["theme"]["custom_dir"] = "overrides"
    site.incident("one.yaml", STAMPEDE + textwrap.dedent('''\
        awards:
          - award: Calm Under Fire
            recipient: "@priya"
        '''))
    cut = _copies_cut(monkeypatch)
    site.build(strict=True)
    assert cut == [False]
    fast, whole, calls = _fast_and_whole(site.root, site.root.parent / "icons", monkeypatch)
    assert calls == []
    assert b"<title>Trophy</title>" in fast["incidents/inc-1/index.html"]
    _assert_same_sites(fast, whole)


def test_a_playbill_another_plugin_changed_goes_to_search_slim(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    _hostile_site(site)
    # Malformed, as another plugin may write: the <span> left open makes the parser
    # ignore </div> and skip the rest; cut by the fast cut, "hooked" would be indexed.
    site.page("../hooks.py", '''
        def on_page_content(html, page, config, files):
            if 'data-pmt-incident="INC-2"' in html:
                return html + '<div data-search-exclude><span>x</div><p>hooked</p>'
            return html
        ''')
    site.config["hooks"] = ["hooks.py"]
    site.build()
    fast, whole, calls = _fast_and_whole(site.root, site.root.parent, monkeypatch)
    assert len(calls) == 2  # INC-2 changed after rendering: never given to the fast cut
    assert b"hooked" in fast["incidents/inc-2/index.html"]
    assert b"hooked" not in fast["search/search_index.json"]
    _assert_same_sites(fast, whole)


USED_IN = """
<section class="pmt-used-in" aria-labelledby="pmt-used-in" lang="en" dir="ltr" data-search-exclude>
  <h2 id="pmt-used-in" data-search-exclude>Incidents that used this page</h2>
  <ul class="pmt-used-in-list">
""" + "".join(f"""    <li>
      <time datetime="2024-0{n % 9 + 1}-01T10:00:00+00:00">2024-0{n % 9 + 1}-01</time>
      <span class="pmt-severity pmt-sev-1">SEV1</span>
      <a href="../../incidents/inc-{n}/" dir="auto"><span class="pmt-id">INC-{n}</span>: \
Cache &amp; queue &lt;h2 id=&#34;x&#34;&gt; {n}</a>
      <span class="pmt-status pmt-status-draft">draft</span>
    </li>
""" for n in range(12)) + """  </ul>
</section>
"""
"""A block as ``used-in.html`` writes it (escaped titles, a status)."""


@pytest.mark.parametrize("own", [
    "<h1 id=\"runbook\">Runbook</h1>\n<p>Restart the <code>api</code>.</p>",
    "<h2 id=\"steps\">Steps</h2><ul><li>one</li><li>two",  # open elements
    "<div data-search-exclude><p>skipped, left open</p>",
    "<section data-search-exclude><h3 id=\"s\" data-search-exclude>x</h3>",
    "<pre><code>kept as typed",
    "<p>text &amp; more</p>\n\n",
    "",
])
def test_a_block_appended_to_any_page_gives_the_same_entries_cut(own: str) -> None:
    """Runbooks get "Incidents that used this page" appended; Material's search reads it
    cut (appended_cut) when the page's own markup leaves the parser at a tag boundary:
    the entries are those of the whole page, whatever is left open before the block."""
    html = own + USED_IN
    cut = appended_cut(html, USED_IN)
    assert cut is not None and len(cut) < len(html) / 3
    assert material_entries(cut) == material_entries(html)
    assert "Cache" not in json.dumps(material_entries(html))  # the block is left out


@pytest.mark.parametrize("own", [
    "<p>see <a href=\"../x/\" title=\"unfinished",  # a tag not finished: the block's
    "<p>see <a href=\"../x/",                      # first quote would end its value
    "<p>an unclosed <!-- comment",
    "<script>var open = 1;",
    "<style>p { color: red }",
    "<p>R&amp",  # a character reference that may go on
])
def test_a_block_after_unfinished_markup_is_read_whole(own: str) -> None:
    """Where the page's own markup leaves the tokenizer inside something, the block would
    be read as other tokens: Material's parser gets the page whole."""
    assert appended_cut(own + USED_IN, USED_IN) is None


def test_appended_cut_needs_the_block_at_the_end_and_the_larger_part() -> None:
    assert appended_cut(USED_IN + "<p>added by a hook</p>", USED_IN) is None
    assert appended_cut("<p>long</p>" * 500 + USED_IN, USED_IN) is None  # not worth it
    assert appended_cut("<p>x</p>" + USED_IN, "") is None


def _incidents_using_runbook(site: SiteFactory) -> None:
    """Eight incidents whose prop names ``runbook.md``: it gets their used-in block."""
    for n in range(8):
        site.incident(f"inc{n}.yaml", STAMPEDE.replace("INC-1", f"INC-{n}") + textwrap.dedent('''\
            setting:
              props:
                - name: Runbook
                  kind: runbook
                  page: runbook.md
            '''))


def test_a_runbook_leaving_an_excluded_span_open_gives_the_same_index_cut(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runbook heading whose ``<span data-search-exclude>`` is never closed: Material's
    parser ignores the heading's ``</h2>`` and skips the rest of the page. The block's own
    ``</span>`` then ends the skip (the parser compares skipped elements by name), and
    the whitespace after the block lands in the heading's title: an empty title, not the
    page's. The cut block holds no ``</span>``: the index must still be the whole page's."""
    _incidents_using_runbook(site)
    site.page("runbook.md", "# Runbook\n\n## <span data-search-exclude>Internal notes\n\nsteps\n")
    site.build()
    fast, whole, _ = _fast_and_whole(site.root, site.root.parent, monkeypatch)
    assert b"pmt-used-in" in fast["runbook/index.html"]
    _assert_same_sites(fast, whole)


def test_a_hook_changing_pages_in_page_context_is_published_as_without_the_cut(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hook (priority 0, between the plugin's two page_context steps) that changes a
    page's body: a runbook whose block was cut and a page excluded from search (which
    reach search empty) must be published with the hook's change, as they are when
    Material's search reads them whole."""
    _incidents_using_runbook(site)
    site.page("runbook.md", "# Runbook\n\nsteps\n")
    site.page("private.md", "---\nsearch:\n  exclude: true\n---\n# Private\n\nwords\n")
    site.page("../hooks.py", '''
        def on_page_context(context, page, config, nav):
            page.content = (page.content or "") + '<p class="hooked">hooked</p>'
            return context
        ''')
    site.config["hooks"] = ["hooks.py"]
    site.build()
    fast, whole, _ = _fast_and_whole(site.root, site.root.parent, monkeypatch)
    for name in ("runbook/index.html", "private/index.html", "incidents/index.html"):
        assert b'class="hooked"' in whole[name]
        assert b'class="hooked"' in fast[name], name
    _assert_same_sites(fast, whole)


def test_a_runbook_whose_text_opens_a_data_search_value_is_published_as_whole(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Material's search plugin removes ``data-search-*="..."`` from the page it read, by a
    regular expression that reads text too: a runbook's own words ``data-search-weight="``
    with no closing quote reach into the appended block, up to its first quote. The page
    is published as Material leaves it when it reads the whole page; the cut block, which
    holds no quote, must not make it publish the page otherwise."""
    _incidents_using_runbook(site)
    site.page("runbook.md", '# Runbook\n\nSet data-search-weight="high on the box.\n')
    site.build()
    fast, whole, _ = _fast_and_whole(site.root, site.root.parent, monkeypatch)
    _assert_same_sites(fast, whole)
