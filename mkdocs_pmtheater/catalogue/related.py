"""Related incidents ("Previously on…"): what else looked like this one.

Each incident becomes a sparse weighted vector of *features*:

* ``service``, ``tag``: the values as written, compared without case;
* ``actor``: people in the cast (``@Priya`` is ``@priya``);
* ``factor``: words and two-word phrases of the contributing factors and root
  causes (normalised by :mod:`.words`, so "cache keys expired" meets
  "Cache key expiry" on "cache key");
* ``text``: words and two-word phrases of the title, summary and critique,
  TF-IDF weighted and cut to the strongest :data:`TEXT_TERMS` per incident.

Every feature is weighted by its inverse document frequency (rare shared
things say more than common ones); two incidents score, for each kind, the
cosine of their vectors of that kind, and the score is the sum of those
cosines weighted by :data:`KIND_WEIGHT`: symmetric, between 0 and 1, the same
for the same sources. Candidates come from an inverted index (feature -> incidents), so
incidents that share nothing are never compared. A feature held by more than
``cap`` incidents (a service with hundreds of incidents) would make that
O(n²); for those, each incident is only paired with its ``cap // 2``
neighbours in time on each side of that feature's posting list (fewer still
the more common the feature is, as its IDF falls), which keeps the work
O(n · features · cap) and prefers look-alikes close in time. The pairing is
symmetric (a is within b's window exactly when b is within a's), so a pair's
score is the same from both sides.

Ties are broken by id; the list holds at most ``limit`` incidents scoring at
least ``threshold``. The caller passes only the incidents the site publishes
(hidden drafts never appear).
"""

from __future__ import annotations

import heapq
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model.incident import Incident
from ..render.i18n import ENGLISH, Labels
from .people import name_key
from .words import label, phrases

KIND_WEIGHT = {"text": 0.45, "factor": 0.40, "tag": 0.08, "service": 0.05, "actor": 0.02}
"""Each kind's share of the score (they add up to 1). What happened (the words of the
write-up, its factors and root causes) says more than where (services, tags), and who
was on call says least: the same on-call engineer meets many unrelated incidents. The
shares of services and tags are small because their cosine is all or nothing (two
incidents of one service score 1), while two write-ups of the same failure share only
some of their words (a cosine of 0.1 to 0.3 is already close)."""
TEXT_TERMS = 16
"""Strongest text (and factor) terms kept per incident: enough for the gist, and bounds
the work and the vector's length (a long critique must not dilute its services)."""
FACTOR_TERMS = 32
"""The same for factor and root-cause words and phrases (fewer, and each says more)."""
CAP = 48
"""Posting lists longer than this are paired by time window only (see the module doc)."""
LIMIT = 5
THRESHOLD = 0.015
"""Below this score, two incidents share only noise (a common word, one person)."""
REASON_KINDS = ("service", "factor", "tag", "actor", "text")


@dataclass(frozen=True)
class Related:
    """One entry of an incident's "Previously on…" list."""

    incident: Incident
    score: float
    """Cosine similarity, 0..1."""
    reasons: tuple[str, ...]
    """What the two share, in words, strongest first ("same service checkout-api")."""

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class _Vector:
    weights: dict[str, float] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    """Feature -> how it is shown in a reason (the service or phrase as written)."""


def _critique(incident: Incident) -> list[str]:
    review = incident.review
    if review is None:
        return []
    texts = [a for _, _, answers in review.prompts() for a in answers]
    texts += [t for w in review.five_whys for t in (w.why, w.because)]
    return texts + review.root_causes + review.contributing_factors


def _raw_features(incident: Incident) -> tuple[dict[str, float], dict[str, str]]:
    """Feature -> raw weight (before IDF), and how each is shown."""
    raw: dict[str, float] = {}
    shown: dict[str, str] = {}

    def add(key: str, weight: float, text: str) -> None:
        if key not in raw:
            key = sys.intern(key)  # the same feature in many incidents: one copy
            shown[key] = text
        raw[key] = max(raw.get(key, 0.0), weight)

    for service in incident.services:
        add("service\0" + label(service), 1.0, " ".join(service.split()))
    for tag in incident.tags:
        add("tag\0" + label(tag), 1.0, " ".join(tag.split()))
    for member in incident.cast:
        if member.actor:
            add("actor\0" + name_key(member.actor), 1.0, " ".join(member.actor.split()))
    review = incident.review
    if review is not None:
        for text in review.contributing_factors + review.root_causes:
            for key, written in phrases(text).items():
                # Phrases say more than single words.
                add("factor\0" + key, 1.0, written)
    counts: Counter[str] = Counter()
    written_as: dict[str, str] = {}
    for text, boost in [(incident.title, 2), (incident.summary, 1)] + [
            (t, 1) for t in _critique(incident)]:
        for key, written in phrases(text).items():
            counts[key] += boost
            written_as.setdefault(key, written)
    for key, count in counts.items():
        add("text\0" + key, 1.0 + math.log(count), written_as[key])
    return raw, shown


