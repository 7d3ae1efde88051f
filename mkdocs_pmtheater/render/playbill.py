"""Playbill pages: one generated page per incident, rendered through overridable templates.

The page's Markdown source is only front matter (title, description, tags, so
that MkDocs, Material's tags plugin and search see them the usual way); the
body is rendered from ``pmtheater/playbill.html`` after MkDocs has converted
the (empty) Markdown. Templates are looked up through the theme's loader, so a
``custom_dir`` can override ``pmtheater/playbill.html`` or any partial, and they
are rendered with autoescaping on: incident text is untrusted.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup
from mkdocs.structure.toc import TableOfContents, get_toc

from ..model.incident import Incident
from ..model.timestamps import format_days, format_duration
from .compact import CompactWhitespace
from .markdown_fields import LinkResolver, MarkdownFields

_SECTION = re.compile(
    r'<h([23])\b[^>]*\bid="([^"]+)"[^>]*\bdata-pmt-toc="([^"]*)"[^>]*>', re.S
)
_DESCRIPTION_LENGTH = 200


def safe_title(text: str) -> str:
    """A title for places themes print without escaping (nav, ``<title>``, search).

    Themes treat page titles as trusted HTML, and ``striptags`` in ``<title>``
    un-escapes entities again, so angle brackets become look-alike characters
    there; the playbill body shows the title exactly.
    """
    return html.escape(" ".join(text.split()).replace("<", "\uff1c").replace(">", "\uff1e"))


def plain_description(markdown_text: str) -> str:
    words = " ".join(markdown_text.split())
    if len(words) > _DESCRIPTION_LENGTH:
        words = words[: _DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return html.escape(words)


def page_source(incident: Incident) -> str:
    """The generated page's Markdown: front matter only."""
    meta: dict[str, Any] = {
        "title": safe_title(f"{incident.id}: {incident.title}"),
        "description": plain_description(incident.summary),
        "pmtheater_incident": incident.id,
    }
    if incident.tags:
        meta["tags"] = [html.escape(t) for t in incident.tags]
    # JSON is YAML too, and json writes it about thirty times faster than PyYAML.
    return "---\n" + json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n---\n"


class Clock:
    """Formats times in the site's zone, always naming the zone."""

    def __init__(self, zone: tzinfo, zone_name: str) -> None:
        self.zone = zone
        self.zone_name = zone_name

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def label(self, moment: datetime) -> str:
        return self.local(moment).tzname() or self.zone_name

    def time(self, moment: datetime) -> str:
        local = self.local(moment)
        return local.strftime("%H:%M:%S" if local.second else "%H:%M")

    def day(self, moment: datetime) -> str:
        return self.local(moment).strftime("%Y-%m-%d")

    def full(self, moment: datetime) -> str:
        return f"{self.day(moment)} {self.time(moment)} {self.label(moment)}"

    def iso(self, moment: datetime) -> str:
        return self.local(moment).isoformat()

    @property
    def is_utc(self) -> bool:
        return self.zone.utcoffset(None) == timedelta(0) and self.zone_name.upper() in (
            "UTC", "Z", "ETC/UTC")

    def when(self, moment: datetime, *, approximate: bool = False, day_only: bool = False,
             with_day: bool = True) -> str:
        """A moment as a person reads it: ``2024-07-02 01:35 JST``, ``≈ 06:50 UTC``, or the
        date alone for a day-only moment (its time is unknown: never 00:00)."""
        if day_only:
            text = self.day(moment)
        else:
            text = f"{self.day(moment)} {self.time(moment)}" if with_day else self.time(moment)
            text += f" {self.label(moment)}"
        return "≈ " + text if approximate else text

    def iso_for(self, moment: datetime, *, day_only: bool = False) -> str:
        """The ``datetime`` attribute: a date alone for a day-only moment."""
        return self.day(moment) if day_only else self.iso(moment)


UTC_CLOCK = Clock(timezone.utc, "UTC")


def incident_clock(incident: Incident, site: Clock) -> Clock:
    """The clock a playbill is told in: the incident's own ``timezone`` (1.1), else the site's."""
    if incident.timezone:
        return Clock(incident.zone, incident.timezone)
    return site


def spans_days(incident: Incident, clock: Clock) -> bool:
    """Whether the incident's moments fall on more than one day of ``clock``'s zone: then
    summaries (plot points) name the day wherever it changes."""
    moments = [incident.started_at, *(s.at for s in incident.timeline)]
    moments += [m for m in (incident.detected_at, incident.mitigated_at, incident.resolved_at)
                if m is not None]
    return len({clock.day(m) for m in moments}) > 1


