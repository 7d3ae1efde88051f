"""Hardening of the loader and its messages (issue #9, items 6, 7, 9, 10, 11 and 14 in part).

Each test states a fault a hostile or unlucky author could cause and checks the right
value: real instants across daylight-saving changes, messages that never echo a file,
invisible characters refused where they are, links read as browsers read them, advice
that quotes what was written, and lines and columns right for every line ending.
Builds are real ``mkdocs build`` runs; the CLI runs as ``python -m``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import SiteFactory, minimal_incident

from mkdocs_pmtheater.catalogue.metrics import overall
from mkdocs_pmtheater.catalogue.people import People, name_key
from mkdocs_pmtheater.load.loader import IncidentLoader, LoadedFile
from mkdocs_pmtheater.load.schema import load_schema
from mkdocs_pmtheater.load.urlcheck import url_problem
from mkdocs_pmtheater.load.yamlsource import position
from mkdocs_pmtheater.model.incident import SEVERITY_DEFAULT, Incident
from mkdocs_pmtheater.model.problems import Problem, excerpt, format_path
from mkdocs_pmtheater.model.timestamps import (
    NonexistentTime,
    elapsed,
    on_same_day,
    read_timestamp,
)
from mkdocs_pmtheater.publish.feeds import last_change

NEW_YORK = ZoneInfo("America/New_York")


def load(text: str | bytes, zone=timezone.utc, name: str = "docs/incidents/x.yaml"
         ) -> LoadedFile:
    """One file through the loader, as a build reads it."""
    raw = text if isinstance(text, bytes) else textwrap.dedent(text).lstrip("\n").encode()
    return IncidentLoader(SEVERITY_DEFAULT, zone).read_file(raw, "incidents/x.yaml", name)


def texts(loaded: LoadedFile) -> list[str]:
    return [p.text() for p in loaded.problems]


def ny_site(site: SiteFactory) -> SiteFactory:
    site.config["plugins"] = ["search", {"pmtheater": {"timezone": "America/New_York"}}]
    return site


# -- 6. daylight saving ------------------------------------------------------------------

SPRING = """
id: INC-DST-1
title: Across the spring-forward hour
severity: SEV3
started_at: 2024-03-10 01:30
detected_at: 2024-03-10 01:45
mitigated_at: 2024-03-10 03:05
resolved_at: 2024-03-10 03:20
summary: The clocks jumped from 02:00 to 03:00 during this incident.
cast:
  - role: On-Call Engineer
timeline:
  - at: "01:50"
    character: On-Call Engineer
    action: Paged.
  - at: "03:10"
    character: On-Call Engineer
    action: Rolled back.
