"""``pmtheater import``: a first draft of the timeline from chat (issue #14).

``pmtheater import slack EXPORT --channel NAME`` reads one channel of a Slack
workspace export; ``pmtheater import text FILE --date YYYY-MM-DD`` reads a pasted
log. Both print the scenes (and new cast entries) as YAML, or with
``--incident FILE`` merge them into that file's timeline. The rules are in
``docs/import.md``; the work is done by the core in ``mkdocs_pmtheater.imports``.

Exit status: 0 done, 2 the input could not be imported (nothing written).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

import yaml
from mkdocs.exceptions import ConfigurationError
from mkdocs.utils.yaml import yaml_load

from ..imports import ImportFailure
from ..imports.cast import ChatMessage, Speaker, cast_speakers
from ..imports.merge import (
    MAX_SCENES,
    REVIEW,
    IncidentText,
    Scene,
    fragment,
    merge,
    read_incident,
    write_atomically,
)
from ..model.timestamps import parse_bare_time, parse_timestamp, site_zone
from .project import (
    CONFIG_NAMES,
    Project,
    ProjectError,
    _ForgivingLoader,
    find_config,
    load_project,
)

STRIKE_EXTENSIONS = ("pymdownx.tilde",)
"""Markdown extensions that render ``~~text~~`` struck through."""


def add_import_command(commands: Any) -> None:
    """Add ``import slack`` and ``import text`` to the ``pmtheater`` subcommands."""
    command = commands.add_parser(
        "import", help="draft timeline scenes from chat: a Slack export or a pasted log")
    kinds = command.add_subparsers(dest="source", required=True, metavar="SOURCE")
    slack = kinds.add_parser("slack", help="one channel of a Slack workspace export")
    slack.add_argument("export", help="the export: its folder or its .zip file")
    slack.add_argument("--channel", required=True, help="the channel's name (or id)")
    slack.add_argument("--from", dest="since", metavar="TIME",
                       help="first message to take: ISO 8601, or HH:MM on the incident's day")
    slack.add_argument("--until", metavar="TIME", help="last message to take (same forms)")
    text = kinds.add_parser("text", help="a pasted chat log: 'HH:MM name: text' per line")
    text.add_argument("file", help="the log, UTF-8 text")
    text.add_argument("--date", help="the day of the first line, YYYY-MM-DD (default: the "
                                     "day of the incident's started_at)")
    text.add_argument("--timezone", help="the zone of the log's times, an IANA name "
                                         "(default: the clock of the incident's started_at, "
                                         "else the site's zone)")
    for kind in (slack, text):
        kind.add_argument("--incident", metavar="FILE",
                          help="merge into this incident file (default: print YAML)")
        kind.add_argument("--cast", metavar="FILE",
                          help="YAML mapping of user id, handle or name to cast role")
        kind.set_defaults(run=run_import)


def _project(args: argparse.Namespace) -> Project:
    cwd = Path.cwd()
    if args.config_file:
        config: Path | None = Path(args.config_file)
        if not config.is_file():
            raise ImportFailure(f"no such config file: {args.config_file}")
    elif args.incident:
        config = find_config(Path(args.incident).absolute().parent)
    else:
        config = next((cwd / n for n in CONFIG_NAMES if (cwd / n).is_file()), None)
    try:
        return load_project(config, cwd)
    except ProjectError as exc:
        raise ImportFailure(str(exc)) from None


def _has_strike(project: Project) -> bool:
    """Whether the site's Markdown renders ``~~text~~`` (else Slack's ``~text~`` stays)."""
    if project.config_file is None:
        return False
    try:
        with open(project.config_file, "rb") as handle:
            raw = yaml_load(handle, loader=_ForgivingLoader) or {}
    except (OSError, ConfigurationError, yaml.YAMLError):
        return False
    extensions = raw.get("markdown_extensions") if isinstance(raw, dict) else None
    names: list[str] = []
    for entry in extensions or []:
        names += list(entry) if isinstance(entry, dict) else [str(entry)]
    return any(name in STRIKE_EXTENSIONS for name in names)


def _read_cast(name: str | None) -> dict[str, str]:
    if not name:
        return {}
    path = Path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ImportFailure(f"{path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ImportFailure(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ImportFailure(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
                            ) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
            isinstance(v, str) and v.strip() for v in data.values()):
        raise ImportFailure(f"{path}: expected a mapping of Slack user id, handle or name to "
                            "a cast role, such as 'U024BE7LH: Incident Commander'")
    return {str(k): v.strip() for k, v in data.items()}


def _when(text: str | None, option: str, zone: tzinfo, incident: IncidentText | None
          ) -> datetime | None:
    if text is None:
        return None
    try:
        clock = parse_bare_time(text)
        if clock is None:
            return parse_timestamp(text, zone)
    except ValueError as exc:
        raise ImportFailure(f"{option} {text}: {exc}; write 2024-03-14T14:02Z or HH:MM"
                            ) from None
    if incident is None or incident.started_at is None:
        raise ImportFailure(f"{option} {text}: a bare time needs --incident with a started_at "
                            "(it gives the day); or write the full time, 2024-03-14T14:02Z")
    return datetime.combine(incident.started_at.date(), clock,
                            tzinfo=incident.started_at.tzinfo)


def _speakers(messages: list[ChatMessage]) -> list[Speaker]:
    return list({m.speaker.key: m.speaker for m in messages}.values())


def run_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``pmtheater import``; prints errors itself (status 2), so nothing is written."""
    try:
        return _run(args, out, err)
    except ImportFailure as exc:
        err.write(f"pmtheater: {exc}\n")
        return 2
    except RecursionError:  # a file nested beyond what any export or incident needs
        err.write("pmtheater: the input is nested too deeply to be a chat export, log or "
                  "incident file; nothing was written\n")
        return 2


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    project = _project(args)
    zone = site_zone(project.options.timezone)
    incident = read_incident(Path(args.incident), zone) if args.incident else None
    mapping = _read_cast(args.cast)
    if args.source == "slack":
        since = _when(args.since, "--from", zone, incident)
        until = _when(args.until, "--until", zone, incident)
        if since and until and until < since and parse_bare_time(args.until):
            until += timedelta(days=1)  # --from 23:30 --until 00:30: past midnight
        from ..imports.slack import read_channel  # only this command needs the readers

        channel = read_channel(Path(args.export), args.channel, since=since, until=until,
                               strike=_has_strike(project))
        messages, source = channel.messages, f"#{channel.name}"
        left_out = f"; {channel.dropped} joins, leaves, deletions and empty messages left out"
    else:
        # The log's clock: as told, else that of the incident's started_at (the clock its
        # bare times are read on too), else the site's zone.
        log_zone = zone
        if incident is not None and incident.started_at is not None:
            log_zone = incident.started_at.tzinfo or zone
        if args.timezone:
            try:
                log_zone = site_zone(args.timezone)
            except ValueError as exc:
                raise ImportFailure(f"--timezone: {exc}") from None
        if args.date:
            try:
                day = date.fromisoformat(args.date)
            except ValueError:
                raise ImportFailure(f"--date {args.date}: write the day as YYYY-MM-DD"
                                    ) from None
        elif incident is not None and incident.day is not None:
            day = incident.day
        else:
            raise ImportFailure("give the day of the log's first line with --date YYYY-MM-DD")
        from ..imports.text import read_log

        messages, source, left_out = read_log(Path(args.file), day, log_zone), args.file, ""
    casting = cast_speakers(_speakers(messages), mapping, incident.cast if incident else [])
    scenes = [Scene(m.at, casting.roles[m.speaker.key], m.text) for m in messages]
    review = sum(entry.review for entry in casting.new)
    note = (f"; {review} new cast entr{'ies' if review != 1 else 'y'} marked "
            f"'{REVIEW}'" if review else "")
    if incident is None:
        out.write(fragment(casting.new, scenes))
        if len(scenes) > MAX_SCENES:
            err.write(f"pmtheater: {len(scenes)} scenes, but a timeline holds at most "
                      f"{MAX_SCENES}; narrow the import with --from and --until\n")
        err.write(f"pmtheater: {len(scenes)} scene{'s' * (len(scenes) != 1)} from "
                  f"{source}{left_out}{note}\n")
        return 0
    if not scenes:
        err.write(f"pmtheater: no messages from {source} in that time; {args.incident} is "
                  "unchanged\n")
        return 0
    merged = merge(incident, casting.new, scenes)
    for change in merged.rewritten:
        err.write(f"pmtheater: {args.incident}: {change}\n")
    if merged.added or casting.new:
        try:
            write_atomically(Path(args.incident), merged.text)
        except OSError as exc:
            raise ImportFailure(f"{args.incident}: cannot write it: {exc.strerror or exc}; "
                                "it is unchanged") from None
    skipped = f" ({merged.skipped} already there)" if merged.skipped else ""
    err.write(f"pmtheater: added {merged.added} scene{'s' * (merged.added != 1)}{skipped} "
              f"from {source} to {args.incident}{left_out}{note}\n")
    return 0
