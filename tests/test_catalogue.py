"""The catalogue pages (index, action-item board, hall of fame, metrics), built for real.

The expectations come from the incident files themselves (read here with plain
PyYAML), never from the plugin's own model, so a bug in the plugin's reading
cannot hide a bug in its pages.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag
from conftest import EXAMPLE_SITE, BuiltSite, SiteFactory, minimal_incident

from mkdocs_pmtheater.catalogue import charts, metrics
from mkdocs_pmtheater.catalogue.people import People, name_key

BUILD_DAY = date(2026, 11, 26)
OPEN = ("open", "in-progress", "blocked")


# -- helpers ----------------------------------------------------------------------
def example_incidents() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))]


def follow(built: BuiltSite, page_url: str, href: str) -> tuple[BeautifulSoup, str]:
    """The page a relative link on ``page_url`` points to, and the link's fragment."""
    path, _, fragment = href.partition("#")
    target = posixpath.normpath(posixpath.join(page_url, path))
    if path.endswith("/"):
        target += "/"
    assert built.exists(target), f"{href} on {page_url} points to a missing page ({target})"
    return built.html(target), fragment


def incident_of(soup: BeautifulSoup) -> str:
    article = soup.select_one("[data-pmt-incident]")
    assert article is not None, "not a playbill"
    return str(article["data-pmt-incident"])


def index_rows(built: BuiltSite) -> list[Tag]:
    return built.html("incidents/").select("table.pmt-index tbody tr")


def card_items(built: BuiltSite) -> dict[tuple[str, str], Tag]:
    """Every card on the board by (incident id, item id), read through its link."""
    cards: dict[tuple[str, str], Tag] = {}
    for card in built.html("incidents/action-items/").select("li.pmt-card"):
        link = card.find("a")
        assert link is not None
        playbill, fragment = follow(built, "incidents/action-items/", str(link["href"]))
        row = playbill.find(id=fragment)
        assert row is not None, f"{link['href']}: no element with id {fragment!r}"
        key = (incident_of(playbill), row.th.get_text(strip=True))
        assert key not in cards, f"{key} is on the board twice"
        cards[key] = card
    return cards


INCIDENT = """
id: {id}
title: {title}
severity: {severity}
status: {status}
started_at: {start}
resolved_at: {end}
services: [checkout]
tags: [cache]
summary: The {id} summary mentions zeppelins.
director: "@lena"
action_items:
  - id: AI-1
    title: Fix the {id} cache
    owner: "@Priya"
    due: 2026-11-25
  - id: AI-2
    title: Write the {id} runbook
    owner: Dana Cole
    due: 2026-11-26
    status: in-progress
    priority: P1
    kind: process
  - id: AI-3
    title: Already done for {id}
    owner: "@priya"
    status: done
awards:
  - award: Calm Under Fire
    recipient: "@priya"
    citation: Kept the {id} bridge calm.
"""


def incident_text(incident_id: str, *, title: str = "Cache trouble", severity: str = "SEV3",
                  status: str = "published", start: str = "2026-03-14T14:00:00Z",
                  minutes: int = 60) -> str:
    """An incident with three action items (one overdue, one due today, one done) and an award."""
    end = datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return INCIDENT.format(id=incident_id, title=title, severity=severity, status=status,
                           start=start, end=end.strftime("%Y-%m-%dT%H:%M:%SZ"))


def plugin_options(site: SiteFactory, **options: object) -> None:
    site.config["plugins"] = ["search", {"pmtheater": options}]


# -- the example site: every incident, item and award --------------------------------
def test_index_lists_every_incident_with_a_working_link(example_site: BuiltSite) -> None:
    expected = {d["id"]: d for d in example_incidents()}
    rows = index_rows(example_site)
    seen = []
    for row in rows:
        cells = row.find_all("td")
        incident_id = cells[0].get_text(strip=True)
        playbill, _ = follow(example_site, "incidents/", str(cells[0].a["href"]))
        assert incident_of(playbill) == incident_id
        data = expected[incident_id]
        assert cells[1].get_text() == data["title"]
        assert cells[2].get_text() == data["severity"]
        assert cells[3].get_text() == data.get("status", "published")
        assert [s.get_text() for s in cells[6].find_all("span")] == data.get("services", [])
        assert [t.get_text() for t in cells[7].find_all("span")] == data.get("tags", [])
        still_open = [i for i in data.get("action_items", []) if i.get("status", "open") in OPEN]
        assert cells[8].get_text() == str(len(still_open))
        seen.append(incident_id)
    assert sorted(seen) == sorted(expected), "every incident, once"
    starts = [row.find_all("td")[4].get_text() for row in rows]
    assert starts == sorted(starts, reverse=True), "newest first"


