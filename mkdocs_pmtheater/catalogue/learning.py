"""Learning from incidents: what the pages add beyond each playbill on its own.

Holds, for one build, the related incidents ("Previously on…"), the themes,
follow-through and the distributions of response times, each computed once
(on first use) from the published incidents and handed to the templates as
plain data or inline SVG. Imports nothing from MkDocs: the adapters pass URLs
in as functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta, tzinfo
from html import escape
from typing import Any, Protocol, TypeVar

from markupsafe import Markup

from ..model.incident import Incident
from ..model.timestamps import format_duration
from ..render.i18n import ENGLISH, Labels
from ..render.swimlane import ShownClock, swimlane
from . import charts, metrics
from .followthrough import FollowThroughReport, age_days, days_overdue, follow_through
from .people import People
from .related import FeatureCache, Related, RelatedMemo, related_incidents
from .themes import Theme, ThemesReport, themes

_T = TypeVar("_T")


def _fmt_seconds(value: float) -> str:
    return format_duration(timedelta(seconds=round(value)))


class Learning:
    """Per-build computations behind "Previously on…", Themes, follow-through and spreads."""

    def __init__(self, *, related: bool = True,
                 categories: Mapping[str, Sequence[str]] | None = None,
                 labels: Labels = ENGLISH) -> None:
        self.enabled_related = related
        self.labels = labels
        self.categories = dict(categories or {})
        self.incidents: list[Incident] = []
        self._related: dict[str, list[Related]] | None = None
        self.feature_cache: FeatureCache | None = None
        """Each incident's features for "Previously on…", kept by ``mkdocs serve``."""
        self.related_memo: RelatedMemo | None = None
        """The last "Previously on…" answer, kept by ``mkdocs serve`` (related.py)."""
        self._themes: ThemesReport | None = None
        self._follow_through: tuple[Any, FollowThroughReport] | None = None
        self.memo: Reuser | None = None
        """Under ``mkdocs serve``: the last build's themes, follow-through and spreads with
        what they were made from (catalogue/pages.py's CardCache, keyed by the site), so a
        rebuild whose incidents give the same inputs (a title edit) reuses them."""

    def _kept(self, name: str, check: Any, make: Callable[[], _T]) -> _T:
        """``make()``, or under ``mkdocs serve`` what it gave in the last build when
        ``check`` (everything it reads) is equal (:attr:`memo`)."""
        memo = self.memo
        return make() if memo is None else memo.reuse(("learning", name), None, check, make)

    def reset(self, incidents: Sequence[Incident]) -> None:
        """The published incidents of this build (hidden drafts already left out)."""
        self.incidents = list(incidents)
        self._related = None
        self._themes = None
        self._follow_through = None

    # -- playbills -----------------------------------------------------------
    def related_to(self, incident: Incident) -> list[Related]:
        if not self.enabled_related:
            return []
        if self._related is None:
            self._related = related_incidents(self.incidents, labels=self.labels,
                                              features=self.feature_cache,
                                              memo=self.related_memo)
        return self._related.get(incident.id, [])

    def playbill_extra(self, incident: Incident, url_of: Callable[[Incident], str],
                       clock: ShownClock) -> dict[str, Any]:
        """What ``previously-on.html`` and ``screenplay.html`` need for one playbill."""
        return {
            "previously_on": [(r, url_of(r.incident)) for r in self.related_to(incident)],
            "swimlane": swimlane(incident, clock, self.labels),
        }

    # -- catalogue pages ----------------------------------------------------
    def themes(self, zone: tzinfo) -> ThemesReport:
        if self._themes is None:
            incidents = self.incidents
            if self.memo is None:
                self._themes = themes(incidents, zone, self.categories)
            else:
                # Everything themes() reads of each incident, in order: the same inputs give
                # the same report, whose incidents are then this build's objects (by
                # position: equal inputs mean the same ids in the same order).
                check = (zone, sorted((k, tuple(v)) for k, v in self.categories.items()),
                         [theme_inputs(i) for i in incidents])
                report, made_from = self._kept("themes", check, lambda: (
                    themes(incidents, zone, self.categories), incidents))
                if made_from is not incidents:
                    report = with_incidents(report, made_from, incidents)
                    # Kept with this build's objects: the last build's incidents can go.
                    self.memo.keep(("learning", "themes"), None, check, (report, incidents))
                self._themes = report
        return self._themes

    def follow_through(self, today: date, zone: tzinfo,
                       people: People | None = None) -> FollowThroughReport:
        if people is None:
            return follow_through(self.incidents, today, zone)
        # The board and the metrics page show the same report: computed once a build.
        key = (today, zone, people)
        if self._follow_through is None or self._follow_through[0] != key:
            incidents = self.incidents

            def make() -> FollowThroughReport:
                return follow_through(incidents, today, zone, people.key, people.display)

            # What follow_through() reads: each incident's quarter and items (people, the
            # same object while the names are, see Catalogue.people()).
            report = make() if self.memo is None else self._kept("follow-through", (
                today, zone, people, [(i.started_at, [(a.owner, a.status, a.due, a.done_on)
                                                      for a in i.action_items])
                                      for i in incidents]), make)
            self._follow_through = (key, report)
        return self._follow_through[1]

    def page_context(self, slug: str, *, zone: tzinfo, today: date,
                     severities: Sequence[str], people: People) -> dict[str, Any]:
        """Extra template values for the catalogue page ``slug``."""
        if slug == "action-items":
            return {
                "followthrough": self.follow_through(today, zone, people),
                "age_days": lambda incident: age_days(incident, today, zone),
                "days_overdue": lambda item: days_overdue(item, today),
            }
        if slug == "metrics":
            return {
                "followthrough": self.follow_through(today, zone, people),
                "spreads": self.spreads(zone, severities),
            }
        if slug == "themes":
            report = self.themes(zone)
            return {"themes": report, "trend": lambda t: trend(t, report.quarters)}
        return {}

    def spreads(self, zone: tzinfo, severities: Sequence[str]) -> list[dict[str, Any]]:
        """Per measure: the values per quarter and per severity, drawn and tabulated
        (under ``mkdocs serve``, last build's when every incident's quarter, severity and
        times are the same)."""
        if self.memo is None:
            return self._spreads(zone, severities)
        check = (zone, tuple(severities), [time_inputs(i) for i in self.incidents])
        return self._kept("spreads", check, lambda: self._spreads(zone, severities))

    def _spreads(self, zone: tzinfo, severities: Sequence[str]) -> list[dict[str, Any]]:
        rank = {s: n for n, s in enumerate(severities)}
        out = []

        def _fmt_seconds(value: float) -> str:
            return self.labels.duration(timedelta(seconds=round(value)))

        words = {"no_data": self.labels.gettext("no data"),
                 "median": self.labels.gettext("median")}

        for key, label in metrics.MEASURES:
            by_quarter: dict[str, list[float]] = {}
            by_severity: dict[str, list[float]] = {}
            for incident in self.incidents:
                value = metrics.durations(incident)[key]
                if value is None:
                    continue
                seconds = max(0.0, value.total_seconds())
                by_quarter.setdefault(metrics.quarter_of(incident.started_at, zone),
                                      []).append(seconds)
                by_severity.setdefault(incident.severity, []).append(seconds)
            quarters = sorted(by_quarter)
            sevs = sorted(by_severity, key=lambda s: (rank.get(s, len(rank)), s))
            rows_q = [(q, charts.spread(by_quarter[q])) for q in quarters]
            rows_s = [(s, charts.spread(by_severity[s])) for s in sevs]
            out.append({
                "key": key,
                "label": label,
                "by_quarter": rows_q,
                "by_severity": rows_s,
                "quarter_chart": charts.strip_plot(
                    self.labels.gettext("%(measure)s per incident, by quarter")
                    % {"measure": self.labels.gettext(label)},
                    [(q, by_quarter[q]) for q in quarters], _fmt_seconds, **words),
                "severity_chart": charts.strip_plot(
                    self.labels.gettext("%(measure)s per incident, by severity")
                    % {"measure": self.labels.gettext(label)},
                    [(s, by_severity[s]) for s in sevs], _fmt_seconds, **words),
                "fmt": _fmt_seconds,
            })
        return out


