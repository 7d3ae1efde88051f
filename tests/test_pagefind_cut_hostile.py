"""Pagefind's streamed copies, cut (``fulltext.pagefind_cut``) or not, against the
written site: the example site made hostile (a theme in another language, runbooks whose
titles, HTML text to MkDocs, reach "Referenced by" as they are, incident text next to
ignored elements of the packaged partials); page titles that make Pagefind read the
written page's body as text; a hook that changes playbills after the plugin."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, REPO, SiteFactory, build_site
from test_build_speed import (
    STAMPEDE,
    _bundle,
    _copies_cut,
    _count_site_indexing,
    _index_the_written_site,
)

from mkdocs_pmtheater.publish import fulltext

RUNBOOK_TITLES = ["x <section foo", "y </section z", "a < b > c data-pagefind-ignore",
                  "&lt;div data-pagefind-ignore&gt; d"]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_hostile_example_site_gives_the_written_sites_bundle_cut(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str,
        language: str) -> None:
    root = tmp_path / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site", ".cache"))
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  name: material\n",
                                   f"  name: material\n  language: {language}\n", 1),
                      encoding="utf-8")
    for number, title in enumerate(RUNBOOK_TITLES):
        (root / "docs" / "runbooks" / f"odd-{number}.md").write_text(
            f"---\ntitle: '{title}'\n---\n\n[it](incident:INC-2024-031) "
            f"[that](incident:INC-2025-034)\n", encoding="utf-8")
    hostile = "glued</td>zz<span data-pagefind-ignore>q</span>zz `</p>` data-pagefind-ignore"
    for path in (root / "docs" / "incidents").rglob("*.yaml"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"^director: .*$", 'director: "@sam <section data-pagefind-ignore>"',
                        source, flags=re.M)
        source = re.sub(r"^(    observation: )([^\"'|>].*)$",
                        lambda m: f"{m.group(1)}{m.group(2).rstrip()} zz", source, flags=re.M)
        source = re.sub(r"^(    belief: )([^\"'|>].*)$",
                        lambda m: f"{m.group(1)}{hostile} {m.group(2)}", source, flags=re.M)
        path.write_text(source, encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(tmp_path / "tmp"))
    cut = _copies_cut(monkeypatch)
    calls = _count_site_indexing(monkeypatch)
    streamed = build_site(root, site_dir=tmp_path / "streamed")
    assert cut and all(cut) and calls == []
    _index_the_written_site(monkeypatch)
    written = build_site(root, site_dir=tmp_path / "written")
    assert len(calls) == 1
    assert streamed.warnings == written.warnings
    assert _bundle(streamed.site_dir) == _bundle(written.site_dir)
    playbill = (written.site_dir / "incidents/inc-2024-031/index.html").read_text("utf-8")
    assert "x <section foo" in playbill  # "Referenced by" holds the titles as they are


@pytest.mark.parametrize("in_nav", [True, False], ids=["in-nav", "not-in-nav"])
@pytest.mark.parametrize("title", ["<title t", "a <!-- b", "<textarea"])
def test_a_page_title_that_leaves_text_open_sends_pagefind_to_the_written_site(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch, title: str,
        in_nav: bool) -> None:
    """MkDocs writes page titles as HTML: the theme puts them in the navigation, before
    every playbill's body, and "Referenced by" at the end of the body. One that opens
    RCDATA, a comment or raw text makes Pagefind read the written playbill as text, or
    the end of the page as the body's. A copy (the body alone) must not stand in."""
    site.incident("one.yaml", STAMPEDE + "services: [checkout]\ntags: [cache]\n")
    site.page("index.md", "# Home\n")
    site.page("runbooks/odd.md", f"---\ntitle: '{title}'\n---\n\n[it](incident:INC-1)\n")
    if not in_nav:
        site.config["nav"] = [{"Home": "index.md"}]
    (site.root / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(site.root / "tmp"))
    calls = _count_site_indexing(monkeypatch)
    streamed = site.build()
    playbill = (streamed.site_dir / "incidents/inc-1/index.html").read_text("utf-8")
    assert playbill.count(title) == (2 if in_nav else 1)  # as it is, in the body at least
    _index_the_written_site(monkeypatch)
    written = build_site(site.root, site_dir=site.root / "written")
    assert _any_bundle(streamed.site_dir) == _any_bundle(written.site_dir)
    assert len(calls) == 2  # the streamed build indexed the written site too


