"""Malformed incident files: each one is reported where it is wrong, and nothing else breaks.

Every file in ``tests/malformed/`` holds one distinct mistake (YAML syntax, a YAML
tag, a resource limit, a schema rule, a check across fields or files); a few more
are generated here because they are binary or too big to keep in git. For each
case the tests assert:

* the loader names the file, line, column and field, with the expected message,
  within a second and a bounded amount of memory;
* a real ``mkdocs build --strict`` logs that warning, fails, shows no traceback,
  and still publishes the two valid incidents next to it (and not the broken one);
* for a sample, the ``mkdocs`` command itself exits non-zero without a traceback.

EXPECTED is the one table of what each case must report. To add a case, add a
file (its first line a comment saying what is wrong) and a row.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import SiteFactory, minimal_incident
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_pmtheater.load.loader import IncidentLoader
from mkdocs_pmtheater.model.incident import SEVERITY_DEFAULT

MALFORMED = Path(__file__).parent / "malformed"
LOADER_SECONDS = 1.0
LOADER_PEAK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Expect:
    line: int
    column: int
    field: str
    message: str
    """A part of the message (compared without regard to case)."""


E = Expect
EXPECTED: dict[str, list[Expect]] = {
    # YAML syntax: reported where the mistake is, not only where YAML gave up.
    "syntax-unclosed-quote": [E(3, 8, "", "the quote opened here is not closed")],
    "syntax-colon-in-value": [E(3, 16, "", "mapping values are not allowed")],
    "syntax-tab-indent": [E(13, 1, "", "tab character")],
    "syntax-bad-indent": [E(20, 4, "", "did not find expected '-' indicator")],
    "syntax-unclosed-flow-list": [E(9, 11, "", "the list ('[') opened here is not closed")],
    "syntax-undefined-alias": [E(9, 11, "director", "unknown alias '*lead'")],
    "syntax-two-documents": [E(26, 1, "", "more than one YAML document")],
    "syntax-duplicate-key": [E(26, 1, "title", "duplicate key 'title' (first written on line 3)")],
    "syntax-empty-file": [E(1, 1, "", "the file is empty")],
    "syntax-top-level-list": [E(2, 1, "", "the file holds a list, not a mapping")],
    "syntax-top-level-text": [E(2, 1, "", "not a mapping of keys")],
    "syntax-complex-key": [E(9, 3, "", "a key must be plain text")],
    "syntax-merge-non-mapping": [E(11, 7, "setting", "'<<' merges only mappings")],
    "syntax-number-too-long": [E(3, 8, "title", "it is too long")],
    "syntax-yaml-version": [E(2, 1, "", "incompatible YAML document")],
    # YAML tags: never constructed, whatever they name.
    "tag-python-object": [E(3, 8, "title", "tag '!!python/object/apply:os.system' is not allowed")],
    "tag-python-name": [E(9, 11, "director", "tag '!!python/name:os.system' is not allowed")],
    "tag-include": [E(9, 9, "impact", "tag '!include' is not allowed")],
    "tag-binary": [E(9, 9, "impact", "tag '!!binary' is not allowed")],
    "tag-set": [E(9, 11, "services", "tag '!!set' is not allowed")],
    "tag-directive-python": [E(6, 11, "severity", "'!!python/object:os.system' is not allowed")],
    # Resource limits.
    "limit-alias-bomb": [E(14, 17, "review.process[0]", "aliases repeat more than 10,000 values")],
    "limit-deep-nesting": [E(9, 70, "tags", "nested more than 64 levels deep")],
    # Schema rules.
    "schema-unknown-key": [
        E(7, 1, "sumary", "unknown key 'sumary'"),
        E(2, 1, "summary", "the required key 'summary' is missing"),
    ],
    "schema-unknown-nested-key": [E(13, 5, "cast[1].actr", "unknown key 'actr'")],
    "schema-missing-required": [E(2, 1, "severity", "the required key 'severity' is missing")],
    "schema-title-number": [E(3, 8, "title", "expected text, got the number 404")],
    "schema-title-blank": [E(3, 8, "title", "the value is empty")],
    "schema-title-null": [E(3, 7, "title", "expected text, got nothing")],
    "schema-tag-boolean": [E(9, 13, "tags[1]", "expected text, got the boolean false")],
    "schema-services-not-list": [E(9, 11, "services", "expected a list, got text")],
    "schema-setting-not-mapping": [E(10, 3, "setting", "expected a mapping of keys, got a list")],
    "schema-severity-enum": [E(4, 11, "severity", "'sev2' is not one of: SEV1")],
    "schema-status-enum": [E(9, 9, "status", "'final' is not one of: draft, in-review")],
    "schema-id-pattern": [E(2, 5, "id", "'INC 2024/031' is not a valid id")],
    "schema-timestamp-words": [E(6, 14, "detected_at", "'a few minutes later' is not a timestamp")],
    "schema-timestamp-month": [E(6, 14, "detected_at", "month must be in 1..12")],
    "schema-timestamp-offset": [E(6, 14, "detected_at", "the offset '+25:00' is out of range")],
    "schema-timestamp-year": [E(5, 13, "started_at", "outside the years 1900 to 2999")],
    "schema-date-format": [E(9, 14, "review_date", "'19/03/2024' is not a date")],
    "schema-url-javascript": [
        E(14, 14, "action_items[0].tracker", "'javascript:alert(document.domain)' is not a link")
    ],
    "schema-url-with-space": [E(12, 12, "setting.props[0].url", "is not a link this site")],
    "schema-scene-at": [E(18, 9, "timeline[1].at", "'soon after' is not a time")],
    "schema-scene-at-range": [E(18, 9, "timeline[1].at", "'24:30' is not a real time of day")],
    "schema-plot-point-enum": [E(21, 17, "timeline[1].plot_point", "'peak' is not one of")],
    "schema-prop-kind-enum": [E(12, 13, "setting.props[0].kind", "'graph' is not one of")],
    "schema-priority-enum": [E(26, 15, "action_items[0].priority", "'high' is not one of: P1")],
    "schema-item-without-due": [E(22, 5, "action_items[0].due", "needs a due date")],
    "schema-why-without-because": [
        E(13, 7, "review.five_whys[1].because", "the required key 'because' is missing")
    ],
    "schema-award-without-recipient": [
        E(10, 5, "awards[0].recipient", "the required key 'recipient' is missing")
    ],
    "schema-control-character": [E(3, 8, "title", "control character U+0007")],
    # Checks across fields of one file.
    "cross-milestones-backwards": [E(6, 15, "mitigated_at", "is before started_at")],
    "cross-impossible-date": [E(5, 13, "started_at", "day is out of range for month")],
    "cross-impossible-due-date": [E(25, 10, "action_items[0].due", "'2024-06-31' is not a real")],
    "cross-scenes-out-of-order": [E(18, 9, "timeline[1].at", "scene 2 (13:59) is earlier than")],
    "cross-unknown-character": [
        E(19, 16, "timeline[1].character", "the character 'Incident Comander' is not in the cast")
    ],
    "cross-duplicate-role": [
        E(14, 11, "cast[2].role", "the role 'Incident Commander' is already in the cast")
    ],
    "cross-duplicate-item-id": [
        E(26, 9, "action_items[1].id", "the action item id 'ai-1' is already used by 'AI-1'")
    ],
    # Checks across files (the site).
    "cross-duplicate-incident-id": [
        E(2, 5, "id", "the id 'valid-a' is already used by docs/incidents/0-valid-a.yaml:1")
    ],
    "cross-reserved-id": [E(2, 5, "id", "would take the address of a page")],
    "cross-address-taken": [
        E(2, 5, "id", "the playbill address incidents/taken/ is already taken by "
          "docs/incidents/taken.md")
    ],
    "cross-prop-page-missing": [
        E(12, 13, "setting.props[0].page", "the page 'runbooks/cache-evicton.md' does not exist")
    ],
    "cross-prop-page-outside": [
        E(12, 13, "setting.props[0].page", "the page '../../etc/passwd' does not exist")
    ],
    # Local times the site's zone (America/New_York, see ZONE_OF) skips.
    "cross-dst-nonexistent-time": [
        E(6, 14, "detected_at", "02:30 does not exist on 2024-03-10 in America/New_York "
          "(clocks jumped from 02:00 to 03:00). Write the moment with its offset: "
          "2024-03-10T01:30:00-05:00 (1 h earlier) or 2024-03-10T03:30:00-04:00 (1 h later)")
    ],
    "cross-dst-nonexistent-bare-time": [
        E(18, 9, "timeline[1].at", "02:15 does not exist on 2024-03-10 in America/New_York")
    ],
    # Invisible characters, written as YAML escapes: reported at the escape.
    "schema-role-zero-width-space": [E(12, 19, "cast[1].role", "U+200B ZERO WIDTH SPACE")],
    "schema-owner-bidi-override": [
        E(24, 19, "action_items[0].owner", "U+202E RIGHT-TO-LEFT OVERRIDE")
    ],
    "cross-duplicate-role-look-alike": [
        E(15, 11, "cast[3].role", "is already in the cast (line 14: 'Cafe\\u0301 Liaison' and "
          "'Caf\\u00e9 Liaison' look the same)")
    ],
    # Links that browsers would take to another host, or read otherwise.
    "schema-url-protocol-relative": [
        E(26, 14, "action_items[0].tracker", "'//evil.example/PRICE-1' is not a path on this")
    ],
    "schema-url-backslash": [E(26, 14, "action_items[0].tracker", "it holds a backslash")],
    "schema-url-percent-backslash": [
        E(26, 14, "action_items[0].tracker", "decoded, it starts a link to another host")
    ],
    "schema-url-user-before-host": [
        E(26, 14, "action_items[0].tracker", "puts a user name before the host")
    ],
    "schema-url-tab": [
        E(26, 14, "action_items[0].tracker", "'https://tracker.example.com/PRI\\tCE-1' is not a")
    ],
    # Advice quotes what the author wrote, not what YAML 1.1 made of it.
    "schema-id-octal": [
        E(2, 5, "id", "got the number 10 (YAML reads '012' as that number). Put the value in "
          'quotes, e.g. id: "012".')
    ],
    "schema-title-yaml11-boolean": [
        E(3, 8, "title", "got the boolean true (YAML 1.1 reads 'on' as true). Put the value in "
          'quotes, e.g. title: "on".')
    ],
}
ZONE_OF = {"cross-dst-nonexistent-time": "America/New_York",
           "cross-dst-nonexistent-bare-time": "America/New_York"}
"""The site's time zone where it is not UTC."""