class Reuser(Protocol):
    """Keeps values across the builds of ``mkdocs serve`` (catalogue/pages.py's CardCache)."""

    def reuse(self, key: tuple[Any, ...], owner: object, check: Any,
              make: Callable[[], _T]) -> _T: ...

    def keep(self, key: tuple[Any, ...], owner: object, check: Any, value: Any) -> None: ...


def theme_inputs(incident: Incident) -> tuple[Any, ...]:
    """Everything :func:`~.themes.themes` reads of an incident (its title is not among
    them), comparable with ``==``."""
    review = incident.review
    return (incident.id, incident.started_at,
            tuple(review.contributing_factors) if review else (),
            tuple(review.root_causes) if review else (),
            tuple(incident.services), tuple(incident.tags),
            tuple(item.kind for item in incident.action_items))


def time_inputs(incident: Incident) -> tuple[Any, ...]:
    """What an incident's times, quarter and severity are made of (see
    ``Incident.since_start``), comparable with ``==``: cheaper to read than the times,
    which cost a third of the spreads to compute."""
    return (incident.started_at, incident.severity, incident.detected_at,
            incident.mitigated_at, incident.resolved_at, incident.day_only, incident.zone)


def with_incidents(report: ThemesReport, then: Sequence[Incident],
                   now: Sequence[Incident]) -> ThemesReport:
    """``report``, made from the incidents ``then``, with each replaced by the incident
    at its position in ``now`` (the same id, read from the same inputs)."""
    by_object = {id(old): new for old, new in zip(then, now, strict=True) if old is not new}
    if not by_object:
        return report
    return replace(report, groups=[
        replace(group, themes=[replace(theme, incidents=[by_object.get(id(i), i)
                                                         for i in theme.incidents])
                               for theme in group.themes])
        for group in report.groups])


def trend(theme: Theme, quarters: Sequence[str]) -> Markup:
    """A small bar per quarter (incidents of the theme), oldest left; numbers in the table."""
    if not quarters:
        return Markup("")
    width, height = 160, 28
    top = max(theme.per_quarter.values(), default=1)
    slot = width / len(quarters)
    bars = []
    for n, quarter in enumerate(quarters):
        count = theme.per_quarter.get(quarter, 0)
        if not count:
            continue
        h = max(2.0, (height - 4) * count / top)
        bars.append(f'<rect class="pmt-trend-bar" x="{charts._num(n * slot + slot * 0.1)}" '
                    f'y="{charts._num(height - h)}" width="{charts._num(max(slot * 0.8, 1))}" '
                    f'height="{charts._num(h)}"><title>{escape(quarter)}: {count}</title></rect>')
    described = ", ".join(f"{q}: {theme.per_quarter[q]}" for q in quarters
                          if theme.per_quarter.get(q))
    return Markup(
        f'<svg class="pmt-trend" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(theme.label)} by quarter: '
        f'{escape(described)}" xmlns="http://www.w3.org/2000/svg">'
        f'<line class="pmt-axis" x1="0" x2="{width}" y1="{height - 0.5}" '
        f'y2="{height - 0.5}"/>{"".join(bars)}</svg>'
    )
