"""The ``pmtheater`` command: one module per command, wired here.

``new`` (new.py), ``validate`` (validate.py), ``schema`` and ``export``
(data.py), ``render`` (render.py, pages for Zensical), ``import`` (import_cmd.py,
timelines from chat exports) and ``items`` (items.py, who owes what). Every
command reads the site's options from its ``mkdocs.yml`` or ``zensical.toml``
(see common.py) and needs neither the theme nor the other plugins.

Exit status: 0 done, 1 problems found, 2 the command could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from . import data, items, new, render, validate
from .common import UsageError
from .import_cmd import add_import_command

# Kept importable from here: what tests and other tools used before the split.
from .new import next_id, slugify  # noqa: F401
from .validate import check_site, github_annotation  # noqa: F401


def parser() -> argparse.ArgumentParser:
    """The command line: ``pmtheater [-f CONFIG] COMMAND ...``."""
    top = argparse.ArgumentParser(
        prog="pmtheater",
        description="Incident post-mortems for mkdocs-pmtheater: create, validate, publish, "
                    "export.",
    )
    top.add_argument("-f", "--config-file", metavar="CONFIG",
                     help="the site's mkdocs.yml or zensical.toml (default: the one in the "
                          "current folder, else the nearest one above each file)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    new.add_parser(commands)
    validate.add_parser(commands)
    data.add_parser(commands)
    render.add_parser(commands)
    add_import_command(commands)
    items.add_parser(commands)
    return top


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command of ``argv`` (default: ``sys.argv``); returns the exit status."""
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
