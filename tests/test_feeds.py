"""The published data files: schema.json, incidents.json, the iCalendar and the Atom feed.

The calendar is read with the ``icalendar`` package and the feed with
``xml.etree``, as a subscriber's software would read them.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as etree
from datetime import date, datetime, timezone
from pathlib import Path

import icalendar
import jsonschema
import yaml
from conftest import SiteFactory, minimal_incident

from mkdocs_pmtheater.load.schema import load_schema
from mkdocs_pmtheater.publish.feeds import fold, ical_text

ATOM = "{http://www.w3.org/2005/Atom}"

ITEMS = """
id: INC-2024-031
title: Checkout, pricing; and a very long title that goes on — with ünïcödé — well past the fold
severity: SEV2
started_at: 2024-03-14T14:02:00Z
resolved_at: 2024-03-14T15:30:00Z
review_date: 2024-03-20
tags: [cache, redis]
summary: |
  A **million** keys expired at once; see [the runbook](../../runbooks/x.md).
action_items:
  - id: AI-1
    title: Add jitter, then; test \\ it
    owner: "@aiko"
    due: 2024-04-15
    priority: P2
  - id: AI-2
    title: Done already
    owner: "@lena"
    status: done
  - id: AI-3
    title: Blocked one
    owner: "@kwame"
    due: 2024-04-01
    status: blocked
    tracker: https://tracker.example.com/browse/REL-3
"""

DRAFT = """
id: INC-2025-001
title: Draft incident
severity: SEV4
status: draft
started_at: 2025-01-05T10:00:00Z
summary: Being written.
action_items:
  - id: AI-1
    title: Draft item
    owner: "@noor"
    due: 2025-02-01
