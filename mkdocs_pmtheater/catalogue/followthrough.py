"""Follow-through: do we do what our post-mortems promise?

An action item is *created* in the quarter its incident started (the review
that wrote it down follows the incident). Per quarter of creation, and per
owner:

* ``created``: every item;
* ``done``: status ``done``; ``done_on_time``: done, with ``done_on`` given and
  not after ``due`` (an item done without ``done_on`` is counted as done, but
  nobody can say whether it was on time: ``done_undated``);
* ``wont_do``: decided against, so neither kept nor broken;
* ``open_past_due``: still open (open, in progress, blocked) after its due date;
* ``open_not_due``: still open, due date not reached (or none given).

The *follow-through rate* is ``done / (done + open_past_due)``: of the promises
whose time has come, the share that was kept. Items not yet due and items
decided against count neither way. No rate is given when nothing is due yet.

All counts come straight from the files and the build date, so anyone can
recompute them from the YAML (the tests do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, tzinfo

from ..model.incident import ActionItem, Incident
from .metrics import quarter_of


@dataclass
class FollowThrough:
    """Counts of one group (a quarter, an owner, or everything)."""

    label: str
    created: int = 0
    done: int = 0
    done_on_time: int = 0
    done_undated: int = 0
    wont_do: int = 0
    open_past_due: int = 0
    open_not_due: int = 0

    def add(self, item: ActionItem, today: date) -> None:
        self.created += 1
        if item.status == "done":
            self.done += 1
            if item.done_on is None:
                self.done_undated += 1
            elif item.due is None or item.done_on <= item.due:
                self.done_on_time += 1
        elif item.status == "wont-do":
            self.wont_do += 1
        elif item.is_overdue(today):
            self.open_past_due += 1
        else:
            self.open_not_due += 1

    @property
    def rate(self) -> float | None:
        """``done / (done + open past due)``, 0..1; None when nothing is due yet."""
        settled = self.done + self.open_past_due
        return self.done / settled if settled else None

    @property
    def rate_text(self) -> str:
        rate = self.rate
        return "–" if rate is None else f"{round(rate * 100)} %"


@dataclass
class FollowThroughReport:
    total: FollowThrough
    quarters: list[FollowThrough]
    """Oldest quarter first."""
    owners: list[FollowThrough] = field(default_factory=list)
    """By owner key, most items past due first."""


def follow_through(
    incidents: Iterable[Incident],
    today: date,
    zone: tzinfo,
    owner_key: Callable[[str], str] = lambda name: name,
    owner_name: Callable[[str], str] = lambda key: key,
) -> FollowThroughReport:
    """Per quarter of creation and per owner; O(items)."""
    total = FollowThrough("All")
    quarters: dict[str, FollowThrough] = {}
    owners: dict[str, FollowThrough] = {}
    for incident in incidents:
        if not incident.action_items:
            continue
        quarter = quarter_of(incident.started_at, zone)
        row = quarters.setdefault(quarter, FollowThrough(quarter))
        for item in incident.action_items:
            key = owner_key(item.owner)
            owner = owners.setdefault(key, FollowThrough(key))
            for target in (total, row, owner):
                target.add(item, today)
    for key, owner in owners.items():
        owner.label = owner_name(key)
    return FollowThroughReport(
        total,
        [quarters[q] for q in sorted(quarters)],
        sorted(owners.values(),
               key=lambda o: (-o.open_past_due, -(o.open_past_due + o.open_not_due),
                              o.label.casefold(), o.label)),
    )


def age_days(incident: Incident, today: date, zone: tzinfo) -> int:
    """Days since the item was created (its incident started), in the site's zone."""
    return max(0, (today - incident.started_at.astimezone(zone).date()).days)


def days_overdue(item: ActionItem, today: date) -> int:
    """Days past the due date of an open item; 0 when not overdue."""
    return (today - item.due).days if item.is_overdue(today) and item.due else 0
