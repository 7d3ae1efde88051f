"""Timestamps as incident authors write them, and as playbills show them.

Authors write ISO 8601 with or without an offset, or a bare ``HH:MM`` for a
scene on the same day as the scene before. Without an offset a time is read in
the incident's ``timezone`` (format 1.1) or else the site's time zone. A bare
time takes the date *and* the offset of the scene before it, because that is
the clock the author was reading from.

Format 1.1 adds two readings: a leading ``~`` marks a time as approximate, and
a date alone is a day whose time is unknown (not midnight, as in version 1).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
            f"{word.upper()} is {meaning}: write the offset, e.g. '{stem}{offsets[0][0]}', "
            "or leave the offset out and give the incident's zone once at the top, "
            "e.g. 'timezone: Asia/Tokyo' (an IANA name)"
        )
    else:
        hint = (
            "write a numeric offset such as +09:00 or Z, or leave it out and give the "
            "incident's zone once at the top, e.g. 'timezone: Europe/Berlin' (an IANA name)"
        )
    return TimeError(
        f"'{text.strip()}' names its zone by the abbreviation '{word}'; abbreviations are not "
        "read (several zones share some, and they hide daylight saving)", hint)


def split_approximate(text: str) -> tuple[str, bool]:
    """``"~06:50"`` -> (``"06:50"``, True): format 1.1 marks approximate times with ``~``."""
    stripped = text.strip()
    match = _APPROX.match(stripped)
    return (stripped[match.end():], True) if match else (stripped, False)


def is_date_only(text: str) -> bool:
    """Whether ``text`` (after any ``~``) is a date alone: a day whose time is unknown."""
    return _DATE.match(split_approximate(text)[0]) is not None


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """An aware datetime; raises :class:`TimeError` (a ValueError) saying what is wrong.

    A leading ``~`` is ignored here (see :func:`split_approximate`); a date
    alone gives midnight in ``zone``, which callers treat as "that day, time
    unknown" (see :func:`is_date_only`).
    """
    text = split_approximate(text)[0]
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise zone_abbreviation_error(text) or TimeError(f"'{text}' is not a timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    tz = _offset(offset) if offset else zone
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        naive = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0),
            int(second or 0), micro,
        )
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date and time ({exc})") from None
    if naive.year not in YEARS:
        raise ValueError(f"'{text}' is outside the years {YEARS[0]} to {YEARS[-1]}")
    return naive.replace(tzinfo=tz)


def parse_bare_time(text: str) -> time | None:
    """``14:02`` (or ``~14:02``) -> time(14, 2); None when ``text`` is not a bare time."""
    match = _BARE_TIME.match(split_approximate(text)[0])
    if not match:
        return None
    hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real time of day ({exc})") from None


def on_same_day(previous: datetime, at: time) -> datetime:
    """``at`` on the date of ``previous``, on the clock (offset or zone) it was written in."""
    return datetime.combine(previous.date(), at, tzinfo=previous.tzinfo)


def parse_date(text: str) -> date:
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a date")
    try:
        day = date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None
    if day.year not in YEARS:
        raise ValueError(f"'{text}' is outside the years {YEARS[0]} to {YEARS[-1]}")
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

