"""Read one incident file into plain data, remembering where every value was written.

PyYAML's own loaders are unsuitable for untrusted files reviewed in pull
requests: they silently keep the last of two duplicate keys, they expand
alias bombs, their composers recurse (the C one can exhaust the C stack on
deep nesting) and YAML 1.1 turns ``14:02`` into the number 842. So this module
builds the data itself from PyYAML's event stream, which is iterative, and:

* records the line and column of every key and value (for error messages);
* reports duplicate keys, unknown YAML tags, multiple documents, alias bombs
  and invalid UTF-8 as problems instead of raising;
* keeps timestamps, dates and ``HH:MM`` times as the text the author wrote, so
  the schema and the time zone rules see exactly what is in the file.
"""

from __future__ import annotations

import bisect
import codecs
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from ..model.problems import FieldPath, Problem, excerpt, format_path, quoted

MAX_BYTES = 1024 * 1024
"""An incident file larger than this is almost certainly a pasted log, not a post-mortem."""
MAX_DEPTH = 64
"""Nothing in the format nests deeper than five levels."""
ALIAS_BUDGET = 10_000
"""How many values aliases may repeat in one file, in all (stops 'billion laughs')."""
MAX_ENTRIES = 1_000
"""Entries in one list or mapping: a longer timeline is a pasted log, not a screenplay."""
MAX_VALUES = 20_000
"""Values in one file, in all: keeps reading any file under the size limit well under a second."""
_INTERN_UP_TO = 64
"""Text values up to this length and three words are interned (shared); longer ones
are rarely repeated."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "str")}
_KEEP_AS_TEXT = {_TAG + "timestamp"}
_STR = _TAG + "str"
_TAG_KINDS = {_TAG + "int": "a whole number", _TAG + "float": "a number",
              _TAG + "bool": "true or false", _TAG + "null": "an empty value"}
_COMMENT_AFTER = re.compile(r"[ \t]+#")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""Where the parser counts lines (NEL, U+2028 and U+2029 are refused before parsing)."""
_NOT_TEXT = frozenset({
    "id", "severity", "status", "timezone", "started_at", "detected_at", "mitigated_at",
    "resolved_at", "at", "plot_point", "priority", "kind", "due", "review_date", "url",
    "tracker", "page",
})
"""Keys whose values are codes, times or addresses: a ``# comment`` after them is a comment."""
_MAP_TAGS = {None, "!", _TAG + "map"}
_SEQ_TAGS = {None, "!", _TAG + "seq"}


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a file was written."""

    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    texts: dict[FieldPath, str] = field(default_factory=dict)
    """The source text of scalars that YAML did not read as text (``012``, ``on``), so
    that advice can quote what the author wrote rather than what YAML made of it."""

    def locate(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of ``path``, or of its nearest recorded ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if path in self.keys:
                return self.keys[path]
            if not path:
                return (1, 1)
            path = path[:-1]


@dataclass
class ParsedFile:
    data: Any
    source: SourceMap
    problems: list[Problem]
    """Problems that leave no data to check further."""
    text_problems: list[Problem] = field(default_factory=list)
    """Problems in the text (invisible characters) that leave the data readable, so the
    schema and the other checks still run and every problem is reported at once."""


class _Frame:
    __slots__ = ("anchor", "is_map", "key", "key_mark", "merges", "path", "size", "start", "value")

    def __init__(
        self, is_map: bool, path: FieldPath, anchor: str | None, start: tuple[int, int]
    ) -> None:
        self.is_map = is_map
        self.start = start
        self.value: Any = {} if is_map else []
        self.path = path
        self.anchor = anchor
        self.size = 1
        self.key: Any = None  # pending mapping key, or None when a key comes next
        self.key_mark: tuple[int, int] = (0, 0)
        self.merges: list[tuple[Any, tuple[int, int]]] = []


class _Skip:
    """Marks a complex (mapping or sequence) key, whose contents are dropped."""

    __slots__ = ("depth",)

    def __init__(self) -> None:
        self.depth = 1


def _short_tag(tag: str | None) -> str:
    return "!!" + tag[len(_TAG) :] if tag and tag.startswith(_TAG) else str(tag)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.source = SourceMap()
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_total = 0
        self.value_total = 0
        self.constructor = SafeConstructor()
        self.resolver = Resolver()
        self.lines: list[str] = []
        self.warnings: list[Problem] = []
        """Problems that do not keep the incident off the site (``Problem.blocking`` False)."""
        self.spans: list[tuple[int, int, FieldPath]] = []
        """(start, end) character offsets of every scalar (keys too) and its field path."""
        self.escaped: list[tuple[int, int, FieldPath, str]] = []
        """Double-quoted scalars whose value holds a refused invisible character."""

    def comment_cut(self, event: yaml.ScalarEvent, path: FieldPath) -> None:
        """Warn when ``title: Fix #1234`` lost `` #1234`` to a YAML comment.

        PyYAML drops comments, so this reads the source line after the plain
        scalar's end mark: a space then ``#`` there started a comment that the
        author most likely meant as text.
        """
        # The source first: a comment after a value is rare, and the field's name is
        # looked for only then (every plain scalar of every file comes here).
        line, column = event.end_mark.line, event.end_mark.column
        if line >= len(self.lines) or not _COMMENT_AFTER.match(self.lines[line], column):
            return
        name = next((p for p in reversed(path) if isinstance(p, str)), "")
        if name in _NOT_TEXT or not name:
            return
        lost = self.lines[line][column:].strip()
        whole = (event.value + " " + lost).replace("'", "''")
        self.warnings.append(Problem(
            self.file, line + 1, column + 1, format_path(path),
            f"the text after ' #' ({excerpt(lost)}) is a YAML comment, so this value reads "
            f"only {quoted(event.value)}",
            f"put the whole value in quotes, e.g. '{excerpt(whole)}' (single quotes; double "
            "any ' inside), if the '#' part belongs to the text",
            blocking=False,
        ))

    def problem(self, at: tuple[int, int], path: FieldPath, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, at[0], at[1], format_path(path), message, hint))

    # -- scalars -----------------------------------------------------------
    def scalar(self, event: yaml.ScalarEvent, path: FieldPath) -> tuple[Any, bool]:
        """The Python value of a scalar, and whether it is acceptable."""
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)
        if tag == _STR or tag in _KEEP_AS_TEXT:
            if event.style == '"' and _INVISIBLE.search(event.value):
                self.escaped.append((event.start_mark.index, event.end_mark.index, path,
                                     event.value))
            if not event.style and tag == _STR:  # plain: "" from libyaml, None from Python
                self.comment_cut(event, path)
            value = event.value
            # Names, roles, services, tags and codes repeat in every scene and every file:
            # one shared copy each (about 6 KB per incident, kept for the whole build).
            # Sentences are left alone: they rarely repeat in real post-mortems.
            if len(value) <= _INTERN_UP_TO and value.count(" ") < 3:
                value = sys.intern(value)
            return value, True
        self.source.texts[path] = event.value
        if tag not in _PLAIN_TAGS:
            self.problem(
                _pos(event.start_mark),
                path,
                f"the YAML tag {quoted(_short_tag(event.tag))} is not allowed",
                "incident files hold plain text, numbers, lists and mappings; "
                "remove the tag (and quote the value if it should be text)",
            )
            return None, False
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError, KeyError) as exc:
            # An explicit tag can name a type the text is not ('!!bool maybe' raises
            # KeyError, '!!int abc' ValueError); Python refuses integers of > 4,300 digits.
            message = (f"cannot read {quoted(event.value, 40)} as "
                       f"{_TAG_KINDS.get(tag, _short_tag(tag))}")
            if tag in (_TAG + "int", _TAG + "float") and "digits" in str(exc):
                message = f"cannot read the number {quoted(event.value, 20)}: it is too long"
            self.problem(_pos(event.start_mark), path, message,
                         "put the value in quotes if it is meant as text")
            return None, False
        # YAML 1.1 reads 14:02 as the base-60 number 842; authors mean a time.
        if isinstance(value, int | float) and not isinstance(value, bool) and ":" in event.value:
            return event.value, True
        return value, True

    # -- the document ------------------------------------------------------
    def read(self, text: str) -> Any:
        # Lines as the parser counts them (odd line breaks were refused before).
        self.lines = _LINE_BREAK.split(text)
        stack: list[_Frame | _Skip] = []
        root: Any = None
        documents = 0
        done = False

        def attach(value: Any, size: int, at: tuple[int, int], anchor: str | None) -> None:
            nonlocal root
            if anchor is not None:
                self.anchors[anchor] = (value, size)
            if not stack:
                root = value
                self.source.values[()] = at
                return
            parent = stack[-1]
            assert isinstance(parent, _Frame)
            parent.size += size
            if parent.is_map:
                key, key_mark = parent.key, parent.key_mark
                parent.key = None
                if key is _MERGE:
                    parent.merges.append((value, at))
                    return
                if key is _BAD_KEY:
                    return
                path = (*parent.path, key)
                if key in parent.value:
                    first = self.source.keys.get(path, (0, 0))
                    self.problem(
                        key_mark,
                        path,
                        f"duplicate key {quoted(key)} (first written on line {first[0]})",
                        "keep one of them: YAML would silently drop the first",
                    )
                    return
                parent.value[key] = value
                self.source.keys[path] = key_mark
                self.source.values[path] = at
            else:
                path = (*parent.path, len(parent.value))
                parent.value.append(value)
                self.source.values[path] = at

        def child_path() -> FieldPath:
            parent = stack[-1] if stack else None
            if parent is None or isinstance(parent, _Skip):
                return ()
            if parent.is_map:
                return (*parent.path, parent.key) if isinstance(parent.key, str) else parent.path
            return (*parent.path, len(parent.value))

        def wants_key() -> bool:
            top = stack[-1] if stack else None
            return isinstance(top, _Frame) and top.is_map and top.key is None

        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self.problem(
                        _pos(event.start_mark),
                        (),
                        "the file holds more than one YAML document",
                        "keep one incident per file and remove the '---' separator",
                    )
                    done = True
                    break
                continue
            if not isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
                continue
            top = stack[-1] if stack else None
            if isinstance(top, _Skip):
                if isinstance(event, yaml.CollectionStartEvent):
                    top.depth += 1
                elif isinstance(event, yaml.CollectionEndEvent):
                    top.depth -= 1
                    if top.depth == 0:
                        stack.pop()  # the complex key is gone; attach() drops its value
                continue

            if isinstance(event, yaml.NodeEvent):
                self.value_total += 1
                crowded = isinstance(top, _Frame) and (
                    self.value_total > MAX_VALUES or len(top.value) >= MAX_ENTRIES)
                if crowded and self.over_limits(event, stack):
                    done = True
                    break

            if wants_key():
                assert isinstance(top, _Frame)
                at = _pos(event.start_mark)
                if isinstance(event, yaml.ScalarEvent):
                    if event.value == "<<" and event.implicit[0] and event.tag is None:
                        top.key, top.key_mark = _MERGE, at
                    else:
                        top.key, top.key_mark = event.value, at
                        key_path = (*top.path, event.value)
                        self.spans.append((event.start_mark.index, event.end_mark.index,
                                           key_path))
                        if event.style == '"' and _INVISIBLE.search(event.value):
                            self.escaped.append((event.start_mark.index, event.end_mark.index,
                                                 key_path, event.value))
                    continue
                if isinstance(event, yaml.CollectionEndEvent):
                    pass  # end of this mapping: handled below
                else:
                    self.problem(
                        at,
                        top.path,
                        "a key must be plain text, not a list, mapping or alias",
                        "write the key as a word, such as 'title'",
                    )
                    top.key, top.key_mark = _BAD_KEY, at
                    if isinstance(event, yaml.CollectionStartEvent):
                        stack.append(_Skip())
                    continue

            if isinstance(event, yaml.ScalarEvent):
                path = child_path()
                self.spans.append((event.start_mark.index, event.end_mark.index, path))
                value, _ok = self.scalar(event, path)
                attach(value, 1, _pos(event.start_mark), event.anchor)
            elif isinstance(event, yaml.AliasEvent):
                at = _pos(event.start_mark)
                if event.anchor not in self.anchors:
                    anchor = excerpt(event.anchor, 40)
                    self.problem(at, child_path(), f"unknown alias '*{anchor}'",
                                 f"define the anchor '&{anchor}' before this line, "
                                 "or write the value out")
                    attach(None, 1, at, None)
                    continue
                value, size = self.anchors[event.anchor]
                self.alias_total += size
                if self.alias_total > ALIAS_BUDGET:
                    self.problem(
                        at,
                        child_path(),
                        f"aliases repeat more than {ALIAS_BUDGET:,} values in this file "
                        "(an alias bomb?)",
                        "write the values out instead of repeating anchors",
                    )
                    done = True
                    break
                attach(value, size, at, None)
            elif isinstance(event, yaml.CollectionStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                at = _pos(event.start_mark)
                path = child_path()
                allowed = _MAP_TAGS if is_map else _SEQ_TAGS
                if event.tag not in allowed:
                    self.problem(
                        at,
                        path,
                        f"the YAML tag {quoted(_short_tag(event.tag))} is not allowed",
                        "incident files hold plain text, numbers, lists and mappings; "
                        "remove the tag",
                    )
                if len(stack) >= MAX_DEPTH:
                    self.problem(
                        at,
                        path[:1],
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        "an incident nests at most a few levels; check the indentation",
                    )
                    done = True
                    break
                stack.append(_Frame(is_map, path, event.anchor, at))
                self.source.values[path] = at
            elif isinstance(event, yaml.CollectionEndEvent):
                frame = stack.pop()
                assert isinstance(frame, _Frame)
                if frame.is_map:
                    self._apply_merges(frame)
                attach(frame.value, frame.size, frame.start, frame.anchor)
        if done:
            return None
        return root

    def over_limits(self, event: yaml.NodeEvent, stack: list[_Frame | _Skip]) -> bool:
        """Report (and stop at) a list or mapping that is too long, or a file of too many values."""
        top = stack[-1] if stack else None
        if self.value_total > MAX_VALUES:
            path = top.path[:1] if isinstance(top, _Frame) else ()
            self.problem(
                _pos(event.start_mark),
                path,
                f"the file holds more than {MAX_VALUES:,} values",
                "keep the post-mortem to what matters and link to logs and dumps instead",
            )
            return True
        if not isinstance(top, _Frame) or len(top.value) < MAX_ENTRIES:
            return False
        if top.is_map and top.key is not None:
            return False  # the value of a key that is already counted
        parent = stack[-2] if len(stack) > 1 else None
        where = parent.key_mark if isinstance(parent, _Frame) and parent.is_map else top.start
        kind = "mapping" if top.is_map else "list"
        self.problem(
            where,
            top.path,
            f"the {kind} has more than {MAX_ENTRIES:,} entries",
            "keep the post-mortem to what matters and link to the full log",
        )
        return True

    def _apply_merges(self, frame: _Frame) -> None:
        for value, at in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    self.problem(
                        at,
                        frame.path,
                        "'<<' merges only mappings",
                        "point '<<' at an anchored mapping such as '<<: *defaults'",
                    )
                    continue
                for key, item in source.items():
                    if key not in frame.value:
                        frame.value[key] = item
                        self.source.keys[(*frame.path, key)] = at
                        self.source.values[(*frame.path, key)] = at


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_MERGE = _Sentinel("<<")
_BAD_KEY = _Sentinel("<complex key>")


_LINE_BREAK = re.compile(r"\r\n?|\n")
"""Where a line ends, for editors and for YAML alike once U+0085, U+2028 and U+2029 are
refused: LF, CR LF, or a lone CR (old Mac files; editors such as VS Code show those as
line breaks too)."""


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts (lines end at LF, CR LF or a lone CR)."""
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def position(text: str, index: int, starts: list[int] | None = None) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` of ``text``, as an editor shows it:
    lines end at LF, CR LF or a lone CR; a column counts characters (code points), a tab
    counts one."""
    starts = starts if starts is not None else line_starts(text[: index + 1])
    line = bisect.bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, broken where :func:`position` counts a new line."""
    return _LINE_BREAK.split(text)


_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(raw: bytes, file: str) -> tuple[str | None, Problem | None]:
    """The text of the file: UTF-8 (a byte-order mark is dropped), or UTF-16 with its
    byte-order mark, as YAML allows and PyYAML reads; anything else is a problem at the
    line and column of the first byte that does not decode."""
    encoding, body = "utf-8", raw
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None, Problem(file, 1, 1, "", "the file is saved as UTF-32",
                             "save the file as UTF-8; most editors offer 'Save with encoding'")
    for bom, name in _UTF16_BOMS:
        if raw.startswith(bom):
            encoding, body = name, raw[len(bom):]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        before = body[: exc.start].decode(encoding, "replace").removeprefix("\ufeff")
        line, column = position(before + "?", len(before))
        bad = body[exc.start : exc.start + 1].hex()
        return None, Problem(
            file,
            line,
            column,
            "",
            f"the file is not valid {encoding.upper()[:6]} (byte 0x{bad})",
            "save the file as UTF-8; most editors offer 'Save with encoding'",
        )
    return text.removeprefix("\ufeff"), None


def _reader_problem(exc: yaml.reader.ReaderError, file: str, text: str) -> Problem:
    """A character YAML does not allow (a control character, say), with its line and column."""
    index = exc.position
    if _Loader is not yaml.SafeLoader:  # libyaml counts bytes of UTF-8, not characters
        index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
    line, column = position(text, index)
    char = exc.character if isinstance(exc.character, int) else ord(exc.character or "\0")
    return Problem(
        file,
        line,
        column,
        "",
        f"the file contains the character U+{char:04X}, which YAML does not allow",
        "delete it (most editors do not show it); incident text cannot hold control characters",
    )


def _syntax_problem(exc: yaml.YAMLError, file: str, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader_problem(exc, file, text)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = _pos(mark) if mark is not None else (0, 0)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "maximum nesting depth" in problem:
        # Newer libyaml stops deep nesting itself; say it the way the reader does.
        return Problem(file, line, column, "",
                       f"values are nested more than {MAX_DEPTH} levels deep",
                       "an incident nests at most a few levels; check the indentation")
    # PyYAML's words may quote the file (a tag handle, a character): keep them short.
    problem, context = excerpt(problem, 200), context and excerpt(context, 200)
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    hint = "check the indentation and quoting on this line and the one before it"
    lines = split_lines(text)
    if line > len(lines):
        # At the end of a file without a final line break, libyaml gives up on the line
        # after the last one, which no editor can show: point at the end of the last line.
        line, column = len(lines), len(lines[-1]) + 1
    opened = _unclosed_opening(exc, lines, line, column)
    if opened is not None:
        what, (line_opened, column_opened) = opened
        return Problem(
            file,
            line_opened,
            column_opened,
            "",
            f"YAML syntax error: {what} opened here is not closed, so YAML read on and "
            f"failed on line {line}: {problem}",
            "close it on this line; for text with quotes in it, quote it with the other "
            "kind of quote or write it as a block ('|') on the lines below"
            if what == "the quote"
            else "close it after its last entry; text that starts with '[' or '{' must be "
            "quoted, e.g. title: \"[EU] Checkout down\"",
        )
    if 0 < line <= len(lines) and "\t" in lines[line - 1][: max(column, 1)]:
        hint = "indent with spaces; YAML does not allow tabs for indentation"
    elif "mapping values are not allowed" in problem:
        hint = "a value that contains ': ' must be quoted, e.g. title: \"Checkout: 500s\""
    elif "cannot start any token" in problem and 0 < line <= len(lines) and lines[line - 1][
        column - 1 : column
    ] in ("@", "`"):
        start = lines[line - 1][column - 1]
        hint = (
            f"YAML cannot start a plain value with '{start}': put the value in quotes, "
            f"e.g. owner: \"{start}priya\""
            if start == "@"
            else f"YAML cannot start a plain value with '{start}': put the value in quotes"
        )
    elif "found undefined alias" in problem:
        hint = "define the anchor (&name) before using the alias (*name)"
    elif "could not find expected ':'" in problem:
        hint = "each line of a mapping needs 'key: value'; quote text that spans lines"
    return Problem(file, line, column, "", message, hint)


