"""One suite for every front door: the example site built three ways, the same checks on each.

* ``mkdocs``: MkDocs 1.6 with the plugin (the session's ``example_site`` build,
  strict, in this process);
* ``properdocs``: ``python -m properdocs build --strict`` with the plugin;
* ``zensical``: ``python -m mkdocs_pmtheater.cli render``, then
  ``python -m zensical build --clean`` with the example's ``zensical.toml``.

Every build pins the build date (``SOURCE_DATE_EPOCH``) and is made once per
module. What each site must show is worked out from the files themselves
(incident YAML read with PyYAML's string-only loader, runbook Markdown read
as text), never from the plugin's model: every value of every incident on its
playbill (compared as ``tests/test_nothing_lost.py`` does: Markdown as
rendered text, timestamps as the same instant, dates as YYYY-MM-DD), the
catalogue pages, the links of hand-written pages and both kinds of backlinks,
and the data files. A broken ``incident:`` link is reported by every door,
naming the page, line, column and link, and its words stay without a link.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import yaml
from conftest import BUILD_EPOCH, EXAMPLE_SITE, BuiltSite
from rendered_text import markdown_text, squash
from test_catalogue import card_items, follow, incident_of
from test_nothing_lost import MILESTONES, OPEN, REVIEW_LISTS, check_hall, check_playbill
from test_zensical import copy_example

from mkdocs_pmtheater.model.timestamps import (
    is_date_only,
    parse_date,
    parse_timestamp,
    split_approximate,
)

PLATFORMS = ("mkdocs", "properdocs", "zensical")
CATALOGUE = ("incidents/", "incidents/action-items/", "incidents/hall-of-fame/",
             "incidents/metrics/")
DATA_FILES = ("schema.json", "incidents.json", "action-items.ics", "feed.xml")
DOCS = EXAMPLE_SITE / "docs"
MARKDOWN_KEYS = {"summary", "impact", "notes", "environment", "action", "observation", "belief",
                 "lead_up", "climax", "turning_point", "resolution", "why", "because",
                 "citation"}
"""Keys whose values are Markdown (docs/format.md); list items of the review lists and of
``setting.conditions`` are Markdown too."""
BARE_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# Test-side reading of a few known Markdown pages: links [words](target), code left out.
LINK = re.compile(r"\[([^\]\[]+)\]\(([^()\s]+)\)")
FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")


@dataclass
class Door:
    """One platform's build of the example site."""

    name: str
    built: BuiltSite
    output: str
    """Everything the commands printed (both streams); empty for the in-process MkDocs build,
    whose warnings are in ``built.warnings``."""
    status: int


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m <args>`` in ``cwd`` as a user runs it, with the build date pinned."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def build_with(platform: str, root: Path) -> Door:
    """Build the site at ``root`` (a copy of the example) the way ``platform`` does."""
    site_dir = root / "site"
    if platform == "zensical":
        rendered = run(["mkdocs_pmtheater.cli", "render"], root)
        built = run(["zensical", "build", "--clean"], root)
        return Door(platform, BuiltSite(root, site_dir),
                    rendered.stdout + rendered.stderr + built.stdout + built.stderr,
                    rendered.returncode or built.returncode)
    module = {"mkdocs": "mkdocs", "properdocs": "properdocs"}[platform]
    # ProperDocs looks for properdocs.yml first; name the example's mkdocs.yml.
    built = run([module, "build", "--strict", "-f", "mkdocs.yml", "-d", str(site_dir)], root)
    return Door(platform, BuiltSite(root, site_dir), built.stdout + built.stderr,
                built.returncode)


@pytest.fixture(scope="module")
def mkdocs_door(example_site: BuiltSite) -> Door:
    # The session's strict MkDocs build of the example, shared with the other test modules.
    return Door("mkdocs", example_site, "", 0)


@pytest.fixture(scope="module")
def properdocs_door(tmp_path_factory: pytest.TempPathFactory) -> Door:
    return build_with("properdocs", copy_example(tmp_path_factory.mktemp("properdocs")))


@pytest.fixture(scope="module")
def zensical_door(tmp_path_factory: pytest.TempPathFactory) -> Door:
    return build_with("zensical", copy_example(tmp_path_factory.mktemp("zensical")))


@pytest.fixture(scope="module", params=PLATFORMS)
def door(request: pytest.FixtureRequest) -> Door:
    return request.getfixturevalue(f"{request.param}_door")


# -- what the files say ------------------------------------------------------------------
@cache
def incidents() -> dict[str, dict[str, Any]]:
    """Every example incident by id, every scalar as the text written in the file."""
    found = {}
    for path in sorted((DOCS / "incidents").rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        found[data["id"]] = data
    return found


@cache
def visible_markdown():
    return markdown_text(EXAMPLE_SITE / "mkdocs.yml")


def id_of_file(path: str) -> str:
    """The id of the incident file at docs-relative ``path``."""
    data = yaml.load((DOCS / path).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    return data["id"]


def prop_page(page: str) -> str:
    return page[2:] if page.startswith("./") else page.lstrip("/")


def used_pages() -> dict[str, set[str]]:
    """Page named in some prop's ``page`` -> the ids of the incidents naming it."""
    found: dict[str, set[str]] = {}
    for incident_id, data in incidents().items():
        setting = data.get("setting") or {}
        for prop in setting.get("props", []):
            if "page" in prop:
                found.setdefault(prop_page(prop["page"]), set()).add(incident_id)
    return found


@dataclass(frozen=True)
class PageLink:
    page: str
    """docs-relative source of the page holding the link"""
    words: str
    target: str
    incident: str | None
    """the incident the link names, None when it names none that exists"""
    fragment: str
    """the anchor it should reach on the playbill ('' for the playbill itself)"""


def hand_written_pages() -> list[str]:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))


def page_links(page: str) -> list[PageLink]:
    """The incident links of a hand-written page (both forms), outside code."""
    text = (DOCS / page).read_text(encoding="utf-8")
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    found = []
    for words, target in LINK.findall(text):
        path, _, fragment = target.partition("#")
        if path.startswith("incident:"):
            known = {i.lower(): i for i in incidents()}
            incident = known.get(path.removeprefix("incident:").lower())
        elif path.endswith((".yaml", ".yml")) and "://" not in path:
            file = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
            incident = id_of_file(file) if (DOCS / file).is_file() else None
        else:
            continue
        if re.fullmatch(r"L\d+(-L\d+)?", fragment):  # a line anchor of the repository host
            fragment = ""
        found.append(PageLink(page, squash(words), target, incident, fragment.lower()))
    return found


def url_of(src: str) -> str:
    """The directory URL of docs page ``src`` (every door uses directory URLs here)."""
    stem = src.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return stem + "/"


def src_of(url: str) -> str:
    candidates = [url + "index.md", url.rstrip("/") + ".md"]
    return next(c for c in candidates if (DOCS / c).is_file())


# -- values on the playbill ----------------------------------------------------------------
def leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for number, value in enumerate(node):
            yield from leaves(value, (*path, number))
    else:
        yield path, node


