"""Playbill pages of real builds: every value shown, sections in order, safe, reproducible."""

from __future__ import annotations

import filecmp
import html
import json
import re
import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import BUILD_EPOCH, EXAMPLE_SITE, SiteFactory, build_site, minimal_incident

from mkdocs_pmtheater.model.timestamps import (
    is_date_only,
    parse_bare_time,
    parse_timestamp,
    site_zone,
    split_approximate,
)

MARKDOWN_KEYS = {"summary", "impact", "notes", "action", "observation", "belief",
                 "environment", "lead_up", "climax", "turning_point", "resolution",
                 "citation", "why", "because", "went_well", "got_lucky", "could_improve",
                 "detection", "process", "root_causes", "contributing_factors", "conditions",
                 "note"}
TIME_KEYS = {"started_at", "detected_at", "mitigated_at", "resolved_at", "at"}
_MD = markdown.Markdown(extensions=["attr_list", "tables"])


def normalize(text: str) -> str:
    return " ".join(text.split())


def visible(value: str, key: str) -> str:
    """What a reader should see for ``value``: Markdown reduced to its text."""
    if key not in MARKDOWN_KEYS:
        return normalize(value)
    _MD.reset()
    html = _MD.convert(value.replace("<", "&lt;"))
    return normalize(BeautifulSoup(html, "html.parser").get_text(" "))


def expected_strings(data: Any, key: str = "", zone: Any = None) -> list[tuple[str, str]]:
    """(key, text) for every scalar in an incident, as a reader should see it.

    Times are shown in the incident's own ``timezone`` (format 1.1), else UTC (the
    example site's zone); a date alone as the date; ``~`` as "≈" before the time.
    """
    if zone is None:
        zone = site_zone(data.get("timezone", "UTC")) if isinstance(data, dict) else timezone.utc
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += expected_strings(v, k, zone)
    elif isinstance(data, list):
        for v in data:
            out += expected_strings(v, key, zone)
    elif key in TIME_KEYS:
        text, _approximate = split_approximate(str(data))
        if parse_bare_time(text) is not None:
            out.append((key, text[:5]))
        elif is_date_only(text):
            out.append((key, text))
        else:
            moment = parse_timestamp(text, zone).astimezone(zone)
            out.append((key, moment.strftime("%H:%M")))
    elif key == "timezone":
        out.append((key, str(data)))
    elif isinstance(data, date | datetime):
        out.append((key, data.isoformat()))
    elif data is not None:
        out.append((key, visible(str(data), key)))
    return out


def example_incidents() -> list[tuple[Path, dict[str, Any]]]:
    class TextLoader(yaml.SafeLoader):
        pass

    # Keep timestamps as the text written, as the plugin does.
    TextLoader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    files = sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))
    return [(f, yaml.load(f.read_text(encoding="utf-8"), Loader=TextLoader)) for f in files]


EXAMPLES = example_incidents()


def test_example_site_builds_strictly_without_warnings(example_site) -> None:
    assert example_site.warnings == []
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path,data", EXAMPLES, ids=[p.stem for p, _ in EXAMPLES])
def test_every_value_of_an_example_incident_is_on_its_playbill(example_site, path, data) -> None:
    page = example_site.html(f"incidents/{data['id'].lower()}/")
    article = page.select_one("article.pmt-playbill")
    assert article is not None
    text = normalize(article.get_text(" "))
    missing = [(k, v) for k, v in expected_strings(data) if v not in text]
    assert not missing, f"{path.name}: not shown: {missing[:5]}"


def test_playbill_sections_in_order_with_anchors(example_site) -> None:
    big = max(EXAMPLES, key=lambda e: len(e[1].get("timeline", [])))[1]
    page = example_site.html(f"incidents/{big['id'].lower()}/")
    ids = [h["id"] for h in page.select("article.pmt-playbill h2")]
    order = ["the-story", "cast-of-characters", "stage-directions-setting", "the-screenplay",
             "plot-points", "the-critique", "call-sheet", "awards-ceremony"]
    assert [i for i in ids if i in order] == [i for i in order if i in ids]
    assert {"the-story", "the-screenplay", "call-sheet"} <= set(ids)
    for number in range(1, len(big["timeline"]) + 1):
        assert page.find(id=f"scene-{number}") is not None
    for item in big.get("action_items", []):
        row = page.find(id=item["id"].lower())
        assert row is not None and item["title"] in row.get_text()
    # The table of contents lists the sections.
    toc = [a.get_text(strip=True) for a in page.select(".md-nav--secondary a")]
    assert "Cast of Characters" in toc and "Call Sheet" in toc


