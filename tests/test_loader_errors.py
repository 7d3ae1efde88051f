"""Every class of bad input is reported with file, line, column, field and advice.

Each case is a real incident file in a real site build, next to valid incidents
that must still be published.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SiteFactory, minimal_incident

from mkdocs_pmtheater.load.yamlsource import read_incident_yaml

GOOD = """
id: {id}
title: Fine incident {id}
severity: SEV3
started_at: 2024-03-14T14:02:00Z
summary: All good.
cast:
  - role: On-Call Engineer
timeline:
  - at: "14:05"
    character: On-Call Engineer
    action: Looked.
"""

# (file name, content, expected line, expected field, message fragment, hint fragment)
CASES: list[tuple[str, str | bytes, int, str, str, str]] = [
    ("syntax.yaml", "id: X-1\ntitle: [unclosed\nseverity: SEV1\n", 2, "",
     "YAML syntax error", "must be quoted"),
    ("colon.yaml", "id: X-2\ntitle: Checkout: down\n", 2, "",
     "mapping values are not allowed", "must be quoted"),
    ("tabs.yaml", "id: X-3\ncast:\n\t- role: IC\n", 3, "", "YAML syntax error", "spaces"),
    ("unquoted-handle.yaml", minimal_incident("X-24") + "director: @lena\n", 6, "",
     "found character that cannot start any token", 'put the value in quotes, e.g. owner: "@'),
    ("duplicate-key.yaml", minimal_incident("X-4") + "title: Again\n", 6, "title",
     "duplicate key 'title' (first written on line 2)", "keep one"),
    ("unknown-key.yaml", minimal_incident("X-5") + "sumary: typo\n", 6, "sumary",
     "unknown key 'sumary'", "did you mean 'summary'"),
    ("nested-unknown-key.yaml", minimal_incident("X-6")
     + "action_items:\n  - id: AI-1\n    title: t\n    owner: o\n    due: 2024-05-01\n"
     "    prioirty: P1\n", 11, "action_items[0].prioirty", "unknown key 'prioirty'",
     "did you mean 'priority'"),
    ("wrong-type.yaml", minimal_incident("X-7") + "services: checkout\n", 6, "services",
     "expected a list, got text", "one '- item' per line"),
    ("number-title.yaml", minimal_incident("X-8").replace("title: A small outage", "title: 404"),
     2, "title", "expected text, got the number 404", 'title: "404"'),
    ("bad-enum.yaml", minimal_incident("X-9").replace("SEV3", "SEV7"), 3, "severity",
     "'SEV7' is not one of: SEV1, SEV2, SEV3, SEV4, SEV5", "did you mean"),
    ("bad-status.yaml", minimal_incident("X-10") + "status: publisehd\n", 6, "status",
     "'publisehd' is not one of", "did you mean 'published'"),
    ("bad-id.yaml", minimal_incident("INC 2024/1"), 1, "id",
     "'INC 2024/1' is not a valid id", "letters, digits"),
    ("missing-key.yaml", "id: X-11\ntitle: t\nseverity: SEV1\nstarted_at: 2024-01-01\n", 1,
     "summary", "the required key 'summary' is missing", "add 'summary: ...'"),
    ("unknown-character.yaml", minimal_incident("X-12")
     + "cast:\n  - role: Incident Commander\ntimeline:\n  - at: '14:05'\n"
     "    character: Incident Comander\n    action: Declared.\n", 10, "timeline[0].character",
     "the character 'Incident Comander' is not in the cast", "did you mean 'Incident Commander'"),
    ("scene-order.yaml", minimal_incident("X-13")
     + "cast:\n  - role: IC\ntimeline:\n  - at: '14:30'\n    character: IC\n    action: a\n"
     "  - at: '14:10'\n    character: IC\n    action: b\n", 12, "timeline[1].at",
     "scene 2 (14:10) is earlier than scene 1 (14:30, line 9)", "never rolls over midnight"),
    # 1.1: detected_at may come before started_at; mitigated_at may not.
    ("milestone-order.yaml", minimal_incident("X-14")
     + "mitigated_at: 2024-03-14T13:00:00Z\n", 6, "mitigated_at",
     "the time in mitigated_at (2024-03-14T13:00:00Z) is before started_at "
     "(2024-03-14T14:02:00Z, line 4)",
     "milestones go forward"),
    ("open-item-no-due.yaml", minimal_incident("X-15")
     + "action_items:\n  - id: AI-1\n    title: Fix\n    owner: '@sam'\n", 7,
     "action_items[0].due", "an open action item needs a due date", "status: done"),
    ("duplicate-item.yaml", minimal_incident("X-16")
     + "action_items:\n  - {id: AI-1, title: a, owner: o, status: done}\n"
     "  - {id: ai-1, title: b, owner: o, status: done}\n", 8, "action_items[1].id",
     "the action item id 'ai-1' is already used by 'AI-1' (line 7)", "its own id"),
    ("missing-prop-page.yaml", minimal_incident("X-17")
     + "setting:\n  props:\n    - name: Runbook\n      page: runbooks/api-latncy.md\n", 9,
     "setting.props[0].page", "the page 'runbooks/api-latncy.md' does not exist",
     "did you mean 'runbooks/api-latency.md'"),
    ("empty.yaml", "# nothing here yet\n", 1, "", "the file is empty", "id, title"),
    ("list.yaml", "- id: X-18\n- title: t\n", 1, "", "the file holds a list, not a mapping",
     "mapping"),
    ("scalar.yaml", "just some text\n", 1, "", "the file holds the value 'just some text'",
     "mapping"),
    ("latin1.yaml", "id: X-19\ntitle: Caf\xe9\n".encode("latin-1"), 2, "",
     "not valid UTF-8 (byte 0xe9)", "save the file as UTF-8"),
    ("python-tag.yaml", minimal_incident("X-20") + "impact: !!python/object/apply:os.system [id]\n",
     6, "impact", "the YAML tag '!!python/object/apply:os.system' is not allowed",
     "remove the tag"),
    ("bad-date.yaml",
     minimal_incident("X-21").replace("2024-03-14T14:02:00Z", "2024-02-30T10:00:00Z"),
     4, "started_at", "is not a real date and time", "2024-03-14T14:02:00Z"),
    ("two-documents.yaml", minimal_incident("X-22") + "---\nid: X-23\n", 6, "",
     "more than one YAML document", "one incident per file"),
]


def _write_site(site: SiteFactory) -> None:
    site.page("runbooks/api-latency.md", "# API latency\n")
    site.incident("good/one.yaml", GOOD.format(id="GOOD-1"))
    site.incident("good/two.yml", GOOD.format(id="GOOD-2"))
    for name, content, *_ in CASES:
        site.incident(f"bad/{name}", content)


@pytest.fixture(scope="module")
def bad_site(tmp_path_factory: pytest.TempPathFactory):
    site = SiteFactory(tmp_path_factory.mktemp("bad") / "project")
    _write_site(site)
    return site.build()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_problem_names_file_line_field_and_advice(bad_site, case) -> None:
    name, _content, line, field, message, hint = case
    path = f"docs/incidents/bad/{name}"
    mine = [w for w in bad_site.warnings if path + ":" in w]
    assert mine, f"no warning for {name}; got: {bad_site.warnings}"
    pattern = re.compile(re.escape(path) + r":(\d+):(\d+): (.*)")
    matches = [pattern.search(w) for w in mine]
    located = [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in matches if m]
    wanted = [
        (ln, col, text) for ln, col, text in located
        if ln == line and message.lower() in text.lower()
    ]
    assert wanted, f"expected line {line} and {message!r}, got {mine}"
    _, column, text = wanted[0]
    assert column >= 1
    if field:
        assert text.startswith(field + ": "), text
    assert hint.lower() in text.lower(), text


def test_bad_files_are_skipped_and_good_ones_published(bad_site) -> None:
    assert bad_site.exists("incidents/good-1/")
    assert bad_site.exists("incidents/good-2/")
    bad_ids = [
        line.split(":", 1)[1].strip().lower()
        for _, content, *_ in CASES if isinstance(content, str)
        for line in content.splitlines() if line.startswith("id:")
    ]
    assert bad_ids
    assert not [i for i in bad_ids if bad_site.exists(f"incidents/{i}/")]
    # The YAML sources themselves are not copied into the site.
    assert not list(bad_site.site_dir.rglob("*.yaml"))


def test_duplicate_ids_name_both_files(site: SiteFactory) -> None:
    site.incident("a.yaml", minimal_incident("INC-7", "First"))
    site.incident("b/c.yaml", minimal_incident("inc-7", "Second"))
    built = site.build()
    [warning] = built.warnings_about("already used")
    assert warning.startswith("mkdocs_pmtheater: docs/incidents/b/c.yaml:1:5: id:")
    assert "already used by docs/incidents/a.yaml:1" in warning
    assert "First" in built.html("incidents/inc-7/").get_text()


def test_strict_build_fails_without_traceback(site: SiteFactory, tmp_path: Path) -> None:
    site.incident("good.yaml", minimal_incident("INC-1"))
    site.incident("bad.yaml", minimal_incident("INC-2") + "sumary: typo\n")
    site.build()  # writes mkdocs.yml
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
        cwd=site.root, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "docs/incidents/bad.yaml:6:1: sumary: Unknown key 'sumary'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Aborted with 1 incident problem in strict mode" in result.stdout + result.stderr


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    parsed = read_incident_yaml("\n".join(lines).encode(), "bomb.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    [problem] = parsed.problems
    assert "alias bomb" in problem.message
    assert problem.line == 5  # where the repeated values pass the budget


def test_deep_nesting_is_refused_without_recursion() -> None:
    raw = b"id: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"
    parsed = read_incident_yaml(raw, "deep.yaml")
    [problem] = parsed.problems
    assert "nested more than" in problem.message


def test_huge_file_is_refused() -> None:
    raw = b"summary: " + b"x" * (2 * 1024 * 1024)
    parsed = read_incident_yaml(raw, "huge.yaml")
    [problem] = parsed.problems
    assert "limited to 1 MB" in problem.message
