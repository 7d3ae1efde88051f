"""Format 1.1 (issue #11): what real post-mortems say, built into real sites.

Each test builds a small site with ``mkdocs build`` and reads the published
HTML (or data files) back, holding the value a reader must see: times in the
incident's own zone and day, approximate and day-only times, narration and
joint scenes, scene ids and the warnings for links that go nowhere, extra
milestones, detection before impact, files beside the incident, text lost to
a YAML comment, exact durations, plain-text descriptions and feed summaries,
dates in multi-day summaries, and ``pmtheater validate`` running the same checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as etree
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import BuiltSite, SiteFactory, minimal_incident

ATOM = "{http://www.w3.org/2005/Atom}"

# The Japan outage of the issue: 01:35 JST on 2 July is 16:35 UTC on 1 July.
TOKYO = """
id: INC-JP
title: Mobile network outage in Japan
severity: SEV1
timezone: Asia/Tokyo
started_at: 2022-07-02 01:35
detected_at: "~2022-07-02 01:40"
mitigated_at: 2022-07-03 01:46
resolved_at: 2022-07-04
summary: Voice and data failed **nationwide**; see [the graph](loss.svg).
cast:
  - role: Network Operations
  - role: Core Team
timeline:
  - at: "01:35"
    id: routers-fail
    character: Network Operations
    action: A router replacement sends VoLTE traffic to the wrong node.
    plot_point: climax
  - at: "~06:50"
    action: Customers across Japan report no signal.
  - at: 2022-07-02
    character: [Network Operations, Core Team]
    action: Throttle traffic together all day.
  - at: "15:00"
    character: Core Team
    action: Restore the route.
  - at: 2022-07-03 01:46
    character: Core Team
    action: Traffic back to normal.
    plot_point: resolution
milestones:
  - at: 2022-07-02 10:36
    name: 95 % recovered
    note: Only **voice** in the west still failing.