def test_playbill_head_edit_link_tags_and_search(example_site) -> None:
    path, data = EXAMPLES[0]
    page = example_site.html(f"incidents/{data['id'].lower()}/")
    assert page.title.get_text().startswith(f"{data['id']}: ")
    description = page.find("meta", attrs={"name": "description"})["content"]
    assert description and description[:20] in normalize(data["summary"])
    edit = page.select_one("a.md-content__button[href*='edit']")
    rel = path.relative_to(EXAMPLE_SITE / "docs").as_posix()
    assert edit is not None and edit["href"].endswith(f"/edit/main/docs/{rel}")
    index = json.loads((example_site.site_dir / "search" / "search_index.json").read_text())
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    assert f"incidents/{data['id'].lower()}/" in locations
    if data.get("tags"):
        tag_texts = {t.get_text(strip=True) for t in page.select(".md-tag")}
        assert set(data["tags"]) <= tag_texts


def words(text: str) -> list[str]:
    """Words, without the punctuation that get_text(" ") parts from them."""
    return re.sub(r"[^\w@\-]+", " ", text).split()


def test_search_index_keeps_the_words_of_playbills_apart(example_site) -> None:
    """Material's search index joins the text of neighbouring elements without a space:
    the template whitespace between blocks (see compact.py) is what keeps "Director"
    from becoming part of the last service's name. Every word the index holds for a
    playbill must be a word of the page."""
    index = json.loads((example_site.site_dir / "search" / "search_index.json").read_text())
    checked = 0
    for _, data in EXAMPLES:
        url = f"incidents/{data['id'].lower()}/"
        page = example_site.html(url)
        page_words = set(words(page.select_one("article.pmt-playbill").get_text(" ")))
        page_words |= set(words(page.title.get_text()))  # the first entry's title
        for doc in index["docs"]:
            if doc["location"].split("#")[0] != url:
                continue
            text = html.unescape(re.sub(r"<[^>]+>", " ", doc["title"] + " " + doc["text"]))
            glued = [w for w in words(text) if w not in page_words]
            assert glued == [], (doc["location"], glued[:5])
            checked += 1
    # Kicker, title with services and tags, the story, root causes (see test_search.py).
    assert checked >= 3 * len(EXAMPLES)


def test_overdue_is_marked_in_words(example_site) -> None:
    today = datetime.fromtimestamp(int(BUILD_EPOCH), timezone.utc).date()
    checked = 0
    for _, data in EXAMPLES:
        page = example_site.html(f"incidents/{data['id'].lower()}/")
        for item in data.get("action_items", []):
            row = page.find(id=item["id"].lower())
            is_open = item.get("status", "open") not in ("done", "wont-do")
            overdue = is_open and date.fromisoformat(str(item["due"])) < today if is_open else False
            assert ("Overdue" in row.get_text()) == overdue, (data["id"], item["id"])
            checked += overdue
    assert checked > 0


def test_drafts_and_reviews_carry_a_banner(example_site) -> None:
    statuses = {d.get("status", "published"): d for _, d in EXAMPLES}
    assert {"draft", "in-review"} <= set(statuses)
    draft = example_site.html(f"incidents/{statuses['draft']['id'].lower()}/")
    assert "This post-mortem is a draft" in draft.select_one(".pmt-banner").get_text()
    review = example_site.html(f"incidents/{statuses['in-review']['id'].lower()}/")
    assert "being reviewed" in review.select_one(".pmt-banner").get_text()
    published = example_site.html(f"incidents/{statuses['published']['id'].lower()}/")
    assert published.select_one(".pmt-banner") is None