def test_board_holds_exactly_the_open_items_with_overdue_marked(example_site: BuiltSite) -> None:
    expected = {}
    for data in example_incidents():
        for item in data.get("action_items", []):
            status = item.get("status", "open")
            if status in OPEN:
                expected[(data["id"], item["id"])] = (status, item["due"] < BUILD_DAY)
    cards = card_items(example_site)
    assert set(cards) == set(expected)
    for key, card in cards.items():
        status, overdue = expected[key]
        assert card.find_parent("section")["data-status"] == status, key
        assert ("Overdue" in card.get_text()) is overdue, key
    soup = example_site.html("incidents/action-items/")
    totals = {div.dt.get_text(): div.dd.get_text() for div in soup.select(".pmt-totals > div")}
    assert totals["Open"] == str(len(expected))
    assert totals["Overdue"] == str(sum(o for _, o in expected.values()))
    assert totals["Blocked"] == str(sum(s == "blocked" for s, _ in expected.values()))


def test_board_cards_show_what_the_issue_asks_for(example_site: BuiltSite) -> None:
    data = {d["id"]: {i["id"]: i for i in d.get("action_items", [])} for d in example_incidents()}
    for (incident_id, item_id), card in card_items(example_site).items():
        item = data[incident_id][item_id]
        text = " ".join(card.get_text(" ").split())
        for value in (item["title"], item_id, incident_id, item["owner"], item["due"].isoformat(),
                      item.get("priority", "P3")):
            assert value in text, (incident_id, item_id, value)
        if item.get("kind"):
            assert item["kind"] in text
        if item.get("tracker"):
            assert card.find("a", href=item["tracker"]) is not None
    # Soonest due first within each column.
    soup = example_site.html("incidents/action-items/")
    for column in soup.select("section.pmt-column"):
        dues = [c["data-d"] for c in column.select("li.pmt-card") if c["data-d"]]
        assert dues == sorted(dues)


def test_hall_of_fame_holds_every_award(example_site: BuiltSite) -> None:
    expected = sorted((d["id"], a["award"], a["recipient"], bool(a.get("citation")))
                      for d in example_incidents() for a in d.get("awards", []))
    soup = example_site.html("incidents/hall-of-fame/")
    found = []
    for section in soup.select("section.pmt-recipient"):
        name = section.h3.select_one(".pmt-person").get_text()
        awards = section.select("li.pmt-award")
        assert f"{len(awards)} award" in section.h3.get_text()
        for award in awards:
            link = award.select_one(".pmt-award-for a")
            playbill, fragment = follow(example_site, "incidents/hall-of-fame/", str(link["href"]))
            assert playbill.find(id=fragment) is not None
            found.append((incident_of(playbill), award.select_one(".pmt-award-name").get_text(),
                          name, award.select_one(".pmt-award-citation") is not None))
    assert sorted(found) == expected
    board = {row.th.get_text(): int(row.find_all("td")[-1].get_text())
             for row in soup.select("table.pmt-leaderboard tbody tr")}
    for _, _, recipient, _ in expected:
        assert board[recipient] == sum(1 for e in expected if e[2] == recipient)
    names = {row.th.get_text() for row in soup.select("table.pmt-award-names tbody tr")}
    assert names == {award for _, award, _, _ in expected}


def test_metrics_page_has_charts_and_the_numbers(example_site: BuiltSite) -> None:
    soup = example_site.html("incidents/metrics/")
    assert len(soup.select("figure.pmt-chart:not(.pmt-strip) svg.pmt-chart-svg")) == 2
    assert len(soup.select("figure.pmt-strip svg.pmt-chart-svg")) == 6  # 3 measures × 2
    assert soup.select_one("#by-quarter") and soup.select_one("#by-severity")
    per_incident = soup.select("#per-incident ~ div table tbody tr")
    assert {r.td.get_text() for r in per_incident} == {d["id"] for d in example_incidents()}
    index = example_site.html("incidents/")
    chart = index.select_one("figure.pmt-chart svg")
    assert chart is not None and chart.find("rect") is not None


def test_catalogue_section_in_the_automatic_nav(example_site: BuiltSite) -> None:
    soup = example_site.html("")
    sections = soup.select(".md-nav--primary > .md-nav__list > .md-nav__item--section")
    titles = {
        " ".join(s.find("label").get_text().split()): [
            " ".join(a.get_text().split()) for a in s.select("nav a.md-nav__link")
        ] for s in sections
    }
    assert titles["Post-mortems"] == ["Post-mortem index", "Action items", "Hall of fame",
                                      "Metrics", "Themes"]
    assert not soup.select('.md-nav--primary a[href*="inc-2024-031"]'), "playbills stay out"


