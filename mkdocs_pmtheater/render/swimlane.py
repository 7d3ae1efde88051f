"""The screenplay as a picture: an inline SVG swimlane above the scene list.

One lane per character (in cast order), one mark per scene linking to its
anchor (``#scene-N``), the milestones (started, detected, mitigated,
resolved) as vertical lines labelled with their time since the start, plot
points drawn larger and outlined. The time axis is in the shown zone; long
quiet stretches (a multi-day incident) are cut out and drawn as a labelled
break, so a three-day incident does not squeeze its busy hours into a few
pixels.

The picture is a summary: it carries a ``<title>`` and ``<desc>`` (its
accessible name and description) and ``role="group"`` rather than ``img``,
because its marks are real links (each with a label: scene, time, character)
that keyboard and screen-reader users can reach; an ``img`` would hide them.
The scene list below it stays the source of truth. Colours are CSS classes styled in
``pmtheater.css`` with the palette's variables, so light, dark and print all
read. Drawn from the incident alone, with fixed rounding: the same data gives
the same bytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any, Protocol

from markupsafe import Markup

from ..model.incident import Incident
from .i18n import ENGLISH, N_, Labels

WIDTH = 960
LABEL_W = 170
RIGHT = 16
LANE_H = 30
TOP = 44
"""Room for two rows of milestone labels."""
AXIS_H = 52
"""Times, days where they change, and the length of each left-out stretch."""
CHAR_W = 6.2
"""Estimated width of a character of an 11 px label, to keep labels apart."""
GAP_W = 56
"""Width of a compressed quiet stretch."""
MIN_SEGMENT_W = 24
GAP_MIN = timedelta(hours=2)
GAP_SHARE = 0.2
"""A quiet stretch is compressed when longer than GAP_MIN and this share of the whole span."""
MILESTONES = (("started_at", "Started"), ("detected_at", "Detected"),
              ("mitigated_at", "Mitigated"), ("resolved_at", "Resolved"))
TICK_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


class ShownClock(Protocol):
    """What the swimlane needs of the playbill's clock (``render.playbill.Clock``)."""

    zone_name: str

    def local(self, moment: datetime) -> datetime: ...
    def time(self, moment: datetime) -> str: ...
    def day(self, moment: datetime) -> str: ...
    def label(self, moment: datetime) -> str: ...


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@dataclass(frozen=True)
class _Segment:
    start: datetime
    end: datetime
    x0: float
    x1: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        if span <= 0:
            return (self.x0 + self.x1) / 2
        return self.x0 + (self.x1 - self.x0) * (moment - self.start).total_seconds() / span


def _segments(times: Sequence[datetime]) -> tuple[list[_Segment], list[tuple[float, timedelta]]]:
    """Busy stretches laid side by side, and the breaks between them (x, length)."""
    ordered = sorted(set(times))
    total = ordered[-1] - ordered[0]
    runs: list[list[datetime]] = [[ordered[0]]]
    gaps: list[timedelta] = []
    for before, after in itertools.pairwise(ordered):
        gap = after - before
        if gap > GAP_MIN and gap > total * GAP_SHARE:
            runs.append([after])
            gaps.append(gap)
        else:
            runs[-1].append(after)
    plot_w = WIDTH - LABEL_W - RIGHT - 2 * 8
    room = plot_w - GAP_W * len(gaps) - MIN_SEGMENT_W * len(runs)
    busy = sum(((r[-1] - r[0]).total_seconds() for r in runs), 0.0)
    segments: list[_Segment] = []
    breaks: list[tuple[float, timedelta]] = []
    x = LABEL_W + 8.0
    for index, run in enumerate(runs):
        span = (run[-1] - run[0]).total_seconds()
        width = MIN_SEGMENT_W + (room * span / busy if busy else room / len(runs))
        segments.append(_Segment(run[0], run[-1], x + MIN_SEGMENT_W / 2,
                                 x + width - MIN_SEGMENT_W / 2))
        x += width
        if index < len(gaps):
            breaks.append((x + GAP_W / 2, gaps[index]))
            x += GAP_W
    return segments, breaks


def _x(segments: Sequence[_Segment], moment: datetime) -> float:
    for segment in segments:
        if moment <= segment.end:
            return segment.x(moment)
    return segments[-1].x(moment)


def _characters(scene: Any) -> list[str]:
    """The lanes a scene is on: one role, several (a joint action), or narration."""
    character = getattr(scene, "character", None)
    if not character:
        return []
    if isinstance(character, str):
        return [character]
    return [str(c) for c in character]


