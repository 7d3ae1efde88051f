"""What each catalogue page shows, computed from the incidents (no HTML here).

Each function walks the incidents once (O(incidents + items + awards)) and
returns plain data for the templates, in a deterministic order: every sort key
ends with ids, so equal dates or counts never depend on file-system order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

from ..model.incident import OPEN_STATUSES, ActionItem, Award, Incident
from .metrics import quarter_of
from .people import People, anchor_for, name_key

PRIORITIES = ("P1", "P2", "P3", "P4")
KINDS = ("mitigate", "prevent", "detect", "process", "other")


# -- the index ------------------------------------------------------------------
@dataclass
class Facet:
    name: str
    """Query parameter (``severity``, ``service``, ...)."""
    label: str
    values: list[tuple[str, int]]
    """(value, number of incidents), in display order."""


def facets(incidents: Sequence[Incident], severities: Sequence[str], zone: tzinfo) -> list[Facet]:
    sev = Counter(i.severity for i in incidents)
    services = Counter(s for i in incidents for s in dict.fromkeys(i.services))
    tags = Counter(t for i in incidents for t in dict.fromkeys(i.tags))
    years = Counter(str(i.start_day.year) for i in incidents)  # the incident's own zone (1.1)
    status = Counter(i.status for i in incidents)
    rank = {s: n for n, s in enumerate(severities)}
    status_order = {"published": 0, "in-review": 1, "draft": 2}
    return [
        Facet("severity", "Severity",
              sorted(sev.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))),
        Facet("service", "Service", sorted(services.items(), key=lambda kv: kv[0].casefold())),
        Facet("tag", "Tag", sorted(tags.items(), key=lambda kv: kv[0].casefold())),
        Facet("year", "Year", sorted(years.items(), reverse=True)),
        Facet("status", "Status",
              sorted(status.items(), key=lambda kv: (status_order.get(kv[0], 9), kv[0]))),
    ]


def people_of(incident: Incident) -> list[str]:
    """Everyone named in an incident, once each, in page order."""
    names = [incident.director] if incident.director else []
    names += [c.actor for c in incident.cast if c.actor]
    names += [i.owner for i in incident.action_items]
    names += [a.recipient for a in incident.awards]
    return list(dict.fromkeys(" ".join(n.split()) for n in names))


def meet_everyone(people: People, incidents: Iterable[Incident]) -> People:
    """Record every spelling of every name first, so each page shows the same one."""
    for incident in incidents:
        for name in people_of(incident):
            people.see(name)
    return people


@dataclass
class MonthCounts:
    months: list[str]
    """Every ``YYYY-MM`` from the oldest incident's month to the newest's."""
    counts: dict[str, dict[str, int]]
    """month -> severity -> incidents."""


def per_month(incidents: Iterable[Incident], zone: tzinfo) -> MonthCounts:
    from .charts import month_range

    counts: dict[str, Counter[str]] = {}
    for incident in incidents:
        month = incident.start_day.strftime("%Y-%m")  # the incident's own zone (1.1)
        counts.setdefault(month, Counter())[incident.severity] += 1
    if not counts:
        return MonthCounts([], {})
    months = month_range(min(counts), max(counts))
    return MonthCounts(months, {m: dict(c) for m, c in counts.items()})


# -- the action-item board ------------------------------------------------------
@dataclass
class Card:
    item: ActionItem
    incident: Incident
    owner_key: str
    overdue: bool


@dataclass
class OwnerLoad:
    key: str
    name: str
    anchor: str
    open: int = 0
    overdue: int = 0
    blocked: int = 0


@dataclass
class QuarterTotals:
    quarter: str
    open: int = 0
    overdue: int = 0
    blocked: int = 0
    done: int = 0
    wont_do: int = 0


@dataclass
class Board:
    columns: list[tuple[str, list[Card]]]
    """(status, cards sorted by due date), one per open status."""
    owners: list[OwnerLoad]
    """Everyone with open items, most open items first."""
    totals: QuarterTotals
    quarters: list[QuarterTotals]
    """By the quarter the incident started, newest first."""

    @property
    def cards(self) -> list[Card]:
        return [card for _, cards in self.columns for card in cards]


def card_order(card: Card) -> tuple[object, ...]:
    """Soonest due first (no due date last), then most urgent, then by incident and item."""
    due = card.item.due
    return (due is None, due or date.min, card.item.priority, card.incident.id.casefold(),
            card.item.id.casefold())


def board(incidents: Iterable[Incident], today: date, zone: tzinfo, people: People) -> Board:
    by_status: dict[str, list[Card]] = {s: [] for s in OPEN_STATUSES}
    owners: dict[str, OwnerLoad] = {}
    totals = QuarterTotals("All")
    quarters: dict[str, QuarterTotals] = {}
    for incident in incidents:
        quarter = quarter_of(incident.started_at, incident.zone)
        for item in incident.action_items:
            row = quarters.setdefault(quarter, QuarterTotals(quarter))
            if not item.is_open:
                for target in (row, totals):
                    if item.status == "done":
                        target.done += 1
                    else:
                        target.wont_do += 1
                continue
            key = people.key(item.owner)
            card = Card(item, incident, key, item.is_overdue(today))
            by_status[item.status].append(card)
            load = owners.setdefault(key, OwnerLoad(key, "", ""))
            for target in (row, totals, load):
                target.open += 1
                target.overdue += card.overdue
                target.blocked += item.status == "blocked"
    taken: set[str] = set()
    for load in sorted(owners.values(), key=lambda o: o.key):
        load.name = people.display(load.key)
        load.anchor = anchor_for(load.key, taken, "owner-")
    return Board(
        [(status, sorted(cards, key=card_order)) for status, cards in by_status.items()],
        sorted(owners.values(), key=lambda o: (-o.open, -o.overdue, o.name.casefold(), o.key)),
        totals,
        sorted(quarters.values(), key=lambda q: q.quarter, reverse=True),
    )


# -- the hall of fame -----------------------------------------------------------
@dataclass
class Honour:
    award: Award
    incident: Incident


@dataclass
class Recipient:
    key: str
    name: str
    anchor: str
    rank: int
    honours: list[Honour] = field(default_factory=list)


@dataclass
class AwardName:
    name: str
    given: int
    recipients: int


@dataclass
class Hall:
    recipients: list[Recipient]
    """Leaderboard order: most awards first, then by name."""
    awards: list[AwardName]
    total: int
    incidents: int


def hall_of_fame(incidents: Iterable[Incident], people: People) -> Hall:
    honours: dict[str, list[Honour]] = {}
    award_spellings: dict[str, Counter[str]] = {}
    award_people: dict[str, set[str]] = {}
    total = 0
    awarded_incidents = 0
    for incident in incidents:  # newest first, so each person's awards are newest first
        awarded_incidents += bool(incident.awards)
        for award in incident.awards:
            total += 1
            key = people.key(award.recipient)
            honours.setdefault(key, []).append(Honour(award, incident))
            name = " ".join(award.award.split())
            award_key = name_key(name)
            award_spellings.setdefault(award_key, Counter())[name] += 1
            award_people.setdefault(award_key, set()).add(key)
    taken: set[str] = set()
    anchors = {key: anchor_for(key, taken, "to-") for key in sorted(honours)}
    ordered = sorted(honours, key=lambda k: (-len(honours[k]), people.display(k).casefold(), k))
    recipients: list[Recipient] = []
    for position, key in enumerate(ordered, start=1):
        same = recipients and len(recipients[-1].honours) == len(honours[key])
        rank = recipients[-1].rank if same else position
        recipients.append(Recipient(key, people.display(key), anchors[key], rank, honours[key]))
    awards = []
    for award_key, spellings in award_spellings.items():
        shown = min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        awards.append(AwardName(shown, sum(spellings.values()), len(award_people[award_key])))
    awards.sort(key=lambda a: (-a.given, a.name.casefold(), a.name))
    return Hall(recipients, awards, total, awarded_incidents)