"""


def playbill(built: BuiltSite, slug: str) -> BeautifulSoup:
    return built.html(f"incidents/{slug}/")


def milestone_rows(page: BeautifulSoup) -> list[tuple[str, str, str]]:
    rows = []
    for tr in page.select(".pmt-milestones tbody tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def tokyo_site(site: SiteFactory) -> BuiltSite:
    site.incident("jp/outage.yaml", TOKYO)
    (site.root / "docs" / "incidents" / "jp" / "loss.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"/>\n', encoding="utf-8")
    return site.build(strict=True)


def test_times_in_the_incidents_zone_with_utc_beside_milestones(site: SiteFactory) -> None:
    built = tokyo_site(site)
    page = playbill(built, "inc-jp")
    rows = milestone_rows(page)
    labels = [r[0] for r in rows]
    # In time order, the extra milestone among the fixed ones.
    assert labels == ["Impact started", "Detected", "95 % recovered", "Mitigated", "Resolved"]
    started = rows[0][1]
    assert "2022-07-02 01:35 JST" in started and "(2022-07-01 16:35 UTC)" in started
    assert "times in Asia/Tokyo" in page.select_one(".pmt-milestones caption").get_text()
    first_scene = page.select_one("#scene-routers-fail .pmt-scene-time").get_text(" ", strip=True)
    assert "01:35 JST" in first_scene


def test_catalogue_dates_the_incident_by_its_start_day_in_its_zone(site: SiteFactory) -> None:
    built = tokyo_site(site)
    row = built.html("incidents/").select_one("table.pmt-index tbody tr")
    assert row.find_all("td")[4].get_text() == "2022-07-02"  # not 2022-07-01 (UTC)
    metrics_row = built.html("incidents/metrics/").select("table.pmt-numbers")[-1].select_one(
        "tbody tr")
    assert metrics_row.find_all("td")[2].get_text() == "2022-07-02"


def test_a_fire_just_after_midnight_cet_is_dated_that_day(site: SiteFactory) -> None:
    site.incident("fire.yaml", minimal_incident("INC-FIRE", "Data-centre fire").replace(
        "started_at: 2024-03-14T14:02:00Z",
        "timezone: Europe/Paris\nstarted_at: 2021-03-10 00:47"))
    site.config["plugins"] = ["search", {"pmtheater": {"timezone": "UTC"}}]
    built = site.build(strict=True)
    row = built.html("incidents/").select_one("table.pmt-index tbody tr")
    assert row.find_all("td")[4].get_text() == "2021-03-10"
    assert "2021-03-10 00:47 CET" in milestone_rows(playbill(built, "inc-fire"))[0][1]


def test_approximate_and_day_only_times(site: SiteFactory) -> None:
    built = tokyo_site(site)
    page = playbill(built, "inc-jp")
    rows = {r[0]: r for r in milestone_rows(page)}
    assert rows["Detected"][1].startswith("≈ 2022-07-02 01:40 JST")
    assert rows["Detected"][2].startswith("≈ 5 min")
    # A date alone: the date, never 00:00; the duration in whole days with ≈.
    assert rows["Resolved"][1].startswith("2022-07-04") and "00:00" not in rows["Resolved"][1]
    assert rows["Resolved"][2].startswith("≈ 2 d")
    scenes = page.select(".pmt-scenes > li")
    assert scenes[1].select_one(".pmt-scene-time").get_text(" ", strip=True) == "≈ 06:50 JST"
    day_only = scenes[2].select_one(".pmt-scene-time").get_text(" ", strip=True)
    assert day_only.startswith("2022-07-02") and "00:00" not in day_only
    # The timed scene after the day-only one keeps the day's clock.
    assert scenes[3].select_one(".pmt-scene-time").get_text(" ", strip=True) == "15:00 JST"


def test_durations_are_exact_to_the_minute(site: SiteFactory) -> None:
    built = tokyo_site(site)
    rows = {r[0]: r for r in milestone_rows(playbill(built, "inc-jp"))}
    assert rows["Mitigated"][2].startswith("1 d 0 h 11 min")  # 24 h 11 min, not "1 d"
    long = minimal_incident("INC-LONG", "Three days").replace(
        "summary:", "resolved_at: 2024-03-17T14:47:00Z\nsummary:")
    site.incident("long.yaml", long)
    built = site.build(strict=True)
    rows = {r[0]: r for r in milestone_rows(playbill(built, "inc-long"))}
    assert rows["Resolved"][2].startswith("3 d 0 h 45 min")
    index = {tr.find("a").get_text(): tr.find_all("td")[5].get_text()
             for tr in built.html("incidents/").select("table.pmt-index tbody tr")}
    assert index["INC-LONG"] == "3 d 0 h 45 min"


def test_narration_joint_action_and_unknown_roles(site: SiteFactory) -> None:
    built = tokyo_site(site)
    scenes = playbill(built, "inc-jp").select(".pmt-scenes > li")
    assert "pmt-narration" in scenes[1]["class"]
    assert scenes[1].select_one(".pmt-stage-direction").get_text(strip=True) == "Stage direction"
    roles = [r.get_text() for r in scenes[2].select(".pmt-role")]
    assert roles == ["Network Operations", "Core Team"]
    bad = TOKYO.replace("character: [Network Operations, Core Team]",
                        "character: [Network Operations, Legal]")
    site.incident("jp/outage.yaml", bad)
    built = site.build()
    assert built.warnings_about("docs/incidents/jp/outage.yaml:22:37: timeline[2].character[1]:"
                                " The character 'Legal' is not in the cast")
    assert not built.exists("incidents/inc-jp/")


def test_scene_ids_anchor_and_links_to_missing_scenes_warn(site: SiteFactory) -> None:
    site.page("runbooks/volte.md", """\
        # VoLTE runbook

        See [the failure](incident:INC-JP#scene-routers-fail), [the third](incident:INC-JP#scene-3),
        and [a scene that is gone](incident:INC-JP#scene-rollback).
        """)
    site.incident("jp/outage.yaml", TOKYO)
    (site.root / "docs" / "incidents" / "jp" / "loss.svg").write_text("<svg/>", encoding="utf-8")
    built = site.build()
    page = playbill(built, "inc-jp")
    assert page.select_one("li#scene-routers-fail") is not None
    assert page.select_one("#scene-1") is not None  # the positional anchor stays
    links = [a["href"] for a in built.html("runbooks/volte/").select("article a[href*='inc-jp']")]
    assert "../../incidents/inc-jp/#scene-routers-fail" in links
    assert "../../incidents/inc-jp/#scene-3" in links
    warned = built.warnings_about("link 'incident:INC-JP#scene-rollback'")
    assert len(warned) == 1 and "docs/runbooks/volte.md:4:" in warned[0]
    assert "INC-JP has no scene rollback" in warned[0]


def test_detection_before_impact_is_allowed(site: SiteFactory) -> None:
    site.incident("early.yaml", minimal_incident("INC-EARLY", "Warned early").replace(
        "summary:", "detected_at: 2024-03-14T12:33:00Z\nsummary:"))
    built = site.build(strict=True)
    rows = {r[0]: r for r in milestone_rows(playbill(built, "inc-early"))}
    assert rows["Detected"][2].startswith("1 h 29 min before impact")
    assert [r[0] for r in milestone_rows(playbill(built, "inc-early"))] == [
        "Detected", "Impact started"]
    metrics = built.html("incidents/metrics/")
    row = metrics.select("table.pmt-numbers")[-1].select_one("tbody tr")
    assert row.find_all("td")[3].get_text() == "1 h 29 min before impact"
    heights = [float(r["height"]) for r in metrics.select("svg rect[height]")]
    assert heights and min(heights) >= 0, "no bar of negative height"


def test_files_beside_the_incident_are_published_and_linked(site: SiteFactory) -> None:
    built = tokyo_site(site)
    page = playbill(built, "inc-jp")
    link = page.select_one(".pmt-story a[href$='loss.svg']")
    assert link is not None
    target = (built.site_dir / "incidents" / "inc-jp" / link["href"]).resolve()
    assert target.is_file()
    site.incident("jp/outage.yaml", TOKYO.replace(
        "summary: Voice", "impact: \"![graph](graph.png)\"\nsummary: Voice"))
    built = site.build()
    image = playbill(built, "inc-jp").select_one(".pmt-story img")
    # A missing file: the image keeps its words (alt) and loses its target, and a warning
    # names the field's line.
    assert image is not None and image.get("src") is None and image["alt"] == "graph"
    warned = built.warnings_about("docs/incidents/jp/outage.yaml:9:19: impact: link 'graph.png'")
    assert warned and "There is no file incidents/jp/graph.png in this site" in warned[0]


def test_an_image_beside_the_incident_gets_a_working_src(site: SiteFactory) -> None:
    site.incident("jp/outage.yaml",
                  TOKYO.replace("[the graph](loss.svg)", "![the graph](loss.svg)"))
    beside = site.root / "docs" / "incidents" / "jp" / "loss.svg"
    beside.write_text("<svg/>", encoding="utf-8")
    built = site.build(strict=True)
    image = playbill(built, "inc-jp").select_one(".pmt-story img")
    assert image["src"] == "../jp/loss.svg"
    assert (built.site_dir / "incidents" / "jp" / "loss.svg").is_file()


def test_text_lost_to_a_yaml_comment_is_a_warning(site: SiteFactory) -> None:
    site.incident("fix.yaml", minimal_incident("INC-FIX", "Fix #1234"))
    built = site.build()
    warned = built.warnings_about("docs/incidents/fix.yaml:2:11: title:")
    assert warned and "(#1234) is a YAML comment" in warned[0] and "'Fix #1234'" in warned[0]
    # The incident is still published, with what YAML read.
    assert playbill(built, "inc-fix").select_one("h1").get_text() == "Fix"
    site.incident("fix.yaml", minimal_incident("INC-FIX", "'Fix #1234'"))
    built = site.build(strict=True)
    assert playbill(built, "inc-fix").select_one("h1").get_text() == "Fix #1234"


def test_zone_abbreviations_are_refused_with_their_offsets(site: SiteFactory) -> None:
    site.incident("pst.yaml", minimal_incident("INC-PST").replace(
        "started_at: 2024-03-14T14:02:00Z", "started_at: 2024-03-14 14:02 PST"))
    built = site.build()
    warned = built.warnings_about("docs/incidents/pst.yaml:4:13: started_at:")
    assert warned, built.warnings
    assert "-08:00" in warned[0] and "timezone:" in warned[0]


def test_description_and_feed_summary_are_plain_text(site: SiteFactory) -> None:
    site.incident("plain.yaml", minimal_incident("INC-PLAIN").replace(
        "summary: Something broke and we fixed it.",
        "summary: File **291**, which *nobody* read, was [empty](https://x.test/)."))
    built = site.build(strict=True)
    description = playbill(built, "inc-plain").find("meta", attrs={"name": "description"})
    assert description["content"] == "File 291, which nobody read, was empty."
    feed = etree.fromstring((built.site_dir / "incidents" / "feed.xml").read_bytes())
    summary = feed.find(f"{ATOM}entry").findtext(f"{ATOM}summary")
    assert summary == "File 291, which nobody read, was empty."


def test_plot_point_summary_names_the_day_where_it_changes(site: SiteFactory) -> None:
    built = tokyo_site(site)
    marks = playbill(built, "inc-jp").select_one(".pmt-plot-scenes").get_text(" ", strip=True)
    assert "climax (2022-07-02 01:35 JST, Network Operations)" in marks
    assert "resolution (2022-07-03 01:46 JST, Core Team)" in marks


def test_incidents_json_keeps_the_authors_clock(site: SiteFactory) -> None:
    built = tokyo_site(site)
    data = json.loads((built.site_dir / "incidents" / "incidents.json").read_text())
    incident = data["incidents"][0]
    assert incident["timezone"] == "Asia/Tokyo"
    assert incident["started_at"] == "2022-07-02T01:35:00+09:00"
    assert incident["resolved_at"] == "2022-07-04"
    assert incident["approximate"] == ["detected_at"]
    assert incident["timeline"][1]["approximate"] is True
    assert incident["timeline"][2]["character"] == ["Network Operations", "Core Team"]
    assert incident["timeline"][1]["character"] is None
    assert incident["milestones"][0]["name"] == "95 % recovered"


def test_validate_reports_links_inside_incident_files_with_positions(
    site: SiteFactory, tmp_path: Path
) -> None:
    site.incident("a.yaml", minimal_incident("INC-A").replace(
        "summary: Something broke and we fixed it.",
        "summary: Like [the other one](incident:INC-B#scene-9)."))
    site.incident("b.yaml", minimal_incident("INC-B"))
    site.build()  # writes mkdocs.yml
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from mkdocs_pmtheater.cli.main import main; sys.exit(main())", "validate"],
        cwd=site.root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("docs/incidents/a.yaml:5:31: summary: link 'incident:INC-B#scene-9': "
            "INC-B has no scene 9") in result.stdout


def test_broken_links_in_one_file_are_listed_once_and_at_most_twenty(site: SiteFactory) -> None:
    links = " ".join(f"[log {n}](missing-{n}.txt) [again](missing-{n}.txt)" for n in range(30))
    site.incident("many.yaml", minimal_incident("INC-MANY").replace(
        "summary: Something broke and we fixed it.", f"summary: The logs {links}"))
    built = site.build()
    ours = built.warnings_about("docs/incidents/many.yaml")
    assert len(ours) == 21, ours
    assert sum("missing-0.txt" in w for w in ours) == 1
    assert any(w.endswith("many.yaml: 10 more links in this file lead nowhere. Fix the links "
                          "above first; the build lists at most 20 per file.") for w in ours)
    assert built.exists("incidents/inc-many/")  # warnings: the incident is still published