"""


def test_durations_across_spring_forward_are_real_time() -> None:
    loaded = load(SPRING, NEW_YORK)
    incident = loaded.incident
    assert incident is not None, texts(loaded)
    # 01:30 EST to 03:20 EDT is 50 minutes, not the 1 h 50 min of the wall clock.
    assert incident.time_to_detect == timedelta(minutes=15)
    assert incident.time_to_mitigate == timedelta(minutes=35)
    assert incident.time_to_resolve == timedelta(minutes=50)
    first, second = incident.timeline
    assert first.at == datetime(2024, 3, 10, 6, 50, tzinfo=timezone.utc)
    assert second.at == datetime(2024, 3, 10, 7, 10, tzinfo=timezone.utc)  # 03:10 EDT
    assert elapsed(first.at, second.at) == timedelta(minutes=20)


def test_playbill_and_metrics_show_real_durations(site: SiteFactory) -> None:
    ny_site(site)
    site.config["plugins"][1]["pmtheater"]["catalogue"] = {"pages": ["index", "metrics"]}
    site.incident("dst.yaml", SPRING)
    built = site.build(strict=True)
    page = built.html("incidents/inc-dst-1/")
    header = " ".join(page.select_one("table").get_text(" ").split())
    assert "50 min (time to resolve)" in header
    assert "35 min (time to mitigate)" in header
    assert "1 h 50 min" not in header and "1 h 35 min" not in header
    assert "03:10 EDT" in page.get_text() and "01:50 EST" in page.get_text()
    exported = json.loads((built.site_dir / "incidents" / "incidents.json").read_text())
    [entry] = [i for i in exported["incidents"] if i["id"] == "INC-DST-1"]
    # Format 1.1: on the incident's clock (here the site's zone), with its offset.
    assert entry["resolved_at"] == "2024-03-10T03:20:00-04:00"
    assert [s["at"] for s in entry["timeline"]] == ["2024-03-10T01:50:00-05:00",
                                                   "2024-03-10T03:10:00-04:00"]
    metrics = " ".join(built.html("incidents/metrics/").get_text(" ").split())
    assert "50 min" in metrics and "1 h 50 min" not in metrics


def test_model_and_metrics_subtract_instants_even_with_one_shared_zone() -> None:
    # Python subtracts datetimes that share a tzinfo on the wall clock; the model must not.
    start = datetime(2024, 3, 10, 1, 30, tzinfo=NEW_YORK)
    end = datetime(2024, 3, 10, 3, 0, tzinfo=NEW_YORK)
    assert end - start == timedelta(hours=1, minutes=30)  # the pitfall itself
    incident = Incident("INC-1", "t", "SEV3", start, "s", "x.yaml", resolved_at=end,
                        detected_at=datetime(2024, 3, 10, 3, 0, tzinfo=NEW_YORK))
    assert incident.time_to_resolve == timedelta(minutes=30)
    assert overall([incident]).medians["resolve"] == timedelta(minutes=30)
    # The same wall-clock pitfall in max(): 01:50 EDT, then 01:10 EST (40 minutes later).
    fall_start = datetime(2024, 11, 3, 1, 50, tzinfo=NEW_YORK)
    fall_end = datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NEW_YORK)
    late = Incident("INC-2", "t", "SEV3", fall_start, "s", "y.yaml", resolved_at=fall_end)
    assert late.time_to_resolve == timedelta(minutes=20)
    assert last_change(late) is fall_end


@pytest.mark.parametrize(("text", "message", "earlier", "later"), [
    ("2024-03-10 02:30", "02:30 does not exist on 2024-03-10 in America/New_York (clocks "
     "jumped from 02:00 to 03:00)", "2024-03-10T01:30:00-05:00", "2024-03-10T03:30:00-04:00"),
    ("2024-03-10T02:00:30", "02:00:30 does not exist", "2024-03-10T01:00:30-05:00",
     "2024-03-10T03:00:30-04:00"),
])
def test_a_skipped_local_time_is_refused_with_both_readings(
        text: str, message: str, earlier: str, later: str) -> None:
    with pytest.raises(NonexistentTime) as caught:
        read_timestamp(text, NEW_YORK)
    assert message in str(caught.value)
    assert f"{earlier} (1 h earlier) or {later} (1 h later)" in caught.value.hint
    # The two readings are the written time at the offset before and after the change:
    # real moments, an hour apart.
    a, b = (read_timestamp(t, NEW_YORK).instant for t in (earlier, later))
    assert b - a == timedelta(hours=1)


def test_a_half_hour_shift_is_named_as_such() -> None:
    # Lord Howe Island moves its clocks by 30 minutes.
    with pytest.raises(NonexistentTime) as caught:
        read_timestamp("2024-10-06 02:15", ZoneInfo("Australia/Lord_Howe"))
    assert "(clocks jumped from 02:00 to 02:30)" in str(caught.value)
    assert "(30 min earlier)" in caught.value.hint


def test_a_date_alone_starts_when_the_day_does() -> None:
    # Sao Paulo jumped from 00:00 to 01:00 on 2018-11-04: that day began at 01:00 (-02:00).
    reading = read_timestamp("2018-11-04", ZoneInfo("America/Sao_Paulo"))
    assert reading.instant == datetime(2018, 11, 4, 3, 0, tzinfo=timezone.utc)
    with pytest.raises(NonexistentTime):
        read_timestamp("2018-11-04 00:30", ZoneInfo("America/Sao_Paulo"))


def test_times_with_an_offset_are_never_refused_or_ambiguous() -> None:
    reading = read_timestamp("2024-03-10T02:30:00-05:00", NEW_YORK)
    assert reading.instant == datetime(2024, 3, 10, 7, 30, tzinfo=timezone.utc)
    assert reading.ambiguity is None
    assert read_timestamp("2024-11-03T01:30:00-05:00", NEW_YORK).ambiguity is None


FALL = """
id: INC-DST-2
title: In the repeated hour
severity: SEV3
started_at: 2024-11-03 01:30
summary: The clocks went back from 02:00 to 01:00 during this incident.
cast:
  - role: On-Call Engineer
timeline:
  - at: "01:45"
    character: On-Call Engineer
    action: Paged (first 01:45, EDT).
  - at: "01:10"
    character: On-Call Engineer
    action: Rolled back (01:10 EST, after the clocks went back).