FeatureCache = dict[int, tuple[Incident, tuple[dict[str, float], dict[str, str]]]]
"""``id(incident) -> (incident, its raw features and how each is shown)``."""


class RelatedMemo:
    """The last answer of :func:`related_incidents` and what it was computed from, kept by
    ``mkdocs serve`` across rebuilds.

    The answer depends only on the incidents' order (by start, then id), their ids and
    their features (:func:`_raw_features`: weights and how each is shown), the options
    and the labels. An edit that leaves those equal (a scene, an action item, a
    milestone) gives the same answer, with this build's incident objects in it; any
    other edit computes the scores again (every weight may depend on the edit, through
    the counts of the features it added or removed), but gives back each vector whose
    inputs are unchanged (:attr:`vectors`) and the reasons of each pair of such vectors
    (:attr:`reasons`): the same objects, so the same floats and words as a fresh
    computation, without weighing 2,000 incidents and wording 10,000 reasons again.
    """

    def __init__(self) -> None:
        self.key: Any = None
        self.answer: dict[str, list[tuple[int, float, tuple[str, ...]]]] = {}
        """Incident id -> (place of the related incident in the order, score, reasons)."""
        self.raws: list[tuple[dict[str, float], dict[str, str]]] = []
        """Each incident's features (in the order) when the answer was computed."""
        self.reused = 0
        """Builds that reused the answer (for tests)."""
        self.count = 0
        """How many incidents the last computation had (each IDF depends on it)."""
        self.df: Counter[str] = Counter()
        """How many incidents had each feature when the answer was computed."""
        self.vectors: dict[int, tuple[tuple[dict[str, float], dict[str, str]], _Vector]] = {}
        """``id(raw features) -> (those features, their weighed vector)`` of the last
        computation: an incident's vector depends only on its features, the number of
        incidents and how many incidents have each of its features, so an incident whose
        features are the same object and whose features' counts did not change gets the
        very same vector back."""
        self.reasons: dict[tuple[int, int], tuple[_Vector, _Vector, tuple[str, ...]]] = {}
        """``(id(a), id(b)) -> (a, b, reasons(a, b))`` of the last computation: the same two
        vector objects give the same reasons (vectors are never changed once built)."""
        self.reasons_labels: Any = None
        self.vectors_reused = 0
        """Vectors given back by the last computation (for tests)."""


def _same_features(then: Sequence[tuple[dict[str, float], dict[str, str]]],
                   now: Sequence[tuple[dict[str, float], dict[str, str]]]) -> bool:
    """Whether the features are the same, in the same order (the order of a vector's
    features is the order of its float additions): an unchanged incident's are the very
    same dicts, so only edited incidents are compared item by item."""
    return len(then) == len(now) and all(
        a is b or (list(a[0].items()) == list(b[0].items())
                   and list(a[1].items()) == list(b[1].items()))
        for a, b in zip(then, now, strict=True))


def _labels_key(labels: Labels) -> tuple[str, tuple[tuple[str, str], ...]]:
    return labels.language, tuple(sorted(labels.overrides.items()))


def _kind(feature: str) -> str:
    return feature.split("\0", 1)[0]


