"""Who said what: chat speakers, and the cast roles they play in the incident.

A speaker is mapped to a role, in this order: the ``--cast`` mapping (keys are a
Slack user id, a handle with or without ``@``, or a display name, compared
without case), then the incident's cast (an entry whose ``actor`` is the
speaker's ``@handle``, handle or name; for a bot, an entry whose ``role`` is the
bot's name). Anyone left becomes a new cast entry: ``role`` is the display name
(``Responder (name)`` when that role is taken by someone else), ``actor`` the
``@handle``; bots get a role named after the bot and no actor. New entries are
marked for the author's review with a YAML comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime


def _key(text: str) -> str:
    """Names compared without case and with spaces collapsed (``Dana  COLE`` is ``dana cole``)."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Speaker:
    """Someone (or something) that wrote in the chat."""

    key: str
    """Unique within one import: the Slack user id, the bot's name, or the name in a log."""
    name: str
    """The name to show (Slack display name, else real name, else handle)."""
    handle: str | None = None
    """The handle without ``@`` (Slack's ``name``), when there is one."""
    bot: bool = False
    aliases: tuple[str, ...] = ()
    """Other names that identify the speaker (real name, user id)."""

    def names(self) -> list[str]:
        """Every name a mapping may use for this speaker, compared with :func:`_key`."""
        found = [self.key, self.name, *self.aliases]
        if self.handle:
            found += [self.handle, "@" + self.handle]
        return [_key(n) for n in found if n]


@dataclass
class CastEntry:
    """A cast member to add to the incident."""

    role: str
    actor: str | None = None
    review: bool = True
    """Made up by the importer (not chosen by the author): marked for review."""


@dataclass
class Casting:
    """The role of each speaker, and the cast entries to add."""

    roles: dict[str, str] = field(default_factory=dict)
    """Speaker key -> role."""
    new: list[CastEntry] = field(default_factory=list)


def cast_speakers(speakers: Iterable[Speaker], mapping: Mapping[str, str],
                  cast: Iterable[Mapping[str, object]]) -> Casting:
    """Assign a role to every speaker (see the module docstring for the order).

    ``mapping`` is the ``--cast`` file (name -> role); ``cast`` the incident's
    existing cast entries (mappings with ``role`` and maybe ``actor``).
    """
    wanted = {_key(str(k)): str(v) for k, v in mapping.items()}
    existing = [dict(entry) for entry in cast]
    roles_taken = {str(e.get("role")) for e in existing if e.get("role") is not None}
    by_actor: dict[str, str] = {}
    by_role: dict[str, str] = {}
    for entry in existing:
        role = entry.get("role")
        if not isinstance(role, str):
            continue
        by_role.setdefault(_key(role), role)
        actor = entry.get("actor")
        if isinstance(actor, str):
            by_actor.setdefault(_key(actor), role)
            by_actor.setdefault(_key(actor.lstrip("@")), role)
    result = Casting()
    for speaker in speakers:
        names = speaker.names()
        role = next((wanted[n] for n in names if n in wanted), None)
        if role is not None:
            if role not in roles_taken:  # the author named a role the incident lacks
                roles_taken.add(role)
                result.new.append(CastEntry(role, _actor(speaker), review=False))
            result.roles[speaker.key] = role
            continue
        role = next((by_actor[n] for n in names if n in by_actor), None)
        if role is None and speaker.bot:
            role = by_role.get(_key(speaker.name))
        if role is None:
            role = speaker.name
            if role in roles_taken:
                role = f"Responder ({speaker.name})"
                number = 2
                while role in roles_taken:
                    role = f"Responder ({speaker.name}, {number})"
                    number += 1
            roles_taken.add(role)
            result.new.append(CastEntry(role, _actor(speaker)))
        result.roles[speaker.key] = role
    return result


def _actor(speaker: Speaker) -> str | None:
    if speaker.bot:
        return None
    return "@" + speaker.handle if speaker.handle else speaker.name


@dataclass(frozen=True)
class ChatMessage:
    """One message that becomes one scene."""

    at: datetime
    """When it was written, an aware datetime (importers give UTC)."""
    speaker: Speaker
    text: str
    """The scene's action, Markdown."""