def zone_of(name: str) -> tzinfo:
    return ZoneInfo(ZONE_OF[name]) if name in ZONE_OF else timezone.utc

# --- cases generated here: binary, or too big for git ------------------------------------

HEAD = (MALFORMED / "schema-title-null.yaml").read_text(encoding="utf-8").split("cast:")[0]
HEAD = HEAD.replace("title:\n", "title: Checkout errors after the pricing cache expired\n")
HEAD = "# Generated malformed incident.\n" + HEAD.split("\n", 1)[1]
"""Lines 2-8: id, title, severity, started_at, detected_at and a two-line summary."""


def _latin1() -> bytes:
    return HEAD.replace("title: Checkout", "title: Café checkout").encode("latin-1")


def _utf16() -> bytes:
    # UTF-16 with a byte order mark (0xff 0xfe) is read, as YAML allows; the mistake is
    # the severity on line 4, found at the line and column an editor shows.
    return HEAD.replace("severity: SEV2", "severity: sev2").encode("utf-16")


def _raw_control() -> bytes:
    return HEAD.replace("title: Checkout", "title: Check\x07out").encode()


def _nul_byte() -> bytes:
    return HEAD.replace("  Keys expired", "  Keys\x00 expired").encode()


def _unusual_line_break() -> bytes:
    # YAML 1.1 ends a line at U+2028; editors and code review show none.
    return HEAD.replace("  Keys expired", "  Keys\u2028expired").encode()


