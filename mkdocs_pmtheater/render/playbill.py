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

from ..model.incident import Incident
from ..model.problems import FieldPath
from .compact import CompactWhitespace
from .i18n import ENGLISH, Labels
from .markdown_fields import LinkResolver, MarkdownFields
from .toc import TocEntry, sections

_DESCRIPTION_LENGTH = 200
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Code points YAML reads as line breaks or refuses; escaped in front matter."""


def safe_title(text: str) -> str:
    """A title for places themes print without escaping (nav, ``<title>``, search).

    Themes treat page titles as trusted HTML, and ``striptags`` in ``<title>``
    un-escapes entities again, so angle brackets become look-alike characters
    there; the playbill body shows the title exactly.
    """
    return html.escape(" ".join(text.split()).replace("<", "\uff1c").replace(">", "\uff1e"))


def plain_description(text: str) -> str:
    """``text`` (plain words, see ``MarkdownFields.plain_texts``) cut for a meta description."""
    words = " ".join(text.split())
    if len(words) > _DESCRIPTION_LENGTH:
        words = words[: _DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return html.escape(words)


def page_source(incident: Incident, summary_text: str | None = None) -> str:
    """The generated page's Markdown: front matter only.

    ``summary_text`` is the summary's words as a reader sees them (no Markdown
    markers); without it the summary's source is used. The front matter is JSON,
    which is YAML too, with the code points YAML reads as line breaks (U+0085,
    U+2028, U+2029) or refuses (C1 controls, DEL, U+FFFE, U+FFFF) written as
    ``\\uXXXX`` escapes, which both read back as the same character: every
    value survives intact.
    """
    meta: dict[str, Any] = {
        "title": safe_title(f"{incident.id}: {incident.title}"),
        "description": plain_description(
            incident.summary if summary_text is None else summary_text),
        "pmtheater_incident": incident.id,
    }
    if incident.tags:
        meta["tags"] = [html.escape(t) for t in incident.tags]
    # JSON is YAML too, and json writes it about thirty times faster than PyYAML.
    text = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    return "---\n" + _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n---\n"


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


def milestone_rows(incident: Incident, words: Labels = ENGLISH) -> list[dict[str, Any]]:
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
            "since": words.since_start(incident, name) if name != "started_at" else "",
            "measure": verbs.get(name, ""), "order": order,
        })
    start_day_only = incident.is_day_only("started_at")
    for extra in incident.milestones:
        delta = extra.at - incident.started_at
        if extra.day_only or start_day_only:
            days = (extra.at.astimezone(incident.zone).date() - incident.start_day).days
            since = words.days(abs(days))
        else:
            since = words.duration(abs(delta))
            if extra.approximate or incident.is_approximate("started_at"):
                since = "≈ " + since
        if delta < timedelta(0):
            since = words.before_impact(since)
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
        labels: Labels = ENGLISH,
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
        self.labels = labels
        labels.install(self.env)

    def duration(self, delta: timedelta | None) -> str:
        """A duration in the site's words; empty for none."""
        return self.labels.duration(delta) if delta is not None else ""

    def severity_rank(self, severity: str) -> int:
        return self.severities.index(severity) + 1 if severity in self.severities else 0

    def render(
        self,
        incident: Incident,
        *,
        prop_url: Callable[[str], str | None],
        resolve_link: LinkResolver | None = None,
        extra: dict[str, Any] | None = None,
        on_problem: Callable[[FieldPath, str, str], None] | None = None,
    ) -> tuple[str, list[TocEntry]]:
        """The playbill body and its table of contents.

        A Markdown field that cannot be rendered is shown as plain text and passed to
        ``on_problem`` as ``(field path, message, hint)`` (once per text, at its first
        field), so the build can warn at its line.
        """
        fields = markdown_fields(incident)
        first_path: dict[tuple[str, bool], FieldPath] = {}
        for path, text, inline in fields:
            first_path.setdefault((text, inline), path)

        def problem(key: tuple[str, bool], message: str, hint: str) -> None:
            if on_problem is not None:
                on_problem(first_path[key], message, hint)

        rendered = self.fields.render([(t, i) for _, t, i in fields], resolve_link, problem)

        def md(text: str | None, inline: bool = False) -> Markup:
            return rendered[(text, inline)] if text else Markup("")

        clock = incident_clock(incident, self.clock)
        context = {
            "incident": incident,
            "md": md,
            "clock": clock,
            "multi_day": spans_days(incident, clock),
            "utc_clock": UTC_CLOCK,
            "milestones": milestone_rows(incident, self.labels),
            "duration": self.duration,
            "prop_url": prop_url,
            "today": self.today,
            "severity_rank": self.severity_rank(incident.severity),
            "material": self.material,
            **(extra or {}),
        }
        body = self.env.get_template("pmtheater/playbill.html").render(context)
        return body, sections(body)


def markdown_texts(incident: Incident) -> list[tuple[str, bool]]:
    """Every Markdown field of an incident as ``(text, inline)``, in page order."""
    return [(text, inline) for _, text, inline in markdown_fields(incident)]


def markdown_fields(incident: Incident) -> list[tuple[FieldPath, str, bool]]:
    """Every Markdown field of an incident as ``(field path, text, inline)``, in page order.

    The path is the field's place in the incident file (``("timeline", 2, "belief")``),
    for warnings at its line.
    """
    fields: list[tuple[FieldPath, str, bool]] = [(("summary",), incident.summary, False)]
    if incident.impact:
        fields.append((("impact",), incident.impact, False))
    fields.extend((("cast", n, "notes"), c.notes, False)
                  for n, c in enumerate(incident.cast) if c.notes)
    setting = incident.setting
    if setting:
        if setting.environment:
            fields.append((("setting", "environment"), setting.environment, False))
        fields.extend((("setting", "conditions", n), c, True)
                      for n, c in enumerate(setting.conditions))
    for n, scene in enumerate(incident.timeline):
        fields.extend((("timeline", n, key), text, True)
                      for key, text in (("action", scene.action),
                                        ("observation", scene.observation),
                                        ("belief", scene.belief)) if text)
    fields.extend((("milestones", n, "note"), m.note, True)
                  for n, m in enumerate(incident.milestones) if m.note)
    if incident.plot:
        fields.extend((("plot", key), text, False) for key, _, text in incident.plot.points())
    review = incident.review
    if review:
        for key, _, answers in review.prompts():
            fields.extend((("review", key, n), a, True) for n, a in enumerate(answers))
        for n, why in enumerate(review.five_whys):
            fields.extend(((("review", "five_whys", n, "why"), why.why, True),
                           (("review", "five_whys", n, "because"), why.because, True)))
        fields.extend((("review", "root_causes", n), a, True)
                      for n, a in enumerate(review.root_causes))
        fields.extend((("review", "contributing_factors", n), a, True)
                      for n, a in enumerate(review.contributing_factors))
    fields.extend((("action_items", n, "notes"), i.notes, False)
                  for n, i in enumerate(incident.action_items) if i.notes)
    fields.extend((("awards", n, "citation"), a.citation, False)
                  for n, a in enumerate(incident.awards) if a.citation)
    return fields
