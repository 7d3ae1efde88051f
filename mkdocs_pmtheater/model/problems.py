"""Problems found in incident files, in a form a person can act on.

Every problem names the file, the line and column, the field path and what to
do about it. The build logs them as MkDocs warnings (so ``--strict`` fails) and
the CLI prints them as text, GitHub annotations or JSON.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PathPart = str | int
FieldPath = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """``("action_items", 1, "due")`` -> ``action_items[1].due``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint, or an empty string when nothing is close."""
    options = list(choices)
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {o.lower(): o for o in options}
        key = word.lower().replace(" ", "_").replace("-", "_")
        for candidate in (word.lower(), key):
            if candidate in lowered:
                matches = [lowered[candidate]]
                break
    return f"did you mean '{matches[0]}'?" if matches else ""


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
    publishes: bool = False
    """True for a warning that does not keep the incident off the site (it is still
    logged, so ``--strict`` fails): e.g. text lost to a YAML comment, a missing file."""

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file

    def text(self) -> str:
        field = f"{self.field}: " if self.field else ""
        text = f"{self.location}: {field}{_sentence(self.message)}"
        return f"{text} {_sentence(self.hint)}" if self.hint else text

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
