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

import math
import sys
from collections import Counter
from collections.abc import Sequence
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
_OTHER_KINDS = tuple(k for k in REASON_KINDS if k != "text")
_TEXT_KIND = ("text",)
"""The kinds of a vector's other part, in the order reasons name them: ``text`` comes
last in :data:`REASON_KINDS`, so a pair's reasons are its other parts' then its texts'."""


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
class _Part:
    """Some kinds of one incident's weighed features: what is kept of them (shared with
    another incident, and for words and factors among the strongest), never changed once
    built (caches hold parts by identity)."""

    weights: dict[str, float] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    """Feature -> how it is shown in a reason (the service or phrase as written)."""
    order: list[str] = field(default_factory=list)
    """The features in sorted order (the order of each pair's float additions)."""
    kinds: dict[str, dict[str, float]] = field(default_factory=dict)
    """The weights again, by kind (``service``, ``factor``...): reasons look at one kind
    at a time."""


@dataclass
class _Vector:
    """One incident's weighed features in two parts: ``other`` (services, factors, tags,
    people) and ``text`` (words of the write-up). A title or summary edit changes the
    text of every incident sharing a changed word (the word's IDF changes) but leaves
    their other part the very same object."""

    other: _Part
    text: _Part

    @property
    def weights(self) -> dict[str, float]:
        return {**self.other.weights, **self.text.weights}

    @property
    def shown(self) -> dict[str, str]:
        return {**self.other.shown, **self.text.shown}


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

_Raw = tuple[dict[str, float], dict[str, str]]


class RelatedMemo:
    """The last answer of :func:`related_incidents` and what it was computed from, kept by
    ``mkdocs serve`` across rebuilds.

    The answer depends only on the incidents' order (by start, then id), their ids and
    their features (:func:`_raw_features`: weights and how each is shown), the options
    and the labels. An edit that leaves those equal (a scene, an action item, a
    milestone) gives the same answer, with this build's incident objects in it; any
    other edit computes the scores again (every weight may depend on the edit, through
    the counts of the features it added or removed), but gives back what provably did
    not change, as the same objects, so the same floats and words as a fresh
    computation:

    * each part of a vector (:class:`_Vector`: text, or the other kinds) none of whose
      features changed count (:attr:`vectors`);
    * each incident's sums over the other kinds with later incidents (:attr:`partials`)
      when no incident's other part changed: features are added in sorted order, and
      every other kind sorts before ``text``, so a pair's sum starts with them;
    * the words of each pair of parts (:attr:`said`).
    """

    def __init__(self) -> None:
        self.key: Any = None
        self.answer: dict[str, list[tuple[int, float, tuple[str, ...]]]] = {}
        """Incident id -> (place of the related incident in the order, score, reasons)."""
        self.raws: list[_Raw] = []
        """Each incident's features (in the order) when the answer was computed."""
        self.reused = 0
        """Builds that reused the answer (for tests)."""
        self.count = 0
        """How many incidents the last computation had (each IDF depends on it)."""
        self.df: Counter[str] = Counter()
        """How many incidents had each feature when the answer was computed."""
        self.idf: dict[str, float] = {}
        self.kinds: dict[str, str] = {}
        self.vectors: dict[int, tuple[_Raw, _Vector]] = {}
        """``id(raw features) -> (those features, their weighed vector)`` of the last
        computation: a part of an incident's vector depends only on its features, the
        number of incidents and how many incidents have each of its features, so a part
        whose features are the same object and whose features' counts did not change is
        the very same part."""
        self.ordered: list[_Vector] = []
        """The last computation's vectors, in the order."""
        self.partials: list[dict[int, float]] | None = None
        """Each incident's sums over the other kinds with later incidents (by place)."""
        self.cap: int | None = None
        self.said: dict[tuple[int, int], tuple[_Part, _Part, tuple[str, ...]]] = {}
        """``(id(a), id(b)) -> (a, b, what parts a and b share, in words)``: the same two
        part objects give the same words (parts are never changed once built)."""
        self.reasons_labels: Any = None
        self.vectors_reused = 0
        """Vectors given back whole by the last computation (for tests)."""
        self.partials_reused = False
        """Whether the last computation reused :attr:`partials` (for tests)."""

    def _take(self) -> RelatedMemo:
        """The last computation's state, taken out: a computation that stops halfway (an
        interrupted rebuild) leaves none behind, and the next one starts afresh."""
        then = RelatedMemo()
        then.__dict__.update(self.__dict__)
        reused = self.reused
        self.__dict__.update(RelatedMemo().__dict__)
        self.reused = reused
        return then


