"""Read one channel of a Slack workspace export (a folder or a zip).

The export (https://slack.com/help/articles/220556107) holds ``users.json``,
``channels.json`` (public channels; private ones in ``groups.json``; direct
messages in ``dms.json`` / ``mpims.json``, never read here), and for each
channel a folder ``<channel name>/`` with one ``YYYY-MM-DD.json`` per day: a
list of messages. Only the folder of the named channel is read, so messages of
other channels never leak in, even with the same timestamps.

Rules, per message (``type: message``):

* ``channel_join``, ``channel_leave`` (and ``group_join``/``group_leave``),
  ``message_deleted``, ``tombstone``, ``message_replied`` and other hidden
  bookkeeping are dropped; a ``message_deleted`` event removes the message it
  names.
* An edited message appears once, with its final text: the export already holds
  it (with ``edited`` set), and a separate ``message_changed`` event replaces
  the text of the message it names (or adds it if the original is missing).
  A message appears once per ``ts`` (a ``thread_broadcast`` too).
* Messages from integrations (``bot_message``, or a ``bot_id``) are kept: an
  alert is often the first scene. Their speaker is the bot (``username``,
  ``bot_profile.name``, the bot user's name). When ``text`` is empty, the text
  of the ``attachments`` (``pretext``, ``title``, ``text``, else ``fallback``)
  is used, then the text of ``blocks``.
* Thread replies are scenes at their own time.
* Shared files add "(file: title)"; a message with no text at all is skipped.
* Channel topic and purpose changes are kept (they often say what is going on).
"""

from __future__ import annotations

import difflib
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import ImportFailure
from .cast import ChatMessage, Speaker
from .markup import SlackMarkup, clean_text

MAX_FILE = 64 * 1024 * 1024
"""Bytes read from any one export file at most: protects against zip bombs."""
_DAY_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.json$")
_DROPPED = frozenset({
    "channel_join", "channel_leave", "group_join", "group_leave", "message_deleted",
    "message_replied", "channel_archive", "channel_unarchive", "tombstone",
})


