"""The post-mortem index opened from ``file://`` (Material's ``offline`` plugin).

Browsers refuse ``fetch()`` on ``file://``, so a filter that fetched its data
file found nothing for a word from a summary or a person. The example site is
built with the ``offline`` plugin and opened both ways in headless Chromium;
every kind of query must give the same rows from ``file://`` as over HTTP, and
the rows the incident files say.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from browsing import serve_directory
from conftest import BUILD_EPOCH, EXAMPLE_SITE, REPO, build_site
from test_catalogue_browser import expected_ids, incidents, people, summary_only_word

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("offline") / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
    shutil.copytree(REPO / "schemas", root.parent / "schemas")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    # What Material's documentation says for sites browsed from the file system.
    text = text.replace("plugins:\n  - search\n", "plugins:\n  - search\n  - offline\n", 1)
    config.write_text(text + "\nuse_directory_urls: false\n", encoding="utf-8")
    assert "- offline" in config.read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        built = build_site(root, strict=True)
    return built.site_dir


def queries() -> dict[str, list[str]]:
    """Every kind the filter answers: an id, a title word, a service, a tag, a person
    (handle and display name), a word found only in a summary, several words at once."""
    data = incidents()
    first = data[0]
    everyone = sorted({p for d in data for p in people(d)})
    handle = next(p for p in everyone if p.startswith("@"))
    name = next((p for p in everyone if not p.startswith("@")), handle)
    return {
        "id": [first["id"].lower()],
        "title": [max(re.findall(r"[A-Za-z]{5,}", first["title"]), key=len)],
        "service": [first["services"][0]],
        "tag": [first["tags"][0]],
        "handle": [handle],
        "name": name.split(),
        "summary": [summary_only_word()],
        "words": ["cache", "checkout"],
        "nothing": ["no-such-word-anywhere"],
    }


def rows_for(page, terms: list[str]) -> list[str]:
    field = page.locator("#pmt-q")
    field.fill("")
    field.type(" ".join(terms))
    wanted = expected_ids(*terms)
    page.wait_for_function(
        "n => document.querySelector('.pmt-count').textContent.startsWith(n + ' of')",
        arg=len(wanted), timeout=10_000)
    return sorted(page.eval_on_selector_all(
        "table.pmt-index tbody tr:not([hidden])",
        "rows => rows.map(r => r.cells[0].textContent.trim())"))


def test_offline_index_filters_like_http(chromium, offline_site: Path) -> None:
    index = offline_site / "incidents" / "index.html"
    assert index.is_file()
    assert (offline_site / "assets" / "pmtheater" / "index-search.js").is_file()
    results: dict[str, dict[str, list[str]]] = {}
    with serve_directory(offline_site) as base:
        for label, url in (("http", base + "incidents/index.html"),
                           ("file", index.resolve().as_uri())):
            page = chromium.new_page()
            errors: list[str] = []
            fetched: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.on("request", lambda r, fetched=fetched: fetched.append(r.url)
                    if r.resource_type == "fetch" else None)
            page.goto(url)
            page.wait_for_selector("form.pmt-filters:not([hidden])")
            results[label] = {kind: rows_for(page, q) for kind, q in queries().items()}
            if label == "file":
                # Nothing the browser forbids was even tried.
                assert [u for u in fetched if u.startswith("file:")] == []
            assert errors == [], errors
            page.close()
    assert results["file"] == results["http"]
    assert {k: sorted(expected_ids(*q)) for k, q in queries().items()} == results["http"]
    # The summary-only word and the people are found at all (the old failure: 0 of 11).
    assert results["file"]["summary"] and results["file"]["handle"] and results["file"]["name"]


def test_search_script_holds_the_data_file(offline_site: Path) -> None:
    import json

    folder = offline_site / "assets" / "pmtheater"
    data = json.loads((folder / "index-search.json").read_text(encoding="utf-8"))
    script = (folder / "index-search.js").read_text(encoding="utf-8")
    prefix = "(window.pmtheaterSearchData = window.pmtheaterSearchData || []).push("
    assert script.startswith(prefix) and script.endswith(");\n")
    assert json.loads(script[len(prefix):-3]) == data
    assert set(data) == {d["id"] for d in map(yaml.safe_load, (
        p.read_text(encoding="utf-8")
        for p in (EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml")))}
