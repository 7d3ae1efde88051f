"""``pmtheater render``: write every page the plugin would publish into docs_dir, for Zensical.

Zensical (the successor of Material for MkDocs) runs none of our MkDocs
plugin code, but it publishes Markdown pages, assets and data files found in
``docs_dir``. ``render`` writes them there: the playbills, the catalogue pages,
``schema.json``, ``incidents.json``, ``action-items.ics``, ``feed.xml``, the
assets and the images beside incident files, under ``<docs_dir>/<prefix>/``
(assets under ``<docs_dir>/assets/pmtheater/``). The writer
(:mod:`mkdocs_pmtheater.zensical.writer`) never overwrites or deletes a file it
did not write and removes its own stale files.

Which site: ``-f/--config-file`` (``zensical.toml``, ``mkdocs.yml`` or
``mkdocs.yaml``), else the first of those in the current folder, the order
Zensical itself uses. In ``zensical.toml`` Zensical reads only the
``[project]`` table (when there is one); the plugin options go in
``[project.plugins.pmtheater]``, the same keys as ``plugins: - pmtheater:`` in
``mkdocs.yml``. Zensical 0.0.73 accepts that table and ignores it.

Exit status: 0 done (with ``--check``: everything up to date), 1 problems in
incident files or generated files in the way (with ``--check``: also files
missing, out of date or stale), 2 the command could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ..model.problems import Problem
from ..publish.outputs import Output
from ..zensical.writer import MANIFEST_NAME, WriteResult, write_outputs
from .project import Project, ProjectError, load_project

RENDER_CONFIG_NAMES = ("zensical.toml", "mkdocs.yml", "mkdocs.yaml")
"""Looked for in the current folder, in this order (Zensical's own order)."""


class RenderError(Exception):
    """render cannot run as asked (exit status 2); the message says why."""


# -- the site --------------------------------------------------------------------------
def find_site_config(args_config: str | None, cwd: Path) -> Path | None:
    """``-f`` when given (it must exist), else the first of RENDER_CONFIG_NAMES in ``cwd``."""
    if args_config:
        path = Path(args_config)
        if not path.is_file():
            raise RenderError(f"no such config file: {args_config}")
        return path
    return next((cwd / n for n in RENDER_CONFIG_NAMES if (cwd / n).is_file()), None)


def load_site(config_file: Path | None, cwd: Path) -> Project:
    """The project of ``config_file`` (TOML or YAML); without one, the defaults under ``cwd``."""
    try:
        return load_project(config_file, cwd)
    except ProjectError as exc:
        raise RenderError(str(exc)) from None


def manifest_path(project: Project) -> str:
    """Where the manifest of generated files lives, relative to docs_dir."""
    prefix = project.options.prefix.strip("/")
    return f"{prefix}/{MANIFEST_NAME}" if prefix else MANIFEST_NAME


# -- rendering ---------------------------------------------------------------------------
def render_outputs(project: Project) -> tuple[list[Output], list[Problem]]:
    """Every file the plugin would publish for ``project``, and the problems found."""
    # Imported here: every other command (the pre-commit hook's validate, above all)
    # starts faster without the page renderer.
    from ..zensical.pages import render_site

    outputs, problems = render_site(project)
    return list(outputs), list(problems)


def render_once(project: Project, *, check: bool, out: TextIO, err: TextIO) -> int:
    """Render and write (or check) once; prints problems like the build. Returns the exit status."""
    if project.options.enabled:
        outputs, problems = render_outputs(project)
    else:  # turned off: publish nothing, so the generated files go
        outputs, problems = [], []
    result = write_outputs(project.docs_dir, outputs, check=check,
                           manifest=manifest_path(project), root=project.root)
    everything = sorted([*problems, *result.problems], key=Problem.sort_key)
    for problem in everything:
        out.write(problem.text() + "\n")
    err.write(_summary(project, result, check, len(everything)) + "\n")
    if everything or (check and result.changed):
        return 1
    return 0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _summary(project: Project, result: WriteResult, check: bool, problems: int) -> str:
    where = Path(os.path.relpath(project.docs_dir, project.root)).as_posix()
    if check:
        lines = [f"pmtheater render --check: {where}/: " + (
            "the generated files are up to date" if not result.changed else
            f"{len(result.created)} missing, {len(result.updated)} out of date, "
            f"{len(result.removed)} stale; run 'pmtheater render'")]
        lines += [f"  missing: {p}" for p in result.created]
        lines += [f"  out of date: {p}" for p in result.updated]
        lines += [f"  stale: {p}" for p in result.removed]
    else:
        lines = [f"pmtheater render: {where}/: {_plural(len(result.created), 'new file')}, "
                 f"{len(result.updated)} updated, {len(result.removed)} removed, "
                 f"{len(result.unchanged)} unchanged"]
    if problems:
        lines.append(f"pmtheater render: {_plural(problems, 'problem')}")
    return "\n".join(lines)


# -- --watch -----------------------------------------------------------------------------
Snapshot = dict[str, tuple[int, int]]


def watched_files(project: Project) -> Snapshot:
    """``path -> (mtime_ns, size)`` of the files of docs_dir and the config file.

    All of docs_dir, not only the incidents folder: a hand-written page that gains
    or loses an incident link changes the playbill's "Referenced by", and a page
    named in a prop may appear or go. The files render generates (listed in its
    manifest) and dotfiles are left out, so render's own writes do not start
    another render.
    """
    generated: set[str] = set()
    manifest = project.docs_dir / manifest_path(project)
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        generated = {str(project.docs_dir / p) for p in listed} if isinstance(listed, dict) \
            else set()
    except (OSError, ValueError, AttributeError):
        pass
    found: Snapshot = {}
    for folder, dirs, files in os.walk(project.docs_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            path = os.path.join(folder, name)
            if name.startswith(".") or path in generated:
                continue
            try:
                info = os.stat(path)
            except OSError:
                continue
            found[path] = (info.st_mtime_ns, info.st_size)
    if project.config_file is not None:
        try:
            info = os.stat(project.config_file)
            found[str(project.config_file)] = (info.st_mtime_ns, info.st_size)
        except OSError:
            pass
    return found


def watch_loop(snapshot: Callable[[], Snapshot], on_change: Callable[[], None], *,
               interval: float = 0.5, debounce: float = 0.3,
               stop: Callable[[], bool] = lambda: False) -> None:
    """Call ``on_change`` after the files of ``snapshot`` change and then hold still.

    Polls every ``interval`` seconds (no platform file-event API, so it works
    the same in containers and on network drives); a burst of saves (an
    editor writing a temporary file, then renaming it) becomes one call once
    nothing changed for ``debounce`` seconds. The snapshot is taken again
    after ``on_change``, so files it writes itself do not call it again.
    """
    last = snapshot()
    while not stop():
        time.sleep(interval)
        current = snapshot()
        if current == last:
            continue
        while True:
            time.sleep(debounce)
            settled = snapshot()
            if settled == current:
                break
            current = settled
        on_change()
        last = snapshot()


def _watch(args: argparse.Namespace, config_file: Path | None, cwd: Path,
           out: TextIO, err: TextIO) -> int:
    state: dict[str, Project] = {}

    def render() -> None:
        # A broken file is a problem to print, never a reason to stop watching.
        try:
            state["project"] = load_site(config_file, cwd)
            render_once(state["project"], check=False, out=out, err=err)
        except RenderError as exc:
            err.write(f"pmtheater: {exc}\n")
        except Exception as exc:  # keep serving while the author fixes it
            err.write(f"pmtheater render: could not render: {exc!r}\n")
        out.flush()
        err.flush()

    render()
    if "project" not in state:
        return 2
    err.write("pmtheater render: watching for changes (Ctrl+C to stop)\n")
    err.flush()

    def snapshot() -> Snapshot:
        return watched_files(state["project"])

    watch_loop(snapshot, render, interval=args.interval)
    return 0  # pragma: no cover - only Ctrl+C ends the loop


def cmd_render(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The ``render`` subcommand (see the module docstring)."""
    cwd = Path.cwd()
    try:
        config_file = find_site_config(getattr(args, "config_file", None), cwd)
        if args.watch:
            return _watch(args, config_file, cwd, out, err)
        return render_once(load_site(config_file, cwd), check=args.check, out=out, err=err)
    except RenderError as exc:
        err.write(f"pmtheater: {exc}\n")
        return 2


def add_parser(commands: Any) -> None:
    """Add ``render`` to the subcommands of ``pmtheater``."""
    render = commands.add_parser(
        "render", help="write the playbills, catalogue and data files into docs_dir (Zensical)")
    # SUPPRESS: without -f here, the top-level `pmtheater -f X render` value stays.
    render.add_argument("-f", "--config-file", metavar="CONFIG", default=argparse.SUPPRESS,
                        help="zensical.toml or mkdocs.yml (default: the first of "
                             "zensical.toml, mkdocs.yml, mkdocs.yaml here)")
    mode = render.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when generated files are missing, out of "
                           "date or stale (for CI)")
    mode.add_argument("--watch", action="store_true",
                      help="render again whenever a file of docs_dir or the config changes "
                           "(run beside 'zensical serve')")
    render.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    render.set_defaults(run=cmd_render)