"""


def feeds_site(site: SiteFactory) -> SiteFactory:
    site.page("runbooks/x.md", "# The runbook\n")  # the summary links to it
    site.incident("2024/checkout.yaml", ITEMS)
    # The summary links to it, relative to the YAML file (1.1 warns about missing files).
    site.page("incidents/runbooks/x.md", "# X\n")
    site.incident("2025/draft.yaml", DRAFT)
    site.incident("2023/old.yaml", minimal_incident("INC-2023-001", "Old & <odd>").replace(
        "2024-03-14", "2023-01-02"))
    return site


def read(built, path: str) -> bytes:
    return (built.site_dir / path).read_bytes()


def test_ical_feed_parses_and_lists_open_items(site: SiteFactory, build_epoch: str) -> None:
    built = feeds_site(site).build(strict=True)
    raw = read(built, "incidents/action-items.ics")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    events = calendar.walk("VEVENT")
    # Open items only (done ones are left out), the draft's too (drafts are published).
    assert [str(e["UID"]) for e in events] == [
        "INC-2024-031-AI-3@docs.example.test",
        "INC-2024-031-AI-1@docs.example.test",
        "INC-2025-001-AI-1@docs.example.test",
    ]
    jitter = events[1]
    assert jitter.decoded("DTSTART") == date(2024, 4, 15)
    assert jitter.decoded("DTEND") == date(2024, 4, 16)
    assert str(jitter["SUMMARY"]) == "AI-1 (INC-2024-031): Add jitter, then; test \\ it"
    assert str(jitter["URL"]) == "https://docs.example.test/incidents/inc-2024-031/#ai-1"
    description = str(jitter["DESCRIPTION"])
    assert description.splitlines()[0] == (
        "INC-2024-031: Checkout, pricing; and a very long title that goes on — with ünïcödé — "
        "well past the fold")
    assert "Owner: @aiko" in description and "Priority: P2" in description
    assert jitter.decoded("DTSTAMP") == datetime(2026, 11, 26, tzinfo=timezone.utc)
    assert "Tracker: https://tracker.example.com/browse/REL-3" in str(events[0]["DESCRIPTION"])


def test_ical_folding_and_escaping() -> None:
    line = "SUMMARY:" + ical_text("é" * 100 + ", ; \\ \n end")
    folded = fold(line)
    parts = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:-1])
    parts[0].decode("utf-8")  # never splits a character
    event = icalendar.Event.from_ical("BEGIN:VEVENT\r\n" + folded + "END:VEVENT\r\n")
    assert str(event["SUMMARY"]) == "é" * 100 + ", ; \\ \n end"


def test_feeds_are_reproducible(site: SiteFactory, build_epoch: str, tmp_path: Path) -> None:
    built = feeds_site(site).build()
    first = {name: read(built, f"incidents/{name}")
             for name in ("action-items.ics", "feed.xml", "incidents.json", "schema.json")}
    again = site.build()
    for name, content in first.items():
        assert read(again, f"incidents/{name}") == content, name


def test_atom_feed(site: SiteFactory, build_epoch: str) -> None:
    built = feeds_site(site).build(strict=True)
    root = etree.fromstring(read(built, "incidents/feed.xml"))
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Test site: post-mortems"
    assert root.findtext(f"{ATOM}id") == "https://docs.example.test/incidents/feed.xml"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == root.findtext(f"{ATOM}id")
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Test site"
    entries = root.findall(f"{ATOM}entry")
    # Newest first; the draft is not announced.
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "INC-2024-031: Checkout, pricing; and a very long title that goes on — with ünïcödé — "
        "well past the fold",
        "INC-2023-001: Old & <odd>",
    ]
    newest = entries[0]
    assert newest.findtext(f"{ATOM}id") == "https://docs.example.test/incidents/inc-2024-031/"
    assert newest.find(f"{ATOM}link").get("href") == newest.findtext(f"{ATOM}id")
    # "updated" comes from the data: the review after the resolution.
    assert newest.findtext(f"{ATOM}updated") == "2024-03-20T00:00:00Z"
    assert newest.findtext(f"{ATOM}published") == "2024-03-14T14:02:00Z"
    assert root.findtext(f"{ATOM}updated") == "2024-03-20T00:00:00Z"
    assert [c.get("term") for c in newest.findall(f"{ATOM}category")] == ["SEV2", "cache",
                                                                          "redis"]
    assert newest.findtext(f"{ATOM}summary").startswith("A million keys expired at once; see")


def test_feed_without_site_url_uses_relative_links(site: SiteFactory) -> None:
    site.config.pop("site_url")
    built = feeds_site(site).build(strict=True)
    root = etree.fromstring(read(built, "incidents/feed.xml"))
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == "inc-2024-031/"
    assert entry.findtext(f"{ATOM}id").startswith("urn:uuid:")
    calendar = icalendar.Calendar.from_ical(read(built, "incidents/action-items.ics"))
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]).endswith("@pmtheater") and "URL" not in event
    data = json.loads(read(built, "incidents/incidents.json"))
    assert data["incidents"][0]["url"] == "incidents/inc-2025-001/"


def test_incidents_json(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"drafts": "hide"}}]
    built = feeds_site(site).build(strict=True)
    data = json.loads(read(built, "incidents/incidents.json"))
    assert data["format"] == "mkdocs-pmtheater/incidents" and data["version"] == 1
    assert [i["id"] for i in data["incidents"]] == ["INC-2024-031", "INC-2023-001"]
    first = data["incidents"][0]
    assert first["url"] == "https://docs.example.test/incidents/inc-2024-031/"
    assert first["resolved_at"] == "2024-03-14T15:30:00Z"
    assert first["review_date"] == "2024-03-20"
    assert [(i["id"], i["open"]) for i in first["action_items"]] == [
        ("AI-1", True), ("AI-2", False), ("AI-3", True)]
    assert first["source"] == "incidents/2024/checkout.yaml"


def test_published_schema_has_the_sites_severities(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"severities": ["S1", "S2"]}}]
    site.incident("a.yaml", minimal_incident("INC-1").replace("SEV3", "S2"))
    built = site.build(strict=True)
    schema = json.loads(read(built, "incidents/schema.json"))
    assert schema == load_schema(["S1", "S2"])
    data = yaml.safe_load(minimal_incident("INC-1").replace("SEV3", "S2"))
    data["started_at"] = "2024-03-14T14:02:00Z"
    jsonschema.validate(data, schema)


def test_a_docs_file_at_a_feed_address_wins(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("INC-1"))
    site.page("incidents/feed.xml", "<mine/>\n")
    built = site.build()
    assert read(built, "incidents/feed.xml") == b"<mine/>\n"
    assert built.warnings_about("docs/incidents/feed.xml: This file takes the address "
                                "incidents/feed.xml of the plugin's Atom feed")


def test_calendar_events_kept_by_serve_give_the_uncached_calendar() -> None:
    """``mkdocs serve`` keeps each incident's events across rebuilds (by the loader's
    incident object): after an edit, the calendar is the one made from scratch."""
    from conftest import generated_incident_data, load_incident_data

    from mkdocs_pmtheater.load.loader import IncidentLoader
    from mkdocs_pmtheater.publish.feeds import CalendarEvents, calendar_document

    datas = generated_incident_data(60, seed=8)
    loader = IncidentLoader(("SEV1", "SEV2", "SEV3", "SEV4", "SEV5"), timezone.utc)

    def entries() -> list:
        return [(i, f"https://x.test/incidents/{i.slug}/")
                for i in load_incident_data(loader, datas)]

    stamp = datetime(2024, 5, 1, tzinfo=timezone.utc)
    known: CalendarEvents = {}
    before = entries()
    first = calendar_document(before, name="n", host="x.test", stamp=stamp, known=known)
    assert first == calendar_document(before, name="n", host="x.test", stamp=stamp)
    edited = next(d for d in datas if any(a.get("status") == "open" and a.get("due")
                                          for a in d.get("action_items", [])))
    item = next(a for a in edited["action_items"] if a.get("status") == "open" and a.get("due"))
    item["title"] = "A title only the edit has"
    after = entries()
    second = calendar_document(after, name="n", host="x.test", stamp=stamp, known=known)
    assert "A title only the edit has" in second and "A title only the edit has" not in first
    assert second == calendar_document(after, name="n", host="x.test", stamp=stamp)
    # Another address (site_url changed) makes every event again.
    moved = [(i, u.replace("x.test", "y.test")) for i, u in after]
    third = calendar_document(moved, name="n", host="x.test", stamp=stamp, known=known)
    assert third == calendar_document(moved, name="n", host="x.test", stamp=stamp)
    assert "https://y.test/" in third and "https://x.test/" not in third
    assert sorted(id(e[0]) for e in known.values()) == sorted(id(i) for i, _ in after)
