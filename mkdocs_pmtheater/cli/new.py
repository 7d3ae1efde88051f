"""``pmtheater new``: a new incident file, valid, with a comment on every key.

The file is written from the packaged template ``templates/new-incident.yaml``
(``str.format`` fields: schema, today, address, id, title, severities, worst,
severity, zone), then checked with the build's checks: the template must
always give a valid draft.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from ..load.loader import find_incident_files
from ..load.schema import load_schema
from ..model.problems import did_you_mean, display_path
from ..model.timestamps import site_zone
from ..publish.production import build_date
from .common import UsageError, project_for
from .project import Project
from .validate import check_site

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ID_LINE = re.compile(rb"^id:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9._-]{0,63})[\"']?[ \t]*(?:#.*)?$",
                      re.M)
_YEAR_ID = re.compile(r"(?P<prefix>.*?)(?P<year>(?:19|20)\d\d)(?P<sep>[-_.]?)(?P<num>\d+)")
_NUMBER_ID = re.compile(r"(?P<prefix>.*?)(?P<num>\d+)")
_MODELINE = re.compile(rb"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.M)
SCHEMA_PATH = Path("schemas") / "incident.schema.json"


def template() -> str:
    """The packaged template of a new incident file (``templates/new-incident.yaml``)."""
    return resources.files(__package__).joinpath("templates", "new-incident.yaml").read_text(
        encoding="utf-8")


def slugify(title: str, limit: int = 60) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def existing_ids(files: Iterable[Path]) -> list[str]:
    """The ids of incident files, read cheaply (the ``id:`` line), in file order."""
    ids = []
    for path in files:
        try:
            match = _ID_LINE.search(path.read_bytes())
        except OSError:
            continue
        if match:
            ids.append(match.group(1).decode())
    return ids


def next_id(ids: Sequence[str], year: int) -> str:
    """The next free id in the style the site uses (``INC-2024-031`` -> ``INC-<year>-032``)."""
    taken = {i.lower() for i in ids}
    dated = [m for m in map(_YEAR_ID.fullmatch, ids) if m]
    if dated:
        newest = max(dated, key=lambda m: (int(m["year"]), int(m["num"])))
        prefix, sep = newest["prefix"], newest["sep"]
        same = [m for m in dated if (m["prefix"], m["sep"]) == (prefix, sep)]
        width = max(len(m["num"]) for m in same)
        numbers = [int(m["num"]) for m in same if int(m["year"]) == year]
        number = max(numbers, default=0) + 1
        while True:
            candidate = f"{prefix}{year}{sep}{number:0{width}d}"
            if candidate.lower() not in taken:
                return candidate
            number += 1
    counted = [m for m in map(_NUMBER_ID.fullmatch, ids) if m]
    if counted:
        newest = max(counted, key=lambda m: int(m["num"]))
        width = len(newest["num"])
        number = int(newest["num"]) + 1
        while f"{newest['prefix']}{number:0{width}d}".lower() in taken:
            number += 1
        return f"{newest['prefix']}{number:0{width}d}"
    number = 1
    while f"inc-{year}-{number:03d}" in taken:
        number += 1
    return f"INC-{year}-{number:03d}"


def _schema_ref(project: Project, target: Path, incident_files: list[Path],
                explicit: str | None, err: TextIO) -> str:
    """What the new file's ``$schema`` modeline points at; see the README for the rule."""
    if explicit:
        return explicit
    for path in incident_files:  # 1. the convention of the site's existing files
        try:
            with open(path, "rb") as handle:
                match = _MODELINE.search(handle.read(2048))
        except OSError:
            continue
        if not match:
            continue
        ref = match.group(1).decode("utf-8", "replace")
        if "://" in ref:
            return ref
        schema = (path.parent / ref).resolve()
        if schema.is_file():
            return Path(os.path.relpath(schema, target.parent.resolve())).as_posix()
    schema = project.root / SCHEMA_PATH  # 2. the project's own copy, written when missing
    if not schema.is_file():
        schema.parent.mkdir(parents=True, exist_ok=True)
        schema.write_text(schema_text(project), encoding="utf-8")
        err.write(f"pmtheater: wrote {display_path(str(schema), str(Path.cwd()))} for editors "
                  "(commit it; refresh it with `pmtheater schema -o ...`)\n")
    return Path(os.path.relpath(schema.resolve(), target.parent.resolve())).as_posix()


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar




def schema_text(project: Project) -> str:
    return json.dumps(load_schema(list(project.options.severities)), ensure_ascii=False,
                      indent=2) + "\n"


def cmd_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cwd = Path.cwd()
    project = project_for(args, cwd)
    options = project.options
    title = " ".join(args.title.split())
    if not title:
        raise UsageError("give the incident a title")
    severities = list(options.severities)
    severity = args.severity or severities[len(severities) // 2]
    canonical = {s.lower(): s for s in severities}
    if severity.lower() not in canonical:
        hint = did_you_mean(severity, severities) or f"use one of {', '.join(severities)}"
        raise UsageError(f"--severity {severity}: not a severity of this site; {hint}")
    severity = canonical[severity.lower()]
    zone = site_zone(options.timezone)
    try:
        today = date.fromisoformat(args.date) if args.date else build_date(zone)
    except ValueError:
        raise UsageError(f"--date {args.date}: write the date as YYYY-MM-DD") from None
    incident_files = find_incident_files(project.incidents_dir)
    ids = existing_ids(incident_files)
    if args.id:
        if not _ID_PATTERN.fullmatch(args.id):
            raise UsageError(f"--id {args.id}: use letters, digits, '.', '_' and '-', starting "
                             "with a letter or digit, at most 64 characters")
        if args.id.lower() in {i.lower() for i in ids}:
            raise UsageError(f"--id {args.id}: an incident already has this id")
        incident_id = args.id
    else:
        incident_id = next_id(ids, today.year)
    slug = slugify(title) or incident_id.lower()
    target = project.incidents_dir / str(today.year) / f"{today.isoformat()}-{slug}.yaml"
    if target.exists():
        raise UsageError(f"{display_path(str(target), str(cwd))} already exists")
    prefix = options.prefix.strip("/")
    address = "/" + "/".join(p for p in (prefix, incident_id.lower()) if p) + "/"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = template().format(
        schema=_schema_ref(project, target, incident_files, args.schema, err),
        today=today.isoformat(), address=address, id=incident_id, title=_yaml_string(title),
        severities=", ".join(severities), worst=severities[0], severity=severity,
        zone=f"the site's time zone ({options.timezone})",
    )
    target.write_text(text, encoding="utf-8")
    shown = display_path(str(target.absolute()), str(cwd))
    problems = check_site(project, [target.resolve()], cwd).problems
    for problem in problems:  # a bug if it happens: the template must always be valid
        err.write(problem.text() + "\n")
    out.write(f"{shown}\n")
    err.write(f"pmtheater: created {incident_id} in {shown}\n")
    return 1 if problems else 0



def add_parser(commands: Any) -> None:
    """``pmtheater new TITLE [--severity S] [--id ID] [--date D] [--schema REF]``."""
    new = commands.add_parser("new", help="write a new, valid incident file to fill in")
    new.add_argument("title", help="the incident's title (one line)")
    new.add_argument("--severity", help="one of the site's levels (default: the middle one)")
    new.add_argument("--id", help="the id (default: the next free one in the site's style)")
    new.add_argument("--date", help="the day it started, YYYY-MM-DD (default: today)")
    new.add_argument("--schema", metavar="REF",
                     help="what the $schema line points at (default: see README)")
    new.set_defaults(run=cmd_new)
