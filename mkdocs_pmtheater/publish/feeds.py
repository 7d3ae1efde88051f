"""Machine-readable files published next to the playbills.

``<prefix>/schema.json``
    the JSON Schema of incident files, with the site's severity levels, so
    editors can point ``$schema`` at the site;
``<prefix>/incidents.json``
    every published incident as data (see export.py);
``<prefix>/action-items.ics``
    an iCalendar (RFC 5545) feed with one all-day event on the due date of
    each open action item, for calendar subscriptions;
``<prefix>/feed.xml``
    an Atom (RFC 4287) feed of the newest post-mortems.

Each adapter publishes them (the MkDocs plugin as generated files), and they are reproducible: no
wall-clock time goes into them. Atom's ``updated`` comes from the incidents'
own times; iCalendar's required ``DTSTAMP`` is the build time, which is
``SOURCE_DATE_EPOCH`` when set and otherwise the start of the build date, so
a rebuild on the same day gives the same bytes. The iCalendar writer is small
and does its own escaping and line folding (tests read the result with the
``icalendar`` package), so the plugin needs no extra runtime dependency.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import re
import uuid
import xml.etree.ElementTree as etree
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from ..load.schema import load_schema
from ..model.incident import OPEN_STATUSES, Incident
from ..render.i18n import ENGLISH, N_, Labels
from .export import IncidentLines, incidents_document, utc, written

SCHEMA = "schema.json"
INCIDENTS = "incidents.json"
CALENDAR = "action-items.ics"
FEED = "feed.xml"
DATA_FILES = ((SCHEMA, "JSON Schema of incident files"), (INCIDENTS, "incident data"),
              (CALENDAR, "action-item calendar"), (FEED, "Atom feed"))
"""``(name, what it is)`` of the files published under the prefix."""
FEED_SIZE = 20
"""How many post-mortems the Atom feed carries (the newest)."""
ATOM = "http://www.w3.org/2005/Atom"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def schema_document(severities: Iterable[str]) -> str:
    """schema.json's text for these severity levels."""
    return _schema_text(tuple(severities))


@functools.lru_cache(maxsize=8)
def _schema_text(severities: tuple[str, ...]) -> str:
    # An indented dump runs in pure Python: about a second per build on a busy machine,
    # for the same text every time (and on every `mkdocs serve` rebuild).
    return json.dumps(load_schema(list(severities)), ensure_ascii=False, indent=2) + "\n"


def build_stamp(today: date) -> datetime:
    """The build time for DTSTAMP: SOURCE_DATE_EPOCH, else the build date at 00:00 UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.combine(today, time(0), timezone.utc)


# -- iCalendar -------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters but \t and \n


def ical_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets (section 3.1), CRLF-terminated.

    Never splits a UTF-8 character: continuation lines start with one space.
    """
    size = len(line.encode("utf-8"))
    if size <= 75:
        return line + "\r\n"
    if size == len(line):  # ASCII: one octet a character
        parts = [line[:75], *(" " + line[i:i + 74] for i in range(75, len(line), 74))]
        return "\r\n".join(parts) + "\r\n"
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += width
    out.append(current)
    return "\r\n".join(out) + "\r\n"


def _ical_date(value: date) -> str:
    """RFC 5545 DATE (``YYYYMMDD``). Not ``strftime``: glibc's looks at the time zone
    file on every call (1 s of a 2,000-incident rebuild for 20,000 dates)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


Event = tuple[date, str, str, str]
"""One VEVENT: due date, incident id, item id (the order) and its content lines, folded
(:func:`fold`): kept folded, an unchanged incident's events cost ``mkdocs serve`` no
folding again (folding every line of 4,000 events took 0.03 s a rebuild)."""
CalendarEvents = dict[int, tuple[Incident, tuple[Any, ...], list[Event]]]
"""``id(incident) -> (incident, what else its events show, its events)``: kept across
the builds of ``mkdocs serve``, so an unchanged incident's events are not made again."""


