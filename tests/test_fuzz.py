"""Fuzzing: mutate valid incident files at random, so the next kind of fault is found by a test.

Seeds are the example site's incident files and a few small hand-made ones
(``SMALL_SEEDS``). Each mutant is made by one family of mutations (hypothesis
draws which seed, where and what):

* ``bytes``: bit flips, byte insertions, deletions and duplicated ranges, and
  broken UTF-8 (surrogates written as bytes, overlong and truncated sequences);
* ``chars``: characters of awkward classes put into values or anywhere (control
  characters, NUL, bidi and zero-width marks, combining marks, emoji, CJK,
  right-to-left text, U+2028, U+0085, a byte-order mark, odd spaces and line ends);
* ``lines``: lines duplicated, deleted, swapped, re-indented, joined and split;
* ``yaml``: a scalar replaced by a YAML token (anchors, aliases, tags, flow and
  block indicators, directives, document markers, escapes, very long scalars,
  deep nesting, the values YAML 1.1 reads as numbers, booleans or dates);
* ``types``: a value at a path of the incident swapped for another type (text,
  list, mapping, number, date, null, boolean), or a key dropped, renamed or added;
* ``markdown``: Markdown payloads put into Markdown fields (nested lists and
  quotes, ``](``, ``{: #id }``, raw HTML, footnotes, link references, fences,
  the renderer's own batch marker, long runs of emphasis and brackets);
* ``mixed``: a text-level mutation of each kind stacked on one seed.

Each mutant goes through the loader (``IncidentLoader.load``, as a build calls
it) and, when accepted, through ``PlaybillRenderer`` with the example site's
Markdown extensions, and must satisfy:

* nothing raises; a rejected file has problems, each with the file, a line and
  column >= 1 inside the file (line 0 only for the whole-file size limit) and a
  message and hint of text;
* loading and rendering one file takes at most ``SECONDS_PER_FILE`` (the
  faster of two tries, so a busy machine does not make a false alarm; a try
  is stopped after ``CAP_SECONDS``, so one pathological file cannot stall the run);
* every value of an accepted file is on its playbill (the checks of
  ``test_nothing_lost.py``), and the playbill carries no script, event
  handler or script URL.

``test_real_build_with_fuzzed_files`` builds one real site with ``REAL_BUILD`` mutants
next to the example site's pages, through the plugin, and checks that the
build agrees with the loader. ``test_corpus`` replays every input the fuzzer
ever found (``tests/fuzz_corpus/``, minimised).

CI runs ``EXAMPLES`` mutants (>= 5,000, about a minute on two cores), with
``derandomize=True`` so every run tries the same mutants. To search longer::

    PMTHEATER_FUZZ_EXAMPLES=60000 PMTHEATER_FUZZ_SEED=7 \\
    PMTHEATER_FUZZ_FINDS=/tmp/finds .venv/bin/python -m pytest -p no:cacheprovider \\
        tests/test_fuzz.py -k mutants -x

``PMTHEATER_FUZZ_EXAMPLES`` is the total number of mutants (split over the
families); ``PMTHEATER_FUZZ_SEED`` gives other random mutants than CI's;
``PMTHEATER_FUZZ_FINDS`` names a folder where every failing input is written
(with its failure beside it) while the search goes on, instead of stopping at
the first. Minimise a find (delete lines, then characters, while it still
fails the same way), add it to ``tests/fuzz_corpus/`` and to
the corpus README, and fix it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import date, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import BUILD_EPOCH, EXAMPLE_SITE, build_site
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from jinja2 import FileSystemLoader
from mkdocs.config import load_config
from rendered_text import markdown_text
from test_nothing_lost import check_article

from mkdocs_pmtheater.load.loader import IncidentLoader, normalize_page
from mkdocs_pmtheater.load.yamlsource import MAX_BYTES, read_incident_yaml
from mkdocs_pmtheater.model.incident import SEVERITY_DEFAULT
from mkdocs_pmtheater.model.problems import Problem
from mkdocs_pmtheater.publish.production import TEMPLATES_DIR
from mkdocs_pmtheater.render.markdown_fields import MarkdownFields, is_safe_url
from mkdocs_pmtheater.render.playbill import Clock, PlaybillRenderer

HERE = Path(__file__).parent
CORPUS = HERE / "fuzz_corpus"
SECONDS_PER_FILE = 1.0
CAP_SECONDS = 3.0
LINE_BREAK = re.compile(rb"\r\n|\r|\n")
FAMILIES = ("bytes", "chars", "lines", "yaml", "types", "markdown", "mixed")
EXAMPLES = max(int(os.environ.get("PMTHEATER_FUZZ_EXAMPLES", "5250")), len(FAMILIES))
PER_FAMILY = -(-EXAMPLES // len(FAMILIES))
RANDOM_SEED = os.environ.get("PMTHEATER_FUZZ_SEED")
FINDS = os.environ.get("PMTHEATER_FUZZ_FINDS")
REAL_BUILD = 20
SRC = "incidents/fuzz.yaml"
DISPLAY = "docs/incidents/fuzz.yaml"
CONFIG = EXAMPLE_SITE / "mkdocs.yml"
PAGES = sorted(p.relative_to(EXAMPLE_SITE / "docs").as_posix()
               for p in (EXAMPLE_SITE / "docs").rglob("*.md"))

# --- seeds ---------------------------------------------------------------------------------

SMALL_SEEDS = {
    "minimal": """\