"""


def test_a_repeated_local_time_takes_the_first_reading_and_warns_at_its_line() -> None:
    loaded = load(FALL, NEW_YORK)
    assert loaded.incident is not None  # a warning, not an error
    warnings = texts(loaded)
    assert warnings[0] == (
        "docs/incidents/x.yaml:4:13: started_at: 01:30 on 2024-11-03 happened twice in "
        "America/New_York (clocks went back from 02:00 to 01:00); read as the first, "
        "2024-11-03T01:30:00-04:00 (EDT). If you meant the other, write "
        "2024-11-03T01:30:00-05:00 (EST); writing the offset also silences this warning.")
    assert all(not p.blocking for p in loaded.problems)
    started = loaded.incident.started_at
    assert started == datetime(2024, 11, 3, 5, 30, tzinfo=timezone.utc)
    first, second = loaded.incident.timeline
    assert first.at == datetime(2024, 11, 3, 5, 45, tzinfo=timezone.utc)
    # A bare time goes forward when only its second reading does: 01:10 EST.
    assert second.at == datetime(2024, 11, 3, 6, 10, tzinfo=timezone.utc)
    assert any("timeline[1].at: 01:10 on 2024-11-03 happened twice" in w
               and "read as the second, 2024-11-03T01:10:00-05:00 (EST)" in w
               for w in warnings)
    assert loaded.problems[-1].line == 12


def test_a_repeated_local_time_publishes_and_fails_strict(site: SiteFactory) -> None:
    ny_site(site)
    site.incident("fall.yaml", FALL)
    built = site.build()
    assert built.exists("incidents/inc-dst-2/")
    assert built.warnings_about("fall.yaml:4:13: started_at: 01:30 on 2024-11-03 happened twice")
    page = built.html("incidents/inc-dst-2/").get_text()
    assert "01:30 EDT" in page and "01:10 EST" in page
    with pytest.raises(Exception, match="strict"):
        site.build(strict=True)


def test_bare_time_keeps_a_written_offset_as_its_clock() -> None:
    start = read_timestamp("2024-03-10T01:50:00-05:00", NEW_YORK)
    # A fixed offset has no gap: 02:30 at -05:00 exists, and is 03:30 EDT.
    later = on_same_day(start.instant, time(2, 30), start.clock)
    assert later.instant == datetime(2024, 3, 10, 7, 30, tzinfo=timezone.utc)
    zoned = read_timestamp("2024-03-10 01:50", NEW_YORK)
    with pytest.raises(NonexistentTime):
        on_same_day(zoned.instant, time(2, 30), zoned.clock)


# -- 7. messages never echo a file --------------------------------------------------------

def test_a_file_of_one_long_text_is_quoted_as_a_short_excerpt() -> None:
    secret = "BEGIN-" + "x" * 50_000 + "-SECRET-END"
    loaded = load(secret.encode())
    [text] = texts(loaded)
    assert "The file holds the value 'BEGIN-xxxx" in text
    assert "SECRET-END" not in text and len(text) < 400


def test_every_message_quotes_long_values_shortly() -> None:
    long = "L" * 5000
    text = f"""
    id: INC-1
    title: Long values everywhere
    severity: {long}
    started_at: 2024-03-14T14:02:00.{"1" * 5000}Z
    mitigated_at: 2024-03-14T14:00:00.{"2" * 5000}Z
    summary: s
    {long[:900]}: unknown key
    cast:
      - role: {long}
      - role: {long}
    timeline:
      - at: "{long}"
        character: C
        action: a
      - at: "14:05"
        character: X{long}
        action: a
    setting:
      props:
        - name: p
          page: {long}.md
          url: https://{long}.example.com/
    action_items:
      - {{id: AI-1, title: t, owner: o, due: 2024-05-01, status: {long}, tracker: "/{long}"}}
    """
    problems = texts(load(text))
    assert len(problems) == 7, problems
    # Problems the reader finds (and which stop the file before the schema):
    for reader_case in (f"title: !{long} c\n", f"title: &a x\ndirector: *{long}\n",
                        f"'{long[:900]}': 1\n'{long[:900]}': 2\n", f"title: {'9' * 5000}\n"):
        problems += texts(load(minimal_incident("INC-2").replace("title: A small outage\n", "")
                               + reader_case))
    assert len(problems) == 11, problems
    for message in problems:
        assert len(message) < 800, message
        assert "L" * 61 not in message and "1" * 61 not in message


def test_a_value_with_invisible_characters_is_shown_escaped() -> None:
    text = minimal_incident("INC-1") + '"bad\\tkey\\0": 1\nseverity_: "SEV\\x1b[2J"\n'
    problems = texts(load(text))
    assert any("Unknown key 'bad\\tkey\\x00'" in p for p in problems), problems
    assert any("Unknown key 'severity_'" in p for p in problems)
    for problem in problems:
        assert problem.isprintable(), problem
    assert excerpt("a\u200bb\u202ec\x00d\te\n") == "a\\u200bb\\u202ec\\x00d\\te\\n"
    assert excerpt("é 𝄞 name") == "é 𝄞 name"
    assert excerpt("y" * 100) == "y" * 60 + "…"
    assert format_path(("cast", 0, "k" * 100)) == "cast[0]." + "k" * 40 + "…"


def test_problem_text_is_one_line_whatever_it_holds() -> None:
    problem = Problem("docs/a\nWARNING fake.yaml", 1, 1, "f\r", "m\x1b[31m", "h\u2028i")
    assert problem.text() == "docs/a\\nWARNING fake.yaml:1:1: f\\r: M\\x1b[31m. H\\u2028i."


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "credentials.yaml"
    secret.parent.mkdir(parents=True)
    secret.write_text("TOPSECRET-" + "k" * 200 + "\n", encoding="utf-8")
    return secret


def test_incident_links_out_of_docs_dir_are_not_read(site: SiteFactory, tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    folder = tmp_path / "outside" / "more"
    folder.mkdir()
    (folder / "valid.yaml").write_text(minimal_incident("INC-OUT", "Outside the docs"))
    site.incident("ok.yaml", minimal_incident("INC-OK", "Inside the docs"))
    incidents = site.root / "docs" / "incidents"
    (incidents / "leak.yaml").symlink_to(secret)
    (incidents / "linked-folder").symlink_to(folder, target_is_directory=True)
    # A link that stays inside docs_dir is fine.
    site.page("shared/inc.yaml", minimal_incident("INC-SHARED", "Shared inside docs"))
    (incidents / "shared.yaml").symlink_to(site.root / "docs" / "shared" / "inc.yaml")
    built = site.build()
    assert built.exists("incidents/inc-ok/") and built.exists("incidents/inc-shared/")
    assert not built.exists("incidents/inc-out/")
    assert not any("TOPSECRET" in w for w in built.warnings)
    for name in ("leak.yaml", "linked-folder/valid.yaml"):
        [warning] = built.warnings_about(f"docs/incidents/{name}: ")
        assert "symbolic link that leads outside docs_dir; it was not read" in warning
    assert not (built.site_dir / "incidents" / "leak.yaml").exists()


def test_validate_does_not_follow_links_out_of_docs_dir(site: SiteFactory,
                                                        tmp_path: Path) -> None:
    secret = _outside(tmp_path)
    site.incident("ok.yaml", minimal_incident("INC-OK"))
    (site.root / "docs" / "incidents" / "leak.yaml").symlink_to(secret)
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    for args in ([], ["docs/incidents/leak.yaml"], ["docs/incidents"]):
        done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.cli.main", "validate",
                               *args], cwd=site.root, capture_output=True, text=True, env=env,
                              timeout=120, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert "docs/incidents/leak.yaml: The file is, or is inside a folder that is, a " \
               "symbolic link that leads outside docs_dir" in output
        assert "TOPSECRET" not in output


# -- 9. text that displays differently from what it holds ---------------------------------

FIELDS = """
id: INC-1
title: Checkout down
severity: SEV3
started_at: 2024-03-14T14:02:00Z
summary: Something broke.
director: Lena
services: [checkout]
tags: [cache]
cast:
  - role: On-Call Engineer
    actor: Priya
