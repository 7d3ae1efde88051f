"""Hostile review of issue #12's speed and memory mechanisms (second red team).

Each test here failed before the fix it names; they build real sites where the defect
shows on a published file.
"""

from __future__ import annotations

import json

import pytest
from material.plugins.search.plugin import SearchIndex

import mkdocs_pmtheater.plugin.plugin as plugin_module
from mkdocs_pmtheater.render.searchslim import search_slim
from tests.conftest import SiteFactory


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
