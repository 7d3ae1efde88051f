"""Problems found in incident files, in a form a person can act on.

Every problem names the file, the line and column, the field path and what to
do about it. The build logs them as MkDocs warnings (so ``--strict`` fails) and
the CLI prints them as text, GitHub annotations or JSON.
"""

from __future__ import annotations

import difflib
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

PathPart = str | int
FieldPath = tuple[PathPart, ...]

EXCERPT_LIMIT = 60
"""Characters of a value that a message quotes: enough to recognise it, never a whole file."""

_SPELLED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(char: str) -> str:
    """``char`` itself when a reader sees it as what it is, else its escape (``\\u200b``)."""
    if char == " ":
        return char
    category = unicodedata.category(char)
    if category[0] in "CZ" or char in "\u115f\u1160\u3164\uffa0":
        # Controls, format characters (bidi, zero-width), separators other than the
        # space, unassigned and private-use code points, and the invisible Hangul fillers:
        # in a log they would reorder, hide or fake the text around them.
        if char in _SPELLED:
            return _SPELLED[char]
        code = ord(char)
        if code < 0x100:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return char


def _printable(text: str) -> str:
    return text if text.isprintable() else "".join(
        c if c.isprintable() else _visible(c) for c in text)


def excerpt(value: Any, limit: int = EXCERPT_LIMIT) -> str:
    """A value as a message may quote it: at most ``limit`` characters, then "…", with every
    invisible or control character spelled as an escape (``\\t``, ``\\x00``, ``\\u202e``).

    Every message that repeats something from an incident file goes through here, so a
    build log never carries a whole file (an incident file may be a link to any readable
    file) nor characters that reorder, hide or forge the log's text.
    """
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    text = text[:limit]
    if not text.isascii() or not text.isprintable():
        text = "".join(_visible(c) for c in text)
    return text + "…" if cut else text


def quoted(value: Any, limit: int = EXCERPT_LIMIT) -> str:
    """:func:`excerpt` in single quotes: ``'INC 2024/031'``."""
    return f"'{excerpt(value, limit)}'"


def format_path(path: Sequence[PathPart]) -> str:
    """``("action_items", 1, "due")`` -> ``action_items[1].due``; keys from the file are
    shortened and escaped like :func:`excerpt`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = excerpt(part, 40)
            out += f".{name}" if out else name
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint, or an empty string when nothing is close."""
    if len(word) > 200:  # nothing in a schema or a cast is that long; spare difflib the work
        return ""
    options = list(choices)
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {o.lower(): o for o in options}
        key = word.lower().replace(" ", "_").replace("-", "_")
        for candidate in (word.lower(), key):
            if candidate in lowered:
                matches = [lowered[candidate]]
                break
    return f"did you mean {quoted(matches[0])}?" if matches else ""


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


@dataclass(frozen=True)
class Problem:
    """One problem in one incident file."""

    file: str
    """Path of the file, relative to the project (the folder of mkdocs.yml)."""
    line: int
    """1-based line; 0 when the problem concerns the whole file."""
    column: int
    """1-based column; 0 when unknown."""
    field: str
    """Field path such as ``timeline[3].character``; empty for the whole file."""
    message: str
    """What is wrong."""
    hint: str = ""
    """What to do about it."""
    blocking: bool = True
    """False for a warning that does not keep the incident off the site (an ambiguous local
    time that was resolved by the documented rule, say); the build still logs it, so
    ``mkdocs build --strict`` fails on it too."""

    @property
    def location(self) -> str:
        """``file:line:col`` (``file`` alone for the whole file), printable as in :meth:`text`."""
        file = _printable(self.file)  # a file name may hold a line break too
        if self.line:
            return f"{file}:{self.line}:{self.column or 1}"
        return file

    def text(self) -> str:
        """``file:line:col: field: Message. Hint.`` on one line; any control character that
        slipped into the parts is escaped, so one problem is always one log line."""
        field = f"{self.field}: " if self.field else ""
        text = f"{self.location}: {_printable(field + _sentence(self.message))}"
        return f"{text} {_printable(_sentence(self.hint))}" if self.hint else text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.message)

    def as_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


def display_path(abs_path: str, root: str) -> str:
    """How messages name a file: relative to ``root`` (the project's folder) when inside it,
    else the absolute path; always with forward slashes."""
    if (abs_path.startswith(root) and abs_path[len(root):len(root) + 1] == os.sep
            and os.path.isabs(root) and os.path.normpath(abs_path) == abs_path
            and os.path.normpath(root) == root):
        # What relpath says of a normalised path inside root, without its cost (10,000
        # files per `pmtheater validate`).
        return abs_path[len(root) + 1:].replace(os.sep, "/")
    try:
        rel = os.path.relpath(abs_path, root)
    except ValueError:  # another drive on Windows
        return PurePath(abs_path).as_posix()
    return PurePath(rel).as_posix() if not rel.startswith("..") else PurePath(abs_path).as_posix()