# -- options ------------------------------------------------------------------
def test_drafts_option_is_honoured_on_every_catalogue_page(
    site: SiteFactory, build_epoch: str
) -> None:
    site.incident("a.yaml", incident_text("INC-DRAFT", status="draft",
                                          start="2026-05-01T10:00:00Z"))
    site.incident("b.yaml", incident_text("INC-LIVE"))
    built = site.build(strict=True)
    assert {r.td.get_text() for r in index_rows(built)} == {"INC-DRAFT", "INC-LIVE"}
    assert ("INC-DRAFT", "AI-1") in card_items(built)
    assert "INC-DRAFT" in built.html("incidents/hall-of-fame/").get_text()

    plugin_options(site, drafts="hide")
    built = site.build(strict=True)
    assert {r.td.get_text() for r in index_rows(built)} == {"INC-LIVE"}
    assert {k[0] for k in card_items(built)} == {"INC-LIVE"}
    for page in ("incidents/action-items/", "incidents/hall-of-fame/", "incidents/metrics/",
                 "incidents/"):
        assert "INC-DRAFT" not in built.html(page).get_text(), page
    data = json.loads((built.site_dir / "assets/pmtheater/index-search.json").read_text())
    assert set(data) == {"INC-LIVE"}
    assert not built.exists("incidents/inc-draft/")


def test_overdue_is_strictly_before_the_build_date(site: SiteFactory, build_epoch: str) -> None:
    site.incident("a.yaml", incident_text("INC-1"))
    built = site.build(strict=True)
    cards = card_items(built)
    assert set(cards) == {("INC-1", "AI-1"), ("INC-1", "AI-2")}, "done items stay off"
    assert "Overdue" in cards[("INC-1", "AI-1")].get_text()  # due the day before
    assert "Overdue" not in cards[("INC-1", "AI-2")].get_text()  # due on the build day
    assert "pmt-overdue" in cards[("INC-1", "AI-1")]["class"]


def test_ids_that_take_catalogue_paths_are_warnings_with_file_and_line(site: SiteFactory) -> None:
    site.incident("x.yaml", minimal_incident("action-items"))
    site.incident("y.yaml", minimal_incident("Hall-Of-Fame"))
    site.incident("z.yaml", minimal_incident("INC-OK"))
    built = site.build()
    for name in ("x", "y"):
        assert any(re.search(rf"\bdocs/incidents/{name}\.yaml:1:\d+: id: ", w)
                   for w in built.warnings), built.warnings
    assert built.html("incidents/action-items/").h1.get_text() == "Action items"
    assert built.html("incidents/hall-of-fame/").h1.get_text() == "Hall of fame"
    assert {r.td.get_text() for r in index_rows(built)} == {"INC-OK"}

    plugin_options(site, catalogue={"pages": ["index"]})
    built = site.build()
    assert not built.warnings_about("x.yaml")
    assert incident_of(built.html("incidents/action-items/")) == "action-items"
    assert built.warnings_about("y.yaml") == [], "hall-of-fame is free when not built"


def test_a_docs_page_at_a_catalogue_address_wins_with_a_warning(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("INC-1"))
    site.page("incidents/metrics.md", "# Our own metrics\n")
    built = site.build()
    assert built.warnings_about("docs/incidents/metrics.md")
    assert built.html("incidents/metrics/").h1.get_text(strip=True).startswith("Our own metrics")
    assert built.exists("incidents/action-items/")


def test_nav_title_and_position(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("INC-1"))
    site.page("guide.md", "# Guide\n")
    plugin_options(site, catalogue={"nav_title": "Incidents", "nav_position": 0,
                                    "pages": ["hall-of-fame", "index"]})
    built = site.build(strict=True)
    soup = built.html("")
    top = soup.select(".md-nav--primary > .md-nav__list > .md-nav__item")
    first = " ".join(top[0].find(["label", "a"]).get_text().split())
    assert first == "Incidents"
    assert [" ".join(a.get_text().split()) for a in top[0].select("nav a.md-nav__link")] == [
        "Hall of fame", "Post-mortem index"]
    assert not built.exists("incidents/action-items/")
    assert not built.exists("incidents/metrics/")


