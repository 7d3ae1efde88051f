"""Every front door in headless Chromium: the index and the board on each platform, and
the Zensical site (``pmtheater render`` + ``zensical build``) with instant navigation.

The Zensical build is served on loopback and built for that address
(``site_url``), with ``navigation.instant`` added to the example's
``zensical.toml``: like Material, Zensical navigates instantly only when it
knows the site's URL. Expectations come from the incident files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml
from browsing import open_page, serve_directory
from conftest import EXAMPLE_SITE
from test_catalogue_browser import expected_ids, incidents, open_items, visible_cards, visible_ids
from test_front_doors import build_with, run
from test_zensical import copy_example

pytestmark = pytest.mark.browser

INDEX = "incidents/"
BOARD = "incidents/action-items/"
REPO_EDIT = "https://github.com/acme-example/reliability-docs/edit/main/docs/"
"""The example's ``repo_url`` and ``edit_uri``."""


@pytest.fixture(scope="module")
def zensical_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example rendered and built by Zensical for the loopback address it is served on,
    with instant navigation."""
    root = copy_example(tmp_path_factory.mktemp("zensical-browser"))
    (root / "site").mkdir()
    with serve_directory(root / "site") as url:
        config = root / "zensical.toml"
        text = config.read_text(encoding="utf-8")
        changed = text.replace('docs_dir = "docs"\n', f'docs_dir = "docs"\nsite_url = "{url}"\n', 1)
        changed = changed.replace('features = ["content.action.edit"',
                                  'features = ["navigation.instant", "content.action.edit"', 1)
        assert changed.count(url) == 1 and "navigation.instant" in changed
        config.write_text(changed, encoding="utf-8")
        rendered = run(["mkdocs_pmtheater.cli", "render"], root)
        assert rendered.returncode == 0, rendered.stdout + rendered.stderr
        built = run(["zensical", "build", "--clean"], root)
        assert built.returncode == 0, built.stderr
        # The documented last step of the Zensical route: full-text search for the index
        # (without it the index's search box hides, after a failed request for the bundle).
        indexed = run(["pagefind", "--site", "site"], root)
        assert indexed.returncode == 0, indexed.stdout + indexed.stderr
        assert (root / "site" / "pagefind" / "pagefind.js").is_file()
        yield url


@pytest.fixture(scope="module")
def properdocs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    door = build_with("properdocs", copy_example(tmp_path_factory.mktemp("properdocs-browser")))
    assert door.status == 0, door.output
    with serve_directory(door.built.site_dir) as url:
        yield url


@pytest.fixture(params=["mkdocs", "properdocs", "zensical"])
def site_url(request: pytest.FixtureRequest) -> str:
    fixture = {"mkdocs": "example_url", "properdocs": "properdocs_url",
               "zensical": "zensical_url"}[request.param]
    return request.getfixturevalue(fixture)


def wait_for_count(page, wanted: int) -> None:
    page.wait_for_function(
        "n => document.querySelector('.pmt-count').textContent.startsWith(n + ' of')", arg=wanted)


def check_index(page) -> None:
    """Typing filters the index and updates the count; a severity facet narrows it."""
    page.wait_for_selector("form.pmt-filters:not([hidden])")
    total = len(incidents())
    field = page.locator("#pmt-q")
    field.fill("")
    field.type("cache")
    wanted = expected_ids("cache")
    assert 0 < len(wanted) < total
    wait_for_count(page, len(wanted))
    assert set(visible_ids(page)) == wanted
    assert page.locator(".pmt-count").inner_text() == f"{len(wanted)} of {total}"
    field.fill("")
    wait_for_count(page, total)
    page.check('input[name="severity"][value="SEV1"]')
    sev1 = {d["id"] for d in incidents() if d["severity"] == "SEV1"}
    wait_for_count(page, len(sev1))
    assert set(visible_ids(page)) == sev1
    page.uncheck('input[name="severity"][value="SEV1"]')
    wait_for_count(page, total)


def check_board(page) -> None:
    """The board shows every open item; the owner filter keeps only that owner's."""
    page.wait_for_selector("form.pmt-board-controls:not([hidden])")
    items = open_items()
    assert len(visible_cards(page)) == len(items)
    owner = sorted({i["owner"] for _, i in items})[0]
    page.select_option('select[name="owner"]', owner.lower())
    cards = visible_cards(page)
    assert {c["owner"] for c in cards} == {owner}
    assert len(cards) == sum(i["owner"] == owner for _, i in items)
    page.select_option('select[name="owner"]', "")
    assert len(visible_cards(page)) == len(items)


def test_index_and_board_work_on_every_platform(chromium, site_url: str) -> None:
    for path, check in ((INDEX, check_index), (BOARD, check_board)):
        page, errors, outside = open_page(chromium, site_url + path)
        check(page)
        page.close()
        assert errors == [], (path, errors)
        assert outside == [], (path, outside)


# -- Zensical ------------------------------------------------------------------------------
def playbill_link(page, incident_id: str):
    return page.locator("table.pmt-index tbody tr td:first-child a",
                        has_text=re.compile(f"^{incident_id}$"))


def yaml_path(incident_id: str) -> str:
    docs = EXAMPLE_SITE / "docs"
    for path in sorted((docs / "incidents").rglob("*.yaml")):
        if yaml.safe_load(path.read_text(encoding="utf-8"))["id"] == incident_id:
            return path.relative_to(docs).as_posix()
    raise AssertionError(incident_id)


