"""Response-time metrics: time to detect, mitigate and resolve, and their medians.

Durations of incidents are heavily skewed (most are short, a few last days), so
groups are summarised by the median, never the mean: one long outage would
otherwise drag a quarter's figure far from what a typical incident looked like.
Every figure is measured from the start of impact (``started_at``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ..model.incident import Incident

MEASURES: tuple[tuple[str, str], ...] = (
    ("detect", "Time to detect"),
    ("mitigate", "Time to mitigate"),
    ("resolve", "Time to resolve"),
)


def quarter_of(moment: datetime, zone: tzinfo) -> str:
    """``2024-Q1``, in ``zone`` (an incident's own zone: catalogue pages date it by that)."""
    local = moment.astimezone(zone)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` (``2024-Q1``) inclusive."""
    year, quarter = int(first[:4]), int(first[-1])
    end = (int(last[:4]), int(last[-1]))
    out = []
    while (year, quarter) <= end:
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def durations(incident: Incident) -> dict[str, timedelta | None]:
    return {
        "detect": incident.time_to_detect,
        "mitigate": incident.time_to_mitigate,
        "resolve": incident.time_to_resolve,
    }


@dataclass(frozen=True)
class GroupMedians:
    """One row of a medians table."""

    label: str
    incidents: int
    medians: dict[str, timedelta | None]
    """Median per measure; None when no incident of the group has that milestone."""
    counts: dict[str, int]
    """How many incidents of the group have each milestone (the median's sample)."""


def median_duration(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return timedelta(seconds=round(seconds))


def group_medians(
    incidents: Iterable[Incident],
    group: Callable[[Incident], str],
    order: Callable[[str], object] = lambda label: label,
) -> list[GroupMedians]:
    """Medians per group, groups sorted by ``order``."""
    samples: dict[str, dict[str, list[timedelta]]] = {}
    sizes: dict[str, int] = {}
    for incident in incidents:
        label = group(incident)
        sizes[label] = sizes.get(label, 0) + 1
        bucket = samples.setdefault(label, {name: [] for name, _ in MEASURES})
        for name, value in durations(incident).items():
            if value is not None:
                bucket[name].append(value)
    rows = []
    for label in sorted(sizes, key=lambda lb: (order(lb), lb)):
        bucket = samples[label]
        rows.append(GroupMedians(
            label,
            sizes[label],
            {name: median_duration(bucket[name]) for name, _ in MEASURES},
            {name: len(bucket[name]) for name, _ in MEASURES},
        ))
    return rows


def by_quarter(incidents: Iterable[Incident], zone: tzinfo) -> list[GroupMedians]:
    """Oldest quarter first."""
    return group_medians(incidents, lambda i: quarter_of(i.started_at, i.zone))


def by_severity(incidents: Iterable[Incident], severities: Sequence[str]) -> list[GroupMedians]:
    """In the site's severity order, worst first."""
    rank = {s: n for n, s in enumerate(severities)}
    return group_medians(incidents, lambda i: i.severity,
                         lambda s: rank.get(s, len(rank)))


def overall(incidents: Iterable[Incident]) -> GroupMedians:
    rows = group_medians(incidents, lambda i: "All incidents")
    return rows[0] if rows else GroupMedians(
        "All incidents", 0, {n: None for n, _ in MEASURES}, {n: 0 for n, _ in MEASURES})
