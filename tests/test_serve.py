"""Live preview: a real ``mkdocs serve`` on loopback, edited while it runs.

The server runs in a subprocess whose ``read_incident_yaml`` (the YAML parser
every incident file goes through) is wrapped by a counter that logs each call,
so the test sees that a rebuild parses only the file that changed. Every wait
is bounded.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO, SiteFactory, minimal_incident

sys.path.insert(0, str(REPO / "benchmarks"))
from serve import TIMED_SERVE, Serve

WAIT = 90.0
"""Seconds any one step may take (the machine may be busy)."""

COUNTING_SERVE = """
import sys
import mkdocs_pmtheater.load.loader as loader
real = loader.read_incident_yaml
def counting(raw, file):
    print("PMT-PARSE " + file, file=sys.stderr, flush=True)
    return real(raw, file)
loader.read_incident_yaml = counting
import mkdocs.utils
real_write = mkdocs.utils.write_file
def logging_write(content, output_path):
    print("PMT-WRITE " + output_path, file=sys.stderr, flush=True)
    return real_write(content, output_path)
mkdocs.utils.write_file = logging_write
from mkdocs_pmtheater.render.playbill import PlaybillRenderer
real_render = PlaybillRenderer.render
def counting_render(self, incident, *args, **kwargs):
    print("PMT-RENDER " + incident.id, file=sys.stderr, flush=True)
    return real_render(self, incident, *args, **kwargs)
PlaybillRenderer.render = counting_render
from mkdocs_pmtheater.catalogue.pages import CardCache
real_card = CardCache.card
def counting_card(self, macro, card, *args):
    def rendering(*given):
        print("PMT-CARD " + card.incident.id, file=sys.stderr, flush=True)
        return macro(*given)
    return real_card(self, rendering, card, *args)
CardCache.card = counting_card
real_row = CardCache.row
def counting_row(self, macro, incident):
    def rendering(*given):
        print("PMT-ROW " + incident.id, file=sys.stderr, flush=True)
        return macro(*given)
    return real_row(self, rendering, incident)
CardCache.row = counting_row
""" + TIMED_SERVE
"""MkDocs' serve with each incident file parsed, page written, playbill rendered and
board card rendered logged, and the end of each build marked (benchmarks/serve.py)."""


class Server(Serve):
    """The benchmark's ``mkdocs serve`` subprocess, with the counters of COUNTING_SERVE."""

    def __init__(self, root: Path, *, dirty: bool = False) -> None:
        super().__init__(root, dirty=dirty, script=COUNTING_SERVE)

    def parses(self) -> list[str]:
        return [line.split(" ", 1)[1] for line in list(self.log) if line.startswith("PMT-PARSE ")]

    def writes(self) -> list[str]:
        """Pages written to the site folder, as ``incidents/inc-a/index.html``."""
        return [self._in_site(line.split(" ", 1)[1]) for line in list(self.log)
                if line.startswith("PMT-WRITE ")]

    @staticmethod
    def _in_site(path: str) -> str:
        parts = Path(path).parts
        # mkdocs serve writes into a temporary folder: /tmp/mkdocs_XXXX/...
        start = next(i for i, part in enumerate(parts) if part.startswith("mkdocs_"))
        return "/".join(parts[start + 1:])

    def cards(self) -> list[str]:
        """Ids of the incidents whose board cards were rendered (not reused), in order."""
        return [line.split(" ", 1)[1] for line in list(self.log)
                if line.startswith("PMT-CARD ")]

    def rows(self) -> list[str]:
        """Ids of the incidents whose index rows were rendered (not reused), in order."""
        return [line.split(" ", 1)[1] for line in list(self.log)
                if line.startswith("PMT-ROW ")]

    def renders(self) -> list[str]:
        """Ids of the incidents whose playbill body was rendered, in order."""
        return [line.split(" ", 1)[1] for line in list(self.log)
                if line.startswith("PMT-RENDER ")]

    def builds(self) -> int:
        return len(self.built())

    def get(self, path: str) -> tuple[int, str]:  # type: ignore[override] - with the status
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mkdocs serve exited while waiting for {what}:\n"
                                     + "\n".join(self.log[-30:]))
            try:
                if check():
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(self.log[-30:]))