def _five_megabytes() -> bytes:
    log = "".join(f"  14:{i % 60:02d}:00 pricing-service ERROR pool exhausted ({i})\n"
                  for i in range(90_000))
    return (HEAD + "impact: |\n" + log).encode()


def _ten_thousand_scenes() -> bytes:
    scenes = "".join(
        f'  - at: "{14 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"\n'
        "    character: On-Call Engineer\n"
        f"    action: Step {i} of the runbook.\n"
        for i in range(10_000)
    )
    return (HEAD + "cast:\n  - role: On-Call Engineer\ntimeline:\n" + scenes).encode()


def _too_many_values() -> bytes:
    scenes = "".join(
        f'  - at: "15:{i % 60:02d}"\n    character: On-Call Engineer\n    action: Step {i}.\n'
        f"    observation: Dashboard {i}.\n    belief: Step {i} helps.\n"
        for i in range(999)
    )
    items = "".join(
        f"  - id: AI-{i}\n    title: Fix {i}\n    owner: '@aiko'\n    due: 2024-05-31\n"
        "    priority: P3\n"
        for i in range(999)
    )
    return (HEAD.replace("14:06:00Z", "16:06:00Z") + "cast:\n  - role: On-Call Engineer\n"
            + "timeline:\n" + scenes + "action_items:\n" + items).encode()


