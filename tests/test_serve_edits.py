"""``mkdocs serve`` (with and without ``--dirty``) rebuilds in this process after edits
the serve caches may keep too much across: ``mkdocs.yml`` options, an id renamed, two
start times swapped, an award moved, a person written otherwise, a title with markup,
a draft hidden, a runbook edited, "today" moved, every incident deleted. After each, the
served site is byte for byte a fresh ``mkdocs build`` (run in a process of its own, as
in test_serve_catalogue.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import BUILD_EPOCH, SiteFactory
from mkdocs.commands.build import build
from mkdocs.config import load_config
from test_serve_catalogue import fresh_build, write_generated, written_files


@pytest.mark.parametrize("dirty", [True, False])
def test_served_site_equals_a_fresh_build_after_each_edit(
    site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirty: bool,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    datas, names = write_generated(site, 16, seed=5)
    site.page("runbooks/api-latency.md", "# API latency\n\nRestart it.\n")
    options: dict = {"pagefind": False}
    site.config["plugins"] = ["search", {"pmtheater": options}]
    site.config["nav"] = [{"Home": "index.md"}, {"API latency": "runbooks/api-latency.md"}]

    def write_config() -> None:
        (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))

    write_config()
    served = tmp_path / "served"
    monkeypatch.chdir(site.root)
    config = load_config("mkdocs.yml", site_dir=str(served))
    config.plugins.on_startup(command="serve", dirty=dirty)
    failures: list[str] = []

    def serve_build() -> None:
        build(load_config("mkdocs.yml", site_dir=str(served)), dirty=dirty)

    def check(what: str) -> None:
        serve_build()
        expected, got = fresh_build(site.root, tmp_path / "fresh"), written_files(served)
        missing = sorted(set(expected) - set(got))
        if not dirty:  # MkDocs' --dirty never removes what it wrote
            missing += sorted(set(got) - set(expected))
        differing = [name for name in expected if name in got and got[name] != expected[name]
                     and not (dirty and name == "index.html")]  # MkDocs' --dirty: not read
        if missing or differing:
            failures.append(f"{what}: {missing} {differing}")

    def edit(n: int, change: Callable[[dict], None]) -> None:
        change(datas[n])
        site.incident(names[n], yaml.safe_dump(datas[n], sort_keys=False))

    try:
        check("the first build")
        edit(3, lambda d: d.update(id="INC-RENAMED"))
        check("an id renamed")
        times = ("started_at", "detected_at", "mitigated_at", "resolved_at", "timeline",
                 "milestones", "timezone", "review_date", "cast", "director")
        a = {key: datas[4].pop(key) for key in times if key in datas[4]}
        b = {key: datas[6].pop(key) for key in times if key in datas[6]}
        edit(4, lambda d: d.update(b))
        edit(6, lambda d: d.update(a))
        check("two start times swapped")
        giver = next(n for n, d in enumerate(datas) if d.get("awards"))
        taker = next(n for n, d in enumerate(datas) if n != giver)
        award = datas[giver]["awards"].pop(0)
        site.incident(names[giver], yaml.safe_dump(datas[giver], sort_keys=False))
        edit(taker, lambda d: d.setdefault("awards", []).append(award))
        check("an award moved")
        recipient = award["recipient"]
        edit(taker, lambda d: d["awards"][-1].update(recipient=" " + recipient.upper() + " "))
        check("a person written with other case and spaces")
        edit(7, lambda d: d.update(title='A <b>bold</b> *title* & `code` "quoted"'))
        check("a title with markup")
        options["drafts"] = "hide"
        write_config()
        edit(8, lambda d: d.update(status="draft"))
        check("a draft hidden")
        site.page("runbooks/api-latency.md", "# API latency\n\nRestart it twice.\n")
        check("a runbook edited")
        site.config["theme"]["language"] = "de"
        write_config()
        check("the language")
        options["labels"] = {"Call Sheet": "Follow-ups", "Post-mortems": "Reviews"}
        write_config()
        check("labels")
        site.config["site_url"] = "https://example.test/docs/"
        write_config()
        check("site_url")
        options["people"] = {"@x": [recipient]}
        write_config()
        check("people option")
        options["themes"] = {"categories": {"technical": ["cache", "config"]}}
        write_config()
        check("themes categories")
        options["timezone"] = "Asia/Tokyo"
        write_config()
        check("timezone")
        options["severities"] = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5", "SEV6"]
        write_config()
        check("severities")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_EPOCH) + 400 * 86400))
        check("today moved")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        edit(3, lambda d: d.update(id=datas[2]["id"].replace("0", "9", 1)))
        check("today back, an id renamed again")
        options["related"] = False
        options["backlinks"] = False
        write_config()
        check("related and backlinks off")
        options["catalogue"] = {"pages": ["index", "hall-of-fame"]}
        options["labels"] = {}
        site.config["theme"]["language"] = "fr"
        write_config()
        check("fewer catalogue pages, no labels, French")
        options["drafts"] = "publish"
        options["prefix"] = "pm"
        options.pop("catalogue")
        options["related"] = True
        write_config()
        check("drafts published, another prefix")
        edit(9, lambda d: d.update(title=d["title"].upper()))
        edit(10, lambda d: d.update(title="  " + d["title"] + "  "))
        check("titles in capitals and spaces")
        first, second = datas[12]["id"], datas[13]["id"]
        edit(12, lambda d: d.update(id=second))
        edit(13, lambda d: d.update(id=first))
        check("two ids swapped")
        (site.root / "docs" / "incidents" / names[12]).rename(
            site.root / "docs" / "incidents" / "renamed.yaml")
        names[12] = "renamed.yaml"
        check("a file renamed")
        edit(14, lambda d: d.update(id=datas[15]["id"]))
        check("two files with one id")
        edit(14, lambda d: d.update(id="INC-UNIQUE-14"))
        check("the id made unique again")
        awarded = [n for n, d in enumerate(datas) if d.get("awards") and n not in (12, 13)]
        if len(awarded) >= 2:
            x, y = awarded[:2]
            ax, ay = datas[x]["awards"], datas[y]["awards"]
            edit(x, lambda d: d.update(awards=ay))
            edit(y, lambda d: d.update(awards=ax))
            check("awards swapped")
        added = copy.deepcopy(datas[11])
        added.update(id="INC-ADDED-1")
        site.incident("added.yaml", yaml.safe_dump(added, sort_keys=False))
        check("an incident added")
        for path in (site.root / "docs" / "incidents").glob("*.yaml"):
            path.unlink()
        check("every incident deleted")
    finally:
        config.plugins.on_shutdown()
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("dirty", [True, False])
def test_an_incident_turned_hidden_draft_under_serve_is_not_published(
    site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dirty: bool,
) -> None:
    """``drafts: hide``: an incident saved as a draft while serving leaves the site, as in
    a fresh build; its address must not become a problems page (with no problems) that
    names the hidden draft's id and file."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    text = ("id: INC-SECRET\ntitle: Secret\nseverity: SEV3\n"
            "started_at: 2024-03-14T14:02:00Z\nsummary: It broke.\n")
    site.incident("secret.yaml", text)
    site.incident("other.yaml", text.replace("INC-SECRET", "INC-OTHER"))
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind": False, "drafts": "hide"}}]
    site.config["nav"] = [{"Home": "index.md"}]  # MkDocs' --dirty does not read index.md
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    served = tmp_path / "served"
    monkeypatch.chdir(site.root)
    config = load_config("mkdocs.yml", site_dir=str(served))
    config.plugins.on_startup(command="serve", dirty=dirty)
    try:
        build(load_config("mkdocs.yml", site_dir=str(served)), dirty=dirty)
        assert (served / "incidents" / "inc-secret" / "index.html").exists()
        site.incident("secret.yaml", text + "status: draft\n")
        if dirty:  # MkDocs' --dirty never removes what it wrote
            (served / "incidents" / "inc-secret" / "index.html").unlink()
        build(load_config("mkdocs.yml", site_dir=str(served)), dirty=dirty)
    finally:
        config.plugins.on_shutdown()
    fresh = tmp_path / "fresh"
    expected, got = fresh_build(site.root, fresh), written_files(served)
    assert not (fresh / "incidents" / "inc-secret" / "index.html").exists()
    assert not (served / "incidents" / "inc-secret" / "index.html").exists()
    assert b"inc-secret" not in (served / "sitemap.xml").read_bytes()
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []
