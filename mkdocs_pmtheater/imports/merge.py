"""Scenes as YAML: printed on their own, or inserted into an incident file's ``timeline``.

Inserting is done on the text, not by loading and dumping the file: every byte
outside the inserted lines stays as the author wrote it (keys, order, quoting,
comments, blank lines, line endings). The file is parsed with PyYAML's composer,
which gives each node's position, to find where the ``cast`` and ``timeline``
lists end and where each existing scene starts:

* New scenes go before the first existing scene that is later (so a scene at the
  same time as an existing one comes after it), or after the last scene; a
  missing ``timeline`` key is added at the end of the file (``timeline: []``
  and an empty ``timeline:`` are filled in).
* New cast entries go after the last cast entry; a missing ``cast`` key is added
  before ``timeline`` (or at the end).
* Existing times are read as the build reads them: a bare ``HH:MM`` takes the
  date and clock of the scene before it (the first scene: of ``started_at``), and
  times without an offset are in the site's zone. When a new scene lands right
  before an existing bare time and would change its date or clock, that one
  ``at`` is rewritten as the full timestamp it meant (and reported), so no
  existing scene moves.
* A scene already in the timeline (same time, character and action) is not
  added again, so importing twice is harmless.

Nothing is written until the whole new text is ready; it is then written to a
temporary file beside the incident and renamed over it (atomic on POSIX and
Windows), keeping the file's permissions.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..model.timestamps import (
    on_same_day,
    parse_bare_time,
    parse_date,
    parse_timestamp,
    split_approximate,
)
from . import ImportFailure
from .cast import CastEntry

MAX_SCENES = 1000
"""The format's limit on scenes in a timeline."""
REVIEW = "# imported: review this role"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


@dataclass(frozen=True)
class Scene:
    """One scene to write: an aware time, a cast role and Markdown."""

    at: datetime
    character: str
    action: str


