"""Links from pages to playbills (both forms), their warnings, and the backlinks."""

from __future__ import annotations

import re

import pytest
from conftest import SiteFactory, minimal_incident
from mkdocs.exceptions import Abort

WITH_ITEMS = """
id: INC-2024-031
title: Checkout cache stampede
severity: SEV2
started_at: 2024-03-14T14:02:00Z
summary: Keys expired together.
timeline:
  - at: "14:06"
    character: On-Call Engineer
    action: Paged.
cast:
  - role: On-Call Engineer
setting:
  props:
    - name: Cache runbook
      kind: runbook
      page: runbooks/cache.md
action_items:
  - id: AI-1
    title: Add jitter
    owner: "@aiko"
    due: 2024-04-15
  - id: AI-2
    title: Coalesce requests
    owner: "@lena"
    due: 2024-05-31
"""

RUNBOOK = """
# Cache runbook

See [the stampede](incident:INC-2024-031), its item
[coalescing](incident:INC-2024-031#AI-2), the same in lower case
[here](incident:inc-2024-031#ai-2), the
[YAML write-up](../incidents/2024/checkout.yaml), a line of it
[on the repository host](../incidents/2024/checkout.yaml#L12) and
[scene one](incident:INC-2024-031#scene-1).

A reference-style [link][stampede].

[stampede]: incident:INC-2024-031

Inline code stays as written: `[x](incident:INC-2024-031)`.

```markdown
[fenced](incident:INC-2024-031) and [yaml](../incidents/2024/checkout.yaml)
```

    [indented](incident:NOPE-1)
"""


def links_site(site: SiteFactory) -> SiteFactory:
    site.incident("2024/checkout.yaml", WITH_ITEMS)
    site.page("runbooks/cache.md", RUNBOOK)
    return site


def hrefs(soup, text: str) -> list[str]:
    return [a["href"] for a in soup.select("article a[href]") if a.get_text() == text]


def test_both_link_forms_point_at_the_playbill(site: SiteFactory) -> None:
    # MkDocs checks the anchors of the rewritten links too: the playbill declares its own.
    site.config["validation"] = {"anchors": "warn", "unrecognized_links": "warn"}
    built = links_site(site).build(strict=True)
    assert built.warnings == []
    page = built.html("runbooks/cache/")
    playbill = "../../incidents/inc-2024-031/"
    assert hrefs(page, "the stampede") == [playbill]
    assert hrefs(page, "coalescing") == [playbill + "#ai-2"]
    assert hrefs(page, "here") == [playbill + "#ai-2"]
    assert hrefs(page, "YAML write-up") == [playbill]
    assert hrefs(page, "on the repository host") == [playbill]
    assert hrefs(page, "scene one") == [playbill + "#scene-1"]
    assert hrefs(page, "link") == [playbill]
    rewritten = page.select("article a.pmt-incident-link")
    assert len(rewritten) == 7
    # The anchors exist on the playbill.
    target = built.html("incidents/inc-2024-031/")
    assert target.find(id="ai-2") is not None and target.find(id="scene-1") is not None


def test_links_inside_code_are_left_alone(site: SiteFactory) -> None:
    built = links_site(site).build(strict=True)
    page = built.html("runbooks/cache/")
    codes = [c.get_text() for c in page.select("article code")]
    assert "[x](incident:INC-2024-031)" in codes
    assert any("[fenced](incident:INC-2024-031)" in c and "../incidents/2024/checkout.yaml" in c
               for c in codes)
    assert any("[indented](incident:NOPE-1)" in c for c in codes)  # and no warning about it
    assert not page.select("article code a")


def test_links_follow_the_site_url_style(site: SiteFactory) -> None:
    site.config["use_directory_urls"] = False
    built = links_site(site).build(strict=True)
    page = built.html("runbooks/cache.html")
    assert hrefs(page, "coalescing") == ["../incidents/inc-2024-031.html#ai-2"]
    assert hrefs(page, "YAML write-up") == ["../incidents/inc-2024-031.html"]


BROKEN = """
# Broken links

1. [unknown id](incident:INC-2024-013)
2. [unknown item](incident:INC-2024-031#AI-9)
3. [unknown file](../incidents/2024/chekout.yaml)
4. [file with problems](../incidents/2024/bad.yaml)
5. [hidden draft](incident:INC-DRAFT)
6. [empty](incident:)
"""

DRAFT = """
id: INC-DRAFT
title: Still being written
severity: SEV4
status: draft
started_at: 2024-02-01T10:00:00Z
summary: Not yet.
"""