def milestone_rows(incident: Incident) -> list[dict[str, Any]]:
    """The four fixed milestones and the extra ones, in time order, for the header table.

    Each row: ``label``, ``at``, ``approximate``, ``day_only``, ``since`` (text,
    from the start of impact), ``note`` (Markdown or None), ``fixed`` (bool).
    """
    labels = (("started_at", "Impact started"), ("detected_at", "Detected"),
              ("mitigated_at", "Mitigated"), ("resolved_at", "Resolved"))
    verbs = {"detected_at": "detect", "mitigated_at": "mitigate", "resolved_at": "resolve"}
    rows: list[dict[str, Any]] = []
    for order, (name, label) in enumerate(labels):
        moment = incident.moment(name)
        if moment is None:
            continue
        rows.append({
            "label": label, "at": moment, "approximate": incident.is_approximate(name),
            "day_only": incident.is_day_only(name), "note": None, "fixed": True,
            "since": incident.since_start_text(name) if name != "started_at" else "",
            "measure": verbs.get(name, ""), "order": order,
        })
    start_day_only = incident.is_day_only("started_at")
    for extra in incident.milestones:
        delta = extra.at - incident.started_at
        if extra.day_only or start_day_only:
            days = (extra.at.astimezone(incident.zone).date() - incident.start_day).days
            since = format_days(abs(days))
        else:
            since = format_duration(abs(delta))
            if extra.approximate or incident.is_approximate("started_at"):
                since = "≈ " + since
        if delta < timedelta(0):
            since += " before impact"
        rows.append({
            "label": extra.name, "at": extra.at, "approximate": extra.approximate,
            "day_only": extra.day_only, "note": extra.note, "fixed": False, "since": since,
            "measure": "", "order": 4,
        })
    # A day-only moment has no time of day: it goes after that day's timed moments, but
    # before a fixed milestone of that day that comes later in the story (mitigated before
    # resolved); equal times keep the fixed milestones first.
    def day(row: dict[str, Any]) -> date:
        return row["at"].astimezone(incident.zone).date()  # type: ignore[no-any-return]

    ordered = sorted((r for r in rows if not r["day_only"]), key=lambda r: (r["at"], r["order"]))
    for row in sorted((r for r in rows if r["day_only"]), key=lambda r: (day(r), r["order"])):
        at = len(ordered)
        for index, other in enumerate(ordered):
            if day(other) > day(row) or (day(other) == day(row) and row["fixed"]
                                          and other["fixed"] and other["order"] > row["order"]):
                at = index
                break
        ordered.insert(at, row)
    rows = ordered
    return rows


def _section_toc(body: str) -> TableOfContents:
    tokens: list[dict[str, Any]] = []
    for level, anchor, title in _SECTION.findall(body):
        token = {"level": int(level), "id": anchor, "name": title, "children": []}
        if level == "3" and tokens:
            tokens[-1]["children"].append(token)
        else:
            tokens.append(token)
    return get_toc(tokens)  # type: ignore[arg-type]


class PlaybillRenderer:
    """Renders playbill bodies; one instance per build."""

    def __init__(
        self,
        loader: BaseLoader,
        fields: MarkdownFields,
        clock: Clock,
        severities: list[str],
        today: date,
        *,
        material: bool,
    ) -> None:
        # Templates do not change during a build (serve makes a new renderer per build),
        # so the partials need no freshness check on every include.
        self.env = Environment(loader=loader, autoescape=select_autoescape(default=True),
                               auto_reload=False, extensions=[CompactWhitespace])
        self.fields = fields
        self.clock = clock
        self.severities = severities
        self.today = today
        self.material = material

    def severity_rank(self, severity: str) -> int:
        return self.severities.index(severity) + 1 if severity in self.severities else 0

    def render(
        self,
        incident: Incident,
        *,
        prop_url: Callable[[str], str | None],
        resolve_link: LinkResolver | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, TableOfContents]:
        """The playbill body and its table of contents."""
        rendered = self.fields.render(markdown_texts(incident), resolve_link)

        def md(text: str | None, inline: bool = False) -> Markup:
            return rendered[(text, inline)] if text else Markup("")

        clock = incident_clock(incident, self.clock)
        context = {
            "incident": incident,
            "md": md,
            "clock": clock,
            "multi_day": spans_days(incident, clock),
            "utc_clock": UTC_CLOCK,
            "milestones": milestone_rows(incident),
            "duration": _duration,
            "prop_url": prop_url,
            "today": self.today,
            "severity_rank": self.severity_rank(incident.severity),
            "material": self.material,
            **(extra or {}),
        }
        body = self.env.get_template("pmtheater/playbill.html").render(context)
        return body, _section_toc(body)


def _duration(delta: timedelta | None) -> str:
    return format_duration(delta) if delta is not None else ""


def markdown_texts(incident: Incident) -> list[tuple[str, bool]]:
    """Every Markdown field of an incident as ``(text, inline)``, in page order."""
    texts: list[tuple[str, bool]] = [(incident.summary, False)]
    if incident.impact:
        texts.append((incident.impact, False))
    texts.extend((c.notes, False) for c in incident.cast if c.notes)
    setting = incident.setting
    if setting:
        if setting.environment:
            texts.append((setting.environment, False))
        texts.extend((c, True) for c in setting.conditions)
    for scene in incident.timeline:
        texts.extend((t, True) for t in (scene.action, scene.observation, scene.belief) if t)
    texts.extend((m.note, False) for m in incident.milestones if m.note)
    if incident.plot:
        texts.extend((text, False) for _, _, text in incident.plot.points())
    review = incident.review
    if review:
        for _, _, answers in review.prompts():
            texts.extend((a, True) for a in answers)
        for why in review.five_whys:
            texts.extend(((why.why, True), (why.because, True)))
        texts.extend((a, True) for a in review.root_causes)
        texts.extend((a, True) for a in review.contributing_factors)
    texts.extend((i.notes, False) for i in incident.action_items if i.notes)
    texts.extend((a.citation, False) for a in incident.awards if a.citation)
    return texts
