"""The example site published with Zensical: ``pmtheater render``, then ``zensical build``.

Zensical runs none of our MkDocs plugin, so everything a reader sees must come
from the files ``pmtheater render`` writes into ``docs/``. Both commands run
as a user runs them (``sys.executable -m ...`` in the site's folder, with the
example's ``zensical.toml``), and the built HTML is read with BeautifulSoup.
Expectations come from the incident files themselves, and the playbills are
compared with the MkDocs build of the same site (the ``example_site``
fixture): the pages must hold the same text.

Zensical is a test dependency pinned in pyproject.toml (it needs Python 3.11+).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import BUILD_EPOCH, EXAMPLE_SITE, REPO, BuiltSite

CATALOGUE = ("incidents/", "incidents/action-items/", "incidents/hall-of-fame/",
             "incidents/metrics/")
DATA_FILES = ("schema.json", "incidents.json", "action-items.ics", "feed.xml")
MANIFEST = "incidents/.pmtheater-generated.json"


@dataclass
class ZensicalSite:
    root: Path
    built: BuiltSite
    render: subprocess.CompletedProcess
    build: subprocess.CompletedProcess


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def copy_example(folder: Path) -> Path:
    root = folder / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site", ".cache"))
    # The example's incident files point editors at ../schemas; keep that path valid.
    shutil.copytree(REPO / "schemas", folder / "schemas")
    return root


def render(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return run(["mkdocs_pmtheater.cli", "render", *extra], root)


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> ZensicalSite:
    root = copy_example(tmp_path_factory.mktemp("zensical"))
    rendered = render(root)
    built = run(["zensical", "build", "--clean"], root)
    return ZensicalSite(root, BuiltSite(root, root / "site"), rendered, built)


def example_incidents() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))]


def playbill_url(incident: dict) -> str:
    return f"incidents/{incident['id'].lower()}/"


def generated_tree(root: Path) -> dict[str, bytes]:
    docs = root / "docs"
    listed = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))["files"]
    return {path: (docs / path).read_bytes() for path in sorted(listed)} | {
        MANIFEST: (docs / MANIFEST).read_bytes()}


def words(tag) -> str:
    """The text of an element with whitespace normalised (themes indent differently)."""
    text = tag.get_text(" ")
    text = text.replace("¶", " ")  # permalink signs that a theme may add to headings
    return re.sub(r"\s+", " ", text).strip()


def test_render_and_build_succeed_without_problems(zensical_site: ZensicalSite) -> None:
    assert zensical_site.render.returncode == 0, zensical_site.render.stdout + \
        zensical_site.render.stderr
    assert zensical_site.render.stdout == "", "the example's incidents have no problems"
    assert zensical_site.build.returncode == 0, zensical_site.build.stderr
    assert "Traceback" not in zensical_site.build.stdout + zensical_site.build.stderr


def test_check_passes_right_after_render_and_render_again_changes_nothing(
        zensical_site: ZensicalSite) -> None:
    before = generated_tree(zensical_site.root)
    check = render(zensical_site.root, "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stderr
    again = render(zensical_site.root)
    assert again.returncode == 0
    assert "0 new files, 0 updated, 0 removed" in again.stderr
    assert generated_tree(zensical_site.root) == before


def test_two_renders_of_the_same_input_are_byte_identical(
        zensical_site: ZensicalSite, tmp_path: Path) -> None:
    other = copy_example(tmp_path)
    assert render(other).returncode == 0
    assert generated_tree(other) == generated_tree(zensical_site.root)


def test_check_fails_when_an_incident_changed_and_names_the_file(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    assert render(root).returncode == 0
    source = next((root / "docs" / "incidents").rglob("*.yaml"))
    source.write_text(source.read_text(encoding="utf-8").replace(
        "title:", "title: Renamed -", 1), encoding="utf-8")
    check = render(root, "--check")
    assert check.returncode == 1
    assert "out of date:" in check.stderr


def test_a_broken_incident_is_reported_like_the_build_and_the_others_still_render(
        tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    broken = root / "docs" / "incidents" / "2026" / "2026-12-01-broken.yaml"
    broken.write_text("id: INC-2026-099\ntitle: Broken\nseverity: SEV2\n"
                      "started_at: 2026-12-01T10:00:00Z\nsumary: typo\n", encoding="utf-8")
    result = render(root)
    assert result.returncode == 1
    assert ("docs/incidents/2026/2026-12-01-broken.yaml:5:1: sumary: Unknown key 'sumary'."
            in result.stdout)
    assert "Traceback" not in result.stdout + result.stderr
    docs = root / "docs"
    listed = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))["files"]
    pages = "\n".join(listed)
    for incident in example_incidents():
        assert incident["id"].lower() in pages, f"{incident['id']} was not rendered"
    assert "inc-2026-099" not in pages


def test_every_incident_has_a_playbill(zensical_site: ZensicalSite) -> None:
    built = zensical_site.built
    for incident in example_incidents():
        url = playbill_url(incident)
        assert built.exists(url), f"no playbill for {incident['id']} at {url}"
        soup = built.html(url)
        article = soup.select_one("[data-pmt-incident]")
        assert article is not None and article["data-pmt-incident"] == incident["id"]
        assert incident["title"] in words(article)
        assert soup.title is not None and incident["title"] in soup.title.get_text()


def test_playbills_hold_the_same_text_as_the_plugins(zensical_site: ZensicalSite,
                                                    example_site: BuiltSite) -> None:
    for incident in example_incidents():
        url = playbill_url(incident)
        ours = zensical_site.built.html(url).select_one("[data-pmt-incident]")
        plugin = example_site.html(url).select_one("[data-pmt-incident]")
        assert ours is not None and plugin is not None
        assert words(ours) == words(plugin), f"{url} differs from the MkDocs build"
        ids = sorted(str(t["id"]) for t in ours.select("[id]"))
        assert ids == sorted(str(t["id"]) for t in plugin.select("[id]")), url


def test_catalogue_pages_list_every_incident_with_working_links(
        zensical_site: ZensicalSite) -> None:
    built = zensical_site.built
    for url in CATALOGUE:
        assert built.exists(url), f"no catalogue page at {url}"
    index = built.html("incidents/")
    linked = set()
    for row in index.select("table.pmt-index tbody tr"):
        href = str(row.find("td").a["href"])
        target = posixpath.normpath(posixpath.join("incidents/", href.partition("#")[0])) + "/"
        assert built.exists(target), f"{href} on the index points to a missing page"
        linked.add(str(built.html(target).select_one("[data-pmt-incident]")["data-pmt-incident"]))
    assert linked == {i["id"] for i in example_incidents()}


def test_data_files_are_published_and_well_formed(zensical_site: ZensicalSite) -> None:
    folder = zensical_site.root / "site" / "incidents"
    for name in DATA_FILES:
        assert (folder / name).is_file(), f"incidents/{name} is not published"
    document = json.loads((folder / "incidents.json").read_text(encoding="utf-8"))
    published = json.dumps(document)
    for incident in example_incidents():
        assert incident["id"] in published
    json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    assert (folder / "action-items.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    feed = ET.parse(folder / "feed.xml").getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"


def test_incident_yaml_files_are_not_published(zensical_site: ZensicalSite) -> None:
    site = zensical_site.root / "site"
    assert list(site.rglob("*.yaml")) == []
    assert list(site.rglob(".pmtheater-generated.json")) == []


def test_search_finds_the_playbills(zensical_site: ZensicalSite) -> None:
    index = json.loads((zensical_site.root / "site" / "search.json").read_text(encoding="utf-8"))
    items = index["items"]
    for incident in example_incidents():
        url = playbill_url(incident)
        on_page = " ".join(i["title"] + " " + i["text"] for i in items
                           if i["location"].split("#")[0] == url)
        assert on_page, f"{incident['id']} is not in the search index"
        summary_word = max(re.findall(r"[A-Za-z]{6,}", incident["summary"]), key=len)
        assert summary_word in on_page, f"{summary_word!r} of {incident['id']} is not searchable"


def test_styles_and_script_are_published_and_linked(zensical_site: ZensicalSite) -> None:
    site = zensical_site.root / "site"
    for asset in ("assets/pmtheater/pmtheater.css", "assets/pmtheater/pmtheater.js"):
        assert (site / asset).is_file(), f"{asset} is not published"
    soup = zensical_site.built.html(playbill_url(example_incidents()[0]))
    assert any(str(link.get("href", "")).endswith("assets/pmtheater/pmtheater.css")
               for link in soup.find_all("link"))
    assert any(str(script.get("src", "")).endswith("assets/pmtheater/pmtheater.js")
               for script in soup.find_all("script"))


def test_generated_markdown_carries_the_marker(zensical_site: ZensicalSite) -> None:
    docs = zensical_site.root / "docs"
    pages = [p for p in json.loads((docs / MANIFEST).read_text(encoding="utf-8"))["files"]
             if p.endswith(".md")]
    assert len(pages) >= len(example_incidents()) + len(CATALOGUE)
    for page in pages:
        head = (docs / page).read_text(encoding="utf-8")[:400]
        assert "Generated by 'pmtheater render'" in head, page


def test_the_command_line_zensical_is_the_pinned_one() -> None:
    version = run(["zensical", "--version"], REPO)
    assert version.returncode == 0
    pinned = re.search(r'"zensical==([^;"]+)', (REPO / "pyproject.toml").read_text())
    assert pinned is not None and version.stdout.strip() == pinned.group(1).strip()


def test_playbill_page_is_plain_html_for_a_commonmark_future(zensical_site: ZensicalSite) -> None:
    # Zensical will swap Python-Markdown for a CommonMark parser, where an HTML block
    # ends at the first blank line: the generated body must have none.
    docs = zensical_site.root / "docs"
    incident_id = example_incidents()[0]["id"]
    listed = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))["files"]
    pages = [docs / p for p in listed if p.endswith(".md")
             and f'data-pmt-incident="{incident_id}"' in (docs / p).read_text(encoding="utf-8")]
    assert len(pages) == 1, f"one generated page holds the playbill of {incident_id}"
    text = pages[0].read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
    assert "\n\n" not in body.strip(), "a blank line would end the HTML block in CommonMark"
    assert BeautifulSoup(body, "html.parser").select_one("[data-pmt-incident]") is not None