@pytest.fixture(params=[False], ids=["serve"])
def server(site: SiteFactory, request: pytest.FixtureRequest
           ) -> Iterator[tuple[SiteFactory, Server]]:
    site.incident("a.yaml", minimal_incident("INC-A", "First title"))
    site.incident("b.yaml", minimal_incident("INC-B", "Bee outage"))
    site.incident("c.yaml", minimal_incident("INC-C", "Sea outage"))
    site.page("runbook.md", "# Runbook\n\nSee [the A outage](incident:INC-A).\n")
    site.config["site_url"] = None
    if request.param:
        # These incidents are all alike, so each lists the others under "Previously on…"
        # and any edit would rightly rebuild them all; the test is about the rest.
        site.config["plugins"] = ["search", {"pmtheater": {"related": False}}]
    site.build()  # writes mkdocs.yml (and checks the site builds)
    running = Server(site.root, dirty=request.param)
    try:
        running.wait_for("the first build", lambda: running.get("")[0] == 200)
        yield site, running
    finally:
        running.stop()


def save(site: SiteFactory, name: str, text: str) -> None:
    """Write an incident file in one step, as editors save (a half-written file could
    otherwise be built in between)."""
    target = site.root / "docs" / "incidents" / name
    temporary = target.with_name(f".{name}.tmp")
    temporary.write_text(text.lstrip("\n"), encoding="utf-8")
    os.replace(temporary, target)


def title_of(html: str) -> str:
    match = re.search(r'<h1 id="playbill"[^>]*>(.*?)</h1>', html, re.S)
    return match.group(1).strip() if match else ""


def test_serve_rebuilds_on_changes_and_survives_broken_files(
    server: tuple[SiteFactory, Server],
) -> None:
    site, srv = server
    assert sorted(srv.parses()) == ["docs/incidents/a.yaml", "docs/incidents/b.yaml",
                                    "docs/incidents/c.yaml"]
    assert title_of(srv.get("incidents/inc-a/")[1]) == "First title"

    # 1. An edit shows up; only the edited file is parsed again.
    before = len(srv.parses())
    save(site, "a.yaml", minimal_incident("INC-A", "Second title"))
    srv.wait_for("the new title", lambda: title_of(srv.get("incidents/inc-a/")[1])
                 == "Second title")
    assert set(srv.parses()[before:]) == {"docs/incidents/a.yaml"}

    # 2. A broken edit: the warning is logged, the server keeps serving, and the
    #    playbill's address shows the problem instead of "page not found".
    save(site, "a.yaml", "id: INC-A\ntitle: [unclosed\nseverity: SEV3\n")
    srv.wait_for("the warning", lambda: any("docs/incidents/a.yaml:2:8" in line
                                            for line in srv.log))
    srv.wait_for("the problem page", lambda: "is not published" in srv.get("incidents/inc-a/")[1])
    status, html = srv.get("incidents/inc-a/")
    assert status == 200
    assert "docs/incidents/a.yaml:2:8" in html and "YAML syntax error" in html
    assert title_of(srv.get("incidents/inc-b/")[1]) == "Bee outage"
    assert srv.get("runbook/")[0] == 200

    # 3. Fixing it brings the playbill back.
    save(site, "a.yaml", minimal_incident("INC-A", "Third title"))
    srv.wait_for("the fixed playbill", lambda: title_of(srv.get("incidents/inc-a/")[1])
                 == "Third title")

    # 4. A new file gets a playbill; removing it takes the playbill away.
    save(site, "d.yaml", minimal_incident("INC-D", "Dee outage"))
    srv.wait_for("the new playbill", lambda: title_of(srv.get("incidents/inc-d/")[1])
                 == "Dee outage")
    (site.root / "docs" / "incidents" / "d.yaml").unlink()
    srv.wait_for("the playbill to go", lambda: srv.get("incidents/inc-d/")[0] == 404)

    # Files that never changed were parsed exactly once in the whole session.
    assert srv.builds() >= 2
    parsed = srv.parses()
    assert parsed.count("docs/incidents/b.yaml") == 1
    assert parsed.count("docs/incidents/c.yaml") == 1
    assert not [line for line in srv.log if "Traceback" in line]


def test_serve_updates_backlinks_when_a_page_changes(server: tuple[SiteFactory, Server]) -> None:
    site, srv = server

    def referrers(slug: str) -> str:
        html = srv.get(f"incidents/{slug}/")[1]
        match = re.search(r'<section class="pmt-section pmt-referenced-by".*?</section>', html,
                          re.S)
        return match.group(0) if match else ""

    assert "Runbook" in referrers("inc-a")
    site.page("runbook.md", "# Runbook\n\nSee [the B outage](incident:INC-B).\n")
    srv.wait_for("the backlink to move", lambda: "Runbook" in referrers("inc-b"))
    assert referrers("inc-a") == ""