HOSTILE = """
id: INC-66
title: "Checkout <script>window.__pwned=1</script> & more"
severity: SEV1
started_at: 2024-03-14T14:02:00Z
summary: |
  Raw <img src=x onerror="window.__pwned=1"> and [a link](javascript:window.__pwned=1)
  and [styled](https://ok.example/){: onclick="window.__pwned=1" }.
tags: ["<b>bold</b>"]
cast:
  - role: "<i>Role</i>"
    actor: '"><svg onload=alert(1)>'
"""


def test_incident_text_is_escaped_everywhere(site: SiteFactory) -> None:
    site.config["markdown_extensions"].append("attr_list")
    site.config["plugins"].append("tags")
    site.incident("x.yaml", HOSTILE)
    built = site.build()
    # The one thing reported: the script link, whose target the page does not carry.
    assert len(built.warnings) == 1, built.warnings
    assert "x.yaml:6:59:" in built.warnings[0] and "can run script" in built.warnings[0]
    raw = (built.site_dir / "incidents" / "inc-66" / "index.html").read_text()
    for bad in ("<script>window", "<img src=x", "<svg onload", "<b>bold</b>", "<i>Role</i>"):
        assert bad not in raw, bad
    page = BeautifulSoup(raw, "html.parser")
    for element in page.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), (element.name, name)
            if name in ("href", "src"):
                assert not str(value).lower().startswith("javascript"), value
    assert not any("__pwned" in s.get_text() for s in page.find_all("script"))
    text = page.select_one("article.pmt-playbill").get_text(" ")
    assert "Checkout <script>window.__pwned=1</script> & more" in text
    assert '<img src=x onerror="window.__pwned=1">' in text
    assert '"><svg onload=alert(1)>' in text


def test_title_in_head_cannot_close_the_title_element(site: SiteFactory) -> None:
    site.incident("x.yaml", minimal_incident("INC-9", "</title><script>window.__pwned=1</script>"))
    built = site.build()
    raw = (built.site_dir / "incidents" / "inc-9" / "index.html").read_text()
    head = raw.split("</head>")[0]
    assert "<script>window.__pwned" not in head
    assert head.count("</title>") == 1
    page = BeautifulSoup(raw, "html.parser")
    assert "</title><script>window.__pwned=1</script>" in page.select_one("h1").get_text()


def test_markdown_uses_site_extensions_and_links_relative_to_yaml(site: SiteFactory) -> None:
    site.page("runbooks/db.md", "# DB runbook\n")
    site.incident("2024/x.yaml", minimal_incident("INC-3") + """
impact: |
  !!! note "Customers"
      Checkout failed for **12%** of users.

  See the [runbook](../../runbooks/db.md#steps).
""")
    built = site.build(strict=True)
    page = built.html("incidents/inc-3/")
    admonition = page.select_one(".pmt-impact .admonition.note")
    assert admonition is not None and "12%" in admonition.get_text()
    link = page.select_one(".pmt-impact a[href*='runbooks']")
    assert link["href"] == "../../runbooks/db/#steps"


def test_raw_html_can_be_allowed_by_the_site(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": True}}]
    site.incident("x.yaml", minimal_incident("INC-4") + "impact: 'Use <kbd>Ctrl</kbd>'\n")
    page = site.build().html("incidents/inc-4/")
    assert page.select_one(".pmt-impact kbd").get_text() == "Ctrl"


def test_times_in_configured_zone_named(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"timezone": "America/New_York"}}]
    site.incident("x.yaml", minimal_incident("INC-5").replace(
        "started_at: 2024-03-14T14:02:00Z", "started_at: 2024-07-01 09:30") + """
detected_at: 2024-07-01T13:45:00Z
cast: [{role: IC}]
timeline:
  - {at: "09:40", character: IC, action: Paged.}
""")
    page = site.build(strict=True).html("incidents/inc-5/")
    milestones = normalize(page.select_one(".pmt-milestones").get_text(" "))
    assert "2024-07-01 09:30 EDT" in milestones
    assert "2024-07-01 09:45 EDT" in milestones and "15 min" in milestones
    assert "America/New_York" in milestones
    assert "09:40" in page.select_one("#scene-1").get_text()


