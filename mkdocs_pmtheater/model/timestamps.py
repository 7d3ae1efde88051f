"""Timestamps as incident authors write them, and as playbills show them.

Authors write ISO 8601 with or without an offset, or a bare ``HH:MM`` for a
scene on the same day as the scene before. Without an offset a time is read in
the site's time zone. A bare time takes the date *and* the clock (the offset,
or the zone) of the scene before it, because that is the clock the author was
reading from.

Every time leaves here with a fixed offset (the written one, or the zone's
offset at that moment), never with a zone that changes offset. Python compares
and subtracts two datetimes that share a ``tzinfo`` on their wall clocks, so
with ``America/New_York`` attached 01:30 and 03:30 on the day clocks spring
forward would be two hours apart instead of one; with fixed offsets (-05:00,
-04:00) they are what they were, and :func:`elapsed` moves both to UTC anyway.

Offset-less local times that a zone skips (the hour clocks jump over) are
refused with both possible readings; those it repeats (the hour after clocks
go back) are read as the first occurrence (``fold=0``), as RFC 5545 does for
DTSTART, and the caller is told so, to warn the author.

Format 1.1: offset-less times are read in the incident's ``timezone`` when it
names one (else the site's); a leading ``~`` marks a time as approximate (it is
read as written); a date alone is a day whose time is unknown (read here as
midnight of that day, which callers never show or count as 00:00; version 1
meant midnight). A zone abbreviation (``PST``) is refused with the offsets it
may stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import quoted as _quote

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"[ \t]*([Zz]|[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
_BARE_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_APPROX = re.compile(r"^~[ \t]*")
_ZONE_WORD = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t]+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?[ \t]*([A-Za-z]{1,5})$"
    r"|^\d{1,2}:\d{2}(?::\d{2})?[ \t]*([A-Za-z]{1,5})$"
)
ZONE_ABBREVIATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    # abbreviation -> (offset, where); several places share some abbreviations.
    "UTC": (("+00:00", "UTC"),), "GMT": (("+00:00", "Greenwich, or +01:00 in London summer"),),
    "PST": (("-08:00", "US Pacific"),), "PDT": (("-07:00", "US Pacific summer"),),
    "MST": (("-07:00", "US Mountain"),), "MDT": (("-06:00", "US Mountain summer"),),
    "CST": (("-06:00", "US Central"), ("+08:00", "China")),
    "CDT": (("-05:00", "US Central summer"),),
    "EST": (("-05:00", "US Eastern"),), "EDT": (("-04:00", "US Eastern summer"),),
    "AKST": (("-09:00", "Alaska"),), "HST": (("-10:00", "Hawaii"),),
    "BST": (("+01:00", "British summer"),), "IST": (
        ("+05:30", "India"), ("+01:00", "Irish summer"), ("+02:00", "Israel")),
    "WET": (("+00:00", "Western Europe"),), "WEST": (("+01:00", "Western Europe summer"),),
    "CET": (("+01:00", "Central Europe"),), "CEST": (("+02:00", "Central Europe summer"),),
    "EET": (("+02:00", "Eastern Europe"),), "EEST": (("+03:00", "Eastern Europe summer"),),
    "MSK": (("+03:00", "Moscow"),), "SGT": (("+08:00", "Singapore"),),
    "HKT": (("+08:00", "Hong Kong"),), "JST": (("+09:00", "Japan"),),
    "KST": (("+09:00", "Korea"),), "AEST": (("+10:00", "Australian Eastern"),),
    "AEDT": (("+11:00", "Australian Eastern summer"),),
    "NZST": (("+12:00", "New Zealand"),), "NZDT": (("+13:00", "New Zealand summer"),),
}
"""Zone abbreviations people write after a time, with the numeric offsets they stand for."""
YEARS = range(1900, 3000)
"""Years a timestamp or date may have: far enough from year 1 and 9999 that moving a time
to another zone never leaves the calendar."""


def site_zone(name: str) -> tzinfo:
    """The configured zone; raises ValueError with a readable message."""
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone '{name}': use an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from exc


def _offset(text: str) -> tzinfo:
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:-2] if len(digits) > 2 else digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise ValueError(f"the offset '{text}' is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


class TimeError(ValueError):
    """A time that cannot be read, with advice for the author in ``hint`` (may be empty)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class NonexistentTime(TimeError):
    """A local time that the zone skips; ``hint`` gives the two moments it may have meant,
    ``later`` the later one (the first moment after the skipped span when the time is the
    one the clocks jumped from)."""

    def __init__(self, message: str, hint: str, later: datetime | None = None) -> None:
        super().__init__(message, hint)
        self.later = later


