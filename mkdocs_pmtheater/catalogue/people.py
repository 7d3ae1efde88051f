"""Who is who: matching the names people write in owners, recipients and casts.

Authors write the same person in different ways (``@priya``, ``@Priya``,
``Priya  Raman``). The catalogue groups by a *key*: a ``@handle`` matches
another ``@handle`` without regard to case; a display name matches the same
words without regard to case or spacing. A handle and a display name are never
guessed to be the same person; the site says so with the ``people`` option,
which maps one name (shown on the pages) to the other names of that person.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

_NON_WORD = re.compile(r"[^\w]+")


def name_key(name: str) -> str:
    """The matching key: ``@Priya`` -> ``@priya``; ``Dana  COLE`` -> ``dana cole``.

    Unicode normalisation (NFKC) before and after case folding, as Unicode's caseless
    matching does (UAX #15, Unicode 3.13): ``é`` written precomposed or as ``e`` + U+0301,
    and full-width letters, make one key, so one person is never split in two.
    """
    text = unicodedata.normalize("NFKC", " ".join(name.split()))
    if text.startswith("@"):
        return "@" + unicodedata.normalize("NFKC", text[1:].strip().casefold())
    return unicodedata.normalize("NFKC", text.casefold())


class People:
    """Maps the names written in incidents to one key and one display name per person."""

    def __init__(self, aliases: Mapping[str, Iterable[str]] | None = None) -> None:
        self._canonical: dict[str, str] = {}
        """key of any configured name -> key of the person's configured name."""
        self._configured_display: dict[str, str] = {}
        for shown, others in (aliases or {}).items():
            key = name_key(shown)
            self._configured_display[key] = " ".join(shown.split())
            self._canonical[key] = key
            for other in others:
                self._canonical.setdefault(name_key(other), key)
        self._spellings: dict[str, Counter[str]] = {}

    def key(self, name: str) -> str:
        key = name_key(name)
        return self._canonical.get(key, key)

    def see(self, name: str) -> str:
        """Record a spelling (for :meth:`display`) and return the person's key."""
        key = self.key(name)
        self._spellings.setdefault(key, Counter())[" ".join(name.split())] += 1
        return key

    def display(self, key: str) -> str:
        """The configured name, else the most used spelling (ties: the first in sort order)."""
        if key in self._configured_display:
            return self._configured_display[key]
        spellings = self._spellings.get(key)
        if not spellings:
            return key
        return min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def anchor_for(text: str, taken: set[str], prefix: str = "") -> str:
    """A stable, unique HTML id made from ``text`` (``@priya`` -> ``priya``)."""
    base = _NON_WORD.sub("-", unicodedata.normalize("NFKC", text).casefold()).strip("-_")
    base = prefix + (base or "x")
    anchor, n = base, 2
    while anchor in taken:
        anchor, n = f"{base}-{n}", n + 1
    taken.add(anchor)
    return anchor