def value_problems(article, data: dict[str, Any]) -> list[str]:
    """Every scalar of the file, shown: this catches a key the per-section checks miss.

    Times follow format 1.1: read in the incident's own zone when it names one, ``~``
    marks an approximate time, and a date alone is a day whose time is unknown.
    """
    md = visible_markdown()
    text = squash(article.get_text())
    zone = ZoneInfo(data["timezone"]) if data.get("timezone") else timezone.utc
    stamps = [t["datetime"] for t in article.select("time[datetime]")]
    instants = {datetime.fromisoformat(s) for s in stamps if "T" in s}
    days = {s for s in stamps if "T" not in s}

    def stamp_shown(value: str) -> bool:
        written = split_approximate(str(value))[0]
        if is_date_only(written):
            return written[:10] in days
        return parse_timestamp(written, zone) in instants

    problems = []
    for path, value in leaves(data):
        keys = [p for p in path if isinstance(p, str)]
        last = keys[-1]
        where = ".".join(str(p) for p in path)
        if last in MILESTONES or keys == ["milestones", "at"]:
            shown = stamp_shown(value)
        elif keys == ["timeline", "at"]:
            anchor = article.select_one(f"#scene-{path[1] + 1}")
            scene = anchor if anchor is None or anchor.name == "li" else anchor.find_parent("li")
            time = scene.select_one("time[datetime]") if scene is not None else None
            written = split_approximate(str(value))[0]
            bare = BARE_TIME.match(written)
            if time is None:
                shown = False
            elif is_date_only(written):
                shown = time["datetime"] == written[:10]
            elif bare:  # a bare time is on the clock of the scene before (1.1: its zone)
                at = datetime.fromisoformat(time["datetime"])
                hms = tuple(int(g or 0) for g in bare.groups())
                shown = hms in {(c.hour, c.minute, c.second) for c in (at, at.astimezone(zone))}
            else:
                shown = datetime.fromisoformat(time["datetime"]) == parse_timestamp(written, zone)
        elif last in ("review_date", "due", "done_on"):
            shown = parse_date(value).isoformat() in text
        elif last in MARKDOWN_KEYS or (isinstance(path[-1], int)
                                       and last in (*REVIEW_LISTS, "conditions")):
            shown = md(value) in text
        else:
            shown = squash(value) in text
        if not shown:
            problems.append(f"{data['id']} {where}: {value!r} not on the playbill")
    return problems


def test_the_build_succeeds_without_a_word(door: Door) -> None:
    assert door.status == 0, door.output
    assert "Traceback" not in door.output
    assert not [w for w in door.built.warnings if "pmtheater" in w]
    assert not re.search(r"WARNING|pmtheater:|\.yaml:\d+", door.output), door.output


def test_every_value_of_every_incident_is_on_its_playbill(door: Door) -> None:
    problems = []
    for incident_id, data in incidents().items():
        soup = door.built.html(f"incidents/{incident_id.lower()}/")
        article = soup.select_one("article.pmt-playbill")
        assert article is not None, f"{door.name}: no playbill for {incident_id}"
        problems += check_playbill(door.built, data, visible_markdown())
        problems += value_problems(article, data)
    assert problems == [], problems[:10]


# -- the catalogue -----------------------------------------------------------------------
def test_index_lists_every_incident_with_a_working_link(door: Door) -> None:
    for url in CATALOGUE:
        assert door.built.exists(url), f"{door.name}: no catalogue page at {url}"
    seen = []
    for row in door.built.html("incidents/").select("table.pmt-index tbody tr"):
        cell = row.find("td")
        playbill, _ = follow(door.built, "incidents/", str(cell.a["href"]))
        assert incident_of(playbill) == cell.get_text(strip=True)
        seen.append(incident_of(playbill))
    assert sorted(seen) == sorted(incidents()), "every incident, once"


def test_board_shows_exactly_the_open_action_items(door: Door) -> None:
    expected = {(incident_id, item["id"]) for incident_id, data in incidents().items()
                for item in data.get("action_items", []) if item.get("status", "open") in OPEN}
    assert expected, "the example has open action items"
    assert set(card_items(door.built)) == expected


def test_hall_of_fame_shows_every_award(door: Door) -> None:
    hall = door.built.html("incidents/hall-of-fame/")
    problems = []
    for data in incidents().values():
        problems += check_hall(hall, data, visible_markdown())
    assert problems == []
    entries = hall.select(".pmt-award-for a")
    assert len(entries) == sum(len(d.get("awards", [])) for d in incidents().values())
    for link in entries:
        playbill, fragment = follow(door.built, "incidents/hall-of-fame/", str(link["href"]))
        assert playbill.find(id=fragment) is not None, link["href"]


# -- links and backlinks -----------------------------------------------------------------
def test_incident_links_on_runbooks_reach_the_playbill_and_anchor(door: Door) -> None:
    check_runbook_links(door)


