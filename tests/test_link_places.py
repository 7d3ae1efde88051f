"""Incident links work, or are reported, in every place they can be written.

Places: incident Markdown on the playbill and on the hall of fame (each relative
to its own page), a prop's ``page``, raw HTML in hand-written pages, and raw HTML
in incident Markdown when the site allows it. Every case is a real build; every
link is followed to the file it names in the built site.
"""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import BuiltSite, SiteFactory, minimal_incident

CITING = minimal_incident("INC-1", "The citing one") + """
awards:
  - award: Calm Under Fire
    recipient: "@priya"
    citation: >-
      Followed [the plan](incident:INC-2#AI-1) of [the other one](../2023/other.yaml),
      the [runbook](../../runbooks/cache.md#step-2) and [the top](incident:inc-2),
      not [a ghost](incident:INC-404) nor [a lost page](../../runbooks/lost.md).
setting:
  props:
    - {name: The other write-up, kind: document, page: incidents/2023/other.yaml}
    - {name: A broken write-up, kind: document, page: incidents/2023/broken.yaml}
    - {name: The runbook, kind: runbook, page: runbooks/cache.md}
"""
OTHER = minimal_incident("INC-2", "The other one") + """
action_items:
  - {id: AI-1, title: Write the plan, owner: "@lena", due: 2024-05-01}
"""
BROKEN = minimal_incident("INC-3", "Broken") + "sumary: typo\n"
GOOD_TARGETS = [  # (words, the file each link must lead to in the built site, fragment)
    ("the plan", "incidents/inc-2/index.html", "ai-1"),
    ("the other one", "incidents/inc-2/index.html", ""),
    ("runbook", "runbooks/cache/index.html", "step-2"),
    ("the top", "incidents/inc-2/index.html", ""),
]


def citing_site(site: SiteFactory) -> None:
    site.incident("2024/citing.yaml", CITING)
    site.incident("2023/other.yaml", OTHER)
    site.incident("2023/broken.yaml", BROKEN)
    site.page("runbooks/cache.md", "# Cache\n\n## Step 2\n\nDo it.\n")


