"""The ``pmtheater`` command: new incident files, validation for pull requests, schema, export.

Post-mortems arrive through pull requests, so the checks a reviewer relies on
must run before the site is built: ``pmtheater validate`` runs exactly the
checks of the build (``Theater.check``: every per-file check, and the checks
across files: unique ids, free addresses, existing prop pages) and prints the
problems as text, as GitHub workflow annotations or as JSON.

Which site: ``--config-file`` if given; for given PATHS, the nearest
``mkdocs.yml`` above each path (a repository may hold several sites);
otherwise ``mkdocs.yml`` in the current folder; without any, the defaults
(``docs/incidents/``) under the current folder.
With explicit PATHS the whole incidents folder is still read, so the checks
across files see every incident, but only problems in the given files are
reported, plus problems in other files that a given file causes (the other
file of a duplicate id). Paths in messages are relative to the current folder,
which is what pre-commit and GitHub expect.

Exit status: 0 no problems, 1 problems found, 2 the command could not run
(unreadable mkdocs.yml, bad options, bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from ..load.loader import INCIDENT_SUFFIXES, find_incident_files
from ..load.schema import load_schema
from ..model.incident import Incident
from ..model.problems import Problem, did_you_mean, display_path
from ..model.timestamps import site_zone
from ..publish.export import incidents_document
from ..publish.production import Production, build_date, read_sources
from .import_cmd import add_import_command
from .project import CONFIG_NAMES, Project, ProjectError, find_config, load_project
from .render import add_parser as add_render_parser

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ID_LINE = re.compile(rb"^id:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9._-]{0,63})[\"']?[ \t]*(?:#.*)?$",
                      re.M)
_YEAR_ID = re.compile(r"(?P<prefix>.*?)(?P<year>(?:19|20)\d\d)(?P<sep>[-_.]?)(?P<num>\d+)")
_NUMBER_ID = re.compile(r"(?P<prefix>.*?)(?P<num>\d+)")
_MODELINE = re.compile(rb"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.M)
SCHEMA_PATH = Path("schemas") / "incident.schema.json"
"""Where ``pmtheater new`` puts the schema for editors when the site has no convention yet."""


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


# -- finding the project -------------------------------------------------------------
def _config_for(args: argparse.Namespace, cwd: Path) -> Path | None:
    """``--config-file``, else mkdocs.yml in the current folder, else None (the defaults)."""
    if args.config_file:
        path = Path(args.config_file)
        if not path.is_file():
            raise UsageError(f"no such config file: {args.config_file}")
        return path
    return next((cwd / n for n in CONFIG_NAMES if (cwd / n).is_file()), None)


def _project(args: argparse.Namespace, cwd: Path) -> Project:
    try:
        return load_project(_config_for(args, cwd), cwd)
    except ProjectError as exc:
        raise UsageError(str(exc)) from None


# -- validate -----------------------------------------------------------------------
def _expand(paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found.extend(find_incident_files(path) if path.is_dir() else [path])
    # Absolute, but links not followed: the build decides whether a link may be read.
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in found))


def _group_by_site(args: argparse.Namespace, cwd: Path, paths: list[Path]
                   ) -> dict[Path | None, list[Path]]:
    """Each path with the mkdocs.yml of its site (None: the defaults in the current folder).

    The site of a file is the one of ``--config-file``, else the nearest mkdocs.yml above
    the file.
    """
    fixed = _config_for(args, cwd) if args.config_file else None
    groups: dict[Path | None, list[Path]] = {}
    for path in paths:
        config = fixed or find_config(path.parent)
        groups.setdefault(config.resolve() if config else None, []).append(path)
    return groups


@dataclass
class Checked:
    problems: list[Problem]
    """The problems to report, sorted."""
    count: int
    """How many files were asked about (all the site's incident files without PATHS)."""
    production: Production
    published: list[Incident]
    """The incidents the build would publish, newest first."""


def check_site(project: Project, given: list[Path] | None, cwd: Path) -> Checked:
    """The build's checks for ``project``, reporting on ``given`` files (None: all)."""
    production = project.production()
    files = project.files()
    incident_dir = project.incidents_dir.absolute()
    wanted: set[str] | None = None
    if given is not None:
        wanted = set()
        for number, path in enumerate(given):
            inside = _is_within(path, incident_dir) and path.name.endswith(INCIDENT_SUFFIXES)
            if not inside or not path.is_file():
                if not path.is_file():
                    continue
                files.append(project.external_file(path, number))
            wanted.add(display_path(str(path), str(cwd)))
    root = str(cwd)
    sources, refused = read_sources(
        ((f.src_uri, f.abs_src_path, display_path(f.abs_src_path or f.src_uri, root),
          lambda f=f: f.content_bytes) for f in files if production.is_incident_file(f.src_uri)),
        (str(project.docs_dir), root))
    site_files = {f.src_uri: display_path(f.abs_src_path or f.src_uri, root)
                  for f in files if not production.is_incident_file(f.src_uri)}
    publishing = production.check(sources, site_files)
    catalog = production.catalog
    problems = production.problems + refused
    if wanted is not None:
        involved = set(wanted)
        # A duplicate id is reported on the later file: report it when either file was given.
        by_slug: dict[str, list[str]] = {}
        for loaded in catalog.files.values():
            if loaded.incident is not None:
                by_slug.setdefault(loaded.incident.slug, []).append(loaded.display)
        for displays in by_slug.values():
            if len(displays) > 1 and wanted.intersection(displays):
                involved.update(displays)
        problems = [p for p in problems if p.file in wanted
                    or (p.file in involved and p.field == "id")]
    count = len(catalog.files) if wanted is None else len(wanted)
    return Checked(sorted(problems, key=Problem.sort_key), count, production,
                   [incident for incident, _ in publishing])


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """A GitHub workflow command that shows the problem on the pull request's diff."""
    properties = [f"file={_github_property(problem.file)}"]
    if problem.line:
        properties += [f"line={problem.line}", f"col={problem.column or 1}"]
    title = f"pmtheater: {problem.field}" if problem.field else "pmtheater"
    properties.append(f"title={_github_property(title)}")
    message = problem.text()[len(problem.location) + 2:]
    # A warning that does not block publishing (an ambiguous local time) stays a warning.
    level = "error" if problem.blocking else "warning"
    return f"::{level} {','.join(properties)}::{_github_data(message)}"


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cwd = Path.cwd()
    problems: list[Problem] = []
    checked = 0
    if args.paths:
        paths = _expand(args.paths)
        for path in paths:
            if not path.exists():
                problems.append(Problem(display_path(str(path), str(cwd)), 0, 0, "",
                                        "there is no such file"))
        for config, group in _group_by_site(args, cwd, paths).items():
            try:
                project = load_project(config, cwd)
            except ProjectError as exc:
                raise UsageError(str(exc)) from None
            checked_site = check_site(project, group, cwd)
            problems += checked_site.problems
            checked += checked_site.count
    else:
        checked_site = check_site(_project(args, cwd), None, cwd)
        problems += checked_site.problems
        checked = checked_site.count
    problems.sort(key=Problem.sort_key)
    if args.format == "json":
        json.dump({"checked": checked, "ok": not problems,
                   "problems": [p.as_dict() for p in problems]}, out, indent=2)
        out.write("\n")
    else:
        for problem in problems:
            out.write((github_annotation(problem) if args.format == "github"
                       else problem.text()) + "\n")
        files = len({p.file for p in problems})
        err.write(f"pmtheater: {len(problems)} problem{'s' * (len(problems) != 1)} in "
                  f"{files} of {checked} incident file{'s' * (checked != 1)}\n" if problems
                  else f"pmtheater: {checked} incident file{'s' * (checked != 1)}, "
                       "no problems\n")
    return 1 if problems else 0


# -- new ------------------------------------------------------------------------------
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
        schema.write_text(_schema_text(project), encoding="utf-8")
        err.write(f"pmtheater: wrote {display_path(str(schema), str(Path.cwd()))} for editors "
                  "(commit it; refresh it with `pmtheater schema -o ...`)\n")
    return Path(os.path.relpath(schema.resolve(), target.parent.resolve())).as_posix()


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


TEMPLATE = """\
# yaml-language-server: $schema={schema}
#
# Post-mortem created with `pmtheater new` on {today}. Optional keys are
# commented out: uncomment what you need. The format, key by key: the
# mkdocs-pmtheater format documentation. `pmtheater validate` checks this file
# with exactly the checks of the site build.

# Unique across the site; the playbill is published at {address}.
id: {id}
# One line of plain text.
title: {title}
# One of {severities} ({worst} is the worst).
severity: {severity}
# draft (published with a banner) -> in-review -> published.
status: draft
# When impact began. Times without an offset are read in {zone}; replace
# midnight with the real time.
started_at: {today}T00:00:00
# When it was detected, mitigated and resolved; they must not go backwards.
# detected_at: {today}T00:00:00
# mitigated_at: {today}T00:00:00
# resolved_at: {today}T00:00:00
# services: [checkout-api]        # affected services
# tags: [cache]                   # free labels
# The story in a paragraph or two (Markdown).
summary: |
  TODO: what happened, what users saw, and how it ended.
# impact: |                       # effect on users, revenue, ... (Markdown)
#   About 1 in 4 checkouts failed for 39 minutes.
# director: "@handle"             # facilitator of the blameless review
# review_date: {today}            # when the review was held

# Cast of Characters: the roles in the story (each role once).
# cast:
#   - role: Incident Commander
#     actor: "@handle"            # who played it; leave out for systems
#   - role: System Itself

# The Screenplay: what each character did, saw and believed, in time order.
# timeline:
#   - at: "00:05"                 # a bare time takes the date of the scene before
#     character: Incident Commander
#     action: Opened the incident channel.
#     observation: What they saw.
#     belief: What they believed at that moment.
#     plot_point: lead-up         # lead-up | climax | turning-point | resolution

# Stage Directions & Setting.
# setting:
#   environment: What was going on at the time (Markdown).
#   props:                        # dashboards, runbooks, channels, tools, documents
#     - name: API latency runbook
#       kind: runbook             # dashboard | runbook | channel | tool | document | other
#       page: runbooks/api-latency.md   # a page of this site (path in docs_dir), or:
#       # url: https://grafana.example.com/d/abc
#   conditions:
#     - A contributing condition.

# Plot Points (Markdown each).
# plot:
#   lead_up: ...
#   climax: ...
#   turning_point: ...
#   resolution: ...

# The Critique: the blameless review (lists of Markdown).
# review:
#   went_well: [...]
#   got_lucky: [...]
#   could_improve: [...]
#   detection: [...]              # how did we not detect this sooner?
#   process: [...]                # why did our process allow this?
#   five_whys:
#     - why: Why did checkout fail?
#       because: The pricing service was overloaded.
#   root_causes: [...]
#   contributing_factors: [...]

# The Call Sheet: action items (open ones need a due date).
# action_items:
#   - id: AI-1                    # link to it as incident:{id}#AI-1
#     title: Add jitter to cache TTLs
#     owner: "@handle"
#     due: {today}
#     priority: P2                # P1 (most urgent) .. P4; default P3
#     status: open                # open | in-progress | blocked | done | wont-do
#     kind: prevent               # mitigate | prevent | detect | process | other
#     tracker: https://tracker.example.com/browse/REL-1

# The Awards Ceremony.
# awards:
#   - award: Calm Under Fire
#     recipient: "@handle"
#     citation: Why (Markdown).
"""


def _schema_text(project: Project) -> str:
    return json.dumps(load_schema(list(project.options.severities)), ensure_ascii=False,
                      indent=2) + "\n"


def cmd_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cwd = Path.cwd()
    project = _project(args, cwd)
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
    text = TEMPLATE.format(
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


# -- schema and export ---------------------------------------------------------------
def _write(text: str, output: str | None, out: TextIO) -> None:
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        out.write(text)


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _write(_schema_text(_project(args, Path.cwd())), args.output, out)
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cwd = Path.cwd()
    project = _project(args, cwd)
    checked = check_site(project, None, cwd)
    for problem in checked.problems:
        err.write(problem.text() + "\n")
    published = {id(i) for i in checked.published}
    site_url = project.config["site_url"] or ""
    base = site_url if site_url.endswith("/") else site_url + "/"
    prefix = project.options.prefix.strip("/")
    entries = []
    for incident in checked.production.catalog.incidents:
        url: str | None = None
        if id(incident) in published:  # hidden drafts have no address
            src = f"{prefix}/{incident.slug}.md" if prefix else f"{incident.slug}.md"
            url = project.file(src).url
            url = base + url if site_url else url
        entries.append((incident, url))
    _write(incidents_document(entries), args.output, out)
    return 1 if checked.problems else 0


# -- the command line ----------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="pmtheater",
        description="Incident post-mortems for mkdocs-pmtheater: create, validate, export.",
    )
    top.add_argument("-f", "--config-file", metavar="MKDOCS_YML",
                     help="the site's mkdocs.yml (default: ./mkdocs.yml, else the nearest "
                          "one above each file)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    new = commands.add_parser("new", help="write a new, valid incident file to fill in")
    new.add_argument("title", help="the incident's title (one line)")
    new.add_argument("--severity", help="one of the site's levels (default: the middle one)")
    new.add_argument("--id", help="the id (default: the next free one in the site's style)")
    new.add_argument("--date", help="the day it started, YYYY-MM-DD (default: today)")
    new.add_argument("--schema", metavar="REF",
                     help="what the $schema line points at (default: see README)")
    new.set_defaults(run=cmd_new)

    validate = commands.add_parser(
        "validate", help="check incident files with exactly the checks of the site build")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="files or folders (default: the site's whole incidents folder)")
    validate.add_argument("--format", choices=("text", "github", "json"), default="text",
                          help="text (default), github (workflow annotations) or json")
    validate.set_defaults(run=cmd_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of incident files")
    schema.add_argument("-o", "--output", help="write to this file instead")
    schema.set_defaults(run=cmd_schema)

    export = commands.add_parser("export", help="print every valid incident as JSON")
    export.add_argument("-o", "--output", help="write to this file instead")
    export.set_defaults(run=cmd_export)

    add_render_parser(commands)
    add_import_command(commands)
    from .items import add_parser as add_items  # who owes what (cli/items.py)

    add_items(commands)
    return top


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        return int(args.run(args, out, err))
    except UsageError as exc:
        err.write(f"pmtheater: {exc}\n")
        return 2
    except BrokenPipeError:  # the reader went away (`pmtheater export | head`)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 1
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