def test_instant_navigation_from_index_to_playbill_and_back(chromium, zensical_url) -> None:
    page, errors, outside = open_page(chromium, zensical_url + INDEX)
    check_index(page)
    page.evaluate("window.__stillTheSamePage = true")
    target = sorted(expected_ids("cache"))[0]
    playbill_link(page, target).click()
    page.wait_for_selector(f'[data-pmt-incident="{target}"]')
    assert page.evaluate("window.__stillTheSamePage") is True, "instant navigation"
    # "Edit this page" opens the incident's YAML file after an instant page change too.
    assert page.locator("a[rel=edit]").first.get_attribute("href") == REPO_EDIT + yaml_path(
        target)
    page.go_back()
    page.wait_for_selector("form.pmt-filters:not([hidden])")
    assert page.evaluate("window.__stillTheSamePage") is True
    check_index(page)
    page.locator("a", has_text="Action items").first.click()
    page.wait_for_url(re.compile(r"action-items/$"))
    check_board(page)
    assert page.evaluate("window.__stillTheSamePage") is True
    page.close()
    assert errors == [], errors
    assert outside == [], outside


def test_edit_this_page_on_a_playbill_opens_its_yaml_file(chromium, zensical_url) -> None:
    for data in incidents()[:3]:
        page, errors, _ = open_page(chromium, f"{zensical_url}incidents/{data['id'].lower()}/")
        links = page.locator("a[rel=edit]")
        assert links.count() >= 1
        for n in range(links.count()):
            assert links.nth(n).get_attribute("href") == REPO_EDIT + yaml_path(data["id"])
        page.close()
        assert errors == []


CONTRAST = """el => {
  const rgba = s => (s.match(/[\\d.]+/g) || []).map(Number);
  let bg = null;
  for (let n = el; n && !bg; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) bg = c;
  }
  if (!bg) bg = rgba(getComputedStyle(document.body).backgroundColor);
  return [rgba(getComputedStyle(el).color), bg];
}"""


def luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    """WCAG 2.x contrast ratio; a translucent text colour is blended over the background."""
    alpha = fg[3] if len(fg) == 4 else 1.0
    blended = [alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg[:3], strict=True)]
    light, dark = sorted((luminance(blended), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_playbill_is_readable_in_light_and_dark(chromium, zensical_url) -> None:
    url = f"{zensical_url}incidents/{incidents()[0]['id'].lower()}/"
    seen = {}
    for scheme in ("default", "slate"):
        page, errors, outside = open_page(chromium, url, scheme=scheme)
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
        colours = {}
        for selector in ("article.pmt-playbill h1", ".pmt-story p", ".pmt-scene .pmt-action"):
            fg, bg = page.locator(selector).first.evaluate(CONTRAST)
            ratio = contrast(fg, bg)
            assert ratio >= 4.5, (scheme, selector, fg, bg, ratio)
            colours[selector] = (tuple(fg), tuple(bg))
        seen[scheme] = colours
        page.close()
        assert errors == [], errors
        assert outside == [], outside
    for selector in seen["default"]:
        assert seen["default"][selector] != seen["slate"][selector], selector


def test_zensical_search_finds_a_playbill(chromium, zensical_url) -> None:
    data = next(d for d in incidents() if d["id"] == sorted(expected_ids("cache"))[0])
    word = max(re.findall(r"[A-Za-z]{7,}", data["summary"]), key=len)
    page, errors, _ = open_page(chromium, zensical_url)
    index = page.request.get(zensical_url + "search.json").json()
    on_playbill = " ".join(i["text"] for i in index["items"]
                           if i["location"].startswith(f"incidents/{data['id'].lower()}/"))
    assert word in on_playbill
    page.close()
    assert errors == []


def test_zensical_index_searches_every_word_in_its_own_worker(chromium, zensical_url) -> None:
    """The Zensical site's post-mortem index: a word written in one scene of one
    incident, typed into "Search every word", finds that playbill through Pagefind, run
    by the page's own worker (pmtheater-search.js; Pagefind's worker script unused)."""
    texts = {p.read_text(encoding="utf-8").lower(): p
             for p in (EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml")}
    found = None
    for data in incidents():
        for scene in data.get("timeline", []):
            for word in re.findall(r"[A-Za-z]{9,}", str(scene.get("action", ""))):
                if sum(word.lower() in text for text in texts) == 1:
                    found = (data["id"], word)
                    break
            if found:
                break
        if found:
            break
    assert found, "no word of a scene is in one incident file only"
    incident_id, word = found
    page, errors, outside = open_page(chromium, zensical_url + INDEX)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.fill("#pmt-ft", word)
    page.locator(".pmt-ft-results li").first.wait_for()
    hrefs = [a.get_attribute("href") for a in page.locator(".pmt-ft-results a").all()]
    assert any(f"/{incident_id.lower()}/" in h for h in hrefs), (word, hrefs)
    assert zensical_url + "assets/pmtheater/pmtheater-search.js" in [w.url for w in page.workers]
    assert not any("pagefind-worker.js" in r for r in requests), requests
    assert errors == [] and outside == [], (errors, outside)
    page.close()