id: INC-1
title: A small outage
severity: SEV3
started_at: 2024-03-14T14:02:00Z
summary: Something broke and we fixed it.
""",
    "bare-times-anchors": """\
# Bare times, an anchor, an alias and a merge key.
id: INC-2
title: 'Queue backlog: "orders" stalled'
severity: SEV2
status: in-review
started_at: 2024-03-14 23:10:00-05:00
resolved_at: 2024-03-15T06:00:00Z
services: [orders, queue]
tags: &tags [queue, backlog]
director: "@lena"
cast:
  - &oncall {role: On-Call Engineer, actor: "@priya"}
  - role: The Backlog
    notes: |-
      Grew by *one message* a second.
timeline:
  - at: 23:20
    character: On-Call Engineer
    action: Opens the queue dashboard.
  - at: "23:40:30"
    <<: {character: On-Call Engineer, action: Drains the queue.}
    plot_point: climax
action_items:
  - id: AI-1
    title: Alert on queue age
    owner: "@priya"
    due: 2024-04-01
summary: >
  Orders waited in the queue for
  six hours.
""",
    "markdown-rich": """\
id: INC-3
title: Markdown in every field
severity: SEV4
started_at: 2024-01-02T03:04:05.678+01:00
summary: |
  # A heading

  Some **bold**, `code`, a [link](https://example.com) and a list:

  1. one
  2. two
      - nested

  > a quote

  ```python
  print("hi")
  ```

  !!! note "An admonition"
      With text.
impact: "| a | b |\\n|---|---|\\n| 1 | 2 |"
setting:
  environment: Busy *night*.
  props:
    - {name: Runbook, kind: runbook, page: ./runbooks/cache-eviction.md}
    - {name: Board, kind: dashboard, url: "https://grafana.example.com/d/x?a=1&b=2"}
  conditions: [Two pages at once., "A [link](../2024/x.yaml#L3)"]
plot: {lead_up: Calm., climax: "*Loud*.", turning_point: '`grep`', resolution: Fixed.}
review:
  went_well: ["- [x] a task"]
  five_whys:
    - {why: "Why?", because: "Because: reasons."}
  root_causes: [A <b>tag</b> written as text.]
awards:
  - {award: Calm, recipient: "@aiko", citation: "Kept :smile: calm."}
""",
}


def _seeds() -> dict[str, str]:
    seeds = {p.stem: p.read_text(encoding="utf-8")
             for p in sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))}
    seeds.update(SMALL_SEEDS)
    return seeds


SEEDS = _seeds()
SEED_NAMES = sorted(SEEDS)


class Shape:
    """Where a seed's scalars and lines are, and its data, computed once per seed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[tuple[int, int]] = []
        start = 0
        for line in text.splitlines(keepends=True):
            self.lines.append((start, start + len(line)))
            start += len(line)
        # The pure-Python parser counts characters (libyaml counts bytes).
        events = yaml.parse(text, Loader=yaml.SafeLoader)
        self.scalars = [(e.start_mark.index, e.end_mark.index) for e in events
                        if isinstance(e, yaml.ScalarEvent)
                        and e.end_mark.index > e.start_mark.index]
        self.data = read_incident_yaml(text.encode(), "seed").data
        self.paths = list(_paths(self.data))
        self.markdown_paths = [p for p in self.paths if _is_markdown(p)]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Any:
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


_MARKDOWN_KEYS = {"summary", "impact", "notes", "environment", "conditions", "action",
                  "observation", "belief", "lead_up", "climax", "turning_point", "resolution",
                  "went_well", "got_lucky", "could_improve", "detection", "process", "why",
                  "because", "root_causes", "contributing_factors", "citation"}


def _is_markdown(path: tuple[Any, ...]) -> bool:
    names = [p for p in path if isinstance(p, str)]
    return bool(names) and names[-1] in _MARKDOWN_KEYS and (
        names[-1] != "notes" or path[0] in ("cast", "action_items"))


SHAPES = {name: Shape(text) for name, text in SEEDS.items()}

# --- mutations -----------------------------------------------------------------------------

Edit = tuple[int, int, str]
"""Replace text[start:end] with the string."""


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply edits given in the seed's coordinates, from the end, skipping overlaps."""
    limit = len(text) + 1
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        if end > limit:
            continue
        text = text[:start] + new + text[end:]
        limit = start
    return text


CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                            0x80, 0x85, 0x9B, 0x9F)]
CHAR_CLASSES: dict[str, list[str]] = {
    "control": CONTROL,
    "nul": ["\x00"],
    "bidi": ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u200e", "\u200f", "\u061c", "\u202egnp.exe"],
    "zero-width": ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"],
    "combining": ["\u0301", "e\u0301", "\u0336" * 3, "Z\u0351\u0352\u0357\u0358" * 4,
                  "\u20dd", "\u0345"],
    "emoji": ["🔥", "👩\u200d💻", "🇪🇺", "👍🏽", "❤\ufe0f", "🏳\ufe0f\u200d🌈", "\U0001f9d1"],
    "cjk": ["漢字", "事故", "：", "，", "「引用」", "ｱｲｳ", "한국어", "\u3000"],
    "rtl": ["שלום", "مرحبا", "\u05d0:", "ܐ"],
    "line-breaks": ["\u2028", "\u2029", "\x85", "\r", "\r\n", "\n\r", "\v", "\f"],
    "bom": ["\ufeff"],
    "spaces": ["\u00a0", "\u2003", "\u202f", "\t", "  ", "\u3000"],
    "odd": ["\ufffd", "\uffff", "\ufffe", "\U0010ffff", "\ue000", "\U000e0041", "\\", "\\u0000",
            "&#0;", "&#x202e;", "%", "@", "`", "|", ">", "!", "&", "*", "#", "'", '"', ":", "-",
            "?", "{", "}", "[", "]", ","],
}
BAD_UTF8 = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80",
            b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x82", b"\x80", b"\xef\xbb\xbf", b"\x00",
            b"\xc2\x85", b"\xe2\x80\xa8"]

