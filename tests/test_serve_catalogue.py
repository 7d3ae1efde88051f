"""``mkdocs serve --dirty`` rebuilds in this process: the catalogue pages and data files
made from what earlier rebuilds kept (rows, awards, links, URLs, the themes report,
follow-through, spreads, medians, the board, the hall of fame, the people, unpacked
data files) are byte for byte what a
fresh ``mkdocs build`` writes, after edits that change what is kept and after one that
does not (a title), where the kept values are shown to be reused.

The served builds run here, through MkDocs' own ``build(config, dirty=True)`` after
``on_startup(command="serve", dirty=True)``, as ``mkdocs serve --dirty`` runs them; each
fresh build runs in a process of its own (``python -m mkdocs build``), since MkDocs keeps
one plugin instance per process once it has ``on_startup``.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import BUILD_EPOCH, SiteFactory, generated_incident_data
from mkdocs.commands.build import build
from mkdocs.config import load_config

import mkdocs_pmtheater.catalogue.learning as learning
import mkdocs_pmtheater.catalogue.metrics as metrics
import mkdocs_pmtheater.catalogue.views as views
from mkdocs_pmtheater.catalogue.pages import CardCache


def written_files(folder: Path) -> dict[str, bytes]:
    """Every page and data file of the site (the theme's own assets left out), the
    plugin's index search data included."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if not path.is_file() or name == "search/search_index.json":
            continue  # MkDocs' own --dirty indexes only the pages it rebuilt
        if path.suffix in (".html", ".json", ".ics", ".xml") or name.startswith(
                "assets/pmtheater/index-search"):
            found[name] = path.read_bytes()
    return found


def fresh_build(root: Path, out: Path) -> dict[str, bytes]:
    """:func:`written_files` of ``python -m mkdocs build`` of the site at ``root`` into
    ``out``, in a process of its own (MkDocs keeps one plugin instance per process)."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return written_files(out)


def write_generated(site: SiteFactory, count: int, seed: int) -> tuple[list[dict], list[str]]:
    """``count`` generated incidents written as ``0.yaml``, ``1.yaml``...: their data (to
    edit) and their file names."""
    datas = generated_incident_data(count, seed=seed)
    names = [f"{n}.yaml" for n in range(len(datas))]
    for name, data in zip(names, datas, strict=True):
        site.incident(name, yaml.safe_dump(data, sort_keys=False))
    return datas, names


def test_catalogue_and_data_files_kept_by_serve_equal_a_fresh_build(
    site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    datas, names = write_generated(site, 24, seed=21)
    site.page("runbooks/api-latency.md", "# API latency\n")  # the generated props' page
    site.config["plugins"] = ["search", {"pmtheater": {
        "pagefind": False, "themes": {"categories": {"technical": ["cache", "config"]}}}}]
    # MkDocs' --dirty does not read unchanged Markdown pages: the nav names them.
    site.config["nav"] = [{"Home": "index.md"}, {"API latency": "runbooks/api-latency.md"}]
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    served = tmp_path / "served"

    # What the rebuilds compute again (rather than reuse): counted per build.
    made: Counter[str] = Counter()

    def counting(name: str, real: Callable) -> Callable:
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            made[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(learning, "themes", counting("themes", learning.themes))
    monkeypatch.setattr(learning, "follow_through",
                        counting("follow-through", learning.follow_through))
    monkeypatch.setattr(learning.Learning, "_spreads",
                        counting("spreads", learning.Learning._spreads))
    monkeypatch.setattr(views, "meet_everyone", counting("people", views.meet_everyone))
    monkeypatch.setattr(views, "board", counting("board", views.board))
    monkeypatch.setattr(views, "hall_of_fame", counting("hall", views.hall_of_fame))
    monkeypatch.setattr(metrics, "by_quarter", counting("medians", metrics.by_quarter))
    hits: list[int] = []
    real_begin = CardCache.begin

    def begin(self: CardCache, key: object) -> None:
        hits.append(self.hits)  # what the build before this one reused
        real_begin(self, key)

    monkeypatch.setattr(CardCache, "begin", begin)

    monkeypatch.chdir(site.root)
    config = load_config("mkdocs.yml", site_dir=str(served))
    config.plugins.on_startup(command="serve", dirty=True)

    def serve_build() -> None:
        made.clear()
        build(load_config("mkdocs.yml", site_dir=str(served)), dirty=True)

    stale: set[str] = set()
    """Pages of deleted incidents: MkDocs' --dirty never removes what it wrote."""

    def assert_as_fresh_build(what: str) -> None:
        expected, got = fresh_build(site.root, tmp_path / "fresh"), written_files(served)
        assert stale <= set(got) and not stale & set(expected), what
        got = {name: content for name, content in got.items() if name not in stale}
        assert sorted(got) == sorted(expected), what
        assert [name for name in expected if got[name] != expected[name]] == [], what
        assert any(name.endswith("incidents.json") for name in expected)

    def edit(n: int, change: Callable[[dict], None]) -> None:
        change(datas[n])
        site.incident(names[n], yaml.safe_dump(datas[n], sort_keys=False))
        serve_build()

    try:
        serve_build()
        assert_as_fresh_build("the first build")

        # A title: nothing the themes, follow-through, spreads or people read changes,
        # so they are reused, and so are the other incidents' rows, awards and links.
        edit(3, lambda d: d.update(title="A title only this edit has"))
        assert made == Counter(), made
        serve_build()  # an unchanged rebuild: its begin() counts the title's reuses
        assert hits[-1] > 0
        assert_as_fresh_build("a title")

        with_awards = next(n for n, d in enumerate(datas) if d.get("awards") and n != 3)
        edit(with_awards, lambda d: d["awards"][0].update(
            citation="Cited for [the runbook](../runbooks/api-latency.md) alone."))
        assert made["hall"] == 0  # the citation is not grouped, only shown
        assert_as_fresh_build("an award's citation")
        edit(with_awards, lambda d: d["awards"].append(
            {"award": "A brand new award", "recipient": "@someone-new"}))
        assert made["people"] == made["hall"] == made["board"] == 1
        assert_as_fresh_build("an award and a recipient added")

        edit(5, lambda d: d["services"].append("a-service-only-here"))
        assert made["themes"] == 1 and made["follow-through"] == 0
        assert_as_fresh_build("a service")

        with_items = next(n for n, d in enumerate(datas) if d.get("action_items") and n > 5)
        edit(with_items, lambda d: d["action_items"][0].update(status="done"))
        assert made["follow-through"] == made["board"] == 1
        assert made["hall"] == made["people"] == 0
        assert_as_fresh_build("an action item done")
        edit(with_items, lambda d: d["action_items"][1].update(owner="@a-new-owner"))
        assert made["people"] == made["board"] == 1
        assert_as_fresh_build("an action item given to another owner")

        edit(8, lambda d: d.setdefault("review", {}).setdefault(
            "contributing_factors", []).append("Cache config drift nobody had seen before"))
        assert made["themes"] == 1
        assert_as_fresh_build("a contributing factor")

        severities = ["SEV1", "SEV2", "SEV3", "SEV4"]
        edit(9, lambda d: d.update(
            severity=severities[(severities.index(d["severity"]) + 1) % 4]))
        assert made["spreads"] == made["medians"] == 1 and made["board"] == 0
        assert_as_fresh_build("a severity")

        (site.root / "docs" / "incidents" / names[10]).unlink()
        stale.add(f"incidents/{datas[10]['id'].lower()}/index.html")
        serve_build()
        assert made["themes"] == made["people"] == made["spreads"] == made["board"] == 1
        assert_as_fresh_build("an incident deleted")

        added = copy.deepcopy(datas[11])
        added.update(id="INC-ADDED-1", title="An incident added while serving")
        site.incident("added.yaml", yaml.safe_dump(added, sort_keys=False))
        serve_build()
        assert_as_fresh_build("an incident added")
    finally:
        config.plugins.on_shutdown()