def test_bare_times_take_the_offset_of_the_scene_before(site: SiteFactory) -> None:
    site.incident("x.yaml", minimal_incident("INC-6") + """
cast: [{role: IC}]
timeline:
  - {at: "2024-03-14T16:00:00+02:00", character: IC, action: First.}
  - {at: "16:30", character: IC, action: Second.}
""")
    page = site.build(strict=True).html("incidents/inc-6/")
    assert page.select_one("#scene-2 time")["datetime"] == "2024-03-14T14:30:00+00:00"


def test_hidden_drafts(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"drafts": "hide"}}]
    site.incident("a.yaml", minimal_incident("INC-1") + "status: draft\n")
    site.incident("b.yaml", minimal_incident("INC-2"))
    built = site.build(strict=True)
    assert not built.exists("incidents/inc-1/")
    assert built.exists("incidents/inc-2/")


def test_custom_dir_overrides_a_partial(site: SiteFactory) -> None:
    overrides = site.root / "overrides" / "pmtheater" / "partials"
    overrides.mkdir(parents=True)
    (overrides / "awards.html").write_text(
        '<p class="house-awards">{% for a in incident.awards %}{{ a.recipient }}{% endfor %}</p>'
    )
    site.config["theme"]["custom_dir"] = "overrides"
    site.incident("x.yaml",
                  minimal_incident("INC-8") + "awards: [{award: Calm, recipient: '<Sam>'}]\n")
    page = site.build(strict=True).html("incidents/inc-8/")
    assert page.select_one(".house-awards").get_text() == "<Sam>"
    assert page.select_one(".pmt-awards") is None


def test_plain_mkdocs_theme(site: SiteFactory) -> None:
    site.config["theme"] = {"name": "mkdocs"}
    site.incident("x.yaml",
                  minimal_incident("INC-10") + "awards: [{award: Calm, recipient: Sam}]\n")
    built = site.build(strict=True)
    page = built.html("incidents/inc-10/")
    assert page.select_one("article.pmt-playbill h1").get_text() == "A small outage"
    assert page.select_one("link[href$='assets/pmtheater/pmtheater.css']") is not None
    assert "Awards Ceremony" in page.get_text()


@pytest.mark.parametrize("parts", [False, True], ids=["one-index", "index-in-parts"])
def test_build_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               parts: bool) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    sites = []
    for name in ("one", "two"):
        root = tmp_path / name / "example-site"
        shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
        if parts:  # Pagefind run on three playbills at a time
            config = root / "mkdocs.yml"
            text = config.read_text(encoding="utf-8")
            assert text.count("\n  - pmtheater\n") == 1
            config.write_text(text.replace("\n  - pmtheater\n", "\n  - pmtheater:\n"
                                           "      pagefind_shard_size: 3\n"), encoding="utf-8")
        sites.append(build_site(root, strict=True))
    first, second = (s.site_dir for s in sites)
    pages = sorted(p.relative_to(first) for p in first.rglob("*.html"))
    assert len(pages) > 10
    # Every file, Pagefind's bundle too (its filters' order, and so their names and the
    # metadata's, changed on every run before order_filters).
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert any(p.suffix == ".pf_filter" for p in files)
    assert any(p.parts[:2] == ("pagefind", "shard-2") for p in files) == parts
    different = [p for p in files if not filecmp.cmp(first / p, second / p, shallow=False)]
    assert different == []


def test_one_pass_of_markdown_per_incident_even_with_an_unclosed_fence(site: SiteFactory) -> None:
    site.incident("x.yaml", minimal_incident("INC-11") + """
impact: |
  ```
  an unclosed fence
cast: [{role: IC, notes: "Still **rendered** on its own"}]
""")
    page = site.build(strict=True).html("incidents/inc-11/")
    assert "an unclosed fence" in page.select_one(".pmt-impact").get_text()
    assert page.select_one(".pmt-cast strong").get_text() == "rendered"


def test_ids_become_lower_case_paths(site: SiteFactory) -> None:
    site.incident("x.yaml", minimal_incident("Inc_2024.7"))
    built = site.build(strict=True)
    assert built.exists("incidents/inc_2024.7/")
    assert re.search(r"Inc_2024\.7", built.html("incidents/inc_2024.7/").get_text())
