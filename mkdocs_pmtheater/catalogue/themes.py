"""Themes: what keeps coming back across incidents.

Themes come from five places: contributing factors, root causes (free text),
services, tags (values, compared without case and spacing) and action-item
kinds. Free text needs no configuration: each factor is reduced to its
normalised words and two-word phrases (:mod:`.words`), and a word or phrase
written in at least :data:`MIN_FREE_TEXT` incidents is a theme; a single word
is left out when a phrase containing it covers exactly the same incidents
("cache" under "cache expiry"). A site may declare categories (``themes:
categories: {technical: [cache, config], ...}``): a factor or root cause whose
words or phrases include a category's word is in that category, and the page
then also groups by category.

A theme is *recurring* when at least :data:`RECURRING_COUNT` of its incidents
started within :data:`RECURRING_DAYS` days of each other. Counts are numbers
of incidents (an incident counts once per theme, however often it says it).
Everything is O(incidents × phrases) and deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

from ..model.incident import Incident
from .metrics import quarter_of, quarter_range
from .words import label, phrases

MIN_FREE_TEXT = 2
RECURRING_COUNT = 3
RECURRING_DAYS = 365
"""Twelve months."""
MOST_FREE_TEXT = 40
"""Free-text themes shown per source, most frequent first."""
SOURCES = (
    ("categories", "Categories"),
    ("factor", "Contributing factors"),
    ("root-cause", "Root causes"),
    ("service", "Services"),
    ("tag", "Tags"),
    ("kind", "Action-item kinds"),
)


@dataclass
class Theme:
    source: str
    """One of :data:`SOURCES`' keys."""
    key: str
    label: str
    """As most often written."""
    incidents: list[Incident] = field(default_factory=list)
    """Newest first."""
    per_quarter: dict[str, int] = field(default_factory=dict)
    recurring: bool = False
    recurring_since: date | None = None
    """Start day of the first incident of the earliest recurring run."""

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def anchor(self) -> str:
        return f"theme-{self.source}-{_slug(self.key)}"


@dataclass
class ThemeGroup:
    source: str
    title: str
    themes: list[Theme]


@dataclass
class ThemesReport:
    quarters: list[str]
    """Every quarter from the oldest incident's to the newest's."""
    groups: list[ThemeGroup]
    categories: list[str]
    """Declared categories, in the site's order (empty without configuration)."""
    uncategorised: int = 0
    """Incidents with factors or root causes of which none is in a category."""


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(p for p in out.split("-") if p)[:60] or "x"


def recurring_run(days: Sequence[date]) -> date | None:
    """First day of the earliest RECURRING_COUNT days within RECURRING_DAYS, else None."""
    ordered = sorted(days)
    for first, last in zip(ordered, ordered[RECURRING_COUNT - 1:], strict=False):
        if (last - first).days <= RECURRING_DAYS:
            return first
    return None


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.members: dict[str, dict[str, Incident]] = {}
        self.spellings: dict[str, Counter[str]] = {}

    def add(self, key: str, written: str, incident: Incident) -> None:
        self.members.setdefault(key, {})[incident.id] = incident
        self.spellings.setdefault(key, Counter())[written] += 1

    def themes(self, zone: tzinfo, minimum: int = 1, most: int | None = None,
               prune_words: bool = False) -> list[Theme]:
        keys = [k for k, m in self.members.items() if len(m) >= minimum]
        if prune_words:
            sets = {k: frozenset(self.members[k]) for k in keys}
            phrase_sets: dict[str, set[frozenset[str]]] = {}
            for key in keys:
                if " " in key:
                    for word in key.split(" "):
                        phrase_sets.setdefault(word, set()).add(sets[key])
            keys = [k for k in keys if " " in k or sets[k] not in phrase_sets.get(k, set())]
        themes = []
        for key in keys:
            incidents = sorted(self.members[key].values(),
                               key=lambda i: (i.started_at, i.id), reverse=True)
            spelled = min(self.spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            theme = Theme(self.source, key, spelled, incidents)
            theme.per_quarter = dict(Counter(quarter_of(i.started_at, zone) for i in incidents))
            since = recurring_run([i.started_at.astimezone(zone).date() for i in incidents])
            theme.recurring, theme.recurring_since = since is not None, since
            themes.append(theme)
        themes.sort(key=lambda t: (-t.count, not t.recurring, t.label.casefold(), t.key))
        return themes[:most] if most else themes


def category_terms(categories: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Category -> the normalised forms of its declared words and phrases."""
    out: dict[str, set[str]] = {}
    for name, terms in categories.items():
        normal: set[str] = set()
        for term in terms:
            found = phrases(term)
            # The whole term, normalised: "Cache keys" declares the phrase "cache key".
            normal.add(" ".join(k for k in found if " " not in k))
        out[name] = {n for n in normal if n}
    return out


def themes(
    incidents: Iterable[Incident],
    zone: tzinfo,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> ThemesReport:
    """Every theme of the given (published) incidents."""
    incidents = list(incidents)
    collectors = {key: _Collector(key) for key, _ in SOURCES}
    declared = category_terms(categories or {})
    uncategorised = 0
    for incident in incidents:
        review = incident.review
        texts = {"factor": review.contributing_factors if review else [],
                 "root-cause": review.root_causes if review else []}
        in_any = False
        has_text = False
        for source, entries in texts.items():
            for entry in entries:
                has_text = True
                found = phrases(entry)
                for key, written in found.items():
                    collectors[source].add(key, written, incident)
                for name, terms in declared.items():
                    if terms & found.keys():
                        collectors["categories"].add(name, name, incident)
                        in_any = True
        uncategorised += bool(declared) and has_text and not in_any
        for service in incident.services:
            collectors["service"].add(label(service), " ".join(service.split()), incident)
        for tag in incident.tags:
            collectors["tag"].add(label(tag), " ".join(tag.split()), incident)
        for item in incident.action_items:
            if item.kind:
                collectors["kind"].add(item.kind, item.kind, incident)
    groups = []
    for source, title in SOURCES:
        if source == "categories":
            order = {name: n for n, name in enumerate(declared)}
            found = collectors[source].themes(zone)
            found.sort(key=lambda t: order[t.key])
        elif source in ("factor", "root-cause"):
            found = collectors[source].themes(zone, MIN_FREE_TEXT, MOST_FREE_TEXT,
                                              prune_words=True)
        else:
            found = collectors[source].themes(zone)
        if found or (source == "categories" and declared):
            groups.append(ThemeGroup(source, title, found))
    days = [quarter_of(i.started_at, zone) for i in incidents]
    quarters = quarter_range(min(days), max(days)) if days else []
    return ThemesReport(quarters, groups, list(declared), uncategorised)