def _same_features(then: Sequence[_Raw], now: Sequence[_Raw]) -> bool:
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


def _count(raws: Sequence[_Raw], then_raws: Sequence[_Raw],
           then_df: Counter[str] | None) -> tuple[Counter[str], set[str] | None]:
    """How many incidents have each feature, and which features' counts changed since
    ``then_df`` (the counts of ``then_raws``, kept alive by the caller: compared by
    identity), or None without those. Only the features of incidents added or edited
    since are counted again (O(changed incidents · features))."""
    if then_df is not None and then_raws:
        then = {id(raw): raw for raw in then_raws}
        now = {id(raw) for raw in raws}
        if len(then) == len(then_raws) and len(now) == len(raws):
            df = then_df.copy()
            touched: set[str] = set()
            for raw in then_raws:
                if id(raw) not in now:
                    touched.update(raw[0])
                    df.subtract(raw[0].keys())
            for raw in raws:
                if then.get(id(raw)) is not raw:
                    touched.update(raw[0])
                    df.update(raw[0].keys())
            recount = {f for f in touched if df[f] != then_df.get(f, 0)}
            for feature in touched:
                if df[feature] <= 0:
                    del df[feature]
            return df, recount
    df = Counter()
    for raw, _ in raws:
        df.update(raw.keys())  # counts of incidents, not sums of weights
    return df, None


_KEEP = {"text": TEXT_TERMS, "factor": FACTOR_TERMS}


def _weigh_part(raw: _Raw, text: bool, idf: dict[str, float], df: Counter[str],
                kinds: dict[str, str]) -> _Part:
    """The text features of ``raw`` (``text``), or its other ones, weighed and cut.
    ``kinds``: each counted feature's kind."""
    features, written = raw
    by_kind: dict[str, list[tuple[str, float]]] = {}
    if text:
        by_kind["text"] = [(f, w * idf[f]) for f, w in features.items() if kinds[f] == "text"]
    else:
        for feature, weight in features.items():
            kind = kinds[feature]
            if kind != "text":
                by_kind.setdefault(kind, []).append((feature, weight * idf[feature]))
    weights: dict[str, float] = {}
    kept_by_kind: dict[str, dict[str, float]] = {}
    for kind, items in by_kind.items():
        if not items:
            continue
        # Each kind scaled to length sqrt(share), measured on all its features: the dot
        # product of two incidents is then the share-weighted sum of one cosine per kind,
        # between 0 and 1. (Added one by one, in the features' order: not sum(), which
        # rounds otherwise from Python 3.12 on.)
        length = 0.0
        for _, weight in items:
            length += weight * weight
        scale = math.sqrt(KIND_WEIGHT[kind] / length)
        # Only features another incident has can score; of the words, keep the
        # strongest (features are unique: sorting by (-weight, feature) is total).
        kept = [(-(w * scale), f) for f, w in items if df[f] >= 2]
        keep = _KEEP.get(kind)
        if keep is not None and len(kept) > keep:
            # The first ``keep`` by (-weight, feature): every one below the keep-th
            # -weight, then those equal to it by feature. (Sorting the floats alone is
            # several times faster than sorting the pairs.)
            cut = sorted([w for w, _ in kept])[keep - 1]
            kept = [wf for wf in kept if wf[0] <= cut]
            if len(kept) > keep:
                kept.sort()
                del kept[keep:]
        if kept:
            kept_by_kind[kind] = {f: -w for w, f in kept}  # -(-x) is x, exactly
    if text:
        weights = kept_by_kind.get("text", {})  # one kind: the same dict
    else:
        for kind in _OTHER_KINDS:
            weights.update(kept_by_kind.get(kind, ()))
    # Reasons name only features kept (shared ones): the others' words can go.
    return _Part(weights, {f: written[f] for f in weights}, sorted(weights),
                 {k: kept_by_kind[k] for k in (_TEXT_KIND if text else _OTHER_KINDS)
                  if k in kept_by_kind})