def _nth_value_line(raw: bytes, n: int) -> tuple[int, int]:
    """Line and column of the n-th value (keys included) of a file, counted independently."""
    events = (e for e in yaml.parse(raw.decode(), Loader=yaml.SafeLoader)
              if isinstance(e, yaml.NodeEvent))
    for index, event in enumerate(events, 1):
        if index == n:
            return event.start_mark.line + 1, event.start_mark.column + 1
    raise AssertionError(f"the file holds fewer than {n} values")


def _raw_bidi_override() -> bytes:
    # Raw, as a pasted title would hold it: the card would read "...ssap" reversed.
    return HEAD.replace("title: Checkout", "title: Check\u202eout").encode()


def _bidi_in_comment() -> bytes:
    # "Trojan Source": a comment that reorders the line for reviewers.
    return (HEAD + "# reviewed \u2067 by @lena\n").encode()


def _endings(text: str, style: str) -> str:
    """``text`` (LF lines) with its lines ended in ``style``: crlf, cr, or mixed."""
    lines = text.split("\n")
    if style == "mixed":
        ends = ["\r\n", "\r", "\n"]
        return "".join(line + ends[n % 3] for n, line in enumerate(lines[:-1])) + lines[-1]
    return {"crlf": "\r\n", "cr": "\r"}[style].join(lines)


_MONTH_13 = HEAD.replace("started_at: 2024-03-14", "started_at: 2024-13-14")
"""The month on line 5, column 13, is impossible."""