YAML_TOKENS = [
    "&a", "*a", "&a value", "*undefined", "&a [1, *a]", "!!python/object:os.system",
    "!!python/object/apply:os.system [ls]", "!!python/name:os.system", "!!binary aGVsbG8=",
    "!!str 14:05", "!!int 3", "!!float 1e3", "!!timestamp 2024-01-01", "!!null ''", "!!bool yes",
    "!!set {a, b}", "!!omap [a: 1]", "!custom x", "!<tag:yaml.org,2002:str> x", "!!map {}",
    "!!seq []", "[", "{", "]", "}", "[]", "{}", "[a, [b, {c: d}]]", "{a: 1, a: 2}", "? ", "? x",
    "? [a]\n: b", "|", ">", "|-", ">+", "|2", "|\n", ">\n   folded\n  less", "- ", "- - x",
    ": ", ":", "#", "# comment", "%YAML 1.1", "%YAML 1.2", "%TAG ! tag:x,2000:", "---", "...",
    "--- x", "<<: *a", "<<", "'", '"', "''", '""', "'it''s'", '"\\x07"', '"\\0"', '"\\ud800"',
    '"\\U0010FFFF"', '"\\N"', '"\\L"', '"\\P"', '"\\_"', '"\\e"', '"\\t"', '"\\u202e"',
    '"\\x85"', '"\\uFEFF"', '"\\u200b"', '"a\\\nb"', "~", "null", "Null", "yes", "no", "on",
    "off", "y", "n", "true", "0x1F", "0o17", "017", "0b101", "1_000", "1e400", "-1e400", ".inf",
    "-.inf", ".nan", "-0", "+1", "190:20:30", "14:05", "14:60", "24:00", "99:99", "2024-02-30",
    "2024-13-01", "2024-03-14t14:02:00z", "2024-03-14T14:02:00+25:00", "0001-01-01",
    "9999-12-31T23:59:59Z", "1899-12-31T23:59:59-23:59", "2024-03-14 14:02:00.123456789 +01",
    "@priya", "`code`", "%", "!", "&", "*", "|x", ">x", "=", "<", "\t", "x: y", "- x: y",
    "INC-1", "SEV1", "SEV6", "sev1", "P0", "done", "draft", "runbooks/cache-eviction.md",
    "../../../etc/passwd", "/etc/passwd", "C:\\Windows", "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "https://", "mailto:", "//evil.example",
]
DEEP = ["[" * 70 + "]" * 70, "{a: " * 70 + "}" * 70, "- " * 70 + "x", "[" * 5000,
        "&a [" + "*a, " * 50 + "]"]