def timestamp_text(at: datetime) -> str:
    """``2024-03-14T14:02:05Z``: the time in UTC, to the second."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_PLAIN = re.compile(r"[^\W\d_][^:#\t\n\x00-\x1f]*")
_YAML11_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _plain_ok(text: str) -> bool:
    """Whether YAML reads ``text`` written without quotes as this very string.

    Deliberately narrow (starts with a letter, no ``:`` or ``#``, no outer spaces,
    not a YAML 1.1 boolean or null), so it never needs a YAML parser to check:
    anything else is quoted.
    """
    return (bool(_PLAIN.fullmatch(text)) and text == text.strip()
            and text.casefold() not in _YAML11_WORDS)


def yaml_scalar(text: str, indent: int, nl: str = "\n") -> str:
    """``text`` as a YAML value to put after ``key:`` (with its leading space).

    Plain when YAML reads it back as the same string, a literal block (``|-``)
    for several lines, else a double-quoted string (JSON's escaping is valid YAML).
    """
    if "\n" in text and text[:1] not in (" ", "\t") and text == text.rstrip():
        pad = " " * indent
        # Lines of only spaces are written empty: invisible either way.
        lines = [pad + line if line.strip() else "" for line in text.split("\n")]
        return " |-" + nl + nl.join(lines)
    if _plain_ok(text):
        return " " + text
    return " " + json.dumps(text, ensure_ascii=False)


def render_cast(entries: Iterable[CastEntry], dash: int, key: int, nl: str = "\n") -> str:
    """Cast entries as block-list items, the dash at column ``dash``, keys at ``key``."""
    out = []
    for entry in entries:
        first = " " * dash + "-" + " " * (key - dash - 1)
        # The marker goes on a line of its own: a comment after a plain value on the same
        # line is one the loader warns about (text an author may have lost to it).
        text = f"{' ' * dash}{REVIEW}{nl}" if entry.review else ""
        text += f"{first}role:{yaml_scalar(entry.role, key + 2, nl)}{nl}"
        if entry.actor:
            text += f"{' ' * key}actor:{yaml_scalar(entry.actor, key + 2, nl)}{nl}"
        out.append(text)
    return "".join(out)


def render_scenes(scenes: Iterable[Scene], dash: int, key: int, nl: str = "\n") -> str:
    """Scenes as block-list items (``at``, ``character``, ``action``)."""
    out = []
    for scene in scenes:
        first = " " * dash + "-" + " " * (key - dash - 1)
        out.append(f"{first}at: {timestamp_text(scene.at)}{nl}"
                   f"{' ' * key}character:{yaml_scalar(scene.character, key + 2, nl)}{nl}"
                   f"{' ' * key}action:{yaml_scalar(scene.action, key + 2, nl)}{nl}")
    return "".join(out)


def fragment(cast: list[CastEntry], scenes: list[Scene]) -> str:
    """The ``cast`` (new entries only) and ``timeline`` keys to paste into an incident file."""
    text = ""
    if cast:
        text += "cast:\n" + render_cast(cast, 2, 4)
    return text + ("timeline:\n" + render_scenes(scenes, 2, 4) if scenes else "timeline: []\n")


# -- reading the incident file --------------------------------------------------------
@dataclass
class _Existing:
    node: MappingNode
    at_node: ScalarNode | None
    at: datetime | None
    bare: bool
    character: str | None
    action: str | None


@dataclass
class IncidentText:
    """An incident file as text, with the positions of what an import changes."""

    path: Path
    text: str
    bom: bool
    root: MappingNode
    zone: tzinfo
    started_at: datetime | None
    cast: list[dict[str, Any]] = field(default_factory=list)
    """The existing cast entries (their scalar values)."""
    scenes: list[_Existing] = field(default_factory=list)

    def key(self, name: str) -> tuple[ScalarNode, Node] | None:
        """The top-level key ``name`` and its value node, or None when the file lacks it."""
        for key, value in self.root.value:
            if isinstance(key, ScalarNode) and key.value == name:
                return key, value
        return None

    @property
    def day(self) -> date | None:
        """The day the incident started (in the clock ``started_at`` is written in)."""
        return self.started_at.date() if self.started_at else None


def _scalars(node: MappingNode) -> dict[str, Node]:
    return {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}


def _time_text(text: str) -> str:
    return text.strip().removeprefix("~").strip()


def read_incident(path: Path, zone: tzinfo) -> IncidentText:
    """The incident file at ``path``, checked enough to merge into; raises ImportFailure."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFailure(f"{path}: not UTF-8 text (byte {exc.start})") from None
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ImportFailure(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}); "
                            "fix it first (`pmtheater validate` says how)") from None
    except RecursionError:
        raise ImportFailure(f"{path}: nested too deeply; fix it first") from None
    if not isinstance(root, MappingNode):
        raise ImportFailure(f"{path}: not an incident file (expected keys such as 'id:' and "
                            "'title:')")
    incident = IncidentText(path, text, bom, root, zone, None)
    found = incident.key("started_at")
    if found and isinstance(found[1], ScalarNode):
        try:
            incident.started_at = parse_timestamp(_time_text(found[1].value), zone)
        except ValueError:
            incident.started_at = None
    found = incident.key("cast")
    if found and isinstance(found[1], SequenceNode):
        for item in found[1].value:
            if isinstance(item, MappingNode):
                incident.cast.append({k: v.value for k, v in _scalars(item).items()
                                      if isinstance(v, ScalarNode)})
    found = incident.key("timeline")
    if found and isinstance(found[1], SequenceNode):
        previous = incident.started_at
        for number, item in enumerate(found[1].value):
            if not isinstance(item, MappingNode):
                raise ImportFailure(f"{path}:{item.start_mark.line + 1}:"
                                    f"{item.start_mark.column + 1}: timeline[{number}] is not a "
                                    "scene (at, character, action); fix it first")
            values = _scalars(item)
            at_node = values.get("at")
            at, bare = None, False
            if isinstance(at_node, ScalarNode):
                at, bare = _resolve(_time_text(at_node.value), previous, zone)
            if at is None:
                line = (at_node or item).start_mark
                raise ImportFailure(
                    f"{path}:{line.line + 1}:{line.column + 1}: timeline[{number}].at: cannot "
                    "tell when this scene happened, so new scenes cannot be put in order; "
                    "fix it first (`pmtheater validate` says how)")
            previous = at
            incident.scenes.append(_Existing(
                item, at_node if isinstance(at_node, ScalarNode) else None, at, bare,
                _value(values.get("character")), _value(values.get("action"))))
    return incident