def _weigh(raw: _Raw, idf: dict[str, float], df: Counter[str], kinds: dict[str, str],
           then: _Vector | None = None, other: bool = True, text: bool = True) -> _Vector:
    """``raw`` weighed: its ``other`` part and its ``text`` part (each part not weighed
    again is ``then``'s)."""
    return _Vector(_weigh_part(raw, False, idf, df, kinds) if other
                   else then.other,  # type: ignore[union-attr]
                   _weigh_part(raw, True, idf, df, kinds) if text
                   else then.text)  # type: ignore[union-attr]


def _same_part(then: _Part, now: _Part) -> _Part:
    """``then`` if ``now`` holds the same weights and words (the order of a part's
    features changes nothing: sums go in sorted order), else ``now``."""
    return then if then.weights == now.weights and then.shown == now.shown else now


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
    depends on changed, and otherwise what did not change (see :class:`RelatedMemo`).
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
    then = memo._take() if memo is not None else RelatedMemo()
    counted = list(raws) if memo is not None else []
    df, recount = _count(raws, then.raws, then.df)
    n = len(ordered)
    if recount is None or then.count != n:
        recount = None  # every IDF changes with the number of incidents
        idf = {f: math.log(1.0 + n / d) for f, d in df.items()}
        # Each distinct feature's kind once (a few per cent of the lookups below).
        kinds = {f: _kind(f) for f in df}
    else:
        idf, kinds = then.idf.copy(), then.kinds.copy()
        for feature in recount:
            if feature in df:
                idf[feature] = math.log(1.0 + n / df[feature])
                kinds[feature] = _kind(feature)
            else:
                del idf[feature], kinds[feature]
    vectors: list[_Vector] = []
    kept: dict[int, tuple[_Raw, _Vector]] = {}
    then_ordered = then.ordered if len(then.ordered) == n else None
    reused = 0
    for index, both in enumerate(raws):
        raws[index] = ({}, {})  # each incident's features are let go once weighed
        known = then.vectors.get(id(both)) if recount is not None else None
        if known is not None and known[0] is both:
            raw = both[0]
            # A part is weighed again only if one of its features changed count.
            hit = ([f for f in recount if f in raw] if len(recount) < len(raw)  # type: ignore[arg-type]
                   else [f for f in raw if f in recount])  # type: ignore[operator]
            text_hit = any(f.startswith("text\0") for f in hit)
            other_hit = not all(f.startswith("text\0") for f in hit)
            if not hit:
                vector = known[1]
                reused += 1
            else:
                vector = _weigh(both, idf, df, kinds, known[1], other_hit, text_hit)
        else:
            vector = _weigh(both, idf, df, kinds)
            if then_ordered is not None:
                # An edited incident: a part equal to the last one at this place is that
                # one (so the sums and words kept for it serve again).
                last = then_ordered[index]
                vector = _Vector(_same_part(last.other, vector.other),
                                 _same_part(last.text, vector.text))
        vectors.append(vector)
        if memo is not None:
            kept[id(both)] = (both, vector)
    # Whether each incident's sums over the other kinds are those of the last computation:
    # the same other parts at the same places, and no other kind's count changed (the
    # windows below depend on the counts).
    same_other = (then.partials is not None and then.cap == cap
                  and recount is not None and then_ordered is not None
                  and all(f.startswith("text\0") for f in recount)
                  and all(v.other is t.other
                          for v, t in zip(vectors, then_ordered, strict=True)))
    del raws

    # Each feature's incidents (places, in time order) and their weights of it.
    postings: dict[str, tuple[list[int], list[float]]] = {}
    for index, vector in enumerate(vectors):
        for part in (vector.text,) if same_other else (vector.other, vector.text):
            for feature, weight in part.weights.items():
                entry = postings.get(feature)
                if entry is None:
                    entry = postings[feature] = ([], [])
                entry[0].append(index)
                entry[1].append(weight)

    # Each feature pairs a member with the next ``window`` members of its list. Common
    # features say little (low IDF): pair them with fewer neighbours.
    half = max(1, cap // 2)
    rare = math.log(1.0 + n)
    windows = {feature: (len(members) if len(members) <= cap
                         else max(2, round(half * idf[feature] / rare)))
               for feature, (members, _) in postings.items() if len(members) >= 2}

    # Incidents are taken from the latest back, as the lists run: the next place from the
    # end of a feature's list is this incident's. Feature -> [that place + 1, window,
    # places, weights]: one lookup per feature and incident.
    lists = {feature: [len(postings[feature][0]), window, *postings[feature]]
             for feature, window in windows.items()}

    def add(row: dict[int, float], features: list[str]) -> None:
        """Adds to ``row`` (this incident's pair sums with later incidents) the products of
        its ``features`` (in sorted order) with each of the next ``window`` members."""
        for feature in features:
            entry = lists.get(feature)
            if entry is None:
                continue
            pos = entry[0] - 1
            entry[0] = pos
            _, window, members, weights = entry
            weight = weights[pos]
            end = pos + 1 + window
            for b, other in zip(members[pos + 1:end], weights[pos + 1:end], strict=True):
                row[b] = row.get(b, 0.0) + weight * other

    # Pair sums one incident at a time (a with later b), features in sorted order as for
    # every pair: the same additions in the same order, so the same floats. An incident's
    # list holds the pairs scoring at least the threshold and within rounding of its
    # limit-th best (see below); its limit-th best is at least that of its pairs with
    # later incidents (bounds[a]), so a pair scoring less than that can neither rank nor
    # change the limit-th best. Taking the latest incident first, each later incident's
    # bound is known when an earlier one's pairs are summed: only the pairs that can rank
    # are kept, from both sides (a dict of every pair's sum was the build's peak memory,
    # about 85 MB at 2,000 incidents).
    then_partials = then.partials if same_other else None
    partials: list[dict[int, float]] = [{}] * n
    bounds = [threshold] * n
    found_for: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for a in range(n - 1, -1, -1):
        vector = vectors[a]
        if then_partials is not None:
            row = then_partials[a].copy()
        else:
            row = {}
            add(row, vector.other.order)
            if memo is not None:
                partials[a] = row.copy()
        # The text features sort after every other kind's ("tag" < "text"): each pair's
        # sum goes on from its other kinds' sum.
        add(row, vector.text.order)
        if len(row) >= limit > 0:
            bound = bounds[a] = max(threshold,
                                    sorted(row.values(), reverse=True)[limit - 1] - 1e-9)
        else:
            bound = threshold
        mine = found_for[a]
        for b, total in row.items():
            if total >= bounds[b]:
                found_for[b].append((total, a))
            if total >= bound:
                mine.append((total, b))

    out: dict[str, list[Related]] = {}
    answer: dict[str, list[tuple[int, float, tuple[str, ...]]]] = {}
    ids = [(i.id.casefold(), i.id) for i in ordered]
    said: dict[tuple[int, int], tuple[_Part, _Part, tuple[str, ...]]] = {}
    then_said = then.said if then.reasons_labels == _labels_key(labels) else {}
    wording = _Wording(labels)

    def part_words(mine: _Part, theirs: _Part, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """The words of a pair of parts (the last computation's if the parts are the
        same objects)."""
        pair = (id(mine), id(theirs))
        known = then_said.get(pair) or said.get(pair)
        if known is None or known[0] is not mine or known[1] is not theirs:
            known = (mine, theirs, _part_reasons(mine, theirs, kinds, 3, wording))
        said[pair] = known
        return known[2]

    def words_for(a: _Vector, b: _Vector) -> tuple[str, ...]:
        """The reasons of a pair: its other parts' words, then its texts'."""
        return (part_words(a.other, b.other, _OTHER_KINDS)
                + part_words(a.text, b.text, _TEXT_KIND))

    rank_key: Any = lambda sb: (-sb[0], ids[sb[1]])  # noqa: E731
    for a, candidates in enumerate(found_for):
        found_for[a] = []
        if len(candidates) > limit:
            # Only scores within rounding of the limit-th best can rank (the same answer,
            # without rounding and ordering each of ~150 candidates per incident).
            floor = sorted([c for c, _ in candidates], reverse=True)[limit - 1] - 1e-9
            candidates = [(c, b) for c, b in candidates if c >= floor]
        candidates = [(round(c, 9), b) for c, b in candidates]
        # Rounded so that sums in another order cannot swap near-equal neighbours.
        candidates.sort(key=rank_key)
        mine = vectors[a]
        found = [(b, score, words_for(mine, vectors[b]))
                 for score, b in candidates[:limit] if score >= threshold]
        out[ordered[a].id] = [Related(ordered[b], score, why) for b, score, why in found]
        answer[ordered[a].id] = found
    if memo is not None:
        memo.key, memo.answer, memo.raws, memo.said = key, answer, counted, said
        memo.reasons_labels = _labels_key(labels)
        memo.count, memo.df, memo.idf, memo.kinds, memo.vectors = n, df, idf, kinds, kept
        memo.ordered, memo.partials, memo.cap = vectors, then_partials or partials, cap
        memo.vectors_reused, memo.partials_reused = reused, same_other
    return out


class _Wording:
    """How each kind of reason is worded, per number of values (looked up once)."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.formats: dict[tuple[str, int], str] = {}

    def say(self, kind: str, values: list[str]) -> str:
        key = (kind, len(values))
        format_ = self.formats.get(key)
        if format_ is None:
            format_ = self.formats[key] = self._format(kind, len(values))
        return format_ % {"values": ", ".join(values)}

    def _format(self, kind: str, count: int) -> str:
        labels = self.labels
        if kind == "service":
            return labels.ngettext("same service %(values)s", "same services %(values)s", count)
        if kind == "tag":
            return labels.ngettext("same tag %(values)s", "same tags %(values)s", count)
        if kind == "actor":
            return labels.gettext("same people: %(values)s")
        if kind == "factor":
            return labels.gettext("both: %(values)s")
        return labels.gettext("both mention %(values)s")


def _part_reasons(a: _Part, b: _Part, kinds: tuple[str, ...], most: int,
                  wording: _Wording) -> tuple[str, ...]:
    """What parts ``a`` and ``b`` share, in words, ``kinds`` in that order (see
    :func:`reasons`)."""
    texts: list[str] = []
    for kind in kinds:
        mine = a.kinds.get(kind)
        theirs = b.kinds.get(kind)
        if not mine or not theirs:
            continue
        # Phrases first: "cache expiry" says more than "cache" and "expiry" apart; then
        # the strongest; features are unique, so the order is total (whatever the set's).
        ranked = [(" " not in f, -mine[f] * theirs[f], f) for f in mine.keys() & theirs.keys()]
        ranked.sort()
        # A word already said inside a chosen phrase is not said again ("cache" after
        # "cache expiry"); later features never change earlier choices.
        chosen: list[str] = []
        said: set[str] = set()
        for _, _, feature in ranked:
            shown = a.shown[feature]
            words = set(shown.split())
            if words <= said:
                continue
            chosen.append(shown)
            if len(chosen) == most:
                break
            said |= words
        if chosen[:most]:
            texts.append(wording.say(kind, chosen[:most]))
    return tuple(texts)


def reasons(a: _Vector, b: _Vector, most: int = 3, *,
            labels: Labels = ENGLISH) -> tuple[str, ...]:
    """What two incidents share, in words: strongest features of each kind, kinds in
    the order of :data:`REASON_KINDS`, at most ``most`` features each; a word already
    said inside a chosen phrase is not said again."""
    wording = _Wording(labels)
    return (_part_reasons(a.other, b.other, _OTHER_KINDS, most, wording)
            + _part_reasons(a.text, b.text, _TEXT_KIND, most, wording))