@pytest.mark.parametrize("server", [True], ids=["dirty"], indirect=True)
def test_dirty_serve_rebuilds_only_changed_playbills(server: tuple[SiteFactory, Server]) -> None:
    """Under ``mkdocs serve --dirty`` a playbill whose YAML did not change is not written
    again; the edited one, the catalogue pages and playbills whose "Referenced by"
    changed are."""
    site, srv = server
    first = srv.writes()
    assert {"incidents/inc-a/index.html", "incidents/inc-b/index.html",
            "incidents/inc-c/index.html", "incidents/index.html"} <= set(first)

    def referrers(slug: str) -> str:
        html = srv.get(f"incidents/{slug}/")[1]
        match = re.search(r'<section class="pmt-section pmt-referenced-by".*?</section>', html,
                          re.S)
        return match.group(0) if match else ""

    # 1. An edit to one incident: its playbill and the index are written, no other playbill.
    before = len(srv.writes())
    builds = srv.builds()
    save(site, "a.yaml", minimal_incident("INC-A", "Second title"))
    srv.wait_for("the new title", lambda: title_of(srv.get("incidents/inc-a/")[1])
                 == "Second title")
    srv.wait_for("the build to end", lambda: srv.builds() > builds)
    assert "Second title" in srv.get("incidents/")[1]
    written = srv.writes()[before:]
    assert "incidents/inc-a/index.html" in written
    assert "incidents/index.html" in written
    assert "incidents/inc-b/index.html" not in written
    assert "incidents/inc-c/index.html" not in written
    assert title_of(srv.get("incidents/inc-b/")[1]) == "Bee outage"  # still served

    # 2. A page now links to B instead of A: both playbills' "Referenced by" change, so
    #    both are rebuilt; C is not.
    before, builds = len(srv.writes()), srv.builds()
    site.page("runbook.md", "# Runbook\n\nSee [the B outage](incident:INC-B).\n")
    srv.wait_for("the backlink to move", lambda: "Runbook" in referrers("inc-b"))
    srv.wait_for("the build to end", lambda: srv.builds() > builds)
    assert referrers("inc-a") == ""
    written = srv.writes()[before:]
    assert {"incidents/inc-a/index.html", "incidents/inc-b/index.html"} <= set(written)
    assert "incidents/inc-c/index.html" not in written

    # 3. An incident whose text starts linking to C: C's "Referenced by" lists it.
    before, builds = len(srv.writes()), srv.builds()
    save(site, "b.yaml", minimal_incident("INC-B", "Bee outage")
         + "impact: Like [the sea one](incident:INC-C).\n")
    srv.wait_for("the backlink from B", lambda: "Bee outage" in referrers("inc-c"))
    srv.wait_for("the build to end", lambda: srv.builds() > builds)
    written = srv.writes()[before:]
    assert "incidents/inc-a/index.html" not in written
    assert not [line for line in srv.log if "Traceback" in line]