_QUOTED_VALUE = re.compile(r"""^\s*(?:-\s+)*(?:[^\s#'"][^#]*?:\s+)?(["'])""")


def _closes(quote: str, rest: str) -> bool:
    """Whether ``rest`` (the text after an opening quote) closes it."""
    if quote == "'":
        return "'" in rest.replace("''", "")
    return re.search(r'(?<!\\)(?:\\\\)*"', rest) is not None


def _unclosed_opening(
    exc: yaml.YAMLError, lines: list[str], line: int, column: int
) -> tuple[str, tuple[int, int]] | None:
    """Where a quote or bracket that YAML read past was opened, when that explains the error.

    YAML reports an unclosed quote or bracket where it finally gave up, often many
    lines later; the mistake is where it was opened.
    """
    context = getattr(exc, "context", None) or ""
    context_mark = getattr(exc, "context_mark", None)
    if context_mark is not None and context_mark.line + 1 < line:
        if context == "while scanning a quoted scalar":
            return "the quote", _pos(context_mark)
        if context in ("while parsing a flow sequence", "while parsing a flow mapping"):
            bracket = "the list ('[')" if "sequence" in context else "the mapping ('{')"
            return bracket, _pos(context_mark)
    if not 0 < line <= len(lines):
        return None
    # YAML failed just after a quote on this line: was that quote the end of one opened
    # on an earlier line? (The lines in between cannot hold that quote character.)
    failing = lines[line - 1][: max(column - 1, 0)]
    for quote in ('"', "'"):
        if quote not in failing:
            continue
        for number in range(line - 1, max(line - 200, 0), -1):
            if quote not in lines[number - 1]:
                continue
            match = _QUOTED_VALUE.match(lines[number - 1])
            if (match and match.group(1) == quote
                    and not _closes(quote, lines[number - 1][match.end() :])):
                return "the quote", (number, match.start(1) + 1)
            break
    return None