def calendar_document(
    entries: Iterable[tuple[Incident, str | None]],
    *,
    name: str,
    host: str,
    stamp: datetime,
    labels: Labels = ENGLISH,
    known: CalendarEvents | None = None,
) -> str:
    """An iCalendar with one all-day event per open action item, on its due date.

    ``entries`` are ``(incident, absolute playbill URL or None)``; the description's
    field names are in the site's language (``labels``). With ``known``, an incident
    that is the same object (the loader's content cache: the same bytes) with the same
    URL, host, stamp and words as in an earlier call reuses its events; ``known`` is
    left holding this call's incidents only.
    """
    owner, priority, status, tracker = (labels.gettext(m) for m in (
        N_("Owner: %(value)s"), N_("Priority: %(value)s"), N_("Status: %(value)s"),
        N_("Tracker: %(value)s")))
    # Every word an event may show: a change of language or labels makes them again.
    words = (owner, priority, status, tracker, *(labels.gettext(s) for s in OPEN_STATUSES))
    dtstamp = stamp.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    events: list[Event] = []
    kept: CalendarEvents = {}
    for incident, url in entries:
        context = (url, host, dtstamp, words)
        found = known.get(id(incident)) if known is not None else None
        if found is not None and found[0] is incident and found[1] == context:
            events.extend(found[2])
            kept[id(incident)] = found
            continue
        mine: list[Event] = []
        for item in incident.action_items:
            if not item.is_open or item.due is None:
                continue
            link = f"{url}#{item.anchor}" if url else None
            description = "\n".join((
                f"{incident.id}: {incident.title}",
                owner % {"value": item.owner},
                priority % {"value": item.priority},
                status % {"value": labels.gettext(item.status)},
                *((tracker % {"value": item.tracker},) if item.tracker else ()),
                *((link,) if link else ()),
            ))
            lines = [
                "BEGIN:VEVENT",
                f"UID:{ical_text(f'{incident.id}-{item.id}@{host}')}",
                f"DTSTAMP:{dtstamp}",
                f"DTSTART;VALUE=DATE:{_ical_date(item.due)}",
                f"DTEND;VALUE=DATE:{_ical_date(item.due + timedelta(days=1))}",
                f"SUMMARY:{ical_text(f'{item.id} ({incident.id}): {item.title}')}",
                f"DESCRIPTION:{ical_text(description)}",
                f"CATEGORIES:{ical_text(item.priority)}",
                *((f"URL:{link}",) if link else ()),
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
            mine.append((item.due, incident.id, item.id, "".join(fold(line) for line in lines)))
        events.extend(mine)
        kept[id(incident)] = (incident, context, mine)
    if known is not None:
        known.clear()
        known.update(kept)
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//mkdocs-pmtheater//Action items//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_text(name)}",
    ]
    return "".join((*(fold(line) for line in head), *(event for *_, event in events),
                    fold("END:VCALENDAR")))


# -- Atom ------------------------------------------------------------------------
def _xml(text: str) -> str:
    return _XML_INVALID.sub("", text)


def plain_text(text: str, limit: int = 600) -> str:
    """Plain words (see ``MarkdownFields.plain_texts``) cut for the feed's summary."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"


def last_change(incident: Incident) -> datetime:
    """The newest moment the incident's data mentions (a review after the fact counts)."""
    moments = [m for m in (incident.started_at, incident.detected_at, incident.mitigated_at,
                           incident.resolved_at) if m is not None]
    if incident.review_date is not None:
        moments.append(datetime.combine(incident.review_date, time(0), timezone.utc))
    # Compared as instants: max() of datetimes sharing a zone compares wall clocks.
    return max(moments, key=lambda m: m.astimezone(timezone.utc))