def test_serve_reuses_bodies_of_unchanged_playbills(site: SiteFactory) -> None:
    """Plain ``mkdocs serve`` rebuilds every page, but renders only the edited playbill
    again; a reused body still reports its problems and still counts as a backlink."""
    site.incident("a.yaml", minimal_incident("INC-A", "First title"))
    site.incident("b.yaml", minimal_incident("INC-B", "Bee outage")
                  + "impact: Like [the sea one](incident:INC-C) and [this](incident:INC-NOPE).\n")
    site.incident("c.yaml", minimal_incident("INC-C", "Sea outage"))
    site.config["site_url"] = None
    # Alike incidents list each other under "Previously on…" (an edit rebuilds them all).
    site.config["plugins"] = ["search", {"pmtheater": {"related": False}}]
    site.build()
    srv = Server(site.root)
    try:
        srv.wait_for("the first build", lambda: srv.builds() >= 1)
        assert sorted(srv.renders()) == ["INC-A", "INC-B", "INC-C"]

        def warnings_for_b() -> int:
            return sum("docs/incidents/b.yaml" in line and "INC-NOPE" in line
                       for line in list(srv.log))

        assert warnings_for_b() == 1
        rendered, builds = len(srv.renders()), srv.builds()
        save(site, "a.yaml", minimal_incident("INC-A", "Second title"))
        srv.wait_for("the new title", lambda: title_of(srv.get("incidents/inc-a/")[1])
                     == "Second title")
        srv.wait_for("the build to end", lambda: srv.builds() > builds)
        assert srv.renders()[rendered:] == ["INC-A"]
        # incidents.json reuses the lines of B and C, and has A's new one.
        data = json.loads(srv.get("incidents/incidents.json")[1])
        assert sorted(i["title"] for i in data["incidents"]) == ["Bee outage", "Sea outage",
                                                                 "Second title"]
        assert warnings_for_b() == 2  # the reused body's problem is logged again
        status, html = srv.get("incidents/inc-b/")
        assert status == 200 and title_of(html) == "Bee outage"
        assert "the sea one" in html
        referenced = re.search(r'<section class="pmt-section pmt-referenced-by".*?</section>',
                               srv.get("incidents/inc-c/")[1], re.S)
        assert referenced is not None and "Bee outage" in referenced.group(0)

        # A new summary: its plain words (kept across rebuilds by text) are fresh.
        builds = srv.builds()
        save(site, "a.yaml", minimal_incident("INC-A", "Second title").replace(
            "Something broke and we fixed it.", "The **cache** kept *nothing* stale."))
        srv.wait_for("the new description", lambda: 'content="The cache kept nothing stale.'
                     in srv.get("incidents/inc-a/")[1])
        srv.wait_for("the build to end", lambda: srv.builds() > builds)
        assert 'content="Something broke and we fixed it.' in srv.get("incidents/inc-b/")[1]

        # An action item's new title reaches action-items.ics (the events of unchanged
        # incidents are kept across rebuilds); C's event is still there.
        def item(title: str) -> str:
            return (f"action_items:\n  - id: AI-1\n    title: {title}\n"
                    "    owner: \"@aiko\"\n    due: 2024-04-15\n")

        builds = srv.builds()
        save(site, "c.yaml", minimal_incident("INC-C", "Sea outage") + item("Sea wall"))
        srv.wait_for("C's event", lambda: "Sea wall" in srv.get("incidents/action-items.ics")[1])
        srv.wait_for("the build to end", lambda: srv.builds() > builds)
        builds = srv.builds()
        save(site, "a.yaml", minimal_incident("INC-A", "Second title") + item("Add jitter"))
        srv.wait_for("A's event", lambda: "Add jitter" in srv.get("incidents/action-items.ics")[1])
        srv.wait_for("the build to end", lambda: srv.builds() > builds)
        builds = srv.builds()
        save(site, "a.yaml", minimal_incident("INC-A", "Second title") + item("Add backoff"))
        srv.wait_for("A's new event", lambda: "Add backoff"
                     in srv.get("incidents/action-items.ics")[1])
        srv.wait_for("the build to end", lambda: srv.builds() > builds)
        calendar = srv.get("incidents/action-items.ics")[1]
        assert "Add jitter" not in calendar
        assert calendar.count("BEGIN:VEVENT") == 2 and "Sea wall" in calendar
        assert not [line for line in srv.log if "Traceback" in line]
    finally:
        srv.stop()


@pytest.mark.parametrize("server", [True], ids=["dirty"], indirect=True)
def test_dirty_serve_rebuilds_playbills_whose_related_incidents_changed(
    server: tuple[SiteFactory, Server],
) -> None:
    """With "Previously on…" on, a playbill listing the edited incident is rebuilt too."""
    site, srv = server
    site.config["plugins"] = ["search", "pmtheater"]
    before, builds = len(srv.writes()), srv.builds()
    site.build()  # writes mkdocs.yml: "Previously on…" back on
    srv.wait_for("the build after mkdocs.yml", lambda: srv.builds() > builds)
    srv.wait_for("a related list", lambda: "First title" in srv.get("incidents/inc-b/")[1])
    before, builds = len(srv.writes()), srv.builds()
    save(site, "a.yaml", minimal_incident("INC-A", "Renamed title"))
    srv.wait_for("the build to end", lambda: srv.builds() > builds)
    srv.wait_for("the new title on B", lambda: "Renamed title" in srv.get("incidents/inc-b/")[1])
    assert "incidents/inc-b/index.html" in srv.writes()[before:]