def _value(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _resolve(text: str, previous: datetime | None, zone: tzinfo
             ) -> tuple[datetime | None, bool]:
    """The time a scene's ``at`` means, and whether it was a bare time."""
    text = split_approximate(text)[0]  # "~06:50" (format 1.1): ordered as written
    try:
        clock = parse_bare_time(text)
        if clock is not None:
            return (on_same_day(previous, clock).instant if previous else None), True
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):  # a day: its start, for ordering
            day = parse_date(text)
            return datetime(day.year, day.month, day.day, tzinfo=zone), False
        return parse_timestamp(text, zone), False
    except ValueError:
        return None, False


# -- inserting ------------------------------------------------------------------------
def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield from _walk(value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _walk(item)


def _item_start(text: str, item: Node) -> tuple[int, int]:
    """(offset where an item's lines start, including comments just above; column of '-')."""
    index = item.start_mark.index - 1
    while index >= 0 and text[index] in " \t\r\n":
        index -= 1
    dash = index if index >= 0 and text[index] == "-" else item.start_mark.index
    return _comments_above(text, _line_start(text, dash)), dash - _line_start(text, dash)


def _comments_above(text: str, start: int) -> int:
    """``start`` (a line start) moved up over the comment lines just above it."""
    while start > 0:
        above = _line_start(text, start - 1)
        if not text[above:start].lstrip().startswith("#"):
            break
        start = above
    return start


def _item_end(text: str, item: Node) -> int:
    """The offset just after the line holding the item's last character."""
    # A block collection ends where the next token starts, after any comments below
    # it: only scalars and flow collections end where their text does.
    end = max(node.end_mark.index for node in _walk(item)
              if isinstance(node, ScalarNode) or getattr(node, "flow_style", False))
    index = end - 1
    while index > item.start_mark.index and text[index] in " \t\r\n":
        index -= 1
    return _line_end(text, index)


def _layout(text: str, key: ScalarNode, items: list[Node]) -> tuple[int, int]:
    """(dash column, key column) of a list's items; for an empty list, two spaces in."""
    if items:
        item = items[0]
        _, dash = _item_start(text, item)
        index = item.start_mark.index - 1
        while index >= 0 and text[index] in " \t\r\n":
            index -= 1
        same_line = "\n" not in text[max(index, 0):item.start_mark.index]
        return dash, item.start_mark.column if same_line else dash + 2
    return key.start_mark.column + 2, key.start_mark.column + 4


@dataclass
class Merged:
    """The new text of an incident file and what changed."""

    text: str
    added: int
    skipped: int
    """Scenes left out because the timeline already had them."""
    rewritten: list[str]
    """Bare times rewritten as full timestamps, as ``line N: "14:27" -> ...`` notes."""


def merge(incident: IncidentText, cast: list[CastEntry], scenes: list[Scene]) -> Merged:
    """The incident's text with ``scenes`` and ``cast`` inserted; see the module docstring."""
    text = incident.text
    nl = "\r\n" if "\r\n" in text else "\n"
    have = {(s.at, s.character, " ".join((s.action or "").split())) for s in incident.scenes}
    fresh = [s for s in scenes
             if (s.at, s.character, " ".join(s.action.split())) not in have]
    skipped = len(scenes) - len(fresh)
    total = len(incident.scenes) + len(fresh)
    if total > MAX_SCENES:
        raise ImportFailure(f"{incident.path}: the timeline would have {total} scenes; the "
                            f"format allows {MAX_SCENES}. Narrow the import with --from and "
                            "--until")
    edits: list[tuple[int, int, int, str]] = []  # (start, end, order, new text)
    order = 0

    def edit(start: int, end: int, new: str) -> None:
        nonlocal order
        edits.append((start, end, order, new))
        order += 1

    if text and not text.endswith("\n"):
        edit(len(text), len(text), nl)
    timeline = incident.key("timeline")
    cast_key = incident.key("cast")

    def open_list(found: tuple[ScalarNode, Node], name: str) -> tuple[int, list[Node]]:
        """Where items go in an empty or missing-value list, or the items of a block list."""
        key, value = found
        if isinstance(value, SequenceNode) and value.value:
            if value.flow_style:
                raise ImportFailure(
                    f"{incident.path}:{key.start_mark.line + 1}:{key.start_mark.column + 1}: "
                    f"{name} is written as a [flow, list]; write it as a block list "
                    "(one '- ' entry per line) to import into it")
            starts = [item.start_mark.index for item in value.value]
            if starts != sorted(set(starts)) or not (
                    value.start_mark.index <= starts[0] and starts[-1] < value.end_mark.index):
                raise ImportFailure(
                    f"{incident.path}:{key.start_mark.line + 1}:{key.start_mark.column + 1}: "
                    f"{name} repeats an entry with a YAML alias (*name); write each entry out "
                    "to import into it")
            return -1, value.value
        empty_flow = isinstance(value, SequenceNode)
        null = isinstance(value, ScalarNode) and value.tag.endswith(":null") and _NULL.match(
            value.value.strip())
        if not (empty_flow or null):
            raise ImportFailure(
                f"{incident.path}:{key.start_mark.line + 1}:{key.start_mark.column + 1}: {name} "
                "is not a list; fix it first (`pmtheater validate` says how)")
        if value.start_mark.line == key.start_mark.line and value.end_mark.index > \
                value.start_mark.index:
            start = value.start_mark.index
            while text[start - 1] in " \t":
                start -= 1
            edit(start, value.end_mark.index, "")  # the '[]' or '~', and the space before
        return _line_end(text, key.end_mark.index), []

    # cast
    if cast:
        if cast_key is None:
            at = (_comments_above(text, _line_start(text, timeline[0].start_mark.index))
                  if timeline is not None else len(text))
            column = timeline[0].start_mark.column if timeline else 0
            edit(at, at, " " * column + "cast:" + nl
                 + render_cast(cast, column + 2, column + 4, nl))
        else:
            at, items = open_list(cast_key, "cast")
            dash, key_col = _layout(text, cast_key[0], items)
            if items:
                at = _item_end(text, items[-1])
            edit(at, at, render_cast(cast, dash, key_col, nl))

    # timeline
    rewritten: list[str] = []
    if timeline is None:
        edit(len(text), len(text), "timeline:" + nl + render_scenes(fresh, 2, 4, nl)
             if fresh else "timeline: []" + nl)
    elif fresh:
        at, items = open_list(timeline, "timeline")
        dash, key_col = _layout(text, timeline[0], items)
        if not items:
            edit(at, at, render_scenes(fresh, dash, key_col, nl))
        else:
            groups: dict[int, list[Scene]] = {}
            times = [old.at for old in incident.scenes if old.at is not None]
            in_order = len(times) == len(items) and all(
                a <= b for a, b in itertools.pairwise(times))
            for scene in sorted(fresh, key=lambda s: s.at):
                if in_order:  # the usual case: a binary search
                    place = bisect.bisect_right(times, scene.at)
                else:  # the validator will report the order; still put it before a later one
                    place = next((i for i, old in enumerate(incident.scenes)
                                  if old.at is not None and old.at > scene.at), len(items))
                groups.setdefault(place, []).append(scene)
            for place, group in groups.items():
                if place == len(items):
                    at = _item_end(text, items[-1])
                else:
                    at = _item_start(text, items[place])[0]
                    rewritten += _keep_bare_time(incident, place, group[-1], edit)
                edit(at, at, render_scenes(group, dash, key_col, nl))
    # One pass over the text, edits in order (at one offset, in the order they were made):
    # linear in the file's size whatever the number of insertion points.
    pieces: list[str] = ["\ufeff" if incident.bom else ""]
    done = 0
    for start, end, _, replacement in sorted(edits, key=lambda e: (e[0], e[2])):
        pieces += [text[done:start], replacement]
        done = max(done, end)
    pieces.append(text[done:])
    return Merged("".join(pieces), len(fresh), skipped, rewritten)


def _keep_bare_time(incident: IncidentText, place: int, before: Scene, edit: Any) -> list[str]:
    """Rewrite scene ``place``'s bare time when a new scene before it would change it."""
    old = incident.scenes[place]
    if not old.bare or old.at_node is None or old.at is None:
        return []
    clock = parse_bare_time(_time_text(old.at_node.value))
    assert clock is not None
    meant = on_same_day(before.at, clock).instant
    if meant == old.at and meant.utcoffset() == old.at.utcoffset():
        return []
    approx = "~" if old.at_node.value.strip().startswith("~") else ""
    full = approx + old.at.isoformat()
    edit(old.at_node.start_mark.index, old.at_node.end_mark.index,
         json.dumps(full) if approx else full)
    return [f"line {old.at_node.start_mark.line + 1}: \"{old.at_node.value}\" -> {full} "
            "(a bare time takes the date of the scene before it, which is now an "
            "imported one)"]


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) via a temporary file and a rename."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