_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAK_NAMES = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def _odd_line_break(text: str, file: str) -> Problem | None:
    """YAML 1.1 ends a line at NEL, U+2028 and U+2029, where editors and reviewers see none.

    Left in, such a character silently splits text, or breaks the file with an error
    on a line nobody can see; so it is reported where an editor shows it (lines counted
    at LF, CR LF and CR only).
    """
    found = _YAML_ONLY_BREAKS.search(text)
    if found is None:
        return None
    line, column = position(text, found.start())
    char = found.group()
    return Problem(
        file,
        line,
        column,
        "",
        f"the file contains U+{ord(char):04X} ({_BREAK_NAMES[char]}), which YAML reads as "
        "a line break although editors do not show one",
        "replace it with a space or a normal line break",
    )


_ALWAYS = ("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f"
           "\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
           "\U0001d173-\U0001d17a\U000e0000-\U000e007f")
_JOINERS = "\u200c\u200d"
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_INVISIBLE = re.compile(f"[{_ALWAYS}{_JOINERS}{_SELECTORS}]")
# A neighbour that lets a joiner or a variation selector stay: a visible non-ASCII
# character (an emoji, a letter of a script that needs joiners, an ideograph) or another
# variation selector (❤️ then a joiner).
_NEIGHBOUR = f"[^\\x00-\\x7f\\s{_ALWAYS}{_JOINERS}]"
_REFUSED = re.compile(
    f"[{_ALWAYS}]"
    # ZWNJ and ZWJ between two such neighbours join emoji (👩‍💻) and letters (Persian).
    f"|(?<!{_NEIGHBOUR})[{_JOINERS}]|[{_JOINERS}](?!{_NEIGHBOUR})"
    # Variation selectors choose how the character before looks (❤️, an ideograph's
    # variant; a keycap is a digit, # or *, U+FE0F and U+20E3). After an ASCII letter they
    # show nothing, and make ``priya`` and ``pri`` + U+FE0F + ``ya`` two names.
    f"|(?<!{_NEIGHBOUR})(?<![0-9#*])[{_SELECTORS}]|(?<=[0-9#*])[{_SELECTORS}](?!\u20e3)"
)
"""Characters that show nothing, or reorder what is around them: text holding them reads
differently on the page (and in review) from what the file holds. Bidirectional
embeddings, overrides, isolates and marks; zero-width spaces, joiners and the word
joiner; the BOM inside text; soft hyphen, combining grapheme joiner, Hangul fillers,
Khmer and Mongolian invisibles, invisible operators, interlinear annotations, musical
formatting, the tag characters (which can spell hidden text) and misplaced joiners and
variation selectors. One regular expression with one-character look-arounds: linear."""
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.S)
MAX_INVISIBLE_REPORTS = 10
"""Invisible characters reported one by one per file; then one problem says more follow."""


