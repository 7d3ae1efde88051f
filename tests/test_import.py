"""``pmtheater import``: timelines from a Slack export and from a pasted chat log (issue #14).

The export in ``tests/data/slack-export/`` is hand-made and holds every message
kind the importer must handle: joins and leaves, a bot alert whose text is in
its attachments, thread replies and a broadcast, an edited message and a
``message_changed`` event, a deleted message, another channel (and a private
one) with the same timestamps, mentions, channel links, links with labels,
bold/italic/strike/code, escaped entities, a user without a display name, a
deleted user, a shared file, a topic change and a second day.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SiteFactory
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mkdocs_pmtheater.imports.markup import clean_text, slack_to_markdown
from mkdocs_pmtheater.imports.merge import yaml_scalar

EXPORT = REPO / "tests" / "data" / "slack-export"
CHANNEL = "inc-checkout"


def pmtheater(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, started from this Python (no console script needed)."""
    return subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def scenes_of(text: str) -> list[dict]:
    return yaml.safe_load(text)["timeline"]


INCIDENT = """\
# yaml-language-server: $schema=../../schemas/incident.schema.json
id: INC-2024-031    # keep this comment
title: "Checkout errors after pricing cache keys expired at once"
severity: SEV2
started_at: 2024-03-14T14:00:00Z
summary: |
  A million cache keys expired together.

  Checkout failed for one request in four.
services: [checkout-api,   pricing-service]
cast:
  # first responder
  - role: On-Call Engineer
    actor: "@priya"
  - role: PagerDuty
# The screenplay, retyped by hand so far
timeline:
  - at: "14:06"
    character: On-Call Engineer
    action: Paged by `CheckoutErrorRateHigh`; opens the cache dashboard.
    belief: Redis is full and evicting keys.

  # the turning point
  - at: '14:09'        # bare time
    character: On-Call Engineer
    action: |
      Compares the evictions and expirations panels.
    plot_point: turning-point
action_items:
  - {id: AI-1, title: Add jitter to TTLs, owner: "@aiko", status: done}
"""


# -- Slack markup -----------------------------------------------------------------
@pytest.mark.parametrize(("slack", "markdown"), [
    ("<@U1> and <@U2|bob>", "@Priya Raman and @bob"),
    ("see <#C9|incidents> and <#C1>", "see #incidents and #general"),
    ("<!here> <!channel> <!everyone> <!subteam^S1|@sre-oncall>",
     "@here @channel @everyone @sre-oncall"),
    ("<https://x.example/a?b=1&amp;c=2|the *graph*>", "[the *graph*](https://x.example/a?b=1&c=2)"),
    ("<https://x.example/a>", "<https://x.example/a>"),
    ("<mailto:oncall@example.com|oncall>", "[oncall](mailto:oncall@example.com)"),
    ("<https://x.example/(1)|a [b]>", "[a \\[b\\]](https://x.example/%281%29)"),
    ("*bold* _italic_ ~gone~", "**bold** *italic* ~gone~"),
    ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
    ("`*not bold* &lt;b&gt;`", "`*not bold* <b>`"),
    ("```\nrm -rf &lt;dir&gt; &amp;&amp; <https://x.example>\n```",
     "```\nrm -rf <dir> && https://x.example\n```"),
    ("&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;", "<script>alert(1)</script> &lt;"),
    ("# not a heading :fire:", "\\# not a heading :fire:"),
    ("bell\x07 and \r\nnext", "bell  and \nnext"),
])
def test_slack_markup_becomes_markdown(slack: str, markdown: str) -> None:
    users = {"U1": "Priya Raman"}
    assert slack_to_markdown(slack, users, {"C1": "general"}) == markdown


def test_strike_only_when_the_site_renders_it() -> None:
    assert slack_to_markdown("~gone~", strike=True) == "~~gone~~"
    assert slack_to_markdown("~gone~", strike=False) == "~gone~"


def test_markup_is_linear_on_hostile_text() -> None:
    hostile = "*a _b ~c `d <e " * 20000 + "&lt;" * 20000
    start = time.perf_counter()
    slack_to_markdown(hostile)
    assert time.perf_counter() - start < 2