def check_runbook_links(door: Door) -> None:
    checked = 0
    for page in hand_written_pages():
        if not page.startswith("runbooks/"):
            continue
        soup = door.built.html(url_of(page))
        for link in page_links(page):
            assert link.incident is not None, f"{page}: {link.target} names no incident"
            anchors = [a for a in soup.select("a[href]") if squash(a.get_text()) == link.words]
            assert anchors, f"{door.name} {page}: no link with the words {link.words!r}"
            for anchor in anchors:
                href = str(anchor["href"])
                playbill, fragment = follow(door.built, url_of(page), href)
                assert incident_of(playbill) == link.incident, (page, href)
                assert fragment == link.fragment, (page, href, link.target)
                if fragment:
                    assert playbill.find(id=fragment) is not None, (page, href)
            checked += 1
    assert checked >= 10, "the example's runbooks hold both kinds of link"


def test_runbooks_named_in_props_end_with_the_incidents_that_used_them(door: Door) -> None:
    check_used_in(door)


def check_used_in(door: Door) -> None:
    used = used_pages()
    assert used, "the example names runbooks in props"
    for page in hand_written_pages():
        soup = door.built.html(url_of(page))
        section = soup.select_one("section.pmt-used-in")
        if page not in used:
            assert section is None, f"{door.name} {page}: no incident used it"
            continue
        assert section is not None, f"{door.name} {page}: no 'Incidents that used this page'"
        assert "Incidents that used this page" in section.get_text()
        toc = [a.get_text(" ", strip=True) for a in soup.select(".md-sidebar--secondary a")]
        assert "Incidents that used this page" in toc, f"{door.name} {page}: not in the toc"
        listed = set()
        for link in section.select("li a[href]"):
            playbill, _ = follow(door.built, url_of(page), str(link["href"]))
            listed.add(incident_of(playbill))
            assert incident_of(playbill) in link.get_text()
        assert listed == used[page], page
        headings = section.find_parent("article").find_all(re.compile("^h[1-6]$"))
        assert headings[-1] is section.find("h2"), f"{page}: the block is not at the end"


def test_playbills_list_the_pages_that_reference_them(door: Door) -> None:
    referrers: dict[str, set[str]] = {}
    for page in hand_written_pages():
        for link in page_links(page):
            if link.incident:
                referrers.setdefault(link.incident, set()).add(page)
    assert referrers, "the example's pages link to incidents"
    for incident_id in incidents():
        url = f"incidents/{incident_id.lower()}/"
        section = door.built.html(url).select_one("section.pmt-referenced-by")
        expected = referrers.get(incident_id, set())
        if not expected:
            assert section is None, f"{door.name} {incident_id}: nobody links to it"
            continue
        assert section is not None, f"{door.name} {incident_id}: no 'Referenced by'"
        listed = set()
        for link in section.select("li a[href]"):  # not the heading's permalink
            path = posixpath.normpath(posixpath.join(url, str(link["href"]))) + "/"
            assert door.built.exists(path), link["href"]
            listed.add(src_of(path))
        assert listed == expected, incident_id


def test_playbill_sections_are_in_the_table_of_contents(door: Door) -> None:
    for incident_id in incidents():
        soup = door.built.html(f"incidents/{incident_id.lower()}/")
        toc = [a.get_text(" ", strip=True) for a in soup.select(".md-sidebar--secondary a")]
        for heading in soup.select("article.pmt-playbill section.pmt-section > h2"):
            title = heading.get("data-pmt-toc") or squash(heading.get_text()).rstrip(" ¶")
            assert title in toc, f"{door.name} {incident_id}: {title!r} not in {toc}"


# -- data files ------------------------------------------------------------------------------
def test_data_files_are_published_and_hold_the_same_incidents(door: Door) -> None:
    folder = door.built.site_dir / "incidents"
    for name in DATA_FILES:
        assert (folder / name).is_file(), f"{door.name}: incidents/{name} is not published"
    ids = set(incidents())
    exported = json.loads((folder / "incidents.json").read_text(encoding="utf-8"))
    records = exported["incidents"] if isinstance(exported, dict) else exported
    assert {r["id"] for r in records} == ids
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    assert "id" in schema["properties"]
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(folder / "feed.xml").getroot()
    announced = {d["id"] for d in incidents().values() if d.get("status") != "draft"}
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == min(20, len(announced))
    assert all(any(i in (e.findtext(f"{atom}title") or "") for i in announced) for e in entries)
    calendar = icalendar.Calendar.from_ical((folder / "action-items.ics").read_bytes())
    uids = {str(e["UID"]).split("@")[0] for e in calendar.walk("VEVENT")}
    assert uids == {f"{incident_id}-{item['id']}" for incident_id, data in incidents().items()
                    for item in data.get("action_items", [])
                    if item.get("status", "open") in OPEN and "due" in item}