def invisible_characters(text: str, limit: int | None = None) -> list[int]:
    """Offsets of the characters in ``text`` that an incident file may not hold (see
    ``docs/format.md``, *No invisible characters*): bidirectional controls, zero-width and
    other invisible characters, less the joiners and variation selectors that emoji and
    scripts need; the first ``limit`` of them when given. Linear in ``len(text)``."""
    # Every refused character is one of _INVISIBLE's, none of them ASCII. Most files hold
    # none, and that is told by one fast scan of a character class, where _REFUSED tries
    # its look-around alternatives at every character (0.37 ms for a 7 KB file).
    if text.isascii() or _INVISIBLE.search(text) is None:
        return []
    found: list[int] = []
    for match in _REFUSED.finditer(text):
        if limit is not None and len(found) >= limit:
            break
        found.append(match.start())
    return found


def _invisible_message(char: str, where: str) -> tuple[str, str]:
    name = unicodedata.name(char, "an unnamed character")
    code = f"U+{ord(char):04X} {name}"
    if char in _BIDI:
        return (f"{where} holds {code}, an invisible character that reorders how the text "
                "around it is displayed, so the page would read differently from the file",
                "delete it; right-to-left text displays in its own order without it")
    return (f"{where} holds {code}, an invisible character, so the page would read "
            "differently from the file", "delete it (most editors do not show it)")


