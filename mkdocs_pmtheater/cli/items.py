"""``pmtheater items``: who owes what, for a weekly reminder job in CI.

Lists every open action item (open, in progress, blocked) of the incidents
the site publishes (drafts the site hides are left out, as on the board),
grouped by owner (names matched as on the board, with the ``people``
option), soonest due first, with its age and how many days it is overdue.
The build date is today in the site's zone, or ``SOURCE_DATE_EPOCH``'s day.

Exit status: 0 (even with overdue items: a reminder is not a failure); 1 when
incident files have problems (they are printed on stderr, and those files'
items are missing); 2 when the command cannot run.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from ..catalogue.followthrough import age_days, days_overdue
from ..catalogue.people import People
from ..catalogue.views import meet_everyone
from ..model.incident import ActionItem, Incident
from ..model.timestamps import site_zone
from ..publish.production import build_date


@dataclass
class Owed:
    owner: str
    item: ActionItem
    incident: Incident
    age: int
    overdue: int


def owed_items(incidents: list[Incident], today: date, zone: Any,
               people: People) -> list[Owed]:
    """Open items, by owner (most overdue owner first), then soonest due."""
    meet_everyone(people, incidents)
    rows = []
    for incident in incidents:
        for item in incident.open_action_items:
            rows.append(Owed(people.display(people.key(item.owner)), item, incident,
                             age_days(incident, today, zone), days_overdue(item, today)))
    overdue_by_owner: dict[str, int] = {}
    for row in rows:
        overdue_by_owner[row.owner] = overdue_by_owner.get(row.owner, 0) + (row.overdue > 0)

    def order(row: Owed) -> tuple[object, ...]:
        due = row.item.due  # then as on the board: soonest due, most urgent, by id
        return (-overdue_by_owner[row.owner], row.owner.casefold(), row.owner,
                due is None, due or date.min, row.item.priority,
                row.incident.id.casefold(), row.item.id.casefold())

    return sorted(rows, key=order)


def _data(row: Owed) -> dict[str, Any]:
    item = row.item
    return {"owner": row.owner, "incident": row.incident.id, "item": item.id,
            "title": item.title, "due": item.due.isoformat() if item.due else None,
            "priority": item.priority, "status": item.status, "kind": item.kind,
            "tracker": item.tracker, "age_days": row.age, "days_overdue": row.overdue,
            "overdue": row.overdue > 0}


def _markdown_cell(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace(
        "<", "&lt;").replace("`", "\\`")


def render(rows: list[Owed], fmt: str, today: date) -> str:
    if fmt == "json":
        return json.dumps({"date": today.isoformat(), "open": len(rows),
                           "overdue": sum(r.overdue > 0 for r in rows),
                           "items": [_data(r) for r in rows]},
                          ensure_ascii=False, indent=2) + "\n"
    lines: list[str] = []
    owner = None
    if fmt == "markdown":
        lines.append(f"# Open action items on {today.isoformat()}")
        for row in rows:
            if row.owner != owner:
                owner = row.owner
                lines += ["", f"## {_markdown_cell(owner)}", "",
                          "| Item | Title | Due | Overdue | Age | Priority | Status |",
                          "|---|---|---|---|---|---|---|"]
            item = row.item
            lines.append(
                f"| {_markdown_cell(row.incident.id)}#{_markdown_cell(item.id)} | "
                f"{_markdown_cell(item.title)} | {item.due.isoformat() if item.due else '–'} | "
                f"{f'{row.overdue} d' if row.overdue else ''} | {row.age} d | {item.priority} | "
                f"{item.status} |")
        if not rows:
            lines += ["", "Nobody owes anything."]
        return "\n".join(lines) + "\n"
    for row in rows:
        if row.owner != owner:
            owner = row.owner
            lines.append(f"{owner}:")
        item = row.item
        due = item.due.isoformat() if item.due else "no due date"
        late = f", OVERDUE by {row.overdue} d" if row.overdue else ""
        lines.append(f"  {row.incident.id}#{item.id} {' '.join(item.title.split())} "
                     f"(due {due}{late}; open {row.age} d; {item.priority}, {item.status})")
    if not rows:
        lines.append("Nobody owes anything.")
    return "\n".join(lines) + "\n"


def cmd_items(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .common import project_for as _project
    from .validate import check_site

    cwd = Path.cwd()
    project = _project(args, cwd)
    checked = check_site(project, None, cwd)
    for problem in checked.problems:
        err.write(problem.text() + "\n")
    zone = site_zone(project.options.timezone)
    today = build_date(zone)
    people = People({str(k): [str(n) for n in v] for k, v in dict(project.options.people).items()})
    rows = owed_items(checked.published, today, zone, people)
    if args.owner:
        wanted = people.key(args.owner)
        rows = [r for r in rows if people.key(r.item.owner) == wanted]
    if args.overdue:
        rows = [r for r in rows if r.overdue > 0]
    out.write(render(rows, args.format, today))
    return 1 if checked.problems else 0


def add_parser(commands: Any) -> None:
    """Register ``items`` on the ``pmtheater`` command's sub-parsers."""
    items = commands.add_parser("items", help="list open action items by owner (who owes what)")
    items.add_argument("--owner", help="only this person's items (names match as on the board)")
    items.add_argument("--overdue", action="store_true", help="only items past their due date")
    items.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                       help="text (default), json, or markdown (for an issue or a chat post)")
    items.set_defaults(run=cmd_items)
