"""``pmtheater schema`` and ``pmtheater export``: the format and the incidents as data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from ..publish.export import incidents_document
from .common import project_for, write_output
from .new import schema_text
from .validate import check_site


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    write_output(schema_text(project_for(args, Path.cwd())), args.output, out)
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    cwd = Path.cwd()
    project = project_for(args, cwd)
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
    write_output(incidents_document(entries), args.output, out)
    return 1 if checked.problems else 0



def add_parser(commands: Any) -> None:
    """``pmtheater schema [-o FILE]`` and ``pmtheater export [-o FILE]``."""
    schema = commands.add_parser("schema", help="print the JSON Schema of incident files")
    schema.add_argument("-o", "--output", help="write to this file instead")
    schema.set_defaults(run=cmd_schema)

    export = commands.add_parser("export", help="print every valid incident as JSON")
    export.add_argument("-o", "--output", help="write to this file instead")
    export.set_defaults(run=cmd_export)