GENERATED: dict[str, Callable[[], bytes]] = {
    "invisible-raw-bidi-override": _raw_bidi_override,
    "invisible-bidi-in-comment": _bidi_in_comment,
    "lines-crlf": lambda: _endings(_MONTH_13, "crlf").encode(),
    "lines-cr": lambda: _endings(_MONTH_13, "cr").encode(),
    "lines-mixed": lambda: _endings(_MONTH_13, "mixed").encode(),
    "lines-bom-crlf": lambda: b"\xef\xbb\xbf" + _endings(_MONTH_13, "crlf").encode(),
    "lines-utf16-be-crlf": lambda: _endings(_MONTH_13, "crlf").encode("utf-16-be").join(
        [b"\xfe\xff", b""]),
    "lines-cr-syntax": lambda: _endings(
        HEAD.replace("started_at: 2024-03-14T14:02:00Z", "started_at: [2024"), "cr").encode(),
    "lines-cr-control-character": lambda: _endings(_raw_control().decode(), "cr").encode(),
    "lines-crlf-latin1": lambda: _endings(_latin1().decode("latin-1"), "crlf").encode(
        "latin-1"),
    "lines-cr-unusual-line-break": lambda: _endings(
        _unusual_line_break().decode(), "cr").encode(),
    "encoding-latin1": _latin1,
    "encoding-utf16": _utf16,
    "encoding-raw-control-character": _raw_control,
    "encoding-nul-byte": _nul_byte,
    "encoding-unusual-line-break": _unusual_line_break,
    "limit-five-megabytes": _five_megabytes,
    "limit-ten-thousand-scenes": _ten_thousand_scenes,
    "limit-too-many-values": _too_many_values,
}
_TOO_MANY_AT = _nth_value_line(_too_many_values(), 20_001)
EXPECTED.update({
    "invisible-raw-bidi-override": [E(3, 13, "title", "U+202E RIGHT-TO-LEFT OVERRIDE")],
    "invisible-bidi-in-comment": [
        E(9, 12, "", "this line (a comment, or between values) holds U+2067 RIGHT-TO-LEFT ISOLATE")
    ],
    # Every line-ending convention counts lines as editors do (the mistake is on line 5).
    **{name: [E(5, 13, "started_at", "month must be in 1..12")] for name in (
        "lines-crlf", "lines-cr", "lines-mixed", "lines-bom-crlf", "lines-utf16-be-crlf")},
    "lines-cr-syntax": [E(5, 13, "", "the list ('[') opened here is not closed")],
    "lines-cr-control-character": [E(3, 13, "", "the character U+0007")],
    "lines-crlf-latin1": [E(3, 11, "", "not valid UTF-8 (byte 0xe9)")],
    "lines-cr-unusual-line-break": [E(8, 7, "", "U+2028 (LINE SEPARATOR)")],
    "encoding-latin1": [E(3, 11, "", "not valid UTF-8 (byte 0xe9)")],
    "encoding-utf16": [E(4, 11, "severity", "'sev2' is not one of: SEV1")],
    "encoding-raw-control-character": [E(3, 13, "", "the character U+0007")],
    "encoding-nul-byte": [E(8, 7, "", "the character U+0000")],
    "encoding-unusual-line-break": [E(8, 7, "", "U+2028 (LINE SEPARATOR)")],
    "limit-five-megabytes": [E(0, 0, "", "incident files are limited to 1 MB")],
    "limit-ten-thousand-scenes": [E(11, 1, "timeline", "the list has more than 1,000 entries")],
    "limit-too-many-values": [
        E(*_TOO_MANY_AT, "action_items", "the file holds more than 20,000 values")
    ],
})

ALL_CASES = sorted(EXPECTED)
ID_OF = {"cross-duplicate-incident-id": "valid-a", "cross-reserved-id": "index",
         "cross-address-taken": "taken"}
"""The id of the broken incident where it is not INC-BROKEN."""


def case_bytes(name: str) -> bytes:
    if name in GENERATED:
        return GENERATED[name]()
    return (MALFORMED / f"{name}.yaml").read_bytes()


def display(name: str) -> str:
    return f"docs/incidents/{name}.yaml"


def expected_text(name: str, expect: Expect) -> str:
    """The start of the warning: ``file:line:col: field: ``."""
    where = display(name) + (f":{expect.line}:{expect.column}" if expect.line else "")
    return where + ": " + (f"{expect.field}: " if expect.field else "")


def matching(messages: list[str], name: str, expect: Expect) -> list[str]:
    start = expected_text(name, expect)
    return [m for m in messages if start in m and expect.message.lower() in m.lower()]


# --- the suite is complete ---------------------------------------------------------------

def test_every_malformed_file_has_an_expectation() -> None:
    files = {p.stem for p in MALFORMED.glob("*.yaml")}
    assert files == set(EXPECTED) - set(GENERATED)
    assert len(EXPECTED) >= 40
    for path in MALFORMED.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# Malformed incident: "), path


# --- the loader ---------------------------------------------------------------------------

VALID = {
    "0-valid-a.yaml": minimal_incident("VALID-A", "The first valid outage").lstrip(),
    "0-valid-b.yaml": minimal_incident("VALID-B", "The second valid outage").lstrip(),
}
PAGES = {"index.md", "runbooks/cache-eviction.md", "incidents/taken.md"}