def test_broken_links_are_warnings_naming_page_line_and_link(site: SiteFactory) -> None:
    links_site(site)
    site.incident("2024/bad.yaml", "id: INC-BAD\ntitle: [unclosed\n")
    site.incident("2024/draft.yaml", DRAFT)
    site.config["plugins"] = ["search", {"pmtheater": {"drafts": "hide"}}]
    site.page("runbooks/broken.md", BROKEN)
    built = site.build()
    about = [w for w in built.warnings if "docs/runbooks/broken.md" in w]
    assert len(about) == 6, built.warnings
    by_line = {re.search(r"broken.md:(\d+):", w).group(1): w.lower() for w in about}
    assert "link 'incident:inc-2024-013'" in by_line["4"]
    assert "no incident has the id 'inc-2024-013'" in by_line["4"]
    assert "did you mean 'inc-2024-031'?" in by_line["4"]
    assert "inc-2024-031 has no action item 'ai-9'" in by_line["5"]
    assert "did you mean 'ai-2'?" in by_line["5"]
    assert "there is no incident file incidents/2024/chekout.yaml" in by_line["6"]
    assert "incidents/2024/checkout.yaml" in by_line["6"]  # did you mean
    assert "has problems and is not published" in by_line["7"]
    assert "is a draft, and this site hides drafts" in by_line["8"]
    assert "names no incident" in by_line["9"]
    # Column of the link target on its line.
    assert "docs/runbooks/broken.md:4:17: link 'incident:INC-2024-013'" in about[0]
    # MkDocs itself has nothing to say about these links.
    assert not [w for w in built.warnings if "Doc file" in w]
    # The words stay, without a dead link.
    page = built.html("runbooks/broken/")
    broken = page.select("article span.pmt-broken-link")
    assert [s.get_text() for s in broken] == ["unknown id", "unknown file",
                                             "file with problems", "hidden draft", "empty"]
    # An unknown item of a known incident still leads to the incident.
    assert hrefs(page, "unknown item") == ["../../incidents/inc-2024-031/"]


def test_broken_link_fails_a_strict_build(site: SiteFactory) -> None:
    site.incident("inc-1.yaml", minimal_incident("INC-1"))
    site.page("runbook.md", "# Runbook\n\n[gone](incident:INC-2)\n")
    with pytest.raises(Abort):
        site.build(strict=True)


def test_playbill_lists_the_pages_that_link_to_it(site: SiteFactory) -> None:
    links_site(site)
    site.page("postmortems.md", "# All about caches\n\n[stampede](incident:INC-2024-031#AI-1)\n")
    site.page("unrelated.md", "# Unrelated\n\n`incident:INC-2024-031` in code only.\n")
    built = site.build(strict=True)
    playbill = built.html("incidents/inc-2024-031/")
    section = playbill.select_one("section.pmt-referenced-by")
    assert section is not None
    links = [(a.get_text(), a["href"]) for a in section.select("a")]
    assert links == [("All about caches", "../../postmortems/"),
                     ("Cache runbook", "../../runbooks/cache/")]
    toc = [a.get_text(" ", strip=True) for a in playbill.select(".md-sidebar--secondary a")]
    assert "Referenced by" in toc


def test_incident_links_in_incident_markdown_and_backlinks_between_playbills(
    site: SiteFactory,
) -> None:
    # The newer incident's playbill is rendered first (newest first): its "Referenced by"
    # is filled only once the older one has been rendered.
    site.incident("new.yaml", minimal_incident("INC-NEW", "Newer outage").replace(
        "2024-03-14", "2025-01-01"))
    site.incident("old.yaml", minimal_incident("INC-OLD", "Older outage").replace(
        "summary: Something broke and we fixed it.",
        "summary: Happened again as [the newer one](incident:INC-NEW#scene-9); "
        "see also [its file](new.yaml) and [a missing one](incident:INC-NONE)."))
    built = site.build()
    old = built.html("incidents/inc-old/")
    links = [(a.get("href"), a.get_text()) for a in old.select(".pmt-story a")]
    assert links == [("../inc-new/", "the newer one"), ("../inc-new/", "its file"),
                     (None, "a missing one")], "a dead link keeps its words, not its href"
    # Warnings name the incident file's line, column and field.
    assert built.warnings_about("docs/incidents/old.yaml:5:44: summary: link "
                                "'incident:INC-NEW#scene-9': INC-NEW has no scene 9")
    assert built.warnings_about("docs/incidents/old.yaml:5:121: summary: link "
                                "'incident:INC-NONE'")
    new = built.html("incidents/inc-new/")
    refs = [(a.get_text(), a["href"]) for a in new.select("section.pmt-referenced-by a")]
    assert refs == [("INC-OLD: Older outage", "../inc-old/")]
    assert new.select_one("section.pmt-referenced-by") is not None
    # An incident nobody links to has no "Referenced by" section.
    assert old.select_one("section.pmt-referenced-by") is None
    assert "pmtheater:referenced-by" not in str(old)