@dataclass(frozen=True)
class Reading:
    """A time as written, read: the instant, the clock it was read on, and any caveat."""

    instant: datetime
    """Aware, with the fixed offset it had (never a zone with daylight saving)."""
    clock: tzinfo
    """The written offset, or the zone an offset-less time was read in: the clock a
    following bare time is read on."""
    ambiguity: tuple[str, str] | None = None
    """(message, hint) when the local time happened twice and the first was taken."""


def zone_label(zone: tzinfo) -> str:
    """``America/New_York`` for a zone, ``UTC`` or ``UTC-05:00`` for a fixed offset."""
    return str(getattr(zone, "key", None) or zone)


def _stamp(moment: datetime) -> str:
    """``2024-03-10T03:30:00-04:00``: a moment as an author may write it back."""
    return moment.isoformat(timespec="auto" if moment.microsecond else "seconds")


def _clock(moment: datetime, day: date | None = None) -> str:
    """``02:00``; with the date in front when it is not ``day`` (a zone that skipped a day)."""
    text = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
    return text if day is None or moment.date() == day else f"{moment:%Y-%m-%d} {text}"


def _transition(start: datetime, end: datetime, zone: tzinfo) -> datetime:
    """The first UTC instant in (start, end] whose offset in ``zone`` differs from start's."""
    before = start.astimezone(zone).utcoffset()
    low, high = start, end
    while high - low > timedelta(seconds=1):  # about a dozen steps for an hour
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def _fixed(moment: datetime) -> datetime:
    """The same instant with its offset as a fixed ``timezone`` (``-04:00``), not a zone."""
    return moment.astimezone(timezone(moment.utcoffset() or timedelta()))


def localize(naive: datetime, zone: tzinfo, not_before: datetime | None = None) -> Reading:
    """Read the wall-clock time ``naive`` in ``zone``.

    Raises :class:`NonexistentTime` for a time the zone skips. A repeated time is read as
    its first occurrence (``fold=0``); with ``not_before`` (the scene before, for a bare
    time) the second is taken when the first would go back in time, since scenes are
    written in order. Either way :attr:`Reading.ambiguity` says which was taken.
    """
    if isinstance(zone, timezone):  # a fixed offset: every wall time exists once
        return Reading(naive.replace(tzinfo=zone), zone)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    early, late = first.utcoffset(), second.utcoffset()
    assert early is not None and late is not None
    if early == late:
        return Reading(_fixed(first), zone)
    name = zone_label(zone)
    day = naive.strftime("%Y-%m-%d")
    written = _clock(naive)
    as_first = (naive - early).replace(tzinfo=timezone.utc)
    as_second = (naive - late).replace(tzinfo=timezone.utc)
    if late > early:  # the clocks jumped forward over this time
        change = _transition(as_second, as_first, zone)
        jump_from = _clock((change + early).replace(tzinfo=None), naive.date())
        jump_to = _clock((change + late).replace(tzinfo=None), naive.date())
        earlier = as_second.astimezone(zone)
        gap = format_duration(late - early)
        later = as_first.astimezone(zone)
        raise NonexistentTime(
            f"{written} does not exist on {day} in {name} (clocks jumped from {jump_from} "
            f"to {jump_to})",
            f"write the moment with its offset: {_stamp(earlier)} ({gap} earlier) or "
            f"{_stamp(later)} ({gap} later), whichever the clock you read meant",
            _fixed(later),
        )
    change = _transition(as_first, as_second, zone)
    back_from = _clock((change + early).replace(tzinfo=None), naive.date())
    back_to = _clock((change + late).replace(tzinfo=None), naive.date())
    take_second = not_before is not None and as_first < not_before <= as_second
    taken, other = (second, first) if take_second else (first, second)
    which = "the second" if take_second else "the first"
    why = " (the first would be before the scene before)" if take_second else ""
    return Reading(
        _fixed(taken),
        zone,
        (
            f"{written} on {day} happened twice in {name} (clocks went back from {back_from} "
            f"to {back_to}); read as {which}, {_stamp(taken)} ({taken.tzname()}){why}",
            f"if you meant the other, write {_stamp(other)} ({other.tzname()}); writing the "
            "offset also silences this warning",
        ),
    )