def _long_scalars() -> st.SearchStrategy[str]:
    return st.builds(lambda unit, n: unit * n,
                     st.sampled_from(["x", "ab ", "é", "\u200b", "*", "[", "<", "`", "- ",
                                      "a" * 63 + "\n  ", "🔥", "\\", ":"]),
                     st.sampled_from([65, 1_000, 10_000, 100_000, 400_000, MAX_BYTES + 1]))


@st.composite
def _position(draw: st.DrawFn, shape: Shape, *, in_value: bool | None = None) -> int:
    """A character offset: in a scalar (most of the time) or anywhere."""
    if in_value is None:
        in_value = draw(st.integers(0, 3)) > 0
    if in_value and shape.scalars:
        start, end = shape.scalars[draw(st.integers(0, len(shape.scalars) - 1))]
        return draw(st.integers(start, end))
    return draw(st.integers(0, len(shape.text)))


@st.composite
def char_edit(draw: st.DrawFn, shape: Shape) -> Edit:
    kind = draw(st.sampled_from(sorted(CHAR_CLASSES)))
    new = draw(st.sampled_from(CHAR_CLASSES[kind])) * draw(st.sampled_from([1, 1, 1, 2, 40]))
    at = draw(_position(shape))
    if kind == "bom" and draw(st.booleans()):
        at = 0
    replace = draw(st.integers(0, 2)) if at < len(shape.text) else 0
    return (at, min(at + replace, len(shape.text)), new)


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


@st.composite
def line_edits(draw: st.DrawFn, shape: Shape) -> list[Edit]:
    n = len(shape.lines)
    index = draw(st.integers(0, n - 1))
    start, end = shape.lines[index]
    line = shape.text[start:end]
    op = draw(st.sampled_from(["duplicate", "delete", "swap", "swap-next", "indent",
                               "dedent", "tab", "join", "split", "move"]))
    if op == "duplicate":
        return [(start, end, line * draw(st.integers(2, 3)))]
    if op == "delete":
        return [(start, end, "")]
    if op in ("swap", "swap-next", "move"):
        other = min(index + 1, n - 1) if op == "swap-next" else draw(st.integers(0, n - 1))
        o_start, o_end = shape.lines[other]
        if other == index:
            return []
        if op == "move":
            return [(start, end, ""), (o_start, o_start, _ended(line))]
        other_line = shape.text[o_start:o_end]
        return [(start, end, _ended(other_line)), (o_start, o_end, _ended(line))]
    if op == "indent":
        return [(start, start, " " * draw(st.sampled_from([1, 2, 4, 8])))]
    if op == "dedent":
        strip = len(line) - len(line.lstrip(" "))
        return [(start, start + min(strip, draw(st.integers(1, 4))), "")]
    if op == "tab":
        return [(start, start, "\t")]
    if op == "join":
        return [(end - 1, end, draw(st.sampled_from(["", " "])))] if line.endswith("\n") else []
    at = draw(st.integers(start, max(start, end - 1)))
    return [(at, at, "\n" + " " * draw(st.integers(0, 6)))]


@st.composite
def yaml_edit(draw: st.DrawFn, shape: Shape) -> list[Edit]:
    token = draw(st.one_of(st.sampled_from(YAML_TOKENS), st.sampled_from(DEEP),
                           _long_scalars()))
    where = draw(st.sampled_from(["replace", "replace", "before", "after", "line", "file"]))
    if where == "file":
        return [(0, 0, token + "\n")]
    if where == "line":
        start, _ = shape.lines[draw(st.integers(0, len(shape.lines) - 1))]
        return [(start, start, token + "\n")]
    if not shape.scalars:
        return [(0, 0, token)]
    start, end = shape.scalars[draw(st.integers(0, len(shape.scalars) - 1))]
    if where == "replace":
        return [(start, end, token)]
    if where == "before":
        return [(start, start, token + " ")]
    return [(end, end, " " + token)]