# -- a Slack export ---------------------------------------------------------------
def test_every_message_kind_of_an_export(tmp_path: Path) -> None:
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    data = yaml.safe_load(done.stdout)
    scenes = data["timeline"]
    times = [s["at"] for s in scenes]
    assert [t.isoformat() if hasattr(t, "isoformat") else t for t in times][:2] == [
        "2024-03-14T14:02:05+00:00", "2024-03-14T14:03:00+00:00"]
    assert "at: 2024-03-14T14:02:05Z" in done.stdout  # UTC with the offset written
    assert times == sorted(times)
    actions = [s["action"] for s in scenes]
    by_time = {s["at"].strftime("%H:%M"): s for s in scenes}
    # The bot's alert (text in attachments) is the first scene, spoken by the bot.
    assert scenes[0]["character"] == "PagerDuty"
    assert scenes[0]["action"] == (
        "[Triggered: CheckoutErrorRateHigh](https://pagerduty.example.com/incidents/P123)\n"
        "Error rate 27 % on checkout-api")
    # Other channels never leak in, joins and leaves are dropped, deleted is deleted.
    assert not any("LEAK" in a or "joined" in a or "left the channel" in a for a in actions)
    assert not any("wrong channel" in a for a in actions)
    # Mentions, channel links, labelled and bare links, markup, entities.
    assert by_time["14:03"]["action"] == (
        "@here checkout is throwing 500s, see [the cache dashboard]"
        "(https://grafana.example.com/d/cache?from=1&to=2) and #general, raw "
        "<https://status.example.com>")
    assert by_time["14:04"]["action"] == (
        "**on it** - *looking* at ~redis~ with `redis-cli info` "
        "<script>alert(1)</script> & more :fire:")
    # The edited message once with its final text; the message_changed event applied.
    assert by_time["14:05"]["action"] == "Hit rate at 12 %, memory at 91 %"
    assert sum("Hit rate at 12" in a for a in actions) == 1
    assert by_time["14:08"]["action"] == (
        "Restarting the pricing service per [the runbook](https://runbooks.example.com/cache)")
    assert not any("srvice" in a for a in actions)
    # Thread replies (and a broadcast) are scenes at their own time, once.
    assert by_time["14:07"]["action"] == (
        "@priya evictions are flat, it is expirations (@Dana Cole fyi)")
    assert sum("coalescing" in a for a in actions) == 1
    assert by_time["14:12"]["action"] == (
        "@sre-oncall running:\n```\nkubectl rollout restart deploy/pricing && echo <done>\n```")
    assert by_time["14:15"]["action"] == "hit rate is back (file: Hit rate graph)"
    assert by_time["14:16"]["action"] == "@priya set the channel topic: SEV2 checkout, mitigated"
    assert scenes[-1]["at"].isoformat() == "2024-03-15T00:05:00+00:00"
    assert len(scenes) == 13
    # Cast: display name, else real name (Dana), the deleted user, the bot without actor.
    cast = {c["role"]: c.get("actor") for c in data["cast"]}
    assert cast == {"PagerDuty": None, "priya": "@priya", "Dana Cole": "@dana.cole",
                    "Aiko": "@aiko", "Sam Old": "@sam.old"}
    assert by_time["14:10"]["character"] == "Sam Old"
    assert done.stdout.count("# imported: review this role") == 5
    assert "Lou" not in done.stdout and "lurker" not in done.stdout


def test_a_zipped_export_gives_the_same_scenes(tmp_path: Path) -> None:
    flat, nested = tmp_path / "export.zip", tmp_path / "nested.zip"
    with zipfile.ZipFile(flat, "w") as one, zipfile.ZipFile(nested, "w") as two:
        for path in sorted(EXPORT.rglob("*.json")):
            name = path.relative_to(EXPORT).as_posix()
            one.write(path, name)
            two.write(path, "Acme Slack export Mar 14 2024/" + name)
    folder = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, cwd=tmp_path)
    for archive in (flat, nested):
        zipped = pmtheater("import", "slack", archive, "--channel", CHANNEL, cwd=tmp_path)
        assert zipped.returncode == 0, zipped.stderr
        assert zipped.stdout == folder.stdout
        assert len(scenes_of(zipped.stdout)) == 13


