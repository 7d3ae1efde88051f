"""Read a chat log pasted as text: one message per line, ``HH:MM name: text``.

What a line may look like (the format people paste from any chat tool)::

    14:02 priya: checkout is throwing 500s
    [14:03] Dana Cole: on it
    14:03:30 pagerduty: Triggered: CheckoutErrorRateHigh
    2:05 PM priya: cache hit rate is at 12 %
      a line that does not start with a time continues the message before

* The time is ``HH:MM`` or ``HH:MM:SS``, optionally in square brackets, with an
  optional ``AM``/``PM`` (12-hour clock). The name runs to the first ``:`` after
  it (at most 80 characters), and may contain spaces.
* A line that does not start like that is joined to the message before (as a
  new line of its Markdown, without its indentation); blank lines at the end of
  a message are dropped. ``priya`` and ``@priya`` are the same person.
* A time earlier than the one before it rolls over to the next day.
* The times are read on ``day`` in ``zone`` (the site's zone unless the command
  is given another) and written in UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path

from . import ImportFailure
from .cast import ChatMessage, Speaker
from .markup import clean_text

MAX_BYTES = 16 * 1024 * 1024
_LINE = re.compile(
    r"^[ \t]*(\[)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[ \t]*([AaPp])\.?[Mm]\.?)?(?(1)\])"
    r"[ \t]+([^:\n]{1,80}?)[ \t]*:(?:[ \t]+|$)(.*)$"
)


def _speaker(name: str) -> Speaker:
    name = " ".join(name.split())
    if " " not in name:  # a chat handle, written with or without '@'
        handle = name.removeprefix("@") or name
        return Speaker(handle.casefold(), handle, handle)
    return Speaker(name.casefold(), name)


def read_log(path: Path, day: date, zone: tzinfo) -> list[ChatMessage]:
    """The messages of the log at ``path``, in order, with times on ``day`` in ``zone``.

    Raises :class:`ImportFailure` naming the file (and line) when it cannot be read
    or the first line is not a message.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read it: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"{path}: larger than {MAX_BYTES} bytes; paste only the incident")
    try:
        text = clean_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFailure(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
                            ) from None
    entries: list[tuple[datetime, Speaker, list[str]]] = []
    previous: datetime | None = None
    speakers: dict[str, Speaker] = {}
    for number, line in enumerate(text.split("\n"), 1):
        match = _LINE.match(line)
        if match is None:
            if entries:
                entries[-1][2].append(line.strip())
            elif line.strip():
                raise ImportFailure(
                    f"{path}:{number}:1: expected a message such as '14:02 priya: text'; "
                    "every message starts with its time and the name of who wrote it")
            continue
        _, hour, minute, second, half, name, words = match.groups()
        hour_number = int(hour)
        if half:
            if not 1 <= hour_number <= 12:
                raise ImportFailure(f"{path}:{number}:1: '{hour}' is not an hour of a "
                                    "12-hour clock; write 1 to 12 before AM/PM")
            hour_number = hour_number % 12 + (12 if half.lower() == "p" else 0)
        try:
            clock = time(hour_number, int(minute), int(second or 0))
        except ValueError:
            raise ImportFailure(f"{path}:{number}:1: '{line.strip()[:20]}' is not a real time "
                                "of day") from None
        at = datetime.combine(previous.date() if previous else day, clock, tzinfo=zone)
        if previous is not None and at < previous:
            at += timedelta(days=1)  # the log went past midnight
        previous = at
        speaker = speakers.setdefault(_speaker(name).key, _speaker(name))
        entries.append((at, speaker, [words.rstrip()]))
    if not entries:
        raise ImportFailure(f"{path}: no messages; expected lines such as "
                            "'14:02 priya: checkout is throwing 500s'")
    messages = []
    for at, speaker, lines in entries:
        words = "\n".join(lines).strip()
        if words:
            messages.append(ChatMessage(at.astimezone(timezone.utc), speaker, words))
    return messages
