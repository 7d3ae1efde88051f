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
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup

from ..model.incident import Incident
from .compact import CompactWhitespace
from .i18n import ENGLISH, Labels
from .markdown_fields import LinkResolver, MarkdownFields
from .toc import TocEntry, sections

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
    ) -> tuple[str, list[TocEntry]]:
        """The playbill body (HTML) and its sections, for the page's table of contents."""
        rendered = self.fields.render(markdown_texts(incident), resolve_link)

        def md(text: str | None, inline: bool = False) -> Markup:
            return rendered[(text, inline)] if text else Markup("")

        context = {
            "incident": incident,
            "md": md,
            "clock": self.clock,
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