def test_from_and_until(tmp_path: Path) -> None:
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL,
                     "--from", "2024-03-14T15:04:00+01:00", "--until", "2024-03-14T14:10Z",
                     cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [s["at"].strftime("%H:%M") for s in scenes_of(done.stdout)] == [
        "14:04", "14:05", "14:07", "14:08", "14:10"]
    incident = tmp_path / "a.yaml"
    incident.write_text(INCIDENT, encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--from", "14:15",
                     "--incident", incident, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    timeline = yaml.safe_load(incident.read_text())["timeline"]
    added = [str(s["at"]) for s in timeline[2:]]  # after the two scenes written by hand
    assert added == ["2024-03-14 14:15:00+00:00", "2024-03-14 14:16:00+00:00",
                     "2024-03-14 14:17:00+00:00", "2024-03-15 00:05:00+00:00"]


def test_cast_file_maps_users_to_roles(tmp_path: Path) -> None:
    cast = tmp_path / "cast.yaml"
    cast.write_text("U01PRIYA: Incident Commander\n'@dana.cole': Cache Engineer\n"
                    "Aiko: Pricing Owner\n", encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--cast", cast,
                     cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(done.stdout)
    characters = {s["character"] for s in data["timeline"]}
    assert characters == {"PagerDuty", "Incident Commander", "Cache Engineer",
                          "Pricing Owner", "Sam Old"}
    roles = {c["role"]: c.get("actor") for c in data["cast"]}
    assert roles["Incident Commander"] == "@priya"
    # Roles the author chose are not marked; made-up ones (bot, Sam) are.
    assert done.stdout.count("# imported: review this role") == 2


# -- merging into an incident file ----------------------------------------------------
def _only_insertions(before: str, after: str) -> list[str]:
    """The inserted lines, asserting that every line of ``before`` is kept byte for byte."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    inserted = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False
                                                       ).get_opcodes():
        assert tag in ("equal", "insert"), (tag, old[i1:i2], new[j1:j2])
        if tag == "insert":
            inserted += new[j1:j2]
    return inserted


def _site(site: SiteFactory, text: str = INCIDENT) -> Path:
    site.config["markdown_extensions"].append("pymdownx.tilde")
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    return site.incident("2024/checkout.yaml", text)


def test_merge_into_an_incident_keeps_everything_else_and_builds(site: SiteFactory) -> None:
    incident = _site(site)
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
                     cwd=site.root)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "added 13 scenes" in done.stderr
    after = incident.read_text(encoding="utf-8")
    inserted = _only_insertions(INCIDENT, after)
    assert len(inserted) > 40 and all(line.startswith("  ") for line in inserted)
    before_data, after_data = yaml.safe_load(INCIDENT), yaml.safe_load(after)
    for key in before_data:
        if key not in ("timeline", "cast"):
            assert after_data[key] == before_data[key]
    # Existing entries kept, in place; new ones in time order among them.
    assert after_data["cast"][:2] == before_data["cast"]
    scenes = after_data["timeline"]
    assert len(scenes) == 15
    old = [s for s in scenes if "plot_point" in s or "belief" in s]
    assert [scenes.index(s) for s in old] == [4, 7]  # 14:06 after 14:05, 14:09 after 14:08
    # The known roles are used: priya is the On-Call Engineer, the bot is PagerDuty.
    assert {s["character"] for s in scenes} == {"On-Call Engineer", "PagerDuty", "Dana Cole",
                                                 "Aiko", "Sam Old"}
    assert after.count("# imported: review this role") == 3

    checked = pmtheater("validate", cwd=site.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    built = site.build(strict=True)
    assert built.warnings == []
    page = built.html("incidents/inc-2024-031/")
    screenplay = page.get_text(" ")
    assert "<script>alert(1)</script>" in screenplay  # the text is shown...
    assert not [s for s in page.find_all("script") if "alert(1)" in s.get_text()]  # ...not run
    link = page.find("a", href="https://pagerduty.example.com/incidents/P123")
    assert link is not None and link.get_text() == "Triggered: CheckoutErrorRateHigh"
    assert page.find("del", string="redis") is not None  # the site has pymdownx.tilde
    assert page.find("strong", string="on it") is not None
    assert "Restarting the pricing service per" in screenplay


def test_importing_twice_adds_nothing(site: SiteFactory) -> None:
    incident = _site(site)
    pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
              cwd=site.root)
    once = incident.read_bytes()
    again = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
                      cwd=site.root)
    assert again.returncode == 0, again.stderr
    assert "added 0 scenes (13 already there)" in again.stderr
    assert incident.read_bytes() == once


def test_missing_keys_crlf_and_a_bare_time_that_would_move(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    text = ("id: INC-9\r\ntitle: Zone test\r\nseverity: SEV3\r\n"
            "started_at: 2024-03-14T15:00:00+01:00\r\nsummary: Offsets.\r\n"
            "cast:\r\n  - role: On-Call Engineer\r\n    actor: \"@priya\"\r\n"
            "timeline:\r\n  - at: \"15:07\"\r\n    character: On-Call Engineer\r\n"
            "    action: Looks.\r\n")
    bare.write_bytes(text.encode())
    # A bare --until is on the incident's clock: 15:05 at +01:00 is 14:05 UTC.
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--until", "15:05",
                     "--incident", bare, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = bare.read_bytes().decode()
    assert "\n" not in after.replace("\r\n", "")  # the file's line ends are kept
    # "15:07" followed a +01:00 start; after a UTC scene it would mean 15:07 UTC: rewritten.
    assert "at: 2024-03-14T15:07:00+01:00\r\n" in after
    assert '"15:07" -> 2024-03-14T15:07:00+01:00' in done.stderr
    scenes = yaml.safe_load(after)["timeline"]
    assert [s["at"].isoformat() for s in scenes][-2:] == [
        "2024-03-14T14:05:00+00:00", "2024-03-14T15:07:00+01:00"]

    bare_keys = tmp_path / "nokeys.yaml"
    bare_keys.write_text("id: INC-8\ntitle: T\nseverity: SEV3\n"
                         "started_at: 2024-03-14T14:00:00Z\nsummary: S  # a comment", "utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--until", "14:03",
                     "--incident", bare_keys, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = yaml.safe_load(bare_keys.read_text())
    assert [c["role"] for c in data["cast"]] == ["PagerDuty", "priya"]
    assert len(data["timeline"]) == 2
    assert bare_keys.read_text().startswith("id: INC-8\ntitle: T\nseverity: SEV3\n"
                                            "started_at: 2024-03-14T14:00:00Z\n"
                                            "summary: S  # a comment\ncast:\n")


# -- a pasted log -----------------------------------------------------------------------
LOG = """\
14:02 pagerduty: Triggered: CheckoutErrorRateHigh
[14:03] priya: checkout is throwing 500s
  first continuation line
second continuation line

14:05:30 Dana Cole: *looking* at <b>redis</b>
11:58 PM @priya: still here
12:04 AM priya: after midnight
00:10 Dana Cole: rolled over
"""


def test_a_pasted_log(site: SiteFactory) -> None:
    incident = _site(site)
    log = site.root / "chat.txt"
    log.write_text(LOG, encoding="utf-8")
    cast = site.root / "cast.yaml"
    cast.write_text("pagerduty: PagerDuty\n", encoding="utf-8")
    printed = pmtheater("import", "text", log, "--date", "2024-03-14", "--cast", cast,
                        cwd=site.root)
    assert printed.returncode == 0, printed.stderr
    scenes = scenes_of(printed.stdout)
    assert [(s["at"].isoformat(), s["character"]) for s in scenes] == [
        ("2024-03-14T14:02:00+00:00", "PagerDuty"),
        ("2024-03-14T14:03:00+00:00", "priya"),
        ("2024-03-14T14:05:30+00:00", "Dana Cole"),
        ("2024-03-14T23:58:00+00:00", "priya"),
        ("2024-03-15T00:04:00+00:00", "priya"),
        ("2024-03-15T00:10:00+00:00", "Dana Cole"),
    ]
    assert scenes[1]["action"] == (
        "checkout is throwing 500s\nfirst continuation line\nsecond continuation line")
    assert scenes[2]["action"] == "*looking* at <b>redis</b>"

    merged = pmtheater("import", "text", log, "--incident", incident, "--cast", cast,
                       cwd=site.root)  # the day comes from started_at
    assert merged.returncode == 0, merged.stderr
    after = incident.read_text(encoding="utf-8")
    _only_insertions(INCIDENT, after)
    data = yaml.safe_load(after)
    assert {s["character"] for s in data["timeline"]} == {"On-Call Engineer", "PagerDuty",
                                                           "Dana Cole"}
    assert [c["role"] for c in data["cast"]] == ["On-Call Engineer", "PagerDuty", "Dana Cole"]
    checked = pmtheater("validate", cwd=site.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- bad input: a clear error naming the file, status 2, nothing written -------------------
def _broken_export(tmp_path: Path) -> Path:
    export = tmp_path / "broken-export"
    shutil.copytree(EXPORT, export)
    (export / CHANNEL / "2024-03-15.json").write_text('[\n  {"type": "message",\n  "ts": }\n]\n')
    return export


@pytest.mark.parametrize(("args", "message"), [
    (["slack", "{empty}", "--channel", CHANNEL], "{empty}: not a Slack export: there is no "
                                                 "channels.json"),
    (["slack", "{notzip}", "--channel", CHANNEL], "{notzip}: not a Slack export"),
    (["slack", "{export}", "--channel", "inc-chekout"],
     "channels.json: no channel #inc-chekout in this export; did you mean #inc-checkout?"),
    (["slack", "{broken}", "--channel", CHANNEL],
     "broken-export/inc-checkout/2024-03-15.json:3:9: not valid JSON: Expecting value"),
    (["slack", "{export}", "--channel", CHANNEL, "--from", "14:00"],
     "--from 14:00: a bare time needs --incident"),
    (["slack", "{export}", "--channel", CHANNEL, "--cast", "{badcast}"],
     "{badcast}: expected a mapping of Slack user id"),
    (["text", "{badlog}", "--date", "2024-03-14"],
     "{badlog}:1:1: expected a message such as '14:02 priya: text'"),
    (["text", "{badlog}"], "give the day of the log's first line with --date"),
])
def test_bad_input_writes_nothing(site: SiteFactory, tmp_path: Path, args: list[str],
                                  message: str) -> None:
    incident = _site(site)
    paths = {"empty": tmp_path / "empty", "notzip": tmp_path / "export.zip",
             "export": EXPORT, "broken": _broken_export(tmp_path),
             "badcast": tmp_path / "cast.yaml", "badlog": tmp_path / "log.txt"}
    paths["empty"].mkdir()
    paths["notzip"].write_text("PK? no, just text")
    paths["badcast"].write_text("- a list\n- not a mapping\n")
    paths["badlog"].write_text("priya said things\n14:02 priya: then this\n")
    fill = {k: str(v) for k, v in paths.items()}
    # With --incident a bare time and a missing --date are fine (started_at gives the day).
    without_incident_only = "needs --incident" in message or "with --date" in message
    for target in (None,) if without_incident_only else (None, incident):
        extra = ["--incident", str(target)] if target else []
        done = pmtheater("import", *[a.format(**fill) for a in args], *extra, cwd=site.root)
        wanted = message.format(**fill)
        assert done.returncode == 2, done.stderr
        assert wanted in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""
        assert incident.read_text(encoding="utf-8") == INCIDENT


def test_a_broken_incident_file_is_named_and_left_alone(tmp_path: Path) -> None:
    incident = tmp_path / "broken.yaml"
    incident.write_text("id: INC-1\ntitle: [unclosed\n", encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
                     cwd=tmp_path)
    assert done.returncode == 2
    assert f"{incident}:3:1: not valid YAML" in done.stderr
    assert incident.read_text(encoding="utf-8") == "id: INC-1\ntitle: [unclosed\n"
    assert list(tmp_path.iterdir()) == [incident]  # no temporary file left behind


@pytest.mark.parametrize(("written", "becomes"), [
    ("timeline: []", "timeline:"),
    ("timeline:", "timeline:"),
    ("timeline: ~   # none yet", "timeline:   # none yet"),
])
def test_an_empty_timeline_is_filled_in(tmp_path: Path, written: str, becomes: str) -> None:
    head = ("id: INC-1\ntitle: T\nseverity: SEV3\nstarted_at: 2024-03-14T14:00:00Z\n"
            "summary: ends with a dash -\n# the screenplay\n")
    incident = tmp_path / "a.yaml"
    incident.write_text(f"{head}{written}\nawards: []\n", encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--until",
                     "2024-03-14T14:03Z", "--incident", incident, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = incident.read_text(encoding="utf-8")
    # The cast goes before the timeline and the comment above it; the rest is unchanged.
    assert after.startswith(head.replace("# the screenplay\n", "") + "cast:\n")
    assert f"# the screenplay\n{becomes}\n  - at: 2024-03-14T14:02:05Z\n" in after
    assert after.endswith("\nawards: []\n")
    data = yaml.safe_load(after)
    assert [s["character"] for s in data["timeline"]] == ["PagerDuty", "priya"]
    assert [c["role"] for c in data["cast"]] == ["PagerDuty", "priya"]


def test_a_flow_timeline_is_refused(tmp_path: Path) -> None:
    incident = tmp_path / "a.yaml"
    text = ("id: INC-1\ntitle: T\nseverity: SEV3\nstarted_at: 2024-03-14T14:00:00Z\n"
            "summary: S\ncast: [{role: X}]\ntimeline: [{at: '14:01', character: X, action: y}]\n")
    incident.write_text(text, encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
                     cwd=tmp_path)
    assert done.returncode == 2
    assert f"{incident}:6:1: cast is written as a [flow, list]" in done.stderr
    assert incident.read_text(encoding="utf-8") == text


def test_odd_values_in_an_export_neither_crash_nor_break_the_file(site: SiteFactory) -> None:
    export = site.root / "odd-export"
    shutil.copytree(EXPORT, export)
    users = json.loads((export / "users.json").read_text())
    users.append({"id": "U07ODD", "name": 7, "profile": ["not", "a", "mapping"]})
    users.append({"id": "U08CTL", "name": "ctl", "profile": {"display_name": "Ann\x07ie\u2028 "}})
    (export / "users.json").write_text(json.dumps(users), encoding="utf-8")
    odd = [
        {"type": "message", "ts": "1710547300.000100", "user": "U07ODD", "text": 42,
         "files": 5, "attachments": "x", "blocks": [[[{"type": "text", "text": "from blocks"}]]]},
        {"type": "message", "ts": "not a time", "user": "U01PRIYA", "text": "dropped"},
        {"type": "message", "ts": 1710547310.5, "user": "U08CTL",
         "text": "bell\x07 <@U08CTL> \ud800"},
        {"type": "message", "ts": "1710547320.000100", "user": "U99NONE",
         "user_profile": {"name": "ghost", "real_name": "Gus Host"}, "text": "from outside"},
        {"type": "message", "ts": "1710547330.000100", "bot_id": "B02", "text": "no name bot"},
        {"type": "message", "subtype": "tombstone", "ts": "1710547340.000100",
         "text": "This message was deleted."},
        "not a message", 17, None,
    ]
    (export / CHANNEL / "2024-03-16.json").write_text(
        json.dumps(odd), encoding="utf-8")
    incident = _site(site)
    done = pmtheater("import", "slack", export, "--channel", CHANNEL, "--incident", incident,
                     "--from", "2024-03-16T00:00Z", cwd=site.root)
    assert done.returncode == 0, done.stderr
    scenes = yaml.safe_load(incident.read_text())["timeline"][2:]
    assert [(s["character"], s["action"]) for s in scenes] == [
        ("Slack user U07ODD", "from blocks"),
        ("Ann ie", "bell  @Ann ie"),  # the lone surrogate became a space, then stripped
        ("Gus Host", "from outside"),
        ("B02", "no name bot"),
    ]
    checked = pmtheater("validate", cwd=site.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_timeline_with_an_alias_is_refused(tmp_path: Path) -> None:
    incident = tmp_path / "a.yaml"
    text = ("id: INC-1\ntitle: T\nseverity: SEV3\nstarted_at: 2024-03-14T14:00:00Z\n"
            "summary: S\ncast:\n  - role: X\nfirst: &first {at: '14:01', character: X, "
            "action: y}\ntimeline:\n  - *first\n  - at: '14:30'\n    character: X\n"
            "    action: z\n")
    incident.write_text(text, encoding="utf-8")
    done = pmtheater("import", "slack", EXPORT, "--channel", CHANNEL, "--incident", incident,
                     cwd=tmp_path)
    assert done.returncode == 2
    assert f"{incident}:9:1: timeline repeats an entry with a YAML alias" in done.stderr
    assert incident.read_text(encoding="utf-8") == text


def test_the_core_does_not_need_mkdocs() -> None:
    code = ("import sys; import mkdocs_pmtheater.imports.slack, mkdocs_pmtheater.imports.text, "
            "mkdocs_pmtheater.imports.merge; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'mkdocs'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_a_big_channel_and_a_full_timeline_take_seconds(tmp_path: Path) -> None:
    export = tmp_path / "big"
    shutil.copytree(EXPORT, export, ignore=shutil.ignore_patterns("2024-03-1*.json"))
    start = 1710374400  # 2024-03-14T00:00Z
    for day in range(10):  # 10 days of 3,000 messages, nasty markup included
        messages = [{"type": "message", "ts": f"{start + day * 86400 + i * 28}.000100",
                     "user": "U01PRIYA", "text": "*a _b ~c `d <e " * 20 + f"message {i}"}
                    for i in range(3000)]
        (export / CHANNEL / f"2024-03-{14 + day}.json").write_text(json.dumps(messages))
    began = time.perf_counter()
    done = pmtheater("import", "slack", export, "--channel", CHANNEL, cwd=tmp_path)
    took = time.perf_counter() - began
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("  - at: ") == 30000
    assert "a timeline holds at most 1000" in done.stderr
    assert took < 30, took

    # 900 scenes written by hand, 100 imported between them: one pass over the file.
    scenes = "".join(f"  - at: 2024-03-14T{i // 40:02d}:{i % 40:02d}:30Z\n    character: X\n"
                     f"    action: scene {i}\n" for i in range(900))
    incident = tmp_path / "full.yaml"
    incident.write_text("id: INC-1\ntitle: T\nseverity: SEV3\n"
                        "started_at: 2024-03-14T00:00:00Z\nsummary: S\ncast:\n  - role: X\n"
                        f"timeline:\n{scenes}", encoding="utf-8")
    began = time.perf_counter()
    done = pmtheater("import", "slack", export, "--channel", CHANNEL, "--until",
                     "2024-03-14T00:46:12Z", "--incident", incident, cwd=tmp_path)
    took = time.perf_counter() - began
    assert done.returncode == 0, done.stderr
    timeline = yaml.safe_load(incident.read_text())["timeline"]
    assert len(timeline) == 1000
    assert [s["at"] for s in timeline] == sorted(s["at"] for s in timeline)
    assert took < 30, took


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=1))
def test_every_written_value_reads_back_as_written(raw: str) -> None:
    text = clean_text(raw).strip()
    assume(text)
    written = yaml_scalar(text, 4)
    read = yaml.safe_load(f"key:{written}\n")["key"]
    # Lines of only spaces come back empty in a literal block: invisible either way.
    expected = "\n".join(line if line.strip() else "" for line in text.split("\n")) \
        if written.startswith(" |-") else text
    assert read == expected


def test_a_pasted_log_is_on_the_incident_clock_unless_told(tmp_path: Path) -> None:
    incident = tmp_path / "a.yaml"
    text = ("id: INC-1\ntitle: T\nseverity: SEV3\nstarted_at: 2024-03-14T15:00:00+01:00\n"
            "summary: S\n")
    incident.write_text(text, encoding="utf-8")
    log = tmp_path / "chat.txt"
    log.write_text("15:02 priya: paged\n", encoding="utf-8")
    done = pmtheater("import", "text", log, "--incident", incident, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "  - at: 2024-03-14T14:02:00Z\n" in incident.read_text(encoding="utf-8")
    printed = pmtheater("import", "text", log, "--date", "2024-07-01", "--timezone",
                        "America/New_York", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "  - at: 2024-07-01T19:02:00Z\n" in printed.stdout


def test_nothing_outside_the_export_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2024-03-14.json").write_text(json.dumps(
        [{"type": "message", "ts": "1710425000.000100", "user": "U01PRIYA", "text": "SECRET"}]))
    export = tmp_path / "export"
    shutil.copytree(EXPORT, export)
    channels = json.loads((export / "channels.json").read_text())
    channels += [{"id": "C09UP", "name": "../outside"}, {"id": "C10LN", "name": "linked"}]
    (export / "channels.json").write_text(json.dumps(channels))
    (export / "linked").symlink_to(outside, target_is_directory=True)
    for channel in ("../outside", "linked"):
        done = pmtheater("import", "slack", export, "--channel", channel, cwd=tmp_path)
        assert done.returncode == 2
        assert "the export holds no messages of" in done.stderr
        assert "SECRET" not in done.stdout + done.stderr
