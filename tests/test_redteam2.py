"""Hostile review of issue #12's speed and memory mechanisms (second red team).

Each test here failed before the fix it names; they build real sites where the defect
shows on a published file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from material.plugins.search.plugin import SearchIndex

import mkdocs_pmtheater.plugin.plugin as plugin_module
from mkdocs_pmtheater.render.searchslim import search_slim
from tests.conftest import SiteFactory
from tests.test_build_speed import _bundle, _count_site_indexing


def _incident_index(site: SiteFactory, monkeypatch: pytest.MonkeyPatch, *, slim: bool
                    ) -> list[dict]:
    with monkeypatch.context() as patch:
        if not slim:  # how tests/test_build_speed.py turns slimming off
            patch.setattr(plugin_module, "uses_materials_search_only", lambda config: False)
        built = site.build(strict=True)
    index = json.loads((built.site_dir / "search" / "search_index.json").read_text("utf-8"))
    return [doc for doc in index["docs"] if doc["location"].startswith("incidents/inc-1/")]


def test_slim_search_input_keeps_whitespace_around_a_cut_element(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """searchslim.py cut an element Material skips (here ``class="linenodiv"``, which an
    author may set with attr_list) and so joined the text either side of it into one
    piece of data, whose whitespace Material's parser collapses differently: the index
    said "a      word" where the whole page gives "a    word"."""
    site.incident("one.yaml", """
        id: INC-1
        title: Cache stampede
        severity: SEV3
        started_at: 2024-03-14T14:02:00Z
        summary: "*a*   [x](https://e.test/){: .linenodiv }   word"
        """)
    slim = _incident_index(site, monkeypatch, slim=True)
    whole = _incident_index(site, monkeypatch, slim=False)
    assert any("word" in doc["text"] for doc in whole)
    assert slim == whole


@pytest.mark.parametrize("attributes", [
    "DATA-SEARCH-EXCLUDE", 'Data-Search-Exclude=""', 'class="&#108;inenodiv"',
    'CLASS="linenodiv"'])
def test_slim_search_input_reads_attributes_as_the_parser_does(attributes: str) -> None:
    """The parser lowercases attribute names and unescapes values; the scan's prefilter
    did neither, so its skip set fell behind the parser's and it cut an element whose
    removal un-skipped the text after it ("shown" vanished from the slim index)."""
    html = (f'<h1 id="t">T</h1><div {attributes}><div data-search-exclude>x</div>'
            'hidden</div><p>shown</p>')

    def entries(text: str) -> list[dict]:
        index = SearchIndex()
        page = type("P", (), {"meta": {}, "content": text, "toc": [], "url": "p/",
                              "title": "Page"})()
        index.add_entry_from_context(page)
        return index.entries

    slim = search_slim(html)
    assert entries(html if slim is None else slim) == entries(html)


_LINKED = (
    "id: INC-{n}\n"
    "title: T\n"
    "severity: SEV3\n"
    "started_at: 2024-03-14T14:02:00Z\n"
    "summary: x\n"
    "timeline:\n"
    "  - at: 2024-03-14T14:05:00Z\n"
    "    action: fine\n"
    "  - at: 2024-03-14T14:06:00Z\n"
    '    action: "caf\\u00e9 \U0001F600\\tsee [gone](incident:INC-404) now"\n'
)


def test_a_late_link_problem_is_placed_at_the_link_in_every_encoding(
        site: SiteFactory) -> None:
    """A broken link found while rendering is placed by reading the file's bytes again
    (loader.py's lazy source map). Those bytes were decoded as UTF-8 and split at LF only:
    in a UTF-16 file or one with lone-CR line ends the link was never found, and the
    warning named the start of its field (10:13) instead of the link (10:38)."""
    encodings = {
        "utf8": lambda text: text.encode("utf-8"),
        "bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
        "cr": lambda text: text.replace("\n", "\r").encode("utf-8"),
        "utf16le": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
        "utf16be": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    }
    for n, (name, encode) in enumerate(encodings.items(), start=1):
        site.incident(f"{name}.yaml", encode(_LINKED.format(n=n)))
    built = site.build()
    places = {}
    for warning in built.warnings:
        if "INC-404" in warning:
            name, line, column = re.search(r"incidents/(\w+)\.yaml:(\d+):(\d+)",
                                           warning).groups()
            places[name] = (int(line), int(column))
    assert places == dict.fromkeys(encodings, (10, 38))


def test_incident_text_naming_a_pagefind_attribute_keeps_pagefind_on_the_copies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PlaybillCopies.confirm counted the words "data-pagefind-" in the page and in the
    body: a summary saying them (repeated by the theme in <meta name="description">)
    made every build of the site index the written pages after the build instead of the
    copies beside it. Only an attribute outside the body should, and the bundle made on
    the copies is the written site's."""
    def write(root: Path) -> SiteFactory:
        site = SiteFactory(root)
        site.incident("one.yaml", """
            id: INC-1
            title: Zebraquux
            severity: SEV3
            started_at: 2024-03-14T14:02:00Z
            summary: "Xylophonic words: data-pagefind-ignore=\\"all\\" and data-pagefind-body."
            """)
        return site

    calls = _count_site_indexing(monkeypatch)
    copies = write(tmp_path / "copies").build(strict=True)
    assert calls == []  # Pagefind ran on the copies
    description = copies.html("incidents/inc-1/").find("meta", attrs={"name": "description"})
    assert "data-pagefind-body" in description["content"]
    monkeypatch.setattr(plugin_module.PmTheaterPlugin, "_playbill_copies",
                        lambda self, files, config: None)
    written = write(tmp_path / "written").build(strict=True)
    assert len(calls) == 1
    assert _bundle(copies.site_dir) == _bundle(written.site_dir)
    assert _bundle(copies.site_dir)[2] == {"en": 1}