def target(built: BuiltSite, page_url: str, href: str) -> tuple[str, str]:
    """The file (relative to site_dir) and fragment that ``href`` on ``page_url`` leads to."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, href
    folder = page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/"
    path = posixpath.normpath(posixpath.join(folder, parts.path))
    if href.split("#")[0].endswith("/") or parts.path == "":
        path = posixpath.join(path, "index.html")
    assert (built.site_dir / path).is_file(), f"{href} on {page_url} leads to no file ({path})"
    return path, parts.fragment


def citation_links(built: BuiltSite, url: str) -> list[tuple[str, str | None]]:
    return [(a.get_text(), a.get("href")) for a in
            built.html(url).select(".pmt-award-citation a")]


def assert_citations(built: BuiltSite, url: str) -> None:
    links = dict(citation_links(built, url))
    for words, file, fragment in GOOD_TARGETS:
        assert target(built, url, links[words]) == (file, fragment), (url, words, links)
        if fragment:
            ids = [t.get("id") for t in BeautifulSoup((built.site_dir / file).read_text(),
                                                        "html.parser").find_all(id=True)]
            assert fragment in ids, f"#{fragment} is no anchor of {file}"
    assert links["a ghost"] is None and links["a lost page"] is None, links
    page = built.html(url)
    broken = [a.get_text() for a in page.select(".pmt-award-citation a.pmt-broken-link")]
    assert broken == ["a ghost", "a lost page"], "dead links keep their words"


def test_citations_resolve_on_the_playbill_and_the_hall_of_fame(site: SiteFactory) -> None:
    citing_site(site)
    built = site.build()
    assert_citations(built, "incidents/inc-1/")
    assert_citations(built, "incidents/hall-of-fame/")
    # Each dead link is reported once, at the incident file's line, column and field.
    ours = [w for w in built.warnings if "citing.yaml" in w]
    assert len(ours) == 3, ours  # the ghost, the lost page, the broken write-up prop
    assert any(w.startswith("mkdocs_pmtheater: docs/incidents/2024/citing.yaml:13:21: "
                            "awards[0].citation: link 'incident:INC-404': No incident has "
                            "the id 'INC-404'") for w in ours), ours
    assert any(w.startswith("mkdocs_pmtheater: docs/incidents/2024/citing.yaml:13:57: "
                            "awards[0].citation: link '../../runbooks/lost.md': There is no "
                            "file runbooks/lost.md in this site") for w in ours), ours
    # The hall of fame is not a page that "references" the incidents it lists.
    refs = [a.get_text() for a in built.html("incidents/inc-2/").select(
        "section.pmt-referenced-by a")]
    assert refs == ["INC-1: The citing one"]


def test_citations_follow_the_url_style(site: SiteFactory) -> None:
    site.config["use_directory_urls"] = False
    citing_site(site)
    built = site.build()
    for url in ("incidents/inc-1.html", "incidents/hall-of-fame.html"):
        links = dict(citation_links(built, url))
        assert links["the plan"] == "inc-2.html#ai-1"
        assert links["runbook"] == "../runbooks/cache.html#step-2"
        assert target(built, url, links["the other one"]) == ("incidents/inc-2.html", "")


def test_a_prop_naming_an_incident_file_links_to_its_playbill(site: SiteFactory) -> None:
    citing_site(site)
    built = site.build()
    props = built.html("incidents/inc-1/").select(".pmt-props li")
    by_name = {li.select_one(".pmt-prop-name").get_text(): li.select_one(".pmt-prop-page")
               for li in props}
    assert by_name["The other write-up"]["href"] == "../inc-2/"
    assert target(built, "incidents/inc-1/", "../inc-2/")[0] == "incidents/inc-2/index.html"
    assert by_name["The runbook"]["href"] == "../../runbooks/cache/"
    broken = by_name["A broken write-up"]
    assert broken.name == "span" and broken.get_text() == "incidents/2023/broken.yaml"
    assert 'href="None"' not in (built.site_dir / "incidents/inc-1/index.html").read_text()
    assert built.warnings_about(
        "docs/incidents/2024/citing.yaml:17:55: setting.props[1].page: The incident file "
        "docs/incidents/2023/broken.yaml has problems, so it has no page; the prop is shown "
        "without a link")
    assert built.exists("incidents/inc-1/"), "the incident naming it is still published"


def test_a_prop_naming_a_hidden_draft(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"drafts": "hide"}}]
    site.incident("a.yaml", minimal_incident("INC-1") + (
        "setting:\n  props:\n    - {name: Draft, page: incidents/b.yaml}\n"))
    site.incident("b.yaml", minimal_incident("INC-2") + "status: draft\n")
    built = site.build()
    assert built.warnings_about("docs/incidents/a.yaml:8:27: setting.props[0].page: The "
                                "incident INC-2 is a draft, and this site hides drafts")
    assert built.html("incidents/inc-1/").select_one(".pmt-prop-page").name == "span"


RAW_PAGE = """
# Runbook

<p>Raw <a href="incident:INC-2#AI-1" title="the plan">the plan</a>,
<A HREF='../incidents/2023/other.yaml' class="x">its file</A>,
<a href="incident:INC-404">a ghost</a> and <a href="https://example.com/x.yaml">away</a>.</p>

<div markdown="1">[Markdown inside HTML](incident:INC-2)</div>

