"""``pmtheater validate``: the build's checks, for pull requests and pre-commit.

Post-mortems arrive through pull requests, so the checks a reviewer relies on
must run before the site is built: ``pmtheater validate`` runs exactly the
checks of the build (the core production's: every per-file check, and the
checks across files: unique ids, free addresses, existing prop pages, links in
incident Markdown) and prints the problems as text, as GitHub workflow
annotations or as JSON.

Which site: ``--config-file`` if given; for given PATHS, the nearest
``mkdocs.yml`` (or ``zensical.toml``) above each path (a repository may hold
several sites); otherwise the one in the current folder; without any, the
defaults (``docs/incidents/``) under the current folder. With explicit PATHS
the whole incidents folder is still read, so the checks across files see every
incident, but only problems in the given files are reported, plus problems in
other files that a given file causes (the other file of a duplicate id). The
other files come from the validation cache (``load/cache.py``,
``.pmtheater-cache/``) when their bytes are unchanged, which gives the same
answer in a fraction of the time; ``--no-cache`` skips it. Paths in messages are
relative to the current folder, which is what pre-commit and GitHub expect.

Exit status: 0 no problems, 1 problems found, 2 the command could not run
(unreadable configuration, bad options, bad arguments).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..load.cache import CachedLoader, cached_loader
from ..load.loader import INCIDENT_SUFFIXES, find_incident_files
from ..model.incident import Incident
from ..model.problems import Problem, display_path
from ..publish.production import Production, read_sources
from .common import UsageError, config_for, project_for
from .project import Project, ProjectError, find_config, load_project


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
    fixed = config_for(args, cwd) if args.config_file else None
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


def check_site(project: Project, given: list[Path] | None, cwd: Path, *,
               cache: bool = False) -> Checked:
    """The build's checks for ``project``, reporting on ``given`` files (None: all).

    With ``cache``, files other than the given ones come from their summaries in the
    project's ``.pmtheater-cache/`` when their bytes are unchanged (``load/cache.py``):
    the same answer, without reading and checking every file of a big site again.
    """
    production = project.production()
    loader: CachedLoader | None = None
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
    if cache:
        loader = cached_loader(project.root, project.site_options(), production.zone, wanted)
        production.loader = loader
    # A short-lived process that keeps every incident to the end: the cycle collector
    # would rescan them all again and again (half of a cached run's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        sources, refused = read_sources(
            ((f.src_uri, f.abs_src_path, display_path(f.abs_src_path or f.src_uri, root),
              lambda f=f: f.content_bytes)
             for f in files if production.is_incident_file(f.src_uri)),
            (str(project.docs_dir), root))
        site_files = {f.src_uri: display_path(f.abs_src_path or f.src_uri, root)
                      for f in files if not production.is_incident_file(f.src_uri)}
        publishing = production.check(sources, site_files)
    finally:
        if collecting:
            # Every incident stays alive to the end of the command: moved out of the
            # collector's sight, so that the next collection (the report's allocations
            # trigger one) does not walk them all again (0.1 s at 10,000 incidents).
            gc.freeze()
            gc.enable()
    if loader is not None:
        loader.summaries.save()
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
            checked_site = check_site(project, group, cwd, cache=args.cache)
            problems += checked_site.problems
            checked += checked_site.count
    else:
        checked_site = check_site(project_for(args, cwd), None, cwd, cache=args.cache)
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



def add_parser(commands: Any) -> None:
    """``pmtheater validate [PATHS...] [--format text|github|json]``."""
    validate = commands.add_parser(
        "validate", help="check incident files with exactly the checks of the site build")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="files or folders (default: the site's whole incidents folder)")
    validate.add_argument("--format", choices=("text", "github", "json"), default="text",
                          help="text (default), github (workflow annotations) or json")
    validate.add_argument("--no-cache", dest="cache", action="store_false",
                          help="check every file again, without reading or writing the "
                               "summaries in .pmtheater-cache/ (the answer is the same)")
    validate.set_defaults(run=cmd_validate)