def _field_at(spans: list[tuple[int, int, FieldPath]], starts: list[int],
              index: int) -> FieldPath | None:
    """The field whose scalar holds character ``index``; None in a comment or between."""
    at = bisect.bisect_right(starts, index) - 1
    if at >= 0 and spans[at][0] <= index < max(spans[at][1], spans[at][0] + 1):
        return spans[at][2]
    return None


def _invisible_problems(text: str, file: str, reader: _Reader | None) -> list[Problem]:
    """Every refused invisible character, raw or written as an escape, at its own line and
    column with the field that holds it (or the comment). Linear in the size of the file."""
    # Only the first few are looked at closely: a hostile file may hold a million.
    wanted = MAX_INVISIBLE_REPORTS + 1
    found: list[tuple[int, str, FieldPath | None]] = [
        (index, text[index], None) for index in invisible_characters(text, wanted)]
    escaped = 0
    for start, end, path, value in reader.escaped if reader is not None else []:
        # Which characters the value refuses (a joiner between emoji is fine written as
        # an escape too); then the escapes that wrote them, in order.
        refused = {m.group() for m in _REFUSED.finditer(value)}
        if not refused:
            continue
        for escape in _ESCAPE.finditer(text, start, end):
            if escaped >= wanted:
                break
            digits = escape.group(1) or escape.group(2) or escape.group(3)
            char = chr(int(digits, 16)) if digits and int(digits, 16) < 0x110000 else ""
            if char in refused:
                found.append((escape.start(), char, path))
                escaped += 1
    found.sort(key=lambda f: f[0])
    problems: list[Problem] = []
    starts = line_starts(text) if found else []
    spans = sorted(reader.spans) if reader is not None and found else []
    span_starts = [s[0] for s in spans]
    for index, char, path in found[:MAX_INVISIBLE_REPORTS]:
        path = path if path is not None else _field_at(spans, span_starts, index)
        line, column = position(text, index, starts)
        where = "the text" if path is not None else "this line (a comment, or between values)"
        message, hint = _invisible_message(char, where)
        problems.append(Problem(file, line, column, format_path(path or ()), message, hint))
    if len(found) > MAX_INVISIBLE_REPORTS:
        line, column = position(text, found[MAX_INVISIBLE_REPORTS][0], starts)
        problems.append(Problem(
            file, line, column, "",
            f"more invisible characters follow (only the first {MAX_INVISIBLE_REPORTS} "
            "are listed)",
            "search the file for them (most editors can show invisible characters)"))
    return problems