def _site_files(folder: Path) -> dict[str, bytes]:
    """Every file MkDocs wrote that a rebuild can change: pages and the theater's data
    files (not the theme's assets)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and (p.suffix in (".html", ".json", ".ics", ".xml", ".js")
                                and not str(p.relative_to(folder)).startswith("assets/"))}


@pytest.mark.parametrize("dirty", [False, True], ids=["serve", "dirty"])
def test_served_site_equals_a_fresh_build_after_edits(
    site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirty: bool,
) -> None:
    """What ``mkdocs serve`` (and ``--dirty``) holds after each of a sequence of edits is,
    file for file and byte for byte, what a fresh ``mkdocs build`` of the same sources
    writes: the caches kept across rebuilds (bodies, "Previously on…", links, anchors,
    Material's search input) never keep anything an edit changed. The edits: a scene's
    words (no feature of "Previously on…" changes), a title (every weight may), links
    added to another incident (its "Referenced by", a broken link's warning), and the
    title put back."""
    import shutil

    import yaml
    from conftest import BUILD_EPOCH, build_site, generated_incident_data

    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)  # the server and the fresh builds
    datas = generated_incident_data(24, seed=11)
    ids = [d["id"] for d in datas]
    for n, data in enumerate(datas):
        site.incident(f"{n}.yaml", yaml.safe_dump(data, sort_keys=False))
    site.page("runbook.md", f"# Runbook\n\nSee [the first](incident:{ids[0]}).\n")
    site.page("runbooks/api-latency.md", "# API latency\n")  # the generated props' page
    site.config["site_url"] = None
    # Without Pagefind: `mkdocs serve` never runs it, and says so on the index page.
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind": False}}]
    if dirty:
        # MkDocs' --dirty does not read unchanged Markdown pages, so their titles in the
        # navigation of rebuilt pages are "None" unless the nav names them.
        site.config["nav"] = [{"Home": "index.md"}, {"Runbook": "runbook.md"},
                              {"API latency": "runbooks/api-latency.md"}]
    site.build()
    srv = Server(site.root, dirty=dirty)

    def edit(n: int, change: Callable[[dict], None]) -> None:
        change(datas[n])
        builds = srv.builds()
        save(site, f"{n}.yaml", yaml.safe_dump(datas[n], sort_keys=False))
        srv.wait_for("the rebuild", lambda: srv.builds() > builds)

    def served_dir() -> Path:
        written = [line.split(" ", 1)[1] for line in srv.log if line.startswith("PMT-WRITE ")]
        parts = Path(written[0]).parts
        start = next(i for i, part in enumerate(parts) if part.startswith("mkdocs_"))
        return Path(*parts[:start + 1])

    def this_build_warnings() -> set[str]:
        """The plugin's warnings logged by the server's last build."""
        ends = [n for n, line in enumerate(srv.log) if line.startswith("PMT-BUILT ")]
        start = ends[-2] + 1 if len(ends) > 1 else 0
        return {line.split("WARNING", 1)[1].lstrip(" -") for line in srv.log[start:ends[-1]]
                if "WARNING" in line and "mkdocs_pmtheater: " in line}

    def assert_as_fresh_build(what: str) -> None:
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(site.root / "docs", fresh / "docs")
        config = {**site.config, "site_url": srv.url}  # what serve sets
        (fresh / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        built = build_site(fresh)
        expected = _site_files(built.site_dir)
        served = _site_files(served_dir())
        if dirty:
            # MkDocs' own --dirty indexes for search only the pages it rebuilt.
            expected.pop("search/search_index.json")
            served.pop("search/search_index.json")
        assert sorted(served) == sorted(expected), what
        # The same problems, at the same places (a link checked from the kept links of an
        # unchanged incident, or found while rendering): every one under plain serve; under
        # --dirty, a kept playbill's rendering problems are not logged again (as MkDocs').
        logged = this_build_warnings()
        fresh_problems = {w for w in built.warnings if w.startswith("mkdocs_pmtheater: ")}
        if dirty:
            assert logged <= fresh_problems, what
        else:
            assert logged == fresh_problems, what
        playbills = [name for name in expected
                     if name.startswith("incidents/inc-") and name.endswith("/index.html")]
        assert len(playbills) == len(datas), what
        differing = [name for name in expected if served[name] != expected[name]]
        assert differing == [], what

    try:
        srv.wait_for("the first build", lambda: srv.builds() >= 1)
        assert_as_fresh_build("the first build")
        title = datas[7]["title"]
        edit(4, lambda d: d["timeline"][0].update(action="Paged the on-call engineer."))
        assert_as_fresh_build("a scene's words")
        first_cards, first_rows = len(srv.cards()), len(srv.rows())
        edit(7, lambda d: d.update(title=f"Edited: {datas[3]['title']}"))
        assert_as_fresh_build("a title")
        # The board's cards and the index's rows of the other incidents were reused (and
        # came out the same).
        assert first_cards > 0 and set(srv.cards()[first_cards:]) <= {ids[7]}
        assert first_rows > 0 and srv.rows()[first_rows:] == [ids[7]]
        edit(2, lambda d: d.update(impact=f"As in [that one](incident:{ids[5]}) and "
                                          "[a lost one](incident:NOPE-1)."))
        assert_as_fresh_build("links added")
        assert any("NOPE-1" in warning for warning in this_build_warnings())
        edit(7, lambda d: d.update(title=title))
        assert_as_fresh_build("the title put back")
        assert not [line for line in srv.log if "Traceback" in line]
    finally:
        srv.stop()