def zone_abbreviation_error(text: str) -> TimeError | None:
    """The error for ``2024-03-14 14:02 PST`` (a zone written as letters), else None.

    Abbreviations are ambiguous (CST is both US Central and China) and say
    nothing about daylight saving, so the hint gives the numeric offset(s) and
    the incident's ``timezone:`` key instead.
    """
    match = _ZONE_WORD.match(_APPROX.sub("", text.strip()))
    if not match:
        return None
    word = match.group(1) or match.group(2)
    if word in ("Z", "z"):
        return None
    offsets = ZONE_ABBREVIATIONS.get(word.upper(), ())
    stem = text.strip()[: text.strip().rfind(word)].rstrip()
    if offsets:
        meaning = " or ".join(f"{offset} ({where})" for offset, where in offsets)
        hint = (
            f"{word.upper()} is {meaning}: write the offset, e.g. "
            f"{_quote(stem + offsets[0][0])}, "
            "or leave the offset out and give the incident's zone once at the top, "
            "e.g. 'timezone: Asia/Tokyo' (an IANA name)"
        )
    else:
        hint = (
            "write a numeric offset such as +09:00 or Z, or leave it out and give the "
            "incident's zone once at the top, e.g. 'timezone: Europe/Berlin' (an IANA name)"
        )
    return TimeError(
        f"{_quote(text.strip())} names its zone by the abbreviation '{word}'; abbreviations "
        "are not read (several zones share some, and they hide daylight saving)", hint)


def split_approximate(text: str) -> tuple[str, bool]:
    """``"~06:50"`` -> (``"06:50"``, True): format 1.1 marks approximate times with ``~``."""
    stripped = text.strip()
    match = _APPROX.match(stripped)
    return (stripped[match.end():], True) if match else (stripped, False)


def is_date_only(text: str) -> bool:
    """Whether ``text`` (after any ``~``) is a date alone: a day whose time is unknown."""
    return _DATE.match(split_approximate(text)[0]) is not None


def _naive(text: str) -> tuple[datetime, str | None]:
    text = split_approximate(text)[0]  # "~" (1.1): read as written, flagged by the caller
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise zone_abbreviation_error(text) or TimeError(f"{_quote(text)} is not a timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        naive = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0),
            int(second or 0), micro,
        )
    except ValueError as exc:
        raise ValueError(f"{_quote(text)} is not a real date and time ({exc})") from None
    if naive.year not in YEARS:
        raise ValueError(f"{_quote(text)} is outside the years {YEARS[0]} to {YEARS[-1]}")
    return naive, offset


def read_timestamp(text: str, zone: tzinfo) -> Reading:
    """The instant ``text`` names, its clock and any ambiguity; raises ValueError (or
    :class:`NonexistentTime`, with a hint) saying what is wrong."""
    naive, offset = _naive(text)
    try:
        return localize(naive, _offset(offset) if offset else zone)
    except NonexistentTime as exc:
        # A date alone means the start of that day: where clocks skip midnight (Sao Paulo
        # did), the day starts when they land.
        if _DATE.match(text.strip()) and naive.time() == time(0) and exc.later is not None:
            return Reading(exc.later, zone)
        raise


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """The instant ``text`` names, aware with a fixed offset; raises ValueError saying what
    is wrong."""
    return read_timestamp(text, zone).instant


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time from ``start`` to ``end`` (aware datetimes), whatever zones they carry.

    Both are moved to UTC first: Python subtracts two datetimes with the same ``tzinfo``
    on their wall clocks, which is wrong across a daylight-saving change.
    """
    return end.astimezone(timezone.utc) - start.astimezone(timezone.utc)


def parse_bare_time(text: str) -> time | None:
    """``14:02`` (or ``~14:02``) -> time(14, 2); None when ``text`` is not a bare time."""
    match = _BARE_TIME.match(split_approximate(text)[0])
    if not match:
        return None
    hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"{_quote(text)} is not a real time of day ({exc})") from None


def on_same_day(previous: datetime, at: time, clock: tzinfo | None = None) -> Reading:
    """``at`` on the date ``previous`` had on ``clock`` (default: previous's own tzinfo),
    read on that clock; raises :class:`NonexistentTime` as :func:`localize` does."""
    clock = clock or previous.tzinfo or timezone.utc
    day = previous.astimezone(clock).date()
    return localize(datetime.combine(day, at), clock, not_before=previous)


def parse_date(text: str) -> date:
    """``2024-11-30`` -> date; raises ValueError saying what is wrong."""
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(f"{_quote(text)} is not a date")
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValueError(f"{_quote(text)} is not a real date ({exc})") from None
    if day.year not in YEARS:
        raise ValueError(f"{_quote(text)} is outside the years {YEARS[0]} to {YEARS[-1]}")
    return day


def format_duration(delta: timedelta) -> str:
    """``1 h 05 min`` style, exact to the minute (format 1.1).

    A day or more keeps its hours and minutes: 24 h 11 min is ``1 d 0 h 11 min``,
    never ``1 d``; only trailing zero parts are left out (``2 d``, ``1 d 3 h``).
    """
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return "-" + format_duration(-delta)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if minutes:
            return f"{days} d {hours} h {minutes} min"
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    seconds = int(delta.total_seconds()) % 60
    if minutes == 0 and seconds:
        return f"{seconds} s"
    return f"{minutes} min"


def format_days(days: int) -> str:
    """A duration known only to the day (a day-only end): ``≈ 2 d``."""
    return f"≈ {days} d"