def test_an_explicit_nav_is_left_to_the_user(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("INC-1"))
    site.config["nav"] = [{"Home": "index.md"}, {"All incidents": "incidents/index.md"}]
    built = site.build(strict=True)
    soup = built.html("")
    labels = [" ".join(a.get_text().split())
              for a in soup.select(".md-nav--primary a.md-nav__link")]
    assert "All incidents" in labels
    assert "Post-mortems" not in soup.select_one(".md-nav--primary").get_text()
    assert built.exists("incidents/action-items/"), "still built, for the user to link"


def test_no_catalogue_pages(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("metrics"))
    plugin_options(site, catalogue={"pages": []})
    built = site.build(strict=True)
    assert incident_of(built.html("incidents/metrics/")) == "metrics"
    assert not (built.site_dir / "assets/pmtheater/pmtheater.js").exists()
    assert "pmtheater.js" not in (built.site_dir / "index.html").read_text()


def test_plain_mkdocs_theme_and_html_urls(site: SiteFactory, build_epoch: str) -> None:
    site.config["theme"] = {"name": "mkdocs"}
    site.config["use_directory_urls"] = False
    site.incident("a.yaml", incident_text("INC-1"))
    built = site.build(strict=True)
    row = built.html("incidents/index.html").select_one("table.pmt-index tbody tr")
    assert row.a["href"] == "inc-1.html"
    assert (built.site_dir / "incidents/inc-1.html").is_file()
    card = built.html("incidents/action-items.html").select_one("li.pmt-card a")
    assert card["href"] == "inc-1.html#ai-1"
    nav = built.html("index.html").get_text(" ")
    assert "Post-mortems" in nav and "Hall of fame" in nav


# -- what the pages say -----------------------------------------------------------
def test_incident_text_is_escaped_on_every_catalogue_page(
    site: SiteFactory, build_epoch: str
) -> None:
    evil = '<img src=x onerror="alert(1)">'
    text = incident_text("INC-1", title=evil).replace(
        "citation: Kept the INC-1 bridge calm.", "citation: <script>alert(2)</script> **calm**"
    ).replace("title: Fix the INC-1 cache", f"title: '{evil}'")
    site.incident("a.yaml", text)
    built = site.build(strict=True)
    for page in ("incidents/", "incidents/action-items/", "incidents/hall-of-fame/"):
        soup = built.html(page)
        body = soup.select_one(".pmt-catalogue")
        assert body.find(["img", "script", "style", "iframe"]) is None, page
    row = index_rows(built)[0]
    assert row.find_all("td")[1].get_text() == evil
    card = card_items(built)[("INC-1", "AI-1")]
    assert card.select_one(".pmt-card-title").get_text() == evil
    citation = built.html("incidents/hall-of-fame/").select_one(".pmt-award-citation")
    assert "<script>alert(2)</script>" in citation.get_text()
    assert citation.find("strong").get_text() == "calm", "citations are Markdown"


def test_people_are_matched_by_handle_or_configured_alias(
    site: SiteFactory, build_epoch: str
) -> None:
    site.incident("a.yaml", incident_text("INC-1"))
    second = incident_text("INC-2", start="2026-04-01T10:00:00Z").replace(
        'recipient: "@priya"', "recipient: Priya  Raman")
    site.incident("b.yaml", second)
    built = site.build(strict=True)
    names = [s.h3.select_one(".pmt-person").get_text()
             for s in built.html("incidents/hall-of-fame/").select("section.pmt-recipient")]
    assert sorted(map(name_key, names)) == ["@priya", "priya raman"], (
        "@Priya and @priya are one person; a handle is not guessed to be a name")
    owners = built.html("incidents/action-items/").select("select[name=owner] option")
    assert [o["value"] for o in owners] == ["", "@priya", "dana cole"], "@Priya is @priya"

    plugin_options(site, people={"@priya": ["Priya Raman"]})
    built = site.build(strict=True)
    sections = built.html("incidents/hall-of-fame/").select("section.pmt-recipient")
    assert [s.h3.select_one(".pmt-person").get_text() for s in sections] == ["@priya"]
    assert len(sections[0].select("li.pmt-award")) == 2


def test_metrics_are_medians(site: SiteFactory) -> None:
    for n, minutes in enumerate((10, 20, 600), start=1):
        site.incident(f"{n}.yaml", incident_text(
            f"INC-{n}", start=f"2026-0{n}-10T10:00:00Z", minutes=minutes, severity="SEV2"))
    site.incident("4.yaml", incident_text("INC-4", start="2025-12-10T10:00:00Z", minutes=45))
    built = site.build()
    soup = built.html("incidents/metrics/")
    rows = {r.th.get_text(): [td.get_text(" ", strip=True) for td in r.find_all("td")]
            for r in soup.select("#by-severity ~ table tbody tr")}
    assert rows["SEV2"][0] == "3"
    assert rows["SEV2"][3] == "20 min", "the median, not the mean (3 h 30 min)"
    assert rows["SEV3"][3] == "45 min"
    quarters = [r.th.get_text() for r in soup.select("#by-quarter ~ table tbody tr")]
    assert quarters[:2] == ["2025-Q4", "2026-Q1"]