def _stable_id(name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mkdocs-pmtheater:{name}").urn


def atom_document(
    entries: list[tuple[Incident, str]],
    *,
    title: str,
    author: str,
    feed_url: str,
    site_link: str,
    absolute: bool,
    fallback_updated: datetime,
    severity_label: str = "Severity",
    summaries: Mapping[str, str] | None = None,
) -> bytes:
    """An Atom feed of ``(incident, url)``; urls are absolute when ``absolute``.

    ``summaries`` gives the plain words of each summary, by its Markdown source;
    a summary missing there is given as written.
    """
    summaries = summaries or {}
    etree.register_namespace("", ATOM)

    def sub(parent: etree.Element, tag: str, text: str | None = None,
            **attrs: str) -> etree.Element:
        element = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = _xml(text)
        return element

    feed = etree.Element(f"{{{ATOM}}}feed")
    sub(feed, "title", title)
    sub(feed, "id", feed_url if absolute else _stable_id(f"feed:{title}"))
    updated = max((last_change(i) for i, _ in entries), default=fallback_updated)
    sub(feed, "updated", utc(updated))
    sub(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    sub(feed, "link", rel="alternate", type="text/html", href=site_link)
    sub(sub(feed, "author"), "name", author)
    sub(feed, "generator", "mkdocs-pmtheater")
    for incident, url in entries:
        entry = sub(feed, "entry")
        sub(entry, "title", f"{incident.id}: {incident.title}")
        sub(entry, "id", url if absolute else _stable_id(f"incident:{incident.id}"))
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        # RFC 3339 allows the author's offset (1.1: keep the author's clock); a day-only
        # start is midnight of that day on that clock, the nearest date-time Atom allows.
        sub(entry, "published", written(incident.started_at, incident.zone))
        sub(entry, "updated", written(last_change(incident), incident.zone))
        sub(entry, "category", term=_xml(incident.severity), label=severity_label)
        for tag in incident.tags:
            sub(entry, "category", term=_xml(tag))
        sub(entry, "summary", plain_text(summaries.get(incident.summary, incident.summary)),
            type="text")
    etree.indent(feed)
    return etree.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


# -- the files ---------------------------------------------------------------------
def _site_host(site_url: str | None) -> str:
    host = urlsplit(site_url).hostname if site_url else None
    return host or "pmtheater"


def documents(
    published: Sequence[tuple[Incident, str]],
    *,
    prefix: str,
    severities: Iterable[str],
    today: date,
    site_name: str | None,
    site_url: str | None,
    site_author: str | None,
    labels: Labels = ENGLISH,
    summaries: Mapping[str, str] | None = None,
    incident_lines: IncidentLines | None = None,
    calendar_events: CalendarEvents | None = None,
) -> dict[str, str | bytes]:
    """The four files, by name (they are published under ``prefix``).

    ``incident_lines`` (kept by ``mkdocs serve`` across rebuilds) reuses the
    ``incidents.json`` line of each incident that did not change (see
    :func:`~.export.incidents_document`), ``calendar_events`` the events of each
    (see :func:`calendar_document`).

    ``published`` holds each playbill with its URL from the site's root
    (``incidents/inc-1/``), newest first. Without ``site_url`` the files give
    addresses relative to the site's root (``incidents.json``) or to the
    prefix (the feed), since no absolute address is known. ``summaries`` gives the
    plain words of each summary, by its Markdown source, for the feed.
    """
    site_url = site_url or ""
    base = site_url if site_url.endswith("/") else site_url + "/"

    def absolute(url: str) -> str | None:
        return base + url if site_url else None

    def relative_to_prefix(url: str) -> str:
        """``url`` (from the site's root) as seen from a file in ``prefix``."""
        path = posixpath.relpath("/" + url, "/" + prefix)
        return path + "/" if url.endswith("/") or not url else path

    stamp = build_stamp(today)
    feed_entries = [(i, base + u if site_url else relative_to_prefix(u))
                    for i, u in published if not i.is_draft][:FEED_SIZE]
    feed_path = f"{prefix}/{FEED}" if prefix else FEED
    site_name = site_name or labels.gettext(N_("Post-mortems"))
    return {
        SCHEMA: schema_document(severities),
        # Without site_url, playbill addresses are given relative to the site's root.
        INCIDENTS: incidents_document(((i, absolute(u) or u) for i, u in published),
                                      lines=incident_lines),
        CALENDAR: calendar_document(
            ((i, absolute(u)) for i, u in published),
            name=labels.gettext(N_("%(site)s: action items")) % {"site": site_name},
            host=_site_host(site_url), stamp=stamp, labels=labels, known=calendar_events),
        FEED: atom_document(
            feed_entries,
            title=labels.gettext(N_("%(site)s: post-mortems")) % {"site": site_name},
            author=site_author or site_name,
            feed_url=base + feed_path if site_url else FEED,
            site_link=site_url or relative_to_prefix(""),
            absolute=bool(site_url),
            fallback_updated=stamp,
            severity_label=labels.gettext(N_("Severity")),
            summaries=summaries,
        ),
    }