def _any_bundle(site_dir: Path) -> tuple[dict[str, bytes], list[bytes], dict]:
    """:func:`_bundle`, also of a bundle with no filter (none indexed, or no page)."""
    if not (site_dir / "pagefind" / "filter").is_dir():
        (site_dir / "pagefind" / "filter").mkdir()
    return _bundle(site_dir)


HOOKS = {
    # Another plugin's change: the body is no longer the one the plugin rendered.
    "changed": ("html.replace(' data-pagefind-ignore>', '>', 3)", False),
    # The same text in a new string: still the rendered body, cut.
    "same text": ("''.join(list(html))", True),
}


@pytest.mark.parametrize("hook", list(HOOKS))
def test_a_hook_after_the_plugin_decides_the_cut(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch, hook: str) -> None:
    change, cut_expected = HOOKS[hook]
    site.page("../hooks.py", f"""
        def on_page_content(html, page, config, files):
            return {change} if page.file.src_uri.startswith("incidents/inc-") else html
        """)
    site.config["hooks"] = ["hooks.py"]
    site.incident("one.yaml", STAMPEDE + textwrap.dedent('''\
        director: "@sam"
        cast:
          - role: On-Call Engineer
            actor: "@quillback"
        timeline:
          - at: 2024-03-14T14:05:00Z
            character: On-Call Engineer
            action: paged
            observation: alpha observed
            belief: beta believed
        review:
          five_whys:
            - why: gamma why
              because: delta because
        '''))
    (site.root / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(site.root / "tmp"))
    cut = _copies_cut(monkeypatch)
    calls = _count_site_indexing(monkeypatch)
    streamed = site.build()
    assert cut == [cut_expected] and calls == []
    _index_the_written_site(monkeypatch)
    written = build_site(site.root, site_dir=site.root / "written")
    assert len(calls) == 1
    assert _any_bundle(streamed.site_dir) == _any_bundle(written.site_dir)


def test_an_icon_of_the_sites_own_holding_markup_in_its_title_is_not_cut(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The awards partial includes Material's trophy icon through the theme's loader, so
    a ``custom_dir`` may replace it (no template under ``pmtheater/`` says so). Pagefind
    reads ``<title>`` as RCDATA, inside ``<svg>`` too: tags in it are text, and one
    that the cut takes for an ignored element must leave the body whole."""
    site.page("../overrides/.icons/material/trophy-outline.svg",
              '<svg viewBox="0 0 24 24"><title>Trophy<span data-pagefind-ignore>'
              "</title><path d=\"M1 1\"/></svg>")
    site.config["theme"]["custom_dir"] = "overrides"
    site.incident("one.yaml", STAMPEDE + textwrap.dedent('''\
        services: [checkout]
        awards:
          - award: Calm Under Fire
            recipient: "@priya"
            citation: kept the bridge focused
        '''))
    (site.root / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(site.root / "tmp"))
    calls = _count_site_indexing(monkeypatch)
    streamed = site.build()
    assert calls == []
    playbill = (streamed.site_dir / "incidents/inc-1/index.html").read_text("utf-8")
    assert "Trophy<span data-pagefind-ignore></title>" in playbill
    _index_the_written_site(monkeypatch)
    written = build_site(site.root, site_dir=site.root / "written")
    assert len(calls) == 1
    assert _any_bundle(streamed.site_dir) == _any_bundle(written.site_dir)