```html
<a href="incident:INC-404">in code: left as written</a>
```
"""


def test_raw_html_links_in_pages(site: SiteFactory) -> None:
    site.config["markdown_extensions"] = [*site.config["markdown_extensions"], "fenced_code"]
    site.incident("2023/other.yaml", OTHER)
    site.page("runbooks/raw.md", RAW_PAGE)
    built = site.build()
    page = built.html("runbooks/raw/")
    links = {a.get_text(): a for a in page.select("article a") if a.get_text()}
    assert links["the plan"]["href"] == "../../incidents/inc-2/#ai-1"
    assert links["the plan"]["title"] == "the plan"
    assert links["its file"]["href"] == "../../incidents/inc-2/"
    assert links["its file"]["class"] == ["x", "pmt-incident-link"]
    assert links["a ghost"].get("href") is None
    assert links["a ghost"]["class"] == ["pmt-broken-link"]
    assert links["away"]["href"] == "https://example.com/x.yaml"
    assert links["Markdown inside HTML"]["href"] == "../../incidents/inc-2/"
    code = page.select_one("pre code").get_text()
    assert '<a href="incident:INC-404">in code: left as written</a>' in code
    assert built.warnings_about("docs/runbooks/raw.md:6:10: link 'incident:INC-404': No "
                                "incident has the id 'INC-404'")
    assert len(built.warnings_about("INC-404")) == 1, "the code block is not a link"
    refs = [a.get_text() for a in built.html("incidents/inc-2/").select(
        "section.pmt-referenced-by a")]
    assert refs == ["Runbook"], "raw links count as backlinks"


def test_raw_html_in_incident_text_when_the_site_allows_it(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": True}}]
    site.incident("2023/other.yaml", OTHER)
    site.incident("2024/raw.yaml", minimal_incident("INC-5", "Raw").replace(
        "summary: Something broke and we fixed it.",
        "summary: 'See <a href=\"incident:INC-2#AI-1\">the plan</a> and "
        "<a href=\"../2023/other.yaml\">its file</a>.'") + (
        "awards:\n  - award: A\n    recipient: B\n"
        "    citation: '<a href=\"incident:INC-2\">raw citation</a>'\n"))
    built = site.build(strict=True)
    summary = {a.get_text(): a["href"] for a in built.html("incidents/inc-5/").select(
        ".pmt-summary a")}
    assert summary == {"the plan": "../inc-2/#ai-1", "its file": "../inc-2/"}
    hall = {a.get_text(): a["href"] for a in built.html("incidents/hall-of-fame/").select(
        ".pmt-award-citation a")}
    assert hall == {"raw citation": "../inc-2/"}


@pytest.mark.parametrize("allow_html", [False, True])
def test_no_incident_link_is_left_raw_anywhere(site: SiteFactory, allow_html: bool) -> None:
    """Every HTML page and data file of the site, including the board, the index and the
    feeds, which show incident text as plain words."""
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": allow_html}}]
    citing_site(site)
    site.incident("2023/notes.yaml", minimal_incident("INC-6", "Notes").replace(
        "summary: Something broke and we fixed it.",
        "summary: Like [the other one](incident:INC-2) and [its file](other.yaml).") + (
        "action_items:\n  - {id: AI-1, title: T, owner: '@x', due: 2024-05-01,\n"
        "     notes: 'See [the plan](incident:INC-2#AI-1)'}\n"))
    site.page("runbooks/raw.md", RAW_PAGE.split("```")[0])
    built = site.build()
    pages = list(built.site_dir.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for a in soup.find_all(href=True):
            href = a["href"].lower()
            assert not href.startswith("incident:"), (path, a)
            assert not urlsplit(href).path.endswith((".yaml", ".yml")) or "://" in href, (
                path, a)
    for name in ("feed.xml", "incidents.json", "action-items.ics"):
        text = (built.site_dir / "incidents" / name).read_text(encoding="utf-8")
        if name == "incidents.json":
            assert "incident:INC-2" in text, "the data keeps the Markdown as written"
        else:
            assert "incident:" not in text.lower(), name


def test_action_item_anchors_never_take_an_anchor_of_the_page(site: SiteFactory) -> None:
    site.incident("a.yaml", """
        id: INC-9
        title: Items named like sections
        severity: SEV3
        started_at: 2024-03-14T14:02:00Z
        summary: See [the rollback item](incident:INC-9#rollback) and [impact](#ai-impact).
        impact: Checkout was slow.
        action_items:
          - {id: impact, title: Measure the impact, owner: "@a", due: 2030-01-01}
          - {id: rollback, title: Practise rollbacks, owner: "@a", due: 2030-01-01}
          - {id: AI-3, title: Keep the old style, owner: "@a", due: 2030-01-01}
        """)
    built = site.build(strict=True)
    soup = built.html("incidents/inc-9/")
    ids = [tag["id"] for tag in soup.select("[id]")]
    assert len(ids) == len(set(ids)), "duplicate ids on the playbill"
    assert soup.select_one("tr#ai-impact") is not None
    assert soup.select_one("tr#ai-rollback") is not None
    assert soup.select_one("tr#ai-3") is not None
    # The section keeps its own anchor.
    assert soup.select_one("#impact").name != "tr"
    links = {a.get_text(): a["href"] for a in soup.select(".pmt-story a")}
    assert links["the rollback item"].endswith("#ai-rollback")
