"""What every ``pmtheater`` command shares: finding the site, usage errors, writing output."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from .project import CONFIG_NAMES, Project, ProjectError, load_project


class UsageError(Exception):
    """The command cannot run as asked (exit status 2)."""


def config_for(args: argparse.Namespace, cwd: Path) -> Path | None:
    """``--config-file``, else mkdocs.yml (then zensical.toml) in the current folder, else
    None (the defaults)."""
    if args.config_file:
        path = Path(args.config_file)
        if not path.is_file():
            raise UsageError(f"no such config file: {args.config_file}")
        return path
    return next((cwd / n for n in CONFIG_NAMES if (cwd / n).is_file()), None)


def project_for(args: argparse.Namespace, cwd: Path) -> Project:
    """The site the command works on (see :func:`config_for`); raises :class:`UsageError`."""
    try:
        return load_project(config_for(args, cwd), cwd)
    except ProjectError as exc:
        raise UsageError(str(exc)) from None


def write_output(text: str, output: str | None, out: TextIO) -> None:
    """``text`` to the file ``output`` (``-`` or None: standard output)."""
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        out.write(text)
