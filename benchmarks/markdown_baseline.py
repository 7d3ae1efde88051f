"""The baseline of the build benchmark: the same incidents, written by hand as Markdown.

A team without pmtheater writes each post-mortem as a Markdown page with the
same sections a playbill has (facts and milestones, story, cast, setting,
screenplay, plot, critique with the 5 whys, call sheet, awards), and keeps an
index, an action-item list and a hall of fame by hand. This module writes
exactly that, from the same generated data (benchmarks/generate.py, same seed),
so the two builds render the same content.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from generate import MKDOCS_YML, RUNBOOK, generate_incident

OPEN = ("open", "in-progress", "blocked")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _when(text: str) -> str:
    return _moment(text).strftime("%Y-%m-%d %H:%M UTC")


def _since(start: str, text: str) -> str:
    minutes = int((_moment(text) - _moment(start)).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown_page(d: dict[str, Any]) -> str:
    """One incident as the Markdown page a person would write."""
    out = [f"# {d['id']}: {d['title']}", ""]
    out += [f"**Severity:** {d['severity']} · **Status:** {d.get('status', 'published')}  ",
            f"**Services:** {', '.join(d.get('services', []))} · "
            f"**Tags:** {', '.join(d.get('tags', []))}  ",
            f"**Director:** {d.get('director', '')} · **Review held:** {d.get('review_date', '')}",
            "", "| Milestone | When | Since impact began |", "|---|---|---|",
            f"| Impact started | {_when(d['started_at'])} | – |"]
    for key, label in (("detected_at", "Detected"), ("mitigated_at", "Mitigated"),
                       ("resolved_at", "Resolved")):
        if key in d:
            out.append(f"| {label} | {_when(d[key])} | {_since(d['started_at'], d[key])} |")
    out += ["", "## The story", "", d["summary"], ""]
    if "impact" in d:
        out += ["### Impact", "", d["impact"], ""]
    out += ["## Cast of Characters", "", "| Role | Played by | Notes |", "|---|---|---|"]
    out += [f"| {_cell(c['role'])} | {_cell(c.get('actor', '(not a person)'))} | "
            f"{_cell(c.get('notes'))} |" for c in d.get("cast", [])]
    setting = d.get("setting", {})
    out += ["", "## Stage Directions & Setting", "", setting.get("environment", ""), "",
            "### Props", ""]
    for prop in setting.get("props", []):
        target = (f"<{prop['url']}>" if "url" in prop
                  else f"[{prop['page']}](../{prop['page']})")
        out.append(f"- **{prop.get('kind', '')}** {prop['name']} – {target}")
    out += ["", "### Contributing conditions", ""]
    out += [f"- {c}" for c in setting.get("conditions", [])]
    out += ["", "## The Screenplay", "", "Times in UTC.", ""]
    for n, scene in enumerate(d.get("timeline", []), 1):
        point = (f" ({scene['plot_point'].replace('-', ' ').title()})"
                 if "plot_point" in scene else "")
        out.append(f"{n}. **{_moment(scene['at']).strftime('%H:%M')} UTC, "
                   f"{scene['character']}**{point}: {scene['action']}")
        if "observation" in scene:
            out.append(f"    *Saw:* {scene['observation']}")
        if "belief" in scene:
            out.append(f"    *Believed:* {scene['belief']}")
    out += ["", "## Plot Points", ""]
    for key, text in d.get("plot", {}).items():
        out += [f"**{key.replace('_', ' ').capitalize()}:** {text}", ""]
    review = d.get("review", {})
    out += ["## The Critique", ""]
    for key, question in (("went_well", "What went well?"),
                          ("got_lucky", "Where did we get lucky?"),
                          ("could_improve", "What could have been more successful?"),
                          ("detection", "How did we not detect this sooner?"),
                          ("process", "Why did our process allow this?")):
        if review.get(key):
            out += [f"### {question}", "", *(f"- {a}" for a in review[key]), ""]
    if review.get("five_whys"):
        out += ["### 5 Whys", ""]
        out += [f"{n}. **Why?** {w['why']} **Because** {w['because']}"
                for n, w in enumerate(review["five_whys"], 1)]
        out.append("")
    for key, heading in (("root_causes", "Root causes"),
                         ("contributing_factors", "Contributing factors")):
        if review.get(key):
            out += [f"### {heading}", "", *(f"- {a}" for a in review[key]), ""]
    out += ["## Call Sheet", "",
            "| Item | Action | Owner | Due | Priority | Status | Kind | Tracker |",
            "|---|---|---|---|---|---|---|---|"]
    for item in d.get("action_items", []):
        action = _cell(item["title"]) + (f"<br>{_cell(item['notes'])}" if "notes" in item else "")
        tracker = f"<{item['tracker']}>" if "tracker" in item else ""
        out.append(f"| {item['id']} | {action} | {_cell(item['owner'])} | {item.get('due', '')} | "
                   f"{item.get('priority', 'P3')} | {item.get('status', 'open')} | "
                   f"{item.get('kind', '')} | {tracker} |")
    out += ["", "## Awards Ceremony", ""]
    out += [f"- **{a['award']}**: {a['recipient']}. {a.get('citation', '')}"
            for a in d.get("awards", [])]
    return "\n".join(out) + "\n"


def index_page(incidents: list[dict[str, Any]]) -> str:
    rows = ["# Post-mortem index", "",
            "| Incident | Title | Severity | Status | Started | Services | Tags | Open items |",
            "|---|---|---|---|---|---|---|---|"]
    for d in sorted(incidents, key=lambda d: d["started_at"], reverse=True):
        open_items = sum(1 for i in d.get("action_items", []) if i.get("status", "open") in OPEN)
        rows.append(f"| [{d['id']}]({d['id'].lower()}.md) | {_cell(d['title'])} | "
                    f"{d['severity']} | {d.get('status', 'published')} | {d['started_at'][:10]} | "
                    f"{', '.join(d.get('services', []))} | {', '.join(d.get('tags', []))} | "
                    f"{open_items} |")
    return "\n".join(rows) + "\n"


def board_page(incidents: list[dict[str, Any]]) -> str:
    out = ["# Action items", ""]
    for status in OPEN:
        out += [f"## {status}", "", "| Item | Title | Owner | Due | Priority |",
                "|---|---|---|---|---|"]
        items = [(i.get("due", ""), d, i) for d in incidents for i in d.get("action_items", [])
                 if i.get("status", "open") == status]
        for due, d, i in sorted(items, key=lambda t: t[0]):
            out.append(f"| [{d['id']} › {i['id']}]({d['id'].lower()}.md#{i['id'].lower()}) | "
                       f"{_cell(i['title'])} | {_cell(i['owner'])} | {due} | "
                       f"{i.get('priority', 'P3')} |")
        out.append("")
    return "\n".join(out)


def hall_page(incidents: list[dict[str, Any]]) -> str:
    by_recipient: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for d in incidents:
        for award in d.get("awards", []):
            by_recipient[award["recipient"]].append((d, award))
    out = ["# Hall of fame", ""]
    for name, honours in sorted(by_recipient.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        out += [f"## {name}", ""]
        out += [f"- **{a['award']}** for [{d['id']}: {d['title']}]({d['id'].lower()}.md): "
                f"{a.get('citation', '')}" for d, a in honours]
        out.append("")
    return "\n".join(out)


def write_markdown_site(root: Path, count: int, seed: int = 1, *, lists: bool = True) -> Path:
    """The same site as ``generate.write_site``, with the incidents pre-written as Markdown.

    With ``lists`` the site also has the hand-kept index, action-item list and hall of
    fame; without, it is only "the same content written as Markdown pages kept out of
    the navigation", the baseline of issue #12.
    """
    docs = root / "docs"
    (docs / "runbooks").mkdir(parents=True, exist_ok=True)
    (docs / "incidents").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Generated incidents\n\nA benchmark site.\n")
    (docs / "runbooks" / "api-latency.md").write_text(RUNBOOK)
    # Like playbills, incident pages stay out of the navigation; the three lists are in it.
    config = MKDOCS_YML.format(theme="material", plugins="")
    config += "not_in_nav: |\n  /incidents/inc-*.md\n"
    (root / "mkdocs.yml").write_text(config)
    rng = random.Random(seed)
    incidents = [generate_incident(index, rng) for index in range(1, count + 1)]
    for d in incidents:
        page = docs / "incidents" / f"{d['id'].lower()}.md"
        page.write_text(markdown_page(d), encoding="utf-8")
    if lists:
        (docs / "incidents" / "index.md").write_text(index_page(incidents), encoding="utf-8")
        (docs / "incidents" / "action-items.md").write_text(board_page(incidents),
                                                            encoding="utf-8")
        (docs / "incidents" / "hall-of-fame.md").write_text(hall_page(incidents),
                                                            encoding="utf-8")
    return root