def test_search_data_has_summaries_and_people(site: SiteFactory) -> None:
    site.incident("a.yaml", incident_text("INC-1"))
    built = site.build()
    table = built.html("incidents/").select_one("table.pmt-index")
    data_url = posixpath.normpath(posixpath.join("incidents/", table["data-pmt-search"]))
    data = json.loads((built.site_dir / data_url).read_text(encoding="utf-8"))
    assert "zeppelins" in data["INC-1"]
    for person in ("@lena", "@Priya", "Dana Cole", "@priya"):
        assert person in data["INC-1"]


def test_catalogue_pages_are_reproducible(site: SiteFactory, build_epoch: str) -> None:
    for n in range(1, 6):
        site.incident(f"{n}.yaml", incident_text(f"INC-{n}", start=f"2026-0{n}-10T10:00:00Z",
                                                 minutes=7 * n))
    pages = ["incidents/index.html", "incidents/action-items/index.html",
             "incidents/hall-of-fame/index.html", "incidents/metrics/index.html",
             "assets/pmtheater/index-search.json"]
    first = site.build(strict=True)
    before = {p: (first.site_dir / p).read_bytes() for p in pages}
    second = site.build(strict=True)
    assert {p: (second.site_dir / p).read_bytes() for p in pages} == before


def test_index_rows_stay_compact(site: SiteFactory) -> None:
    for n in range(1, 201):
        site.incident(f"{n}.yaml", incident_text(
            f"INC-{n:04d}", title=f"Checkout latency after deploy number {n}",
            start=f"20{20 + n % 6}-0{1 + n % 9}-1{n % 10}T10:00:00Z", minutes=n))
    built = site.build()
    empty = SiteFactory(Path(str(site.root) + "-empty"))
    empty.incident("1.yaml", incident_text("INC-0001"))
    baseline = len(gzip.compress(empty.build().site_dir.joinpath(
        "incidents/index.html").read_bytes(), 9))
    full = len(gzip.compress((built.site_dir / "incidents/index.html").read_bytes(), 9))
    assert (full - baseline) / 199 < 150


# -- the pure parts -----------------------------------------------------------------
def test_name_keys() -> None:
    assert name_key("@Priya") == name_key("@priya") == "@priya"
    assert name_key("Dana  COLE") == name_key(" dana cole ") == "dana cole"
    assert name_key("@dana") != name_key("dana")
    people = People({"@dana": ["Dana Cole", "@dcole"]})
    assert people.key("DANA cole") == people.key("@DCole") == people.key("@dana") == "@dana"
    people.see("@Dana")
    assert people.display("@dana") == "@dana", "the configured spelling wins"
    assert People().display(People().see("Sam")) == "sam"
    other = People()
    for name in ("@Sam", "@sam", "@sam"):
        other.see(name)
    assert other.display("@sam") == "@sam"


def test_medians_ignore_outliers() -> None:
    values = [timedelta(minutes=m) for m in (10, 20, 30, 10_000)]
    assert metrics.median_duration(values) == timedelta(minutes=25)
    assert metrics.median_duration([]) is None
    assert metrics.quarter_range("2024-Q3", "2025-Q2") == [
        "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]


def test_charts_are_deterministic_svg() -> None:
    series = [charts.Series("SEV1", "SEV1", "pmt-c1"), charts.Series("SEV2", "SEV2", "pmt-c2")]
    months = charts.month_range("2023-11", "2024-02")
    assert months == ["2023-11", "2023-12", "2024-01", "2024-02"]
    values = {"2023-11": {"SEV1": 2, "SEV2": 1}, "2024-02": {"SEV2": 3}}
    one = charts.stacked_bars("Per month", months, charts.month_labels(months), series, values)
    two = charts.stacked_bars("Per month", months, charts.month_labels(months), series, values)
    assert one == two
    svg = BeautifulSoup(one, "html.parser")
    assert len(svg.find_all("rect")) == 3
    assert [t.get_text() for t in svg.find_all("title")] == ["2023-11: 2 SEV1, 1 SEV2",
                                                            "2024-02: 3 SEV2"]
    heights = [float(r["height"]) for r in svg.find_all("rect")]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.02)
    assert charts.month_labels(charts.month_range("2010-01", "2019-12")).count("") == 110