def _full_name(name: str) -> str:
    """A tooltip with the whole name, only where the label is cut short."""
    return "" if len(" ".join(name.split())) <= 24 else f"<title>{escape(name)}</title> "


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _ticks(segment: _Segment) -> list[datetime]:
    """Round times inside a segment, about one per 90 px."""
    span = (segment.end - segment.start).total_seconds()
    width = segment.x1 - segment.x0
    wanted = max(1, int(width // 90))
    if span <= 0:
        return [segment.start]
    step = next((s for s in TICK_STEPS if span / s <= wanted), TICK_STEPS[-1])
    start_ts = segment.start.timestamp()
    first = -(-start_ts // step) * step
    out = [segment.start]
    moment = first
    while moment < segment.end.timestamp():
        tick = datetime.fromtimestamp(moment, segment.start.tzinfo)
        if (tick - out[-1]).total_seconds() * width / span >= 60:
            out.append(tick)
        moment += step
    if segment.end != out[-1] and (
            (segment.end - out[-1]).total_seconds() * width / span >= 60 or len(out) == 1):
        out.append(segment.end)
    return out


def swimlane(incident: Incident, clock: ShownClock, labels: Labels = ENGLISH) -> Markup:
    """The swimlane SVG for ``incident`` (empty when it has no scenes), its words in the
    site's language (``labels``)."""
    format_duration = labels.duration
    narration_name = labels.gettext(N_("Narration"))
    scenes = incident.timeline
    if not scenes:
        return Markup("")
    lanes: list[str] = []
    for member in incident.cast:
        if any(member.role in _characters(s) for s in scenes):
            lanes.append(member.role)
    for scene in scenes:
        for role in _characters(scene):
            if role not in lanes:
                lanes.append(role)
    narration = any(not _characters(s) for s in scenes)
    if narration:
        lanes.append("")
    milestones = [(labels.gettext(label), getattr(incident, key)) for key, label in MILESTONES
                  if getattr(incident, key, None) is not None]
    for extra in getattr(incident, "milestones", None) or []:
        at = getattr(extra, "at", None)
        if isinstance(at, datetime):
            milestones.append((str(getattr(extra, "name", "")), at))
    times = [s.at for s in scenes] + [m for _, m in milestones]
    segments, breaks = _segments(times)
    height = TOP + LANE_H * len(lanes) + AXIS_H
    bottom = TOP + LANE_H * len(lanes)
    lane_y = {role: TOP + LANE_H * n + LANE_H / 2 for n, role in enumerate(lanes)}
    parts: list[str] = []
    for n, role in enumerate(lanes):
        y = TOP + LANE_H * n
        parts.append(f'<rect class="pmt-sl-lane{" pmt-sl-alt" if n % 2 else ""}" x="0" '
                     f'y="{_num(y)}" width="{WIDTH}" height="{LANE_H}"/>')
        name = role or narration_name
        parts.append(f'<text class="pmt-sl-name" x="6" y="{_num(y + LANE_H / 2 + 4)}">'
                     f"{_full_name(name)}{escape(_clip(name, 24))}</text>")
    # The time axis: ticks per busy stretch, the day written where it changes.
    shown_day = ""
    time_end = day_end = float("-inf")
    for segment in segments:
        for tick in _ticks(segment):
            x = segment.x(tick)
            text = clock.time(tick)
            half = len(text) * CHAR_W / 2
            if x - half < time_end + 6:
                continue  # would overwrite the label before it
            time_end = x + half
            parts.append(f'<line class="pmt-sl-grid" x1="{_num(x)}" x2="{_num(x)}" y1="{TOP}" '
                         f'y2="{bottom + 4}"/>')
            parts.append(f'<text class="pmt-sl-tick" x="{_num(x)}" y="{bottom + 16}" '
                         f'text-anchor="middle">{escape(text)}</text>')
            day = clock.day(tick)
            half = len(day) * CHAR_W / 2
            if day != shown_day and x - half >= day_end + 6:
                parts.append(f'<text class="pmt-sl-tick" x="{_num(x)}" y="{bottom + 30}" '
                             f'text-anchor="middle">{escape(day)}</text>')
                shown_day, day_end = day, x + half
    for x, gap in breaks:
        quiet = labels.gettext("%(duration)s without events, left out") % {
            "duration": format_duration(gap)}
        parts.append(f'<g class="pmt-sl-break"><title>{escape(quiet)}</title>'
                     f'<line x1="{_num(x - 4)}" x2="{_num(x - 4)}" '
                     f'y1="{TOP}" y2="{bottom}"/><line x1="{_num(x + 4)}" x2="{_num(x + 4)}" '
                     f'y1="{TOP}" y2="{bottom}"/><text class="pmt-sl-tick" x="{_num(x)}" '
                     f'y="{bottom + 44}" text-anchor="middle">+{escape(format_duration(gap))}'
                     f"</text></g>")
    started = incident.started_at

    def label_at(x: float, y: int, text: str) -> str:
        # Near the right edge the label ends at its line instead of starting there.
        if x + 3 + len(text) * CHAR_W > WIDTH:
            return f'<text x="{_num(x - 3)}" y="{y}" text-anchor="end">{escape(text)}</text>'
        return f'<text x="{_num(x + 3)}" y="{y}">{escape(text)}</text>'

    for n, (name, at) in enumerate(sorted(milestones, key=lambda m: m[1])):
        x = _x(segments, at)
        since = at - started
        text = name if since == timedelta(0) or name == labels.gettext("Started") else (
            f"{name} {'+' if since >= timedelta(0) else '-'}{format_duration(abs(since))}")
        y = 14 if n % 2 == 0 else 30
        parts.append(f'<g class="pmt-sl-milestone"><title>{escape(name)}: '
                     f"{escape(clock.day(at))} {escape(clock.time(at))} "
                     f"{escape(clock.label(at))}</title>"
                     f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{y + 4}" y2="{bottom}"/>'
                     f"{label_at(x, y, text)}</g>")
    used: dict[tuple[str, str], int] = {}
    for scene in scenes:
        x = _x(segments, scene.at)
        roles = _characters(scene) or [""]
        when = f"{clock.time(scene.at)} {clock.label(scene.at)}"
        who = ", ".join(roles) if roles != [""] else narration_name
        plot = getattr(scene, "plot_point", None)
        label = labels.gettext("Scene %(number)s, %(when)s, %(who)s") % {
            "number": scene.number, "when": when, "who": who} + (f" ({plot})" if plot else "")
        for role in roles:
            key = (role, _num(x))
            shift = used.get(key, 0)
            used[key] = shift + 1
            cx = x + 7 * shift
            cy = lane_y[role]
            mark = (f'<path class="pmt-sl-plot" d="M{_num(cx)} {_num(cy - 8)}l8 8-8 8-8-8z"/>'
                    if plot else
                    f'<circle class="pmt-sl-scene" cx="{_num(cx)}" cy="{_num(cy)}" r="5"/>')
            # xlink:href, not href: Material's and Zensical's instant navigation assign
            # el.href for every [href] of a new page, which throws for SVG links.
            parts.append(f'<a xlink:href="#{scene.anchor}" aria-label="{escape(label)}">'
                         f"<title>{escape(label)}: {escape(_clip(scene.action, 120))}</title>"
                         f"{mark}</a>")
    title = labels.gettext("The screenplay of %(id)s as a timeline") % {"id": incident.id}
    first, last = min(times), max(times)
    desc = labels.gettext("%(scenes)s by %(characters)s, from %(first)s to %(last)s") % {
        "scenes": labels.count("%(num)d scene", "%(num)d scenes", len(scenes)),
        "characters": labels.count("%(num)d character", "%(num)d characters", len(lanes)),
        "first": f"{clock.day(first)} {clock.time(first)}",
        "last": f"{clock.day(last)} {clock.time(last)} {clock.label(last)}"}
    if milestones:
        desc += labels.gettext("; milestones: %(names)s") % {
            "names": ", ".join(m for m, _ in milestones)}
    if breaks:
        desc += labels.count("; %(num)d quiet stretch left out",
                             "; %(num)d quiet stretches left out", len(breaks))
    desc += labels.gettext(". The list of scenes below holds every scene.")
    uid = f"pmt-sl-{incident.slug}"
    return Markup(
        f'<svg class="pmt-swimlane" viewBox="0 0 {WIDTH} {height}" role="group" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{uid}-t">{escape(title)}</title>\n<desc id="{uid}-d">{escape(desc)}</desc>\n'
        # A newline between marks: search indexes read the SVG's text too, and must not
        # glue one label's last word to the next one's first.
        f'{chr(10).join(parts).replace("</title><", "</title> <")}</svg>'
    )