def related_incidents(
    incidents: Sequence[Incident],
    *,
    limit: int = LIMIT,
    cap: int = CAP,
    threshold: float = THRESHOLD,
    labels: Labels = ENGLISH,
    features: FeatureCache | None = None,
    memo: RelatedMemo | None = None,
) -> dict[str, list[Related]]:
    """Incident id -> its most related other incidents, most related first.

    O(n · features · cap) time, O(n · candidates) memory; deterministic.
    ``features`` (kept by ``mkdocs serve`` across rebuilds) holds each incident's
    features by the incident object, which the loader keeps only for the same bytes:
    only changed incidents are read again. It is left holding this call's incidents.
    ``memo`` (also kept by ``mkdocs serve``) gives back the last answer when nothing it
    depends on changed (see :class:`RelatedMemo`).
    """
    ordered = sorted(incidents, key=lambda i: (i.started_at, i.id))
    if features is None:
        raws = [_raw_features(i) for i in ordered]
    else:
        raws = []
        for incident in ordered:
            known = features.get(id(incident))
            # The object is kept in the entry, so its id is not reused while it lives.
            raws.append(known[1] if known is not None and known[0] is incident
                        else _raw_features(incident))
        features.clear()
        features.update((id(i), (i, raw)) for i, raw in zip(ordered, raws, strict=True))
    key: Any = None
    if memo is not None:
        key = (tuple(i.id for i in ordered), limit, cap, threshold, _labels_key(labels))
        if key == memo.key and _same_features(memo.raws, raws):
            memo.reused += 1
            return {id_: [Related(ordered[b], score, why) for b, score, why in found]
                    for id_, found in memo.answer.items()}
        memo.key, memo.answer, memo.raws = None, {}, list(raws)
    n = len(ordered)
    df: Counter[str] = Counter()
    for raw, _ in raws:
        df.update(raw.keys())  # counts of incidents, not sums of weights
    idf = {f: math.log(1.0 + n / d) for f, d in df.items()}
    # Each distinct feature's kind once (a few per cent of the lookups below).
    kinds = {f: _kind(f) for f in df}
    vectors: list[_Vector] = []
    kept: dict[int, tuple[tuple[dict[str, float], dict[str, str]], _Vector]] = {}
    recount: set[str] | None = None
    reused = 0
    if memo is not None and memo.count == n:
        then = memo.df
        recount = {f for f, d in df.items() if then.get(f) != d}
        recount.update(f for f in then if f not in df)
    for index, both in enumerate(raws):
        raws[index] = ({}, {})  # each incident's features are let go once weighed
        raw, shown = both
        if memo is not None:
            known = memo.vectors.get(id(both)) if recount is not None else None
            if known is not None and known[0] is both and recount.isdisjoint(raw):  # type: ignore[union-attr]
                vectors.append(known[1])
                kept[id(both)] = known
                reused += 1
                continue
        weights = {f: w * idf[f] for f, w in raw.items()}
        # Each kind scaled to length sqrt(share), measured on all its features: the dot
        # product of two incidents is then the share-weighted sum of one cosine per kind,
        # between 0 and 1.
        lengths: dict[str, float] = {}
        for feature, weight in weights.items():
            kind = kinds[feature]
            lengths[kind] = lengths.get(kind, 0.0) + weight * weight
        for feature in weights:
            kind = kinds[feature]
            weights[feature] *= math.sqrt(KIND_WEIGHT[kind] / lengths[kind])
        # Only features another incident has can score; of the words, keep the strongest.
        for feature in [f for f in weights if df[f] < 2]:
            del weights[feature]
        for kind, keep in (("text\0", TEXT_TERMS), ("factor\0", FACTOR_TERMS)):
            terms = sorted((f for f in weights if f.startswith(kind)),
                           key=lambda f: (-weights[f], f))
            for dropped in terms[keep:]:
                del weights[dropped]
        # Reasons name only features kept (shared ones): the others' words can go.
        vector = _Vector(weights, {f: shown[f] for f in weights})
        vectors.append(vector)
        if memo is not None:
            kept[id(both)] = (both, vector)
    if memo is not None:
        memo.vectors_reused = reused
        memo.count, memo.df, memo.vectors = n, df, kept
    del raws, df

    postings: dict[str, list[int]] = {}
    for index, vector in enumerate(vectors):  # in time order, so each list is too
        for feature in vector.weights:
            postings.setdefault(feature, []).append(index)

    # Each feature pairs a member with the next ``window`` members of its list. Common
    # features say little (low IDF): pair them with fewer neighbours.
    half = max(1, cap // 2)
    rare = math.log(1.0 + n)
    windows = {feature: (len(members) if len(members) <= cap
                         else max(2, round(half * idf[feature] / rare)))
               for feature, members in postings.items() if len(members) >= 2}
    # Incidents are taken in time order, as the lists are: the next place in a
    # feature's list is this incident's.
    cursor = dict.fromkeys(windows, 0)
    # Pair sums one incident at a time (a with later b), features in sorted order as
    # for every pair: the same additions in the same order, so the same floats. Only
    # pairs at or above the threshold are kept: a dict of every pair's sum was the
    # build's peak memory (about 85 MB at 2,000 incidents).
    scores: list[dict[int, float]] = [{} for _ in range(n)]
    for a in range(n):
        row: dict[int, float] = {}
        for feature in sorted(f for f in vectors[a].weights if f in cursor):
            members = postings[feature]
            pos = cursor[feature]
            cursor[feature] = pos + 1
            weight_of = vectors[a].weights[feature]
            for b in members[pos + 1: pos + 1 + windows[feature]]:
                row[b] = row.get(b, 0.0) + weight_of * vectors[b].weights[feature]
        for b, total in row.items():
            if total >= threshold:
                scores[a][b] = total
                scores[b][a] = total

    out: dict[str, list[Related]] = {}
    ids = [(i.id.casefold(), i.id) for i in ordered]
    said: dict[tuple[int, int], tuple[_Vector, _Vector, tuple[str, ...]]] = {}
    then_said = memo.reasons if memo is not None else {}
    if memo is not None and memo.reasons_labels != _labels_key(labels):
        then_said = {}

    def reasons_of(a: _Vector, b: _Vector) -> tuple[str, ...]:
        pair = (id(a), id(b))
        known = then_said.get(pair)
        if known is None or known[0] is not a or known[1] is not b:
            known = (a, b, reasons(a, b, labels=labels))
        said[pair] = known
        return known[2]

    for a, row in enumerate(scores):
        candidates = [(score, b) for b, score in row.items() if score >= threshold]
        if len(candidates) > limit:
            # Only scores within rounding of the limit-th best can rank (the same answer,
            # without rounding and ordering each of ~150 candidates per incident).
            floor = heapq.nlargest(limit, [c for c, _ in candidates])[-1] - 1e-9
            candidates = [(c, b) for c, b in candidates if c >= floor]
        # Rounded so that sums in another order cannot swap near-equal neighbours.
        ranked = heapq.nsmallest(limit, ((round(c, 9), b) for c, b in candidates),
                                 key=lambda sb: (-sb[0], ids[sb[1]]))
        found = [(b, score, reasons_of(vectors[a], vectors[b]))
                 for score, b in ranked if score >= threshold]
        out[ordered[a].id] = [Related(ordered[b], score, why) for b, score, why in found]
        if memo is not None:
            memo.answer[ordered[a].id] = found
    if memo is not None:
        memo.key = key
        memo.reasons, memo.reasons_labels = said, _labels_key(labels)
    return out


def reasons(a: _Vector, b: _Vector, most: int = 3, *,
            labels: Labels = ENGLISH) -> tuple[str, ...]:
    """What two incidents share, in words: strongest features of each kind, kinds in order."""
    shared = [f for f in a.weights if f in b.weights]
    by_kind: dict[str, list[str]] = {}
    # Phrases first: "cache expiry" says more than "cache" and "expiry" apart.
    for feature in sorted(shared, key=lambda f: (" " not in f, -a.weights[f] * b.weights[f],
                                                 f)):
        by_kind.setdefault(_kind(feature), []).append(feature)
    texts: list[str] = []
    for kind in REASON_KINDS:
        features = _no_overlap(by_kind.get(kind, []), a.shown)[:most]
        if not features:
            continue
        values = ", ".join(a.shown[f] for f in features)
        if kind == "service":
            texts.append(labels.ngettext("same service %(values)s", "same services %(values)s",
                                         len(features)) % {"values": values})
        elif kind == "tag":
            texts.append(labels.ngettext("same tag %(values)s", "same tags %(values)s",
                                         len(features)) % {"values": values})
        elif kind == "actor":
            texts.append(labels.gettext("same people: %(values)s") % {"values": values})
        elif kind == "factor":
            texts.append(labels.gettext("both: %(values)s") % {"values": values})
        else:
            texts.append(labels.gettext("both mention %(values)s") % {"values": values})
    return tuple(texts)


def _no_overlap(features: Iterable[str], shown: dict[str, str]) -> list[str]:
    """Drop a word already said inside a chosen phrase ("cache" after "cache expiry")."""
    chosen: list[str] = []
    said: set[str] = set()
    for feature in features:
        words = set(shown[feature].split())
        if words <= said:
            continue
        chosen.append(feature)
        said |= words
    return chosen