def test_data_files_are_the_same_on_every_platform(mkdocs_door: Door, properdocs_door: Door,
                                                  zensical_door: Door) -> None:
    for name in DATA_FILES:
        contents = {}
        for door in (mkdocs_door, properdocs_door, zensical_door):
            data = (door.built.site_dir / "incidents" / name).read_bytes()
            # render marks the files it writes; the marker is an XML comment in the feed.
            contents[door.name] = re.sub(rb"<!-- Generated by 'pmtheater render'[^>]*-->\n",
                                         b"", data)
        assert contents["mkdocs"] == contents["properdocs"] == contents["zensical"], name


# -- a broken link ---------------------------------------------------------------------------
BROKEN_PAGE = """---
tags: [broken]
---

# Broken

Keep the words: [the lost incident](incident:INC-2099-404) and on.
"""
"""Front matter first: Zensical strips it before the extension sees the text, and the
line reported must still be the file's."""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_broken_incident_link_names_page_line_and_link_and_keeps_the_words(
        platform: str, tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "docs" / "runbooks" / "broken.md").write_text(BROKEN_PAGE, encoding="utf-8")
    number, line = next((n, t) for n, t in enumerate(BROKEN_PAGE.splitlines(), 1)
                        if "incident:" in t)
    message = (f"docs/runbooks/broken.md:{number}:{line.index('incident:') + 1}: "
               "link 'incident:INC-2099-404': No incident has the id 'INC-2099-404'.")
    if platform == "zensical":
        rendered = run(["mkdocs_pmtheater.cli", "render"], root)
        assert rendered.returncode == 1, "render fails on a broken link (for CI)"
        assert message in rendered.stdout, rendered.stdout + rendered.stderr
        built = run(["zensical", "build", "--clean"], root)
        assert built.returncode == 0, built.stderr
        assert message in built.stderr, built.stderr  # the pmtheater Markdown extension
        outputs = rendered.stdout + rendered.stderr + built.stdout + built.stderr
    else:
        strict = build_with(platform, root)
        assert strict.status != 0, "a strict build fails on a broken link"
        assert message in strict.output, strict.output
        relaxed = run([platform, "build", "-f", "mkdocs.yml", "-d", str(root / "site")], root)
        assert relaxed.returncode == 0
        assert message in relaxed.stderr
        outputs = strict.output + relaxed.stdout + relaxed.stderr
    assert "Traceback" not in outputs
    built_site = BuiltSite(root, root / "site")
    page = built_site.html("runbooks/broken/")
    words = [s for s in page.select("span.pmt-broken-link") if s.get_text() == "the lost incident"]
    assert len(words) == 1, f"{platform}: the link's words stay"
    assert not [a for a in page.select("a") if a.get_text() == "the lost incident"]
    assert "and on." in page.get_text()
    assert built_site.exists("incidents/inc-2024-031/"), "the other pages still publish"


def test_zensical_from_another_folder_finds_the_same_site(tmp_path: Path) -> None:
    # `zensical build -f site/zensical.toml` from elsewhere: the pmtheater extension must
    # read that site (Zensical's root_dir), not look for a config in the current folder.
    root = copy_example(tmp_path)
    config = str(root.relative_to(tmp_path) / "zensical.toml")
    rendered = run(["mkdocs_pmtheater.cli", "render", "-f", config], tmp_path)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    built = run(["zensical", "build", "--clean", "-f", config], tmp_path)
    assert built.returncode == 0, built.stderr
    assert "link '" not in built.stderr, built.stderr
    door = Door("zensical", BuiltSite(root, root / "site"), built.stderr, 0)
    check_runbook_links(door)
    check_used_in(door)
