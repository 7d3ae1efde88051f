"""Generate realistic, valid incident files and whole demo sites, deterministically.

Used by the benchmarks (sites of thousands of incidents) and by tests that need
many incidents. Each incident has about 15 scenes, 6 action items and 2 awards,
with text of the length real post-mortems have. The same seed gives the same
files, byte for byte.

    python benchmarks/generate.py OUT_DIR --count 2000 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

SERVICES = ["checkout", "payments-api", "ledger", "card-vault", "webhooks", "search",
            "auth", "notifications", "settlement", "fraud-scoring", "status-page", "cdn"]
TAGS = ["cache", "database", "deploy", "dns", "certificates", "capacity", "config",
        "third-party", "network", "queue", "feature-flag", "monitoring"]
PEOPLE = ["@priya", "@aiko", "@lena", "@kwame", "@marco", "@sofia", "@dmitri", "@yusuf",
          "@hana", "@tomas", "Dana Cole", "Rafael Ortiz", "Support Tier 2", "@noor"]
ROLES = ["Incident Commander", "On-Call Engineer", "Customer Support", "System Itself",
         "Rogue Deploy", "Database Engineer", "Communications Lead", "Network Engineer"]
AWARDS = ["Calm Under Fire", "Sharpest Eyes", "Best Supporting Runbook", "Night Owl",
          "Clearest Status Update", "Root Cause Detective"]
VERBS = ["Noticed", "Paged", "Rolled back", "Restarted", "Scaled out", "Drained",
         "Failed over", "Flushed", "Raised", "Posted", "Checked", "Disabled"]
OBJECTS = ["the checkout pods", "the primary database", "the cache cluster",
           "the `payments-api` deployment", "the status page", "the feature flag",
           "the DNS resolver pool", "the webhook queue", "the canary", "the load balancer"]
OBSERVATIONS = ["error rate at {n}% on the Grafana dashboard", "p99 latency at {n}00 ms",
                "{n}k messages waiting in the queue", "CPU pinned at 9{n}% on two nodes",
                "{n} customer tickets in ten minutes", "connection pool exhausted on {n} hosts"]
BELIEFS = ["Suspected a caching issue triggered by marketing traffic.",
           "Believed the last deploy was the cause.",
           "Thought the database was healthy because the replica looked fine.",
           "Assumed the alert was another false positive.",
           "Expected the retry budget to absorb the spike."]
SENTENCES = ["Traffic grew faster than the autoscaler could add capacity.",
             "A configuration change reached every region at once.",
             "The alert fired, but on a dashboard nobody was watching.",
             "Retries from clients amplified the load on the recovering service.",
             "The runbook described a command that no longer exists.",
             "Customers saw **failed payments** and `502` errors at checkout.",
             "The on-call engineer was also handling an unrelated page.",
             "A certificate expired in a dependency we did not monitor."]


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))


def generate_incident(index: int, rng: random.Random) -> dict[str, Any]:
    """One realistic, schema-valid incident as plain data (times as text)."""
    year = 2021 + index % 5
    start = datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(
        days=rng.randrange(360), minutes=rng.randrange(24 * 60))
    detect = start + timedelta(minutes=rng.randrange(2, 40))
    mitigate = detect + timedelta(minutes=rng.randrange(5, 120))
    resolve = mitigate + timedelta(minutes=rng.randrange(10, 600))
    cast_roles = rng.sample(ROLES, 4)
    cast = [{"role": role, "actor": rng.choice(PEOPLE)} if role != "System Itself"
            else {"role": role, "notes": "The platform, playing itself."}
            for role in cast_roles]
    timeline = []
    moment = start - timedelta(minutes=10)
    plot_points = {0: "lead-up", 5: "climax", 9: "turning-point", 14: "resolution"}
    for scene_index in range(15):
        moment += timedelta(minutes=rng.randrange(1, 12))
        scene: dict[str, Any] = {
            "at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "character": rng.choice(cast_roles),
            "action": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}.",
            "observation": rng.choice(OBSERVATIONS).format(n=rng.randrange(1, 9)),
        }
        if scene_index % 3 == 0:
            scene["belief"] = rng.choice(BELIEFS)
        if scene_index in plot_points:
            scene["plot_point"] = plot_points[scene_index]
        timeline.append(scene)
    statuses = ["open", "in-progress", "blocked", "done", "wont-do", "open"]
    items = []
    for item_index in range(6):
        status = statuses[(index + item_index) % len(statuses)]
        item: dict[str, Any] = {
            "id": f"AI-{item_index + 1}",
            "title": f"{rng.choice(['Add', 'Fix', 'Document', 'Alert on', 'Automate'])} "
                     f"{rng.choice(OBJECTS).replace('`', '')}",
            "owner": rng.choice(PEOPLE),
            "priority": f"P{rng.randrange(1, 5)}",
            "status": status,
            "kind": rng.choice(["mitigate", "prevent", "detect", "process", "other"]),
            "tracker": f"https://tracker.example.com/browse/REL-{index * 10 + item_index}",
        }
        if status not in ("done", "wont-do") or item_index % 2:
            item["due"] = (resolve + timedelta(days=rng.randrange(7, 400))).strftime("%Y-%m-%d")
        if item_index % 2 == 0:
            item["notes"] = _paragraph(rng, 1)
        items.append(item)
    return {
        "id": f"INC-{year}-{index:05d}",
        "title": f"{rng.choice(SERVICES)} "
                 f"{rng.choice(['outage', 'degradation', 'errors', 'latency'])} after "
                 f"{rng.choice(['deploy', 'config change', 'traffic spike', 'failover'])}",
        "severity": f"SEV{rng.randrange(1, 6)}",
        "status": "published" if index % 17 else "in-review",
        "started_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detected_at": detect.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mitigated_at": mitigate.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resolved_at": resolve.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "services": rng.sample(SERVICES, 2),
        "tags": rng.sample(TAGS, 3),
        "summary": _paragraph(rng, 4),
        "impact": _paragraph(rng, 2),
        "director": rng.choice(PEOPLE),
        "review_date": (resolve + timedelta(days=3)).strftime("%Y-%m-%d"),
        "cast": cast,
        "timeline": timeline,
        "setting": {
            "environment": _paragraph(rng, 2),
            "props": [
                {"name": "Service dashboard", "kind": "dashboard",
                 "url": "https://grafana.example.com/d/abc"},
                {"name": "API latency runbook", "kind": "runbook",
                 "page": "runbooks/api-latency.md"},
            ],
            "conditions": [rng.choice(SENTENCES), rng.choice(SENTENCES)],
        },
        "plot": {key: _paragraph(rng, 1)
                 for key in ("lead_up", "climax", "turning_point", "resolution")},
        "review": {
            "went_well": [rng.choice(SENTENCES)],
            "got_lucky": [rng.choice(SENTENCES)],
            "could_improve": [rng.choice(SENTENCES)],
            "detection": [rng.choice(SENTENCES)],
            "process": [rng.choice(SENTENCES)],
            "five_whys": [{"why": f"Why did step {n} happen?", "because": rng.choice(SENTENCES)}
                          for n in range(1, 4)],
            "root_causes": [rng.choice(SENTENCES)],
            "contributing_factors": [rng.choice(SENTENCES)],
        },
        "action_items": items,
        "awards": [{"award": award, "recipient": rng.choice(PEOPLE),
                    "citation": _paragraph(rng, 1)} for award in rng.sample(AWARDS, 2)],
    }


def incident_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_incidents(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """``count`` incident files under ``folder/<year>/``; the same seed, the same bytes."""
    rng = random.Random(seed)
    paths = []
    for index in range(1, count + 1):
        data = generate_incident(index, rng)
        year = data["started_at"][:4]
        path = folder / year / f"{data['id'].lower()}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(incident_yaml(data), encoding="utf-8")
        paths.append(path)
    return paths


RUNBOOK = """# API latency runbook

1. Open the service dashboard and compare p99 latency with the last deploy.
2. If the last deploy correlates, roll it back.
3. Otherwise scale out and page the owning team.
"""

MKDOCS_YML = """site_name: Generated incidents
site_url: https://docs.example.test/
theme:
  name: {theme}
markdown_extensions:
  - admonition
  - attr_list
  - tables
  - toc:
      permalink: true
plugins:
  - search
{plugins}"""


def write_site(root: Path, count: int, seed: int = 1, *, theme: str = "material",
               plugin: bool = True) -> Path:
    """A whole docs project with ``count`` generated incidents; returns ``root``."""
    docs = root / "docs"
    (docs / "runbooks").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# Generated incidents\n\nA benchmark site.\n")
    (docs / "runbooks" / "api-latency.md").write_text(RUNBOOK)
    plugins = "  - pmtheater\n" if plugin else ""
    (root / "mkdocs.yml").write_text(MKDOCS_YML.format(theme=theme, plugins=plugins))
    write_incidents(docs / "incidents", count, seed)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create the site in")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_site(args.out, args.count, args.seed)
    print(f"wrote {args.count} incidents to {args.out / 'docs' / 'incidents'}")


if __name__ == "__main__":
    main()