def test_a_plain_link_to_the_playbill_page_counts_as_a_backlink(site: SiteFactory) -> None:
    site.incident("inc-1.yaml", minimal_incident("INC-1"))
    site.page("guide.md", "# Guide\n\n[the page](incidents/inc-1.md)\n")
    built = site.build(strict=True)
    refs = built.html("incidents/inc-1/").select("section.pmt-referenced-by a")
    assert [a["href"] for a in refs] == ["../../guide/"]


def prop_incident(incident_id: str, started: str, page: str = "runbooks/cache.md",
                  status: str = "published") -> str:
    return f"""
id: {incident_id}
title: Outage {incident_id} <b>bold</b>
severity: SEV3
status: {status}
started_at: {started}
summary: It broke.
setting:
  props:
    - name: Runbook
      kind: runbook
      page: {page}
    - name: Same runbook again
      page: ./{page}
"""


def test_runbook_lists_incidents_that_used_it_newest_first(site: SiteFactory) -> None:
    site.page("runbooks/cache.md", "# Cache runbook\n\nSteps.\n")
    site.page("runbooks/other.md", "# Other runbook\n\nSteps.\n")
    site.incident("a.yaml", prop_incident("INC-A", "2023-05-01T10:00:00Z"))
    site.incident("b.yaml", prop_incident("INC-B", "2025-05-01T10:00:00Z"))
    site.incident("c.yaml", prop_incident("INC-C", "2024-05-01T10:00:00Z"))
    site.incident("d.yaml", prop_incident("INC-D", "2026-05-01T10:00:00Z", status="draft"))
    site.incident("e.yaml", prop_incident("INC-E", "2022-05-01T10:00:00Z", "runbooks/other.md"))
    site.config["plugins"] = ["search", {"pmtheater": {"drafts": "hide"}}]
    built = site.build(strict=True)
    page = built.html("runbooks/cache/")
    block = page.select_one("section.pmt-used-in")
    assert block is not None
    entries = block.select("li")
    assert [li.select_one(".pmt-id").get_text() for li in entries] == ["INC-B", "INC-C", "INC-A"]
    first = entries[0]
    assert first.select_one("a")["href"] == "../../incidents/inc-b/"
    assert first.select_one("time")["datetime"].startswith("2025-05-01T10:00:00")
    assert "<b>" in first.select_one("a").get_text()  # incident text is escaped
    assert first.select_one("a b") is None
    toc = [a.get_text(" ", strip=True) for a in page.select(".md-sidebar--secondary a")]
    assert "Incidents that used this page" in toc
    other = built.html("runbooks/other/").select("section.pmt-used-in .pmt-id")
    assert [e.get_text() for e in other] == ["INC-E"]
    assert built.html("").select_one("section.pmt-used-in") is None


def test_backlinks_option_turns_the_block_off(site: SiteFactory) -> None:
    site.page("runbooks/cache.md", "# Cache runbook\n")
    site.incident("a.yaml", prop_incident("INC-A", "2023-05-01T10:00:00Z"))
    site.config["plugins"] = ["search", {"pmtheater": {"backlinks": False}}]
    built = site.build(strict=True)
    assert built.html("runbooks/cache/").select_one("section.pmt-used-in") is None


def test_backlink_templates_can_be_overridden(site: SiteFactory) -> None:
    site.page("runbooks/cache.md", "# Cache runbook\n")
    site.page("linker.md", "# Linker\n\n[a](incident:INC-A)\n")
    site.incident("a.yaml", prop_incident("INC-A", "2023-05-01T10:00:00Z"))
    overrides = site.root / "overrides" / "pmtheater"
    (overrides / "partials").mkdir(parents=True)
    (overrides / "used-in.html").write_text(
        '<p class="custom-used">{% for e in entries %}{{ e.incident.id }} {% endfor %}</p>')
    (overrides / "partials" / "referenced-by.html").write_text(
        '<p class="custom-refs">{{ references | length }} page(s)</p>')
    site.config["theme"]["custom_dir"] = "overrides"
    built = site.build(strict=True)
    assert built.html("runbooks/cache/").select_one("p.custom-used").get_text() == "INC-A "
    refs = built.html("incidents/inc-a/").select_one("p.custom-refs")
    assert refs is not None and refs.get_text() == "1 page(s)"