@st.composite
def byte_mutation(draw: st.DrawFn, raw: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 4))):
        n = len(raw)
        at = draw(st.integers(0, n))
        op = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "bad-utf8",
                                   "truncate"]))
        if op == "flip" and at < n:
            raw = raw[:at] + bytes([raw[at] ^ (1 << draw(st.integers(0, 7)))]) + raw[at + 1:]
        elif op == "insert":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
        elif op == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 16)):]
        elif op == "duplicate":
            size = draw(st.integers(1, 64))
            raw = raw[:at] + raw[at:at + size] * 2 + raw[at + size:]
        elif op == "bad-utf8":
            raw = raw[:at] + draw(st.sampled_from(BAD_UTF8)) + raw[at:]
        elif op == "truncate":
            raw = raw[:at]
    return raw


# Values of every type YAML has, and of the types the schema expects elsewhere.
ANY_VALUE = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\n", "14:05", "24:00", "2024-02-30", "2024-03-14T14:02:00Z",
                     "@priya", "SEV1", "P1", "open", "done", "climax", "runbook", "INC-1",
                     "https://example.com", "javascript:alert(1)", "runbooks/x.md", "<b>x</b>",
                     "a" * 65]),
    st.lists(st.text(max_size=8), max_size=3),
    st.just([]), st.just({}),
    st.dictionaries(st.sampled_from(["role", "at", "id", "why", "name", "x"]),
                    st.text(max_size=8), max_size=3),
    st.integers(), st.integers(-(10 ** 30), 10 ** 30), st.floats(),
    st.dates(), st.datetimes(timezones=st.just(timezone.utc)),
    st.none(), st.booleans(),
)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10 ** 6)


@st.composite
def types_mutant(draw: st.DrawFn, shape: Shape) -> str:
    data = yaml.safe_load(_dump(shape.data))  # a deep copy
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(shape.paths))
        try:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]]  # the path may be gone after an earlier change
        except (KeyError, IndexError, TypeError):
            continue
        op = draw(st.sampled_from(["swap", "swap", "swap", "delete", "rename", "add"]))
        if op == "swap":
            _set(data, path, draw(ANY_VALUE))
        elif isinstance(parent, dict) and op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict) and op == "rename":
            parent[draw(st.sampled_from([f"{path[-1]}s", str(path[-1]).upper(), "", " ",
                                         f"{path[-1]}_", "<<", "null", "1"]))] = parent.pop(
                path[-1])
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "titel", "at", "role", "1", "true"]))] = (
                draw(ANY_VALUE))
        elif isinstance(parent, list) and op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.insert(path[-1], parent[path[-1]])  # a duplicate entry
    return _dump(data)


MARKDOWN_PAYLOADS = [
    "[x](javascript:alert(1))", "[x](JaVaScRiPt&#58;alert(1))", "[x](data:text/html,hi)",
    "[x](vbscript:msgbox)", "[x](incident:INC-1)", "[x](incident:NOPE#AI-9)",
    "[x](../2024/2024-03-14-checkout-cache-stampede.yaml#L12)", "[x](runbooks/cache-eviction.md)",
    "[x](<a b>)", "[x]( ", "](", "[", "[x][y]", "[y]: https://example.com/ref", "[x][]",
    "[^1]", "[^1]: a footnote", "![img](x.png)", "<https://example.com>", "<javascript:alert(1)>",
    "{: #playbill }", "{: #scene-1 }", "{: #cast-of-characters }", "{: .admonition }",
    "{: onclick=\"alert(1)\" }", "{: style=\"display:none\" }", "{: href=\"javascript:x\" }",
    "text\n{: #ai-1 }", "# Heading {#screenplay}", "## The Call Sheet", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<iframe src=//x></iframe>", "<style>*{}</style>",
    "<!-- comment", "-->", "<div markdown=\"1\">*x*</div>", "&amp;", "&#0;", "&#x202e;",
    "&lt;script&gt;", "\\<b>", "***", "---", "===", "* * *", "- [ ] task", "- [x] done",
    ":smile:", ":fontawesome-brands-github:", "!!! danger \"x\"\n    body", "??? note\n    body",
    "```\nunclosed fence", "~~~\nx\n~~~", "    indented code", "`unclosed", "| a |\n|---|\n| b |",
    "term\n: definition", "*[HTML]: Hyper Text", "pmtheater-field-boundary-5f0c1e",
    "<p>pmtheater-field-boundary-5f0c1e</p>", "\n\n", "  ", "\\", "a  \nb", "1. x\n2. y",
    "1) x", "+ x", "> quote", "<", ">", "&", "%", "@priya", "x_y_z", "__init__", "**",
    "<b>bold</b> after", "<", "<!DOCTYPE html>", "<?php ?>", "<![CDATA[x]]>",
]