timeline:
  - at: "14:05"
    character: On-Call Engineer
    action: Paged.
setting:
  props:
    - name: Dashboard
  conditions:
    - Busy night.
action_items:
  - id: AI-1
    title: Add jitter
    owner: Aiko
    due: 2024-05-01
awards:
  - award: Calm Under Fire
    recipient: Priya
"""
PLACES = [  # (field, the text to put the character after, its line)
    ("title", "Checkout", 2), ("director", "Lena", 6), ("services[0]", "checkout", 7),
    ("tags[0]", "cache", 8), ("cast[0].role", "On-Call Engineer", 10),
    ("cast[0].actor", "Priya", 11), ("timeline[0].character", "    character: On-Call", 14),
    ("timeline[0].action", "Paged", 15), ("setting.props[0].name", "Dashboard", 18),
    ("setting.conditions[0]", "Busy", 20), ("action_items[0].title", "Add jitter", 23),
    ("action_items[0].owner", "Aiko", 24), ("awards[0].award", "Calm", 27),
    ("awards[0].recipient", "    recipient: Priya", 28), ("summary", "Something", 5),
]


@pytest.mark.parametrize(("field", "after", "line"), PLACES, ids=[p[0] for p in PLACES])
@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\u200b", "\u2060", "\ufeff",
                                  "\U000e0041"])
def test_invisible_characters_are_refused_where_they_are(
        field: str, after: str, line: int, char: str) -> None:
    text = FIELDS.lstrip("\n")
    start = text.index(after) + len(after)
    marked = text[:start] + char + text[start:]
    column = start - text.rfind("\n", 0, start)
    loaded = load(marked.encode())
    assert loaded.incident is None
    import unicodedata
    name = f"U+{ord(char):04X} {unicodedata.name(char)}"
    wanted = f"docs/incidents/x.yaml:{line}:{column}: {field}: The text holds {name}"
    assert any(t.startswith(wanted) for t in texts(loaded)), texts(loaded)
    assert all(t.isprintable() for t in texts(loaded))


def test_invisible_characters_written_as_escapes_are_found_at_the_escape() -> None:
    text = minimal_incident("INC-1").replace(
        "title: A small outage", 'title: "Pay\\u202Eevil \\U000E0041 \\xAD"')
    loaded = load(text)
    found = [(p.line, p.column, p.message.split(",")[0]) for p in loaded.problems]
    assert found == [
        (2, 12, "the text holds U+202E RIGHT-TO-LEFT OVERRIDE"),
        (2, 23, "the text holds U+E0041 TAG LATIN CAPITAL LETTER A"),
        (2, 34, "the text holds U+00AD SOFT HYPHEN"),
    ]


def test_a_bidi_control_in_a_comment_or_a_key_is_refused() -> None:
    text = minimal_incident("INC-1") + "# approved \u202e by lena\n\u2067tags: [a]\n"
    problems = texts(load(text))
    assert any(p.startswith("docs/incidents/x.yaml:6:12: This line (a comment") for p in problems)
    assert any(p.startswith("docs/incidents/x.yaml:7:1: tags: The text holds U+2067")
               or p.startswith("docs/incidents/x.yaml:7:1: \\u2067tags: The text holds")
               for p in problems), problems


def test_joiners_are_kept_where_emoji_and_scripts_need_them(site: SiteFactory) -> None:
    emoji = "\U0001f469\u200d\U0001f4bb"  # woman technologist
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    site.incident("ok.yaml", minimal_incident("INC-1") + textwrap.dedent(f"""\
        awards:
          - award: "{emoji} Best debugging"
            recipient: {persian}
        """))
    built = site.build(strict=True)
    page = built.html("incidents/inc-1/").get_text()
    assert f"{emoji} Best debugging" in page and persian in page
    for title in ("\u2764\ufe0f\u200d\U0001f525 on fire", "1\ufe0f\u20e3 first",
                  "\U0001f3f3\ufe0f\u200d\U0001f308 flag"):
        kept = load(minimal_incident("INC-3", title))
        assert kept.incident is not None and kept.incident.title == title, texts(kept)
    for title, name in (("A sm\u200dall", "U+200D ZERO WIDTH JOINER"),
                        ("pri\ufe0fya", "U+FE0F VARIATION SELECTOR-16"),
                        ("\u200d\U0001f525", "U+200D ZERO WIDTH JOINER")):
        refused = load(minimal_incident("INC-2", title))
        assert name in texts(refused)[0]


def test_many_invisible_characters_are_counted_not_listed() -> None:
    text = minimal_incident("INC-1").replace("Something broke", "Some\u200bthing" * 30)
    problems = texts(load(text))
    assert len(problems) == 11
    assert "More invisible characters follow (only the first 10 are listed)" in problems[-1]
    assert problems[-1].startswith("docs/incidents/x.yaml:5:")


def test_roles_that_look_the_same_are_one_role() -> None:
    cast = "cast:\n  - role: Caf\u00e9 Lead\n  - role: Cafe\u0301 Lead\n"
    problems = texts(load(minimal_incident("INC-1") + cast))
    assert any("cast[1].role: The role" in p and "is already in the cast (line 7" in p
               for p in problems), problems
    spaced = "cast:\n  - role: On-Call Engineer\n  - role: On-Call  Engineer\n"
    assert any("is already in the cast" in p for p in texts(load(minimal_incident() + spaced)))
    wide = "cast:\n  - role: IC\n  - role: \uff29\uff23\n"  # full-width I and C
    assert any("is already in the cast" in p for p in texts(load(minimal_incident() + wide)))


def test_a_character_matches_its_role_up_to_normalisation() -> None:
    scene = ("cast:\n  - role: Caf\u00e9 Lead\ntimeline:\n  - at: '14:05'\n"
             "    character: {}\n    action: a\n")
    decomposed = load(minimal_incident("INC-1") + scene.format("Cafe\u0301  Lead"))
    assert decomposed.incident is not None, texts(decomposed)
    wide = texts(load(minimal_incident("INC-1") + scene.format("Caf\u00e9 \uff2cead")))
    assert any("timeline[0].character: The character" in p and "is not in the cast" in p
               and "It looks like 'Café Lead'" in p for p in wide), wide


def test_people_are_one_person_whatever_the_encoding() -> None:
    assert name_key("Jos\u00e9 Garc\u00eda") == name_key("Jose\u0301  Garci\u0301a")
    assert name_key("@Jos\u00e9") == name_key("@JOSE\u0301")
    people = People()
    assert people.see("Ren\u00e9e") == people.see("Rene\u0301e")


def test_owners_written_two_ways_share_one_board_column(site: SiteFactory) -> None:
    items = textwrap.dedent("""\
        action_items:
          - {{id: AI-1, title: One, owner: "{a}", due: 2030-01-01}}
          - {{id: AI-2, title: Two, owner: "{b}", due: 2030-01-01}}
        """).format(a="Ren\u00e9e", b="Rene\u0301e")
    site.incident("a.yaml", minimal_incident("INC-1") + items)
    site.config["plugins"] = ["search", {"pmtheater": {"catalogue": {"pages": ["action-items"]}}}]
    built = site.build(strict=True)
    board = built.html("incidents/action-items/")
    owners = [o for o in board.select("select[name=owner] option") if o["value"]]
    assert len(owners) == 1, [o.get_text() for o in owners]
    cards = board.select("li.pmt-card")
    assert len(cards) == 2 and {c["data-o"] for c in cards} == {owners[0]["value"]}


# -- 10. URLs -----------------------------------------------------------------------------

ACCEPTED = [
    "https://tracker.example.com/browse/PRICE-1", "HTTPS://TRACKER.EXAMPLE.COM/X",
    "Http://example.com", "https://example.com:8443/a?b=c#d", "https://[2001:db8::1]/x",
    "https://bücher.example/", "mailto:oncall@example.com", "MAILTO:a@b.example?subject=x",
    "/runbooks/cache/", "/", "/a//b", "/path%20with%20space",
]
REFUSED = [
    "//evil.example/x", "/\\evil.example", "\\\\evil.example", "/%5Cevil.example",
    "/%5cevil", "/%2F/evil.example", "https://evil.example\\@good.example",
    "https://good.example@evil.example/", "https://user:pw@host.example/",
    "https:/evil.example", "https:///evil.example", "https://", "http://ex ample.com",
    "https://example.com/\tx", "https://example.com/\nx", "java\tscript:alert(1)",
    "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", "mailto:",
    "mailto:nobody", "example.com/x", "https://exa_mple.com/", "https://-x.example/",
    "https://example.com:99999/", "https://[::1/", "/a\\b", "ftp://example.com/",
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_real_links_are_accepted_by_the_loader_and_the_schema(url: str) -> None:
    assert url_problem(url) is None
    pattern = re.compile(load_schema()["$defs"]["url"]["pattern"])
    assert pattern.match(url), "the schema would flag a link the site accepts"
    item = f"action_items:\n  - {{id: AI-1, title: t, owner: o, status: done, tracker: '{url}'}}\n"
    loaded = load(minimal_incident("INC-1") + item)
    assert loaded.incident is not None, texts(loaded)
    assert loaded.incident.action_items[0].tracker == url


@pytest.mark.parametrize("url", REFUSED)
def test_links_a_browser_would_misread_are_refused(url: str) -> None:
    reason = url_problem(url)
    assert reason is not None
    message, hint = reason
    assert message.startswith(f"'{excerpt(url)}'") and hint
    prop = "setting:\n  props:\n    - name: p\n      url: " + json.dumps(url) + "\n"
    loaded = load(minimal_incident("INC-1") + prop)
    assert loaded.incident is None
    [problem] = loaded.problems
    assert (problem.line, problem.column, problem.field) == (9, 12, "setting.props[0].url")


def test_an_uppercase_scheme_is_published_as_written(site: SiteFactory) -> None:
    url = "HTTPS://Tracker.Example.com/PRICE-1"
    site.incident("a.yaml", minimal_incident("INC-1") + (
        f"action_items:\n  - {{id: AI-1, title: t, owner: o, due: 2030-01-01, tracker: {url}}}\n"))
    built = site.build(strict=True)
    links = [a["href"] for a in built.html("incidents/inc-1/").find_all("a", href=True)]
    assert url in links


# -- 11. advice quotes what was written ---------------------------------------------------

@pytest.mark.parametrize(("line", "message", "hint"), [
    ("id: 012", "got the number 10 (YAML reads '012' as that number)", 'id: "012"'),
    ("id: 0x1F", "got the number 31 (YAML reads '0x1F' as that number)", 'id: "0x1F"'),
    ("id: 1_000", "got the number 1000", 'id: "1_000"'),
    ("title: on", "got the boolean true (YAML 1.1 reads 'on' as true)", 'title: "on"'),
    ("title: No", "got the boolean false (YAML 1.1 reads 'No' as false)", 'title: "No"'),
    ("title: 1.50", "got the number 1.5 (YAML reads '1.50' as that number)", 'title: "1.50"'),
    ("title: .inf", "got the number inf", 'title: ".inf"'),
    ("title: null", "got nothing (an empty value)", 'title: "null"'),
    ("title: ~", "got nothing", 'title: "~"'),
    ("tags: [yes, 010]", "got the boolean true (YAML 1.1 reads 'yes' as true)", '- "yes"'),
])
def test_advice_quotes_the_value_as_written(line: str, message: str, hint: str) -> None:
    base = minimal_incident("INC-1")
    key = line.split(":")[0]
    text = "\n".join(line if row.startswith(key + ":") else row
                     for row in base.split("\n"))
    if key + ":" not in base:
        text += line + "\n"
    problems = texts(load(text))
    assert any(message in p and f"e.g. {hint}." in p for p in problems), problems


# -- 14. lines and columns for every line ending -----------------------------------------

LINES = ["id: INC-1", "title: A small outage", "severity: SEV3",
         "summary: Something broke.", "started_at: {at}", "tags: [a]"]
"""The mistakes go on line 5."""


def _file(endings: str, line5: str, *, encoding: str = "utf-8", bom: bool = False) -> bytes:
    lines = [*LINES[:4], line5, LINES[5]]
    if endings == "mixed":
        text = "".join(line + ("\r\n", "\r", "\n")[n % 3] for n, line in enumerate(lines))
    else:
        text = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[endings].join(lines) + "\n"
    raw = text.encode(encoding, "surrogateescape") if encoding == "utf-8" else text.encode(
        encoding)
    prefix = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}
    return (prefix[encoding] if bom else b"") + raw


MISTAKES = [  # (line 5, column, part of the message)
    ("started_at: 2024-13-14T14:02:00Z", 13, "month must be in 1..12"),
    ("started_at: [2024", 13, "the list ('[') opened here is not closed"),
    ("started_at: 2024-03-14T14:02:00Z\x07", 33, "the character U+0007"),
    ("started_at: 2024-03-14T14:02:00Z # x\u2028y", 37, "U+2028 (LINE SEPARATOR)"),
    ("started_at: 2024-03-14T14:02:00Z # x\x85y", 37, "U+0085 (NEXT LINE)"),
    ("started_at: 2024-03-14T14:02:00Z # \u00e9\u2029", 37, "U+2029 (PARAGRAPH SEPARATOR)"),
    ("started_at: 2024-03-14T14:02:00Z # \U0001d11e\u202e", 37, "U+202E RIGHT-TO-LEFT"),
    ("starte_at: 2024-03-14T14:02:00Z", 1, "unknown key 'starte_at'"),
]
CONVENTIONS = [("lf", "utf-8", False), ("crlf", "utf-8", False), ("cr", "utf-8", False),
               ("mixed", "utf-8", False), ("crlf", "utf-8", True), ("cr", "utf-8", True),
               ("lf", "utf-16-le", True), ("crlf", "utf-16-be", True),
               ("mixed", "utf-16-le", True)]


@pytest.mark.parametrize(("endings", "encoding", "bom"), CONVENTIONS,
                         ids=[f"{e}-{c}{'-bom' * b}" for e, c, b in CONVENTIONS])
@pytest.mark.parametrize(("line5", "column", "message"), MISTAKES,
                         ids=[m[2][:24] for m in MISTAKES])
def test_line_and_column_are_right_for_every_line_ending(
        endings: str, encoding: str, bom: bool, line5: str, column: int, message: str) -> None:
    loaded = load(_file(endings, line5, encoding=encoding, bom=bom))
    assert any(p.line == 5 and p.column == column and message in p.message
               for p in loaded.problems), texts(loaded)


@pytest.mark.parametrize("endings", ["lf", "crlf", "cr", "mixed"])
def test_a_byte_that_is_not_utf8_is_found_on_its_line(endings: str) -> None:
    raw = _file(endings, "started_at: 2024-03-14T14:02:00Z # caf\udce9")
    [problem] = load(raw).problems
    assert (problem.line, problem.column) == (5, 39)
    assert problem.message == "the file is not valid UTF-8 (byte 0xe9)"


@pytest.mark.parametrize("endings", ["lf", "crlf", "cr", "mixed"])
def test_clean_files_in_every_convention_publish(endings: str) -> None:
    for encoding, bom in (("utf-8", False), ("utf-8", True), ("utf-16-le", True),
                          ("utf-16-be", True)):
        raw = _file(endings, "started_at: 2024-03-14T14:02:00Z", encoding=encoding, bom=bom)
        loaded = load(raw)
        assert loaded.incident is not None, (encoding, texts(loaded))
        assert loaded.source.locate(("tags",), key=True) == (6, 1)


def test_utf16_builds_and_utf32_is_refused(site: SiteFactory) -> None:
    site.incident("wide.yaml", minimal_incident("INC-16", "Saved as UTF-16").encode("utf-16"))
    site.incident("wider.yaml", minimal_incident("INC-32").encode("utf-32"))
    built = site.build()
    assert "Saved as UTF-16" in built.html("incidents/inc-16/").get_text()
    assert built.warnings_about("wider.yaml:1:1: The file is saved as UTF-32")


def test_position_counts_lines_as_editors_do() -> None:
    text = "a\r\nb\rc\nd\u2028e\x85f"
    assert position(text, text.index("b")) == (2, 1)
    assert position(text, text.index("c")) == (3, 1)
    assert position(text, text.index("e")) == (4, 3)  # U+2028 is not a line break here
    assert position(text, text.index("f")) == (4, 5)


@pytest.mark.parametrize("body", [
    "summary: |\n  " + "\u200b" * 340_000,
    "summary: |\n  " + "a\u202e" * 240_000,
    "summary: |\n  " + "\U0001f469\u200d\U0001f4bb " * 80_000,
    'summary: x\ntags: ["' + "\\u200b" * 170_000 + '"]',
    'summary: x\ntags: ["' + "\\U0001F469\\u200D\\U0001F4BB" * 40_000 + '"]',
], ids=["raw-zwsp", "raw-override", "emoji-joiners", "escaped-zwsp", "escaped-emoji"])
def test_a_megabyte_of_invisible_characters_is_read_quickly(body: str) -> None:
    import time as clock
    head = "id: INC-1\ntitle: t\nseverity: SEV3\nstarted_at: 2024-03-14T14:02:00Z\n"
    raw = (head + body + "\n").encode()
    assert 900_000 < len(raw) <= 1024 * 1024
    started = clock.perf_counter()
    loaded = load(raw)
    assert clock.perf_counter() - started < 1.0
    assert len(loaded.problems) <= 11
    if "\u200d" in body or "u200D" in body:  # joiners between emoji are fine
        assert loaded.incident is not None, texts(loaded)
    else:
        assert "More invisible characters follow" in texts(loaded)[-1]


def test_invisible_characters_do_not_hide_the_files_other_problems() -> None:
    text = minimal_incident("INC-1", "Pay\u202eevil").replace("SEV3", "SEV9") + "sumary: x\n"
    assert [(p.line, p.column, p.field) for p in load(text).problems] == [
        (2, 11, "title"), (3, 11, "severity"), (6, 1, "sumary")]