def read_incident_yaml(raw: bytes, file: str) -> ParsedFile:
    """Parse ``raw`` (the bytes of ``file``) into data plus a source map; never raises."""
    if len(raw) > MAX_BYTES:
        return ParsedFile(
            None,
            SourceMap(),
            [
                Problem(
                    file,
                    0,
                    0,
                    "",
                    f"the file is {len(raw) / 1048576:.1f} MB; incident files are limited to "
                    f"{MAX_BYTES // 1048576} MB",
                    "move logs and dumps out of the post-mortem and link to them instead",
                )
            ],
        )
    text, problem = _decode(raw, file)
    if text is None:
        assert problem is not None
        return ParsedFile(None, SourceMap(), [problem])
    problem = _odd_line_break(text, file)
    if problem is not None:
        return ParsedFile(None, SourceMap(), [problem, *_invisible_problems(text, file, None)])
    reader = _Reader(file)
    try:
        data = reader.read(text)
    except yaml.YAMLError as exc:
        return ParsedFile(None, reader.source, [*reader.problems, _syntax_problem(exc, file, text),
                                                *_invisible_problems(text, file, reader)])
    except RecursionError:  # pragma: no cover - the reader does not recurse; belt and braces
        return ParsedFile(
            None,
            reader.source,
            [Problem(file, 0, 0, "", "the file is nested too deeply to read")],
        )
    invisible = _invisible_problems(text, file, reader)
    if reader.problems:
        return ParsedFile(data, reader.source, [*reader.problems, *invisible, *reader.warnings])
    if data is None:
        return ParsedFile(
            None,
            reader.source,
            [
                Problem(
                    file,
                    1,
                    1,
                    "",
                    "the file is empty",
                    "an incident needs at least id, title, severity, started_at and summary",
                ),
                *invisible,
            ],
        )
    if not isinstance(data, dict):
        # Quote a short excerpt only: the "file" may be a link to any file on the machine.
        kind = "a list" if isinstance(data, list) else f"the value {quoted(data)}"
        line, column = reader.source.locate(())
        return ParsedFile(
            None,
            reader.source,
            [
                Problem(
                    file,
                    line,
                    column,
                    "",
                    f"the file holds {kind}, not a mapping of keys",
                    "an incident file is a mapping: 'id: ...', 'title: ...' and so on, "
                    "one key per line",
                ),
                *invisible,
            ],
        )
    return ParsedFile(data, reader.source, [], [*invisible, *reader.warnings])