@st.composite
def markdown_payload(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    # Nested lists indent each level further, so their size (and the time Markdown takes)
    # grows with depth squared; deeper nesting comes from the one-line runs below.
    depth = draw(st.sampled_from([2, 5, 20, 60, 120]))
    if kind == 0:
        return "\n".join("  " * i + "- item" for i in range(depth))
    if kind == 1:
        return "> " * depth * draw(st.sampled_from([1, 5])) + "deep quote"
    if kind == 2:
        return "".join("  " * i + f"{i + 1}. x\n" for i in range(depth))
    if kind == 3:
        unit = draw(st.sampled_from(["*", "_", "[", "](", "<", "`", "**a", "[a](", "![", "\\",
                                     "&", "{: ", ":", "- ", "1. ", "> - ", "* > "]))
        return unit * depth * draw(st.sampled_from([1, 10, 25]))
    pieces = draw(st.lists(st.sampled_from(MARKDOWN_PAYLOADS), min_size=1, max_size=4))
    glue = draw(st.sampled_from(["\n\n", "\n", " ", ""]))
    return glue.join(pieces)


@st.composite
def markdown_mutant(draw: st.DrawFn, shape: Shape) -> str:
    if not shape.markdown_paths:
        return shape.text
    data = yaml.safe_load(_dump(shape.data))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(shape.markdown_paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        old = parent[path[-1]]
        payload = draw(markdown_payload())
        where = draw(st.sampled_from(["replace", "append", "prepend", "inline"]))
        parent[path[-1]] = {"replace": payload, "append": f"{old}\n\n{payload}",
                            "prepend": f"{payload}\n\n{old}", "inline": f"{old} {payload}"}[where]
    return _dump(data)


class Mutant(bytes):
    """Bytes that hypothesis reports by size: a failing mutant is saved to a file instead
    of being printed (it can be a megabyte)."""

    def __repr__(self) -> str:
        return f"<mutant of {len(self)} bytes>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer
        printer.text(repr(self))


def mutant(family: str) -> st.SearchStrategy[Mutant]:
    return _mutant(family).map(Mutant)


@st.composite
def _mutant(draw: st.DrawFn, family: str) -> bytes:
    """The bytes of one mutant of a drawn seed, made by ``family``."""
    shape = SHAPES[draw(st.sampled_from(SEED_NAMES))]
    text = shape.text
    if family == "bytes":
        return draw(byte_mutation(text.encode()))
    if family == "types":
        return draw(types_mutant(shape)).encode()
    if family == "markdown":
        return draw(markdown_mutant(shape)).encode()
    edits: list[Edit] = []
    if family in ("chars", "mixed"):
        edits += draw(st.lists(char_edit(shape), min_size=1, max_size=3))
    if family in ("lines", "mixed"):
        for _ in range(draw(st.integers(1, 2))):
            edits += draw(line_edits(shape))
    if family in ("yaml", "mixed"):
        edits += draw(yaml_edit(shape))
    raw = apply_edits(text, edits).encode("utf-8", "surrogatepass")
    if family == "mixed" and draw(st.booleans()):
        raw = draw(byte_mutation(raw))
    return raw


# --- running one file ----------------------------------------------------------------------

class Stage:
    """The loader and renderer a build of the example site would use, made once."""

    def __init__(self) -> None:
        config = load_config(str(CONFIG))
        self.fields = MarkdownFields(config.markdown_extensions, config.mdx_configs)
        self.renderer = PlaybillRenderer(
            FileSystemLoader(str(TEMPLATES_DIR)), self.fields, Clock(timezone.utc, "UTC"),
            list(SEVERITY_DEFAULT), date(2026, 11, 26), material=True)
        # Most fields of a mutant are those of its seed: remember what they read as.
        self.md = functools.lru_cache(maxsize=50_000)(markdown_text(CONFIG))


_STAGE: Stage | None = None


def stage() -> Stage:
    global _STAGE
    if _STAGE is None:
        _STAGE = Stage()
    return _STAGE


def _fresh_stage() -> None:
    """Forget the renderers: one stopped half-way may be left in a state that makes the
    next file render differently (faster, and wrong)."""
    global _STAGE
    _STAGE = None


def run_once(raw: bytes) -> tuple[float, list[Problem], str | None]:
    """Load ``raw`` as a build does and render it when accepted: (seconds, problems, body)."""
    renderer = stage().renderer
    started = time.perf_counter()
    loader = IncidentLoader(SEVERITY_DEFAULT, timezone.utc)  # a fresh content cache
    catalog = loader.load([(raw, SRC, DISPLAY)], page_exists=set(PAGES).__contains__,
                          pages=lambda: PAGES, reserved={"index", "readme"})
    body = None
    if catalog.incidents:
        body, _ = renderer.render(catalog.incidents[0], prop_url=lambda page: f"../../{page}")
    return time.perf_counter() - started, catalog.problems, body


class TooSlow(BaseException):
    """Raised by the alarm when one file takes far longer than the limit (a BaseException,
    so that no ``except Exception`` on the way swallows it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise TooSlow


def run_capped(raw: bytes) -> tuple[float, list[Problem], str | None]:
    """``run_once``, stopped after ``CAP_SECONDS`` (where there are alarms: not on Windows),
    so that one pathological mutant cannot stall the whole run."""
    if not hasattr(signal, "setitimer"):
        return run_once(raw)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CAP_SECONDS)
    try:
        return run_once(raw)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def faults(raw: bytes) -> list[str]:
    """Every way ``raw`` breaks the rules above (empty when it is handled well)."""
    try:
        try:
            seconds, problems, body = run_capped(raw)
            if seconds > SECONDS_PER_FILE:  # once more: a busy machine is not a slow loader
                seconds = min(seconds, run_capped(raw)[0])
        except TooSlow:
            _fresh_stage()
            return [f"took more than {CAP_SECONDS} s to load and render "
                    f"(limit {SECONDS_PER_FILE} s)"]
    except Exception:  # any exception at all is the fault being looked for
        _fresh_stage()
        return ["uncaught exception:\n" + traceback.format_exc()]
    if seconds > SECONDS_PER_FILE:
        return [f"took {seconds:.2f} s to load and render (limit {SECONDS_PER_FILE} s)"]
    found = []
    if body is None and not problems:
        found.append("the file was neither published nor reported")
    if body is not None and problems:
        found.append(f"published although it has problems: {[p.text() for p in problems]}")
    lines = len(LINE_BREAK.split(raw))  # as YAML and editors count them: CR alone ends a line
    for problem in problems:
        whole_file = problem.line == 0 and len(raw) > MAX_BYTES
        if problem.file != DISPLAY or not isinstance(problem.message, str):
            found.append(f"problem without its file or message: {problem!r}")
        elif not whole_file and not (1 <= problem.line <= lines and problem.column >= 1):
            found.append(f"problem at line {problem.line}, column {problem.column} "
                         f"(the file has {lines} lines): {problem.text()}")
        if not problem.message.strip() or not isinstance(problem.hint, str):
            found.append(f"problem without a message: {problem!r}")
    if body is not None:
        found += _shown_faults(raw, body)
    return found


def _shown_faults(raw: bytes, body: str) -> list[str]:
    data = read_incident_yaml(raw, DISPLAY).data
    for prop in data.get("setting", {}).get("props", []):
        if "page" in prop:  # the build links the page by its path in docs_dir
            prop["page"] = normalize_page(prop["page"])
    soup = BeautifulSoup(body, "html.parser")
    found = [f"value lost: {p}" for p in check_article(soup, data, stage().md)]
    for element in soup.find_all(True):
        if element.name in ("script", "iframe", "object", "embed", "style", "base", "form"):
            found.append(f"a <{element.name}> element on the playbill")
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"an event handler {name}= on <{element.name}>")
            elif name in ("href", "src") and not is_safe_url(str(value)):
                found.append(f"a script URL {name}={value!r} on <{element.name}>")
    return found


def check(raw: bytes) -> None:
    """Assert that ``raw`` is handled well, or (when searching) write it down and go on."""
    found = faults(raw)
    if not found:
        return
    if FINDS:
        folder = Path(FINDS)
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(raw).hexdigest()[:16]
        (folder / f"{name}.yaml").write_bytes(raw)
        (folder / f"{name}.txt").write_text("\n".join(found), encoding="utf-8")
        return
    saved = Path(tempfile.mkdtemp(prefix="pmtheater-fuzz-")) / "find.yaml"
    saved.write_bytes(raw)
    pytest.fail("\n".join(found[:5]) + f"\nThe input ({len(raw)} bytes) is in {saved}; "
                "minimise it and add it to tests/fuzz_corpus/ (see the module docstring).")


# --- the fuzzer ----------------------------------------------------------------------------

def _fuzz_settings(examples: int) -> Callable[[Any], Any]:
    return settings(max_examples=examples, deadline=None, database=None,
                    derandomize=RANDOM_SEED is None, print_blob=False,
                    # Not shrinking: a slow mutant would be re-run hundreds of times;
                    # finds are minimised by hand when they join the corpus.
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


@pytest.mark.parametrize("family", FAMILIES)
def test_mutants_are_reported_or_published_whole(family: str) -> None:
    ran = []

    @_fuzz_settings(PER_FAMILY)
    @given(mutant(family))
    def one(raw: bytes) -> None:
        ran.append(len(raw))
        check(raw)

    if RANDOM_SEED is not None:
        one = seed(int(RANDOM_SEED))(one)
    one()
    assert len(ran) >= PER_FAMILY, f"only {len(ran)} mutants of {PER_FAMILY} ran"


def test_seeds_are_valid_and_the_check_sees_a_lost_value() -> None:
    """The seeds publish cleanly, and the checks fail when a value goes missing."""
    for name, text in SEEDS.items():
        assert faults(text.encode()) == [], name
        _, problems, body = run_once(text.encode())
        assert problems == [] and body is not None, name
    _, _, body = run_once(SEEDS["minimal"].encode())
    assert body is not None
    lost = _shown_faults(SEEDS["minimal"].encode(), body.replace("A small outage", "A small"))
    assert any("A small outage" in f for f in lost), lost
    unsafe = _shown_faults(SEEDS["minimal"].encode(), body + '<a href="javascript:x">y</a>')
    assert any("script URL" in f for f in unsafe), unsafe


# --- the corpus of past finds --------------------------------------------------------------

CORPUS_FILES = sorted(p for p in CORPUS.rglob("*.yaml"))


def test_corpus_is_listed() -> None:
    """Every corpus file says in the README what it found."""
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert CORPUS_FILES, "the corpus is empty"
    for path in CORPUS_FILES:
        assert path.relative_to(CORPUS).as_posix() in readme, path


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus(path: Path) -> None:
    found = faults(path.read_bytes())
    assert found == [], "\n".join(found[:5])


# --- a real build --------------------------------------------------------------------------

def _generate(family: str, count: int) -> list[bytes]:
    found: list[bytes] = []

    @settings(max_examples=count, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(mutant(family))
    def collect(raw: bytes) -> None:
        found.append(raw)

    collect()
    return found


def test_real_build_with_fuzzed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """REAL_BUILD mutants, half of them accepted, in one real site: the build agrees
    with the loader, reports every rejected file, and shows every accepted one whole."""
    accepted: list[bytes] = []
    rejected: list[bytes] = []
    ids: set[str] = set()  # mutants of one seed share its id; publish one of each
    for family in FAMILIES:
        for raw in _generate(family, 40):
            incident = IncidentLoader(SEVERITY_DEFAULT, timezone.utc).read_file(
                raw, SRC, DISPLAY).incident
            pile = rejected if incident is None else accepted
            if incident is not None and incident.slug in ids:
                continue
            if len(pile) < REAL_BUILD // 2 and len(raw) < 100_000:
                pile.append(raw)
                ids |= {incident.slug} if incident else set()
    mutants = accepted + rejected
    assert len(mutants) == REAL_BUILD, (len(accepted), len(rejected))
    root = tmp_path / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site", "incidents"))
    (root / "docs" / "incidents").mkdir()
    triples = []
    for number, raw in enumerate(mutants):
        name = f"fuzz-{number:02d}.yaml"
        (root / "docs" / "incidents" / name).write_bytes(raw)
        triples.append((raw, f"incidents/{name}", f"docs/incidents/{name}"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    built = build_site(root)

    assert not [w for w in built.warnings if "Traceback" in w or "Error:" in w], built.warnings
    catalog = IncidentLoader(SEVERITY_DEFAULT, timezone.utc).load(
        triples, page_exists=set(PAGES).__contains__, pages=lambda: PAGES,
        reserved={"index", "readme"})
    for problem in catalog.problems:
        assert any(problem.text() in w for w in built.warnings), problem.text()
    published = {i.slug for i in catalog.incidents}
    assert len(published) >= 5, "too few mutants were published to check the build"
    md = markdown_text(root / "mkdocs.yml")
    for incident in catalog.incidents:
        raw = next(r for r, src, _ in triples if src == incident.source)
        data = read_incident_yaml(raw, DISPLAY).data
        for prop in data.get("setting", {}).get("props", []):
            if "page" in prop:
                prop["page"] = normalize_page(prop["page"])
        lost = check_article(built.html(f"incidents/{incident.slug}/"), data, md)
        assert lost == [], (incident.source, lost)
    for _, src, display in triples:
        if catalog.by_source(src) is None:
            assert any(w.startswith(f"mkdocs_pmtheater: {display}") or f" {display}:" in w
                       or w.startswith(display) for w in built.warnings), display
