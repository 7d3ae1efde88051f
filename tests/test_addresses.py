"""No two files at one address: playbills, catalogue pages, data files, assets and the site's own.

Every case is a real build into a temporary folder. An incident whose playbill
would land where another file is written is a warning at its ``id:`` line
naming that address, and is not published; a file of the site always keeps its
address; nothing else is lost, and no build ends in a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from conftest import BuiltSite, SiteFactory, minimal_incident

DATA_FILES = ("feed.xml", "schema.json", "incidents.json", "action-items.ics")
CATALOGUE = ("index", "action-items", "hall-of-fame", "metrics")
ASSETS = ("pmtheater.css", "pmtheater.js", "index-search.json", "pmtheater-search.js")


def options(site: SiteFactory, **values: object) -> None:
    site.config["plugins"] = ["search", {"pmtheater": values}]


def with_ids(site: SiteFactory, ids: list[str]) -> dict[str, str]:
    """One incident file per id (plus a good INC-OK); returns {id: file shown in messages}."""
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    shown = {}
    for number, incident_id in enumerate(ids):
        site.incident(f"c{number}.yaml",
                      minimal_incident(f'"{incident_id}"', f"Colliding {number}"))
        shown[incident_id] = f"docs/incidents/c{number}.yaml"
    return shown


def warned_at_id(built: BuiltSite, file: str, *needles: str) -> list[str]:
    """The warnings at the incident's ``id:`` line (line 1, column 5) holding every needle."""
    return [w for w in built.warnings
            if f"{file}:1:5: id: " in w and all(n in w for n in needles)]


