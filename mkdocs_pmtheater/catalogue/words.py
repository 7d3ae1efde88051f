"""Words and phrases of free text, normalised the same way everywhere.

Relatedness ("Previously on…") and themes compare what different authors
wrote about different incidents, so spelling noise must not matter: letter
case, Markdown markup, plurals and filler words. Only linear-time regular
expressions touch incident text (no nested quantifiers, no backtracking).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
"""Runs of letters and digits: linear, and Unicode-aware."""


def _drop_link_targets(text: str) -> str:
    r"""Markdown link targets (``](...)``) removed: their URLs are not what was said.

    A loop over ``str.find`` rather than the regex ``\]\([^)]*\)``, which is
    quadratic on many ``](`` without a closing parenthesis; this is linear: once
    no ``)`` follows, none can close a later target either.
    """
    out: list[str] = []
    start = 0
    while True:
        opening = text.find("](", start)
        if opening < 0:
            break
        closing = text.find(")", opening + 2)
        if closing < 0:
            break
        out.append(text[start:opening + 1])
        start = closing + 1
    out.append(text[start:])
    return "".join(out)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers him his how i if in into
is it its itself just me more most my no nor not now of off on once only or other
our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours one two three got
get gets did didn t s us via per yet still ever even without within time times
change changed ended end new old first last another
""".split())  # noqa: SIM905 - a word list reads best as text


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English stemmer: plurals and a few endings, so "keys" meets "key".

    Deliberately small (no dictionary): "expire", "expired", "expires" and
    "expiring" become "expir"; short words stay as they are.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""),
                                ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: len(word) - len(suffix)] + replacement
            break
    # A final silent "e" goes too, so "cache", "caches" and "caching" meet on "cach".
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def tokens(text: str) -> list[tuple[str, str]]:
    """``(stem, word as written, case-folded)`` for each content word of ``text``."""
    text = unicodedata.normalize("NFKC", _drop_link_targets(text)).casefold()
    return [(stem(w), w) for w in _WORD.findall(text) if w not in STOPWORDS and len(w) > 1]


def words(text: str) -> list[str]:
    """Content words of ``text``: case-folded, stop words dropped, stemmed."""
    return [s for s, _ in tokens(text)]


def phrases(text: str) -> dict[str, str]:
    """Words and two-word phrases (adjacent content words) of ``text``, each once.

    Maps the normalised phrase (stems) to the phrase as written (case-folded),
    which is what a reader is shown.
    """
    found = tokens(text)
    out = {s: w for s, w in found}
    for (s1, w1), (s2, w2) in itertools.pairwise(found):
        out.setdefault(f"{s1} {s2}", f"{w1} {w2}")
    return out


def label(text: str) -> str:
    """A value such as a service or tag, compared without case and spacing."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
