"""Incidents as plain JSON data: the published ``<prefix>/incidents.json`` and ``pmtheater export``.

One function makes both, so a script that reads the site's file and one that
runs the CLI see the same shape. Keys are the incident file's keys, every key
always present (``null`` or ``[]`` when the file leaves it out), times in UTC
(``2024-03-14T14:02:00Z``), dates as ``YYYY-MM-DD``; ``url`` and ``source``
say where the playbill is published and which file it came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import Any

from ..model.incident import Incident

FORMAT = "mkdocs-pmtheater/incidents"
VERSION = 1


def utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def incident_data(incident: Incident, url: str | None) -> dict[str, Any]:
    """One incident as JSON-ready data."""
    setting = incident.setting
    plot = incident.plot
    review = incident.review
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": utc(incident.started_at),
        "detected_at": utc(incident.detected_at),
        "mitigated_at": utc(incident.mitigated_at),
        "resolved_at": utc(incident.resolved_at),
        "services": list(incident.services),
        "tags": list(incident.tags),
        "summary": incident.summary,
        "impact": incident.impact,
        "director": incident.director,
        "review_date": day(incident.review_date),
        "cast": [{"role": c.role, "actor": c.actor, "notes": c.notes} for c in incident.cast],
        "timeline": [
            {"at": utc(s.at), "character": s.character, "action": s.action,
             "observation": s.observation, "belief": s.belief, "plot_point": s.plot_point}
            for s in incident.timeline
        ],
        "setting": None if setting is None else {
            "environment": setting.environment,
            "props": [{"name": p.name, "kind": p.kind, "url": p.url, "page": p.page}
                      for p in setting.props],
            "conditions": list(setting.conditions),
        },
        "plot": None if plot is None else {
            "lead_up": plot.lead_up, "climax": plot.climax,
            "turning_point": plot.turning_point, "resolution": plot.resolution,
        },
        "review": None if review is None else {
            "went_well": list(review.went_well),
            "got_lucky": list(review.got_lucky),
            "could_improve": list(review.could_improve),
            "detection": list(review.detection),
            "process": list(review.process),
            "five_whys": [{"why": w.why, "because": w.because} for w in review.five_whys],
            "root_causes": list(review.root_causes),
            "contributing_factors": list(review.contributing_factors),
        },
        "action_items": [
            {"id": i.id, "title": i.title, "owner": i.owner, "due": day(i.due),
             "done_on": day(i.done_on),
             "priority": i.priority, "status": i.status, "kind": i.kind,
             "tracker": i.tracker, "notes": i.notes, "open": i.is_open}
            for i in incident.action_items
        ],
        "awards": [{"award": a.award, "recipient": a.recipient, "citation": a.citation}
                   for a in incident.awards],
        "url": url,
        "source": incident.source,
    }


IncidentLines = dict[int, tuple[Incident, "str | None", str]]
"""``id(incident) -> (incident, url, its JSON line)``: lines kept across builds."""


def incidents_document(entries: Iterable[tuple[Incident, str | None]], *,
                       lines: IncidentLines | None = None) -> str:
    """The JSON text for ``(incident, url)`` pairs, newest first as given.

    One incident per line: readable and diffable, and written by the json module's
    C encoder (an indented dump runs in pure Python, ten times slower). With
    ``lines``, an incident that is the same object with the same URL as in an
    earlier call (the loader's cache gives the same object for the same bytes)
    reuses its line; ``lines`` is left holding this call's incidents only.
    """
    head = json.dumps({"format": FORMAT, "version": VERSION}, ensure_ascii=False)
    kept: IncidentLines = {}
    written = []
    for incident, url in entries:
        found = lines.get(id(incident)) if lines is not None else None
        if found is not None and found[0] is incident and found[1] == url:
            line = found[2]
        else:
            line = json.dumps(incident_data(incident, url), ensure_ascii=False)
        if lines is not None:
            kept[id(incident)] = (incident, url, line)
        written.append(line)
    if lines is not None:
        lines.clear()
        lines.update(kept)
    incidents = ",\n".join(written)
    return f'{head[:-1]}, "incidents": [\n{incidents}\n]}}\n' if incidents else (
        f'{head[:-1]}, "incidents": []}}\n')