def assert_data_files_intact(built: BuiltSite, under: str) -> None:
    """The four data files are the plugin's, well formed, and list INC-OK."""
    site = built.site_dir / under
    assert json.loads((site / "schema.json").read_text())["type"] == "object"
    data = json.loads((site / "incidents.json").read_text())
    assert "INC-OK" in [i["id"] for i in data["incidents"]]
    assert (site / "action-items.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    feed = etree.parse(site / "feed.xml").getroot()
    titles = [t.text for t in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "INC-OK: The one that is fine" in titles


def title(built: BuiltSite, url: str) -> str:
    return built.html(url).title.get_text()


def ok_page(use_directory_urls: bool, under: str = "incidents") -> str:
    return f"{under}/inc-ok/" if use_directory_urls else f"{under}/inc-ok.html"


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_ids_named_like_published_files(site: SiteFactory, use_directory_urls: bool) -> None:
    site.config["use_directory_urls"] = use_directory_urls
    ids = [*DATA_FILES, "index.html", *CATALOGUE]
    shown = with_ids(site, ids)
    built = site.build()
    assert not [w for w in built.warnings if "Traceback" in w]

    for name in CATALOGUE:  # taken by a catalogue page in either URL style
        assert warned_at_id(built, shown[name], "would take the address of a page"), name
    for name in (*DATA_FILES, "index.html"):
        if use_directory_urls:  # incidents/feed.xml/index.html needs a folder at the file
            assert warned_at_id(built, shown[name], f"address incidents/{name}/ is already",
                                f"it writes incidents/{name}, a file where"), built.warnings
            assert not (built.site_dir / "incidents" / name).is_dir()
        else:  # incidents/feed.xml.html is free: published, and nothing to say
            assert not [w for w in built.warnings if shown[name] in w]
            assert title(built, f"incidents/{name}.html").startswith(f"{name}: Colliding")
    ours = [w for w in built.warnings if "pmtheater" in w]
    assert len(ours) == len(CATALOGUE) + (len(DATA_FILES) + 1) * use_directory_urls, ours

    assert "The one that is fine" in built.html(ok_page(use_directory_urls)).get_text()
    assert_data_files_intact(built, "incidents")
    index = "incidents/" if use_directory_urls else "incidents/index.html"
    assert built.html(index).find("table") is not None, "the catalogue index is intact"
    for kind in CATALOGUE[1:]:
        url = f"incidents/{kind}/" if use_directory_urls else f"incidents/{kind}.html"
        assert built.exists(url), kind


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_ids_named_like_assets_when_the_prefix_is_the_assets_folder(
    site: SiteFactory, use_directory_urls: bool
) -> None:
    site.config["use_directory_urls"] = use_directory_urls
    options(site, prefix="assets/pmtheater")
    shown = with_ids(site, list(ASSETS))
    built = site.build()
    for name in ASSETS:
        found = warned_at_id(built, shown[name], f"address assets/pmtheater/{name}/ is already")
        assert bool(found) == use_directory_urls, (name, built.warnings)
    css = (built.site_dir / "assets/pmtheater/pmtheater.css").read_text()
    assert ".pmt-" in css, "the stylesheet is the plugin's"
    assert "pmt" in (built.site_dir / "assets/pmtheater/pmtheater.js").read_text()
    assert "noWorker" in (built.site_dir / "assets/pmtheater/pmtheater-search.js").read_text()
    search = json.loads((built.site_dir / "assets/pmtheater/index-search.json").read_text())
    assert "INC-OK" in search
    assert built.exists(ok_page(use_directory_urls, "assets/pmtheater"))
    assert_data_files_intact(built, "assets/pmtheater")


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_empty_prefix(site: SiteFactory, use_directory_urls: bool) -> None:
    """Playbills at the site's root meet the theme's pages and the search index too."""
    site.config["use_directory_urls"] = use_directory_urls
    options(site, prefix="")
    ids = [*DATA_FILES, "sitemap.xml", "404", "index", "metrics"]
    shown = with_ids(site, ids)
    built = site.build()
    assert warned_at_id(built, shown["index"], "would take the address of a page")
    assert warned_at_id(built, shown["metrics"], "would take the address of a page")
    if use_directory_urls:
        for name in (*DATA_FILES, "sitemap.xml"):
            assert warned_at_id(built, shown[name], f"address {name}/ is already",
                                f"it writes {name}, a file where"), (name, built.warnings)
        assert warned_at_id(built, shown["sitemap.xml"], "the theme's page sitemap.xml")
        assert title(built, "404/").startswith("404: Colliding")
    else:
        assert warned_at_id(built, shown["404"], "address 404.html is already taken by "
                                                 "the theme's page 404.html")
        assert built.html("404.html").h1.get_text() == "404 - Not found", "the theme's page"
        for name in (*DATA_FILES, "sitemap.xml"):
            assert title(built, f"{name}.html").startswith(f"{name}: Colliding")
    assert_data_files_intact(built, "")
    assert (built.site_dir / "sitemap.xml").read_text().startswith("<?xml")
    assert built.html("" if use_directory_urls else "index.html").h1.get_text().startswith("Home")
    assert built.exists(ok_page(use_directory_urls, "").lstrip("/"))


def test_a_folder_page_keeps_its_address(site: SiteFactory) -> None:
    """``incidents/2024/index.md`` and the id ``2024`` are both ``incidents/2024/``."""
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    site.incident("2024/year.yaml", minimal_incident('"2024"', "A year as an id"))
    site.incident("2023/readme.yaml", minimal_incident('"2023"', "Another year"))
    site.incident("2022/case.yaml", minimal_incident("Notes", "Mixed case"))
    site.page("incidents/2024/index.md", "# Our 2024 review\n")
    site.page("incidents/2023/README.md", "# Our 2023 review\n")
    site.page("incidents/Notes.md", "# Our notes\n")
    site.page("incidents/2024/diagram.txt", "a file beside the page\n")
    site.incident("2022/static.yaml", minimal_incident("notes.txt", "A file name as an id"))
    site.page("incidents/notes.txt", "a static file of the site\n")
    built = site.build()
    assert warned_at_id(built, "docs/incidents/2022/static.yaml",
                        "address incidents/notes.txt/ is already taken by "
                        "docs/incidents/notes.txt (it writes incidents/notes.txt, a file where "
                        "incidents/notes.txt/index.html needs a folder)"), built.warnings
    assert read(built, "incidents/notes.txt") == "a static file of the site\n"
    for file, page, address in (
        ("docs/incidents/2024/year.yaml", "docs/incidents/2024/index.md", "incidents/2024/"),
        ("docs/incidents/2023/readme.yaml", "docs/incidents/2023/README.md", "incidents/2023/"),
    ):
        found = warned_at_id(built, file, f"address {address} is already taken by {page}")
        assert found, built.warnings
        assert f"{page} keeps its address" in found[0]
    assert warned_at_id(built, "docs/incidents/2022/case.yaml",
                        "address incidents/notes/ is already taken by docs/incidents/Notes.md",
                        "incidents/Notes/index.html: paths that differ only in letter case")
    assert built.html("incidents/2024/").h1.get_text(strip=True).startswith("Our 2024 review")
    assert built.html("incidents/2023/").h1.get_text(strip=True).startswith("Our 2023 review")
    assert built.html("incidents/Notes/").h1.get_text(strip=True).startswith("Our notes")
    assert not (built.site_dir / "incidents/notes").exists()
    assert (built.site_dir / "incidents/2024/diagram.txt").is_file()
    assert built.exists("incidents/inc-ok/")
    ids = [i["id"] for i in json.loads(read(built, "incidents/incidents.json"))["incidents"]]
    assert ids == ["INC-OK"], "refused incidents are in no data file"
    links = [a["href"] for a in built.html("incidents/").select("td a")]
    assert links == ["inc-ok/"], "nor in the index"


def test_addresses_are_compared_as_written(site: SiteFactory) -> None:
    """With ``use_directory_urls: false`` the id ``2024`` is ``incidents/2024.html``: free."""
    site.config["use_directory_urls"] = False
    site.incident("2024/year.yaml", minimal_incident('"2024"', "A year as an id"))
    site.page("incidents/2024/index.md", "# Our 2024 review\n")
    built = site.build(strict=True)
    assert title(built, "incidents/2024.html").startswith("2024: A year as an id")
    assert built.html("incidents/2024/index.html").h1.get_text(strip=True).startswith("Our")


def read(built: BuiltSite, path: str) -> str:
    return (built.site_dir / path).read_text(encoding="utf-8")


def test_site_files_at_the_plugin_addresses_win(site: SiteFactory) -> None:
    """Catalogue pages, data files and assets give way to the site's own files."""
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    site.page("incidents/README.md", "# Our own index\n")
    site.page("incidents/action-items/index.md", "# Our own board\n")
    site.page("incidents/feed.xml/index.md", "# A page where the feed would be\n")
    site.page("incidents/schema.json", '{"mine": true}\n')
    site.page("assets/pmtheater/pmtheater.css", "/* mine */\n")
    built = site.build()
    expected = {
        "docs/incidents/README.md": "address incidents/ of the generated catalogue page "
                                    "'Post-mortem index'",
        "docs/incidents/action-items/index.md": "address incidents/action-items/ of the "
                                                "generated catalogue page 'Action items'",
        "docs/incidents/feed.xml/index.md": "address incidents/feed.xml (it writes "
                                            "incidents/feed.xml/index.html, which needs a "
                                            "folder where incidents/feed.xml would be a file) "
                                            "of the plugin's Atom feed",
        "docs/incidents/schema.json": "address incidents/schema.json of the plugin's JSON Schema",
        "docs/assets/pmtheater/pmtheater.css": "address assets/pmtheater/pmtheater.css of the "
                                               "plugin's stylesheet",
    }
    for file, needle in expected.items():
        found = [w for w in built.warnings if w.startswith(f"mkdocs_pmtheater: {file}: This "
                                                           f"file takes the {needle}")]
        assert found, (file, built.warnings)
    assert built.html("incidents/").h1.get_text(strip=True).startswith("Our own index")
    assert built.html("incidents/action-items/").h1.get_text(strip=True).startswith("Our own")
    assert built.html("incidents/feed.xml/").h1.get_text(strip=True).startswith("A page where")
    assert read(built, "incidents/schema.json") == '{"mine": true}\n'
    assert read(built, "assets/pmtheater/pmtheater.css") == "/* mine */\n"
    assert built.exists("incidents/inc-ok/") and built.exists("incidents/hall-of-fame/")
    assert "INC-OK" in read(built, "incidents/incidents.json")
    assert not (built.site_dir / "assets/pmtheater/index-search.json").exists(), (
        "no index, so no data for its filter box")


def test_a_site_file_at_the_search_workers_address_wins(site: SiteFactory) -> None:
    """The site's own file at the full-text search worker's address is published as it is,
    with a warning, and the index page no longer names it as its worker (the page then
    searches with Pagefind's own worker rather than start a file that is not ours)."""
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    site.page("assets/pmtheater/pmtheater-search.js", "// mine\n")
    built = site.build()
    found = [w for w in built.warnings if w.startswith(
        "mkdocs_pmtheater: docs/assets/pmtheater/pmtheater-search.js: This file takes the "
        "address assets/pmtheater/pmtheater-search.js of the post-mortem index's full-text "
        "search worker")]
    assert found, built.warnings
    assert read(built, "assets/pmtheater/pmtheater-search.js") == "// mine\n"
    box = built.html("incidents/").select_one(".pmt-fulltext")
    assert box["data-pmt-fulltext-worker"] == ""
    assert box["data-pmt-fulltext"] == "../pagefind/pagefind.js"


def test_the_index_names_its_search_worker(site: SiteFactory) -> None:
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    built = site.build(strict=True)
    box = built.html("incidents/").select_one(".pmt-fulltext")
    assert box["data-pmt-fulltext-worker"] == "../assets/pmtheater/pmtheater-search.js"
    assert "noWorker" in read(built, "assets/pmtheater/pmtheater-search.js")


def test_strict_build_fails_and_validate_agrees(site: SiteFactory, tmp_path: Path) -> None:
    site.incident("ok.yaml", minimal_incident("INC-OK", "The one that is fine"))
    site.incident("2024/year.yaml", minimal_incident('"2024"', "A year as an id"))
    site.incident("feed.yaml", minimal_incident("feed.xml", "A feed as an id"))
    site.page("incidents/2024/index.md", "# Our 2024 review\n")
    site.build()  # writes mkdocs.yml
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
        cwd=site.root, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "Aborted with 2 incident problems in strict mode" in done.stdout
    assert "docs/incidents/2024/year.yaml:1:5: id: The playbill address incidents/2024/" in (
        done.stderr)
    assert (tmp_path / "out/incidents/inc-ok/index.html").is_file()

    script = Path(sys.executable).parent / "pmtheater"
    validate = subprocess.run([str(script), "validate", "--format", "json"], cwd=site.root,
                              capture_output=True, text=True, env=env, timeout=300, check=False)
    assert validate.returncode == 1, validate.stderr
    problems = json.loads(validate.stdout)["problems"]
    assert [(p["file"], p["line"], p["field"]) for p in problems] == [
        ("docs/incidents/2024/year.yaml", 1, "id"), ("docs/incidents/feed.yaml", 1, "id")]
    assert "docs/incidents/2024/index.md" in problems[0]["message"]
    assert "the plugin's Atom feed" in problems[1]["message"]
