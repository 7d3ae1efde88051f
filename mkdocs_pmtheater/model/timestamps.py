"""Timestamps as incident authors write them, and as playbills show them.

Authors write ISO 8601 with or without an offset, or a bare ``HH:MM`` for a
scene on the same day as the scene before. Without an offset a time is read in
the site's time zone. A bare time takes the date *and* the offset of the scene
before it, because that is the clock the author was reading from.
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


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """An aware datetime; raises ValueError saying what is wrong."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a timestamp")
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
    """``14:02`` -> time(14, 2); None when ``text`` is not a bare time."""
    match = _BARE_TIME.match(text.strip())
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
    """``1 h 05 min`` style, compact and unambiguous."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return "-" + format_duration(-delta)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    seconds = int(delta.total_seconds()) % 60
    if minutes == 0 and seconds:
        return f"{seconds} s"
    return f"{minutes} min"
