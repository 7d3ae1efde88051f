"""Incidents as plain JSON data: the published ``<prefix>/incidents.json`` and ``pmtheater export``.

One function makes both, so a script that reads the site's file and one that
runs the CLI see the same shape. Keys are the incident file's keys, every key
always present (``null`` or ``[]`` when the file leaves it out), dates as
``YYYY-MM-DD``; ``url`` and ``source`` say where the playbill is published and
which file it came from.

Times are on the incident's clock (format 1.1): ISO 8601 with the offset of
the incident's ``timezone`` (else the site's zone) at that moment
(``2024-07-02T01:35:00+09:00``; UTC as ``...Z``), so the instant is exact and
the local time is the one in the write-up. A time written
as a date alone ("that day, time unknown") is the date alone; ``approximate``
names the milestones written with ``~`` (scenes and extra milestones carry
their own ``approximate`` and ``day_only``); ``timezone`` is the file's own zone
(or null) and ``zone`` the zone the incident is told in (its own, else the site's).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from ..model.incident import Incident

FORMAT = "mkdocs-pmtheater/incidents"
VERSION = 1


def utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def written(moment: datetime | None, zone: tzinfo, day_only: bool = False) -> str | None:
    """The moment on the incident's clock (its ``timezone``, else the site's):
    ``2024-07-02T01:35:00+09:00``, ``...Z`` in UTC, or ``2024-07-03`` for a day-only moment."""
    if moment is None:
        return None
    local = moment.astimezone(zone)
    if day_only:
        return local.date().isoformat()  # read as midnight of that day on that clock
    if local.utcoffset() == timedelta(0):
        return utc(moment)
    return local.isoformat(timespec="seconds")


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def incident_data(incident: Incident, url: str | None) -> dict[str, Any]:
    """One incident as JSON-ready data."""
    setting = incident.setting
    plot = incident.plot
    review = incident.review
    zone = incident.zone
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "timezone": incident.timezone,
        "zone": zone_name(incident.zone),
        **{name: written(incident.moment(name), zone, incident.is_day_only(name))
           for name in ("started_at", "detected_at", "mitigated_at", "resolved_at")},
        "approximate": sorted(incident.approximate),
        "milestones": [
            {"at": written(m.at, zone, m.day_only), "name": m.name, "note": m.note,
             "approximate": m.approximate, "day_only": m.day_only}
            for m in incident.milestones
        ],
        "services": list(incident.services),
        "tags": list(incident.tags),
        "summary": incident.summary,
        "impact": incident.impact,
        "director": incident.director,
        "review_date": day(incident.review_date),
        "cast": [{"role": c.role, "actor": c.actor, "notes": c.notes} for c in incident.cast],
        "timeline": [
            {"at": written(s.at, zone, s.day_only), "id": s.id,
             "character": (None if not s.characters else
                           s.characters[0] if len(s.characters) == 1 else list(s.characters)),
             "action": s.action, "observation": s.observation, "belief": s.belief,
             "plot_point": s.plot_point, "approximate": s.approximate, "day_only": s.day_only}
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