class _Export:
    """The files of an export, from a folder or a zip, by their path inside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.names: dict[str, Any] = {}
        self.prefix = ""
        if path.is_dir():
            # Only the top level (and one folder down) now; a channel's folder when asked.
            self._add_folder("")
            if not self.has("channels.json") and not self.has("groups.json"):
                for folder in sorted(path.iterdir()):
                    if folder.is_dir() and not folder.is_symlink():
                        self._add_folder(folder.name)
        elif path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ImportFailure(f"{path}: not a Slack export (a folder or a .zip file): "
                                    f"{exc}") from None
            for info in self.zip.infolist():
                if not info.is_dir() and info.filename.endswith(".json"):
                    self.names[info.filename] = info
        else:
            raise ImportFailure(f"{path}: no such folder or zip file")
        if "channels.json" not in self.names and "groups.json" not in self.names:
            # Some tools zip the export's folder itself: accept one folder level.
            tops = {n.split("/", 1)[0] for n in self.names
                    if n.endswith(("/channels.json", "/groups.json")) and n.count("/") == 1}
            if len(tops) != 1:
                raise ImportFailure(
                    f"{path}: not a Slack export: there is no channels.json (export the "
                    "workspace from Slack's admin settings, then give its folder or zip)")
            self.prefix = tops.pop() + "/"

    def _add_folder(self, folder: str) -> None:
        """List the JSON files of ``folder`` (a path inside a folder export); links are skipped,
        so nothing outside the export is read."""
        where = self.path / folder if folder else self.path
        if where.is_symlink() or not where.is_dir():
            return
        try:
            entries = sorted(where.iterdir())
        except OSError as exc:
            raise ImportFailure(f"{where}: cannot list it: {exc.strerror}") from None
        for file in entries:
            if file.name.endswith(".json") and file.is_file() and not file.is_symlink():
                self.names[f"{folder}/{file.name}" if folder else file.name] = file

    def shown(self, name: str) -> str:
        return f"{self.path}/{self.prefix}{name}" if self.zip is None else \
            f"{self.path}:{self.prefix}{name}"

    def has(self, name: str) -> bool:
        return self.prefix + name in self.names

    def listing(self, folder: str) -> list[str]:
        """The file names in ``folder`` (one path component, such as a channel name)."""
        if not folder or folder in (".", "..") or "/" in folder or "\\" in folder:
            return []  # not a folder of this export: never a path that climbs out of it
        if self.zip is None:
            self._add_folder(self.prefix + folder)
        start = self.prefix + folder + "/"
        return sorted(n[len(start):] for n in self.names
                      if n.startswith(start) and "/" not in n[len(start):])

    def json(self, name: str) -> Any:
        entry = self.names[self.prefix + name]
        try:
            if self.zip is not None:
                if entry.file_size > MAX_FILE:
                    raise ImportFailure(f"{self.shown(name)}: larger than {MAX_FILE} bytes")
                with self.zip.open(entry) as handle:
                    data = handle.read(MAX_FILE + 1)
            else:
                with open(entry, "rb") as handle:
                    data = handle.read(MAX_FILE + 1)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
                NotImplementedError, ValueError) as exc:  # a damaged or encrypted zip
            raise ImportFailure(f"{self.shown(name)}: cannot read it: {exc}") from None
        if len(data) > MAX_FILE:
            raise ImportFailure(f"{self.shown(name)}: larger than {MAX_FILE} bytes")
        try:
            return json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ImportFailure(f"{self.shown(name)}: not UTF-8 text (byte {exc.start})"
                                ) from None
        except json.JSONDecodeError as exc:
            raise ImportFailure(f"{self.shown(name)}:{exc.lineno}:{exc.colno}: not valid "
                                f"JSON: {exc.msg}; re-export it, or fix the file") from None
        except RecursionError:
            raise ImportFailure(f"{self.shown(name)}: nested too deeply to be an export file"
                                ) from None

    def list_of_dicts(self, name: str, what: str) -> list[dict[str, Any]]:
        data = self.json(name)
        if not isinstance(data, list):
            raise ImportFailure(f"{self.shown(name)}: expected a list of {what}, "
                                f"found {type(data).__name__}")
        return [d for d in data if isinstance(d, dict)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _name(text: str) -> str:
    """A name fit for a cast role: one line, no control characters, no outer spaces."""
    return " ".join(clean_text(text).split())


def _user_speaker(user: Mapping[str, Any]) -> Speaker:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    uid = _name(_text(user.get("id")))
    handle = _name(_text(user.get("name"))).replace(" ", "") or None
    real = _name(_text(profile.get("real_name")) or _text(user.get("real_name")))
    name = (_name(_text(profile.get("display_name"))) or real or handle
            or (f"Slack user {uid}" if uid else "Unknown user"))
    bot = bool(user.get("is_bot"))
    if bot:
        name = real or name
    return Speaker(uid, name, None if bot else handle, bot, tuple(n for n in (real, uid) if n))


@dataclass
class SlackChannel:
    """What :func:`read_channel` found."""

    name: str
    messages: list[ChatMessage]
    dropped: int
    """Joins, leaves and other bookkeeping left out."""


def _attachment_text(message: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for attachment in _list(message.get("attachments")):
        own = []
        for key in ("pretext", "title", "text"):
            value = _text(attachment.get(key)).strip()
            if value:
                link = _text(attachment.get("title_link"))
                own.append(f"<{link}|{value}>" if key == "title" and link else value)
        if not own and _text(attachment.get("fallback")).strip():
            own.append(_text(attachment["fallback"]).strip())
        parts.extend(own)
    return "\n".join(parts)


def _block_text(value: Any, depth: int = 0) -> Iterator[str]:
    """Texts inside Block Kit ``blocks`` (rich_text and section blocks), in order."""
    if depth > 20:
        return
    if isinstance(value, dict):
        if value.get("type") in ("text", "mrkdwn", "plain_text") and isinstance(
                value.get("text"), str):
            yield value["text"]
            return
        if value.get("type") == "link" and isinstance(value.get("url"), str):
            yield f"<{value['url']}|{value.get('text') or value['url']}>"
            return
        for key in ("text", "elements", "fields"):
            if key in value:
                yield from _block_text(value[key], depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _block_text(item, depth + 1)


def _message_text(message: Mapping[str, Any]) -> str:
    text = _text(message.get("text"))
    if not text.strip():
        text = _attachment_text(message)
    if not text.strip():
        text = "".join(_block_text(message.get("blocks")))
    return text


def _timestamp(value: Any) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 <= seconds < 32503680000:  # before year 3000
        return None
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc)


def _find_channel(export: _Export, channel: str) -> tuple[str, str]:
    """(id, name) of ``channel`` (a name, ``#name`` or an id)."""
    wanted = channel.lstrip("#")
    known: list[dict[str, Any]] = []
    for listing in ("channels.json", "groups.json"):
        if export.has(listing):
            known += export.list_of_dicts(listing, "channels")
    for entry in known:
        if wanted in (entry.get("name"), entry.get("id")) or _text(
                entry.get("name")).casefold() == wanted.casefold():
            return _text(entry.get("id")), _text(entry.get("name"))
    names = sorted(_text(e.get("name")) for e in known if _text(e.get("name")))
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    hint = (f"did you mean {', '.join('#' + n for n in close)}?" if close else
            f"it has {len(names)} channel{'s' * (len(names) != 1)}"
            + (": " + ", ".join("#" + n for n in names[:10]) + (", ..." if len(names) > 10
                                                                 else "") if names else ""))
    raise ImportFailure(f"{export.shown('channels.json')}: no channel #{wanted} in this export; "
                        f"{hint}")


def read_channel(path: Path, channel: str, *, since: datetime | None = None,
                 until: datetime | None = None, strike: bool = False) -> SlackChannel:
    """The messages of ``channel`` in the export at ``path``, oldest first, as scenes to be.

    ``since``/``until`` (aware datetimes, inclusive) limit the time. Raises
    :class:`ImportFailure` naming the file for anything that is not a readable export.
    """
    export = _Export(path)
    channel_id, channel_name = _find_channel(export, channel)
    users: dict[str, Speaker] = {}
    if export.has("users.json"):
        for user in export.list_of_dicts("users.json", "users"):
            speaker = _user_speaker(user)
            if speaker.key:
                users[speaker.key] = speaker
    channel_names: dict[str, str] = {}
    for listing in ("channels.json", "groups.json"):
        if export.has(listing):
            for entry in export.list_of_dicts(listing, "channels"):
                if _text(entry.get("id")) and _text(entry.get("name")):
                    channel_names[entry["id"]] = entry["name"]
    days = [n for n in export.listing(channel_name) if _DAY_FILE.match(n)]
    if not days:
        raise ImportFailure(f"{export.shown(channel_name + '/')}: the export holds no messages "
                            f"of #{channel_name} (no {channel_name}/YYYY-MM-DD.json files)")
    raw: dict[str, dict[str, Any]] = {}
    changes: list[dict[str, Any]] = []
    deleted: set[str] = set()
    dropped = 0
    margin = timedelta(days=1)  # day files follow the workspace's zone, not UTC
    for day in days:
        match = _DAY_FILE.match(day)
        assert match is not None
        try:
            start = datetime(*map(int, match.groups()), tzinfo=timezone.utc)
        except ValueError:
            continue
        if (since and start + margin * 2 < since) or (until and start - margin > until):
            continue
        for message in export.list_of_dicts(f"{channel_name}/{day}", "messages"):
            if message.get("type", "message") != "message":
                continue
            if _text(message.get("channel")) not in ("", channel_id):
                continue  # belongs to another channel
            subtype = _text(message.get("subtype"))
            if subtype == "message_changed":
                if isinstance(message.get("message"), dict):
                    changes.append(message["message"])
                continue
            if subtype == "message_deleted":
                deleted.add(_text(message.get("deleted_ts")))
                dropped += 1
                continue
            if subtype in _DROPPED:
                dropped += 1
                continue
            if message.get("hidden") is True:
                dropped += 1  # other events Slack does not show in the channel
                continue
            ts = _text(message.get("ts")) or str(message.get("ts", ""))
            if ts and ts not in raw:
                raw[ts] = message
    for changed in changes:  # the final text wins; an edit of a missing original adds it
        ts = _text(changed.get("ts"))
        if not ts:
            continue
        raw[ts] = {**raw.get(ts, {}), **changed}
    names = {uid: s.name for uid, s in users.items()}
    markup = SlackMarkup(names, channel_names, strike=strike)
    messages: list[tuple[float, ChatMessage]] = []
    for ts, message in raw.items():
        if ts in deleted:
            continue
        at = _timestamp(ts)
        if at is None or (since and at < since) or (until and at > until):
            continue
        text = _message_text(message)
        files = _list(message.get("files"))
        extra = [_text(f.get("title")) or _text(f.get("name")) for f in files]
        text = markup.convert(text)
        shared = ", ".join(markup.convert(e) for e in extra if e.strip())
        if shared:
            text = f"{text} (file: {shared})" if text else f"Shares a file: {shared}"
        if not text:
            dropped += 1
            continue
        messages.append((float(ts), ChatMessage(at, _speaker(message, users), text)))
    messages.sort(key=lambda pair: pair[0])
    return SlackChannel(channel_name, [m for _, m in messages], dropped)


def _speaker(message: Mapping[str, Any], users: Mapping[str, Speaker]) -> Speaker:
    uid = _text(message.get("user"))
    bot_profile = message.get("bot_profile") if isinstance(message.get("bot_profile"),
                                                           dict) else {}
    bot_name = (_name(_text(message.get("username")))
                or _name(_text(bot_profile.get("name"))))
    if message.get("subtype") == "bot_message" or (
            message.get("bot_id") and (not uid or users.get(uid, Speaker("", "")).bot)):
        if not bot_name and uid in users:
            bot_name = users[uid].name
        bot_name = bot_name or _name(_text(message.get("bot_id"))) or "Integration"
        return Speaker("bot:" + bot_name, bot_name, None, True)
    if uid in users:
        return users[uid]
    profile = message.get("user_profile")
    if isinstance(profile, dict):  # a user missing from users.json (deleted, or external)
        return _user_speaker({"id": uid, "name": profile.get("name"), "profile": profile})
    uid = _name(uid)
    return Speaker(uid or "unknown", f"Slack user {uid}" if uid else "Unknown user", None,
                   False)