def load_with_site(name: str, raw: bytes) -> tuple[IncidentLoader, float, list]:
    """Load the case beside the valid incidents, as a build does; the time the case took."""
    loader = IncidentLoader(SEVERITY_DEFAULT, zone_of(name))
    triples = [(text.encode(), f"incidents/{n}", f"docs/incidents/{n}")
               for n, text in VALID.items()]
    loader.load(triples, page_exists=PAGES.__contains__)  # warm caches and the schema
    started = time.perf_counter()
    loaded = loader.read_file(raw, f"incidents/{name}.yaml", display(name))
    seconds = time.perf_counter() - started
    triples.append((raw, f"incidents/{name}.yaml", display(name)))
    catalog = loader.load(triples, page_exists=PAGES.__contains__,
                          pages=lambda: sorted(PAGES), reserved={"index", "readme"})
    assert loaded is catalog.files[f"incidents/{name}.yaml"]
    return loader, seconds, catalog.problems


@pytest.mark.parametrize("name", ALL_CASES)
def test_loader_names_file_line_and_message_quickly(name: str) -> None:
    raw = case_bytes(name)
    _, seconds, problems = load_with_site(name, raw)
    texts = [p.text() for p in problems]
    if name != "cross-address-taken":  # the build finds that one: it needs the site's pages
        for expect in EXPECTED[name]:
            assert matching(texts, name, expect), f"{expect} not in {texts}"
    assert all(p.file == display(name) for p in problems), texts
    assert seconds < LOADER_SECONDS, f"{name}: the loader took {seconds:.2f} s"

    # Memory: everything the loader allocates for this file, at its peak.
    loader = IncidentLoader(SEVERITY_DEFAULT, zone_of(name))
    tracemalloc.start()
    try:
        loader.read_file(raw, f"incidents/{name}.yaml", display(name))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < LOADER_PEAK_BYTES, f"{name}: the loader's peak was {peak / 1e6:.0f} MB"


# --- a real build -------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def make_site(root: Path, name: str) -> SiteFactory:
    site = SiteFactory(root)
    if name in ZONE_OF:
        site.config["plugins"] = ["search", {"pmtheater": {"timezone": ZONE_OF[name]}}]
    site.page("runbooks/cache-eviction.md", "# Cache eviction\n")
    site.page("incidents/taken.md", "# A page that happens to live here\n")
    for file_name, text in VALID.items():
        site.incident(file_name, text)
    site.incident(f"{name}.yaml", case_bytes(name))
    (root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    return site


@pytest.mark.parametrize("name", ALL_CASES)
def test_strict_build_fails_at_the_line_and_publishes_the_rest(name: str, tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, name)
    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"), strict=True)
        with pytest.raises(Abort, match="in strict mode"):
            build(config)
    finally:
        os.chdir(cwd)
        logger.removeHandler(handler)
    warnings = [r.getMessage() for r in handler.records if r.levelno >= logging.WARNING]
    for expect in EXPECTED[name]:
        assert matching(warnings, name, expect), f"{expect} not in {warnings}"
    assert not any(r.exc_info for r in handler.records)
    assert not any("Traceback" in m for m in warnings)
    site_dir = root / "site"
    for incident_id, title in (("valid-a", "The first valid outage"),
                               ("valid-b", "The second valid outage")):
        page = site_dir / "incidents" / incident_id / "index.html"
        assert page.is_file(), f"{incident_id} was not published next to {name}"
        assert title in page.read_text(encoding="utf-8")
    broken = ID_OF.get(name, "inc-broken")
    if broken == "taken":  # the docs page keeps its address
        assert "A page that happens to live here" in (
            site_dir / "incidents/taken/index.html").read_text(encoding="utf-8")
    elif broken != "valid-a":
        assert not (site_dir / "incidents" / broken / "index.html").exists()


# --- the mkdocs command ---------------------------------------------------------------------

CLI_SAMPLE = ["syntax-unclosed-quote", "tag-python-object", "limit-alias-bomb",
              "schema-unknown-key", "cross-scenes-out-of-order", "cross-duplicate-incident-id",
              "encoding-latin1", "limit-ten-thousand-scenes"]


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_mkdocs_command_exits_non_zero_without_a_traceback(name: str, tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_site(root, name)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
        cwd=root, capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for expect in EXPECTED[name]:
        assert matching(output.splitlines(), name, expect), output
