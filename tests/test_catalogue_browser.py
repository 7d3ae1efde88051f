"""The catalogue in a real browser: filtering, facets, sorting, URL state, the board.

Runs headless Chromium on the built example site. What the index should show
is worked out from the incident files (plain PyYAML), not from the plugin.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from browsing import open_page, serve_directory
from conftest import EXAMPLE_SITE, SiteFactory, minimal_incident

pytestmark = pytest.mark.browser

INDEX = "incidents/"
BOARD = "incidents/action-items/"
PAGES = [INDEX, BOARD, "incidents/hall-of-fame/", "incidents/metrics/"]
OPEN = ("open", "in-progress", "blocked")
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]


def incidents() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))]


def people(data: dict) -> list[str]:
    names = [data.get("director") or ""]
    names += [c.get("actor") or "" for c in data.get("cast", [])]
    names += [i["owner"] for i in data.get("action_items", [])]
    names += [a["recipient"] for a in data.get("awards", [])]
    return [n for n in names if n]


def searchable(data: dict) -> str:
    """What the issue says the filter searches: id, title, summary, services, tags, people."""
    parts = [data["id"], data["title"], data["summary"], *data.get("services", []),
             *data.get("tags", []), *people(data)]
    return "\n".join(parts).lower()


def expected_ids(*terms: str) -> set[str]:
    return {d["id"] for d in incidents() if all(t.lower() in searchable(d) for t in terms)}


@pytest.fixture
def index(chromium, example_url) -> Iterator:
    page, errors, outside = open_page(chromium, example_url + INDEX)
    page.wait_for_selector("form.pmt-filters:not([hidden])")
    yield page
    page.close()
    assert errors == [], errors
    assert outside == [], outside


# textContent, not innerText: rows far off screen skip rendering (content-visibility),
# and innerText of an unrendered row can come back empty.
def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "table.pmt-index tbody tr:not([hidden])",
        "rows => rows.map(r => r.cells[0].textContent.trim())")


def visible_cells(page, column: int) -> list[str]:
    return page.eval_on_selector_all(
        "table.pmt-index tbody tr:not([hidden])",
        f"rows => rows.map(r => r.cells[{column}].textContent.trim())")


def count_text(page) -> str:
    return page.locator("form.pmt-filters .pmt-count").inner_text()


def summary_only_word() -> str:
    """A word found in exactly one summary and in nothing else the table shows."""
    data = incidents()
    for d in data:
        for word in sorted(set(re.findall(r"[a-z]{8,}", d["summary"].lower()))):
            elsewhere = [o for o in data if word in searchable(o)]
            shown = " ".join([d["id"], d["title"], *d.get("services", []),
                              *d.get("tags", [])]).lower()
            if elsewhere == [d] and word not in shown:
                return word
    raise AssertionError("the example site has no summary-only word")


# -- the index ----------------------------------------------------------------------
def test_typing_filters_the_index(index) -> None:
    total = len(incidents())
    assert count_text(index) == f"{total} of {total}"
    field = index.locator("#pmt-q")
    for terms in (["cache"], ["@kwame"], ["CHECKOUT", "cache"], [summary_only_word()]):
        field.fill("")
        field.type(" ".join(terms))
        wanted = expected_ids(*terms)
        index.wait_for_function(
            "n => document.querySelector('.pmt-count').textContent.startsWith(n + ' of')",
            arg=len(wanted))
        assert set(visible_ids(index)) == wanted, terms
        assert count_text(index) == f"{len(wanted)} of {total}"
    field.fill("no such incident anywhere")
    assert visible_ids(index) == []
    assert index.locator(".pmt-empty").is_visible()


NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))"


def test_a_keystroke_that_keeps_the_query_touches_nothing(index) -> None:
    """A space after a word, or the same words in capitals, is the same query: the page
    keeps what it shows (no row, count, facet or note is written) and stays right."""
    field = index.locator("#pmt-q")
    field.type("cache")
    wanted = expected_ids("cache")
    index.wait_for_function(
        "n => document.querySelector('.pmt-count').textContent.startsWith(n + ' of')",
        arg=len(wanted))
    index.evaluate("""() => {
      window.__pmtChanges = [];
      new MutationObserver(records => {
        for (const r of records) window.__pmtChanges.push(r.type + " " + r.target.nodeName);
      }).observe(document.querySelector(".pmt-catalogue"),
                 { subtree: true, childList: true, attributes: true, characterData: true });
    }""")
    for same in ("cache ", "CACHE", " Cache  "):
        field.fill(same)
        index.evaluate(NEXT_FRAME)
        assert index.evaluate("window.__pmtChanges") == [], same
        assert set(visible_ids(index)) == wanted, same
    # The observer sees the page's writes: a new term changes rows and the count.
    field.type("x")
    index.wait_for_function(
        "n => document.querySelector('.pmt-count').textContent.startsWith(n + ' of')",
        arg=len(expected_ids("cache", "x")))
    assert index.evaluate("window.__pmtChanges") != []


def test_facets_combine(index) -> None:
    data = {d["id"]: d for d in incidents()}
    index.check('input[name="severity"][value="SEV1"]')
    index.check('input[name="severity"][value="SEV2"]')
    wanted = {i for i, d in data.items() if d["severity"] in ("SEV1", "SEV2")}
    assert set(visible_ids(index)) == wanted, "values of one facet: any of them"
    tag = sorted({t for i in wanted for t in data[i].get("tags", [])})[0]
    index.check(f'input[name="tag"][value="{tag}"]')
    both = {i for i in wanted if tag in data[i].get("tags", [])}
    assert set(visible_ids(index)) == both, "different facets: all of them"
    year = sorted({str(data[i]["started_at"])[:4] for i in both})[0]
    index.check(f'input[name="year"][value="{year}"]')
    assert set(visible_ids(index)) == {i for i in both if str(data[i]["started_at"])[:4] == year}
    # A facet's counts ignore its own selection and honour the others.
    sev3 = index.locator('input[name="severity"][value="SEV3"]').locator("..")
    expect = sum(1 for d in data.values() if d["severity"] == "SEV3"
                 and tag in d.get("tags", []) and str(d["started_at"])[:4] == year)
    assert sev3.locator(".pmt-n").inner_text() == str(expect)
    index.locator('form.pmt-filters button[type="reset"]').click()
    index.wait_for_function(
        "n => document.querySelector('.pmt-count').textContent === n + ' of ' + n", arg=len(data))
    assert len(visible_ids(index)) == len(data)


def test_sorting_columns(index) -> None:
    index.get_by_role("button", name="Severity").click()
    assert index.locator("th", has_text="Severity").get_attribute("aria-sort") == "ascending"
    ranks = [SEVERITIES.index(s) for s in visible_cells(index, 2)]
    assert ranks == sorted(ranks)
    index.get_by_role("button", name="Severity").click()
    ranks = [SEVERITIES.index(s) for s in visible_cells(index, 2)]
    assert ranks == sorted(ranks, reverse=True)
    index.get_by_role("button", name="Incident").click()
    ids = visible_cells(index, 0)
    assert ids == sorted(ids)
    index.get_by_role("button", name="Started").click()
    starts = visible_cells(index, 4)
    assert starts == sorted(starts)
    # The keyboard works too: focus a header button and press Enter.
    index.get_by_role("button", name="Open items").focus()
    index.keyboard.press("Enter")
    counts = [int(c) for c in visible_cells(index, 8)]
    assert counts == sorted(counts)
    index.keyboard.press("Enter")
    counts = [int(c) for c in visible_cells(index, 8)]
    assert counts == sorted(counts, reverse=True)


def test_the_url_reproduces_the_view(index, chromium) -> None:
    index.locator("#pmt-q").type("cache")
    index.check('input[name="severity"][value="SEV2"]')
    index.check('input[name="severity"][value="SEV1"]')
    index.get_by_role("button", name="Duration").click()
    index.wait_for_url(re.compile(r"[?&]sort=duration"))  # written just after the next frame
    query = parse_qs(urlsplit(index.url).query)
    assert query == {"q": ["cache"], "severity": ["SEV1", "SEV2"], "sort": ["duration"]}
    rows = visible_ids(index)
    assert rows
    index.reload()
    index.wait_for_selector("form.pmt-filters:not([hidden])")
    assert visible_ids(index) == rows
    assert index.locator("#pmt-q").input_value() == "cache"
    assert index.locator('input[name="severity"][value="SEV1"]').is_checked()
    assert not index.locator('input[name="severity"][value="SEV3"]').is_checked()
    # A shared link opens the same view in a fresh tab.
    page, errors, _ = open_page(chromium, index.url)
    assert visible_ids(page) == rows
    page.close()
    assert errors == []


def test_keyboard_only_filtering(index) -> None:
    index.locator("#pmt-q").focus()
    index.keyboard.type("ledger")
    assert set(visible_ids(index)) == expected_ids("ledger")
    # Tab on to the facets and tick the first one with the space bar.
    for _ in range(10):
        index.keyboard.press("Tab")
        if index.evaluate("document.activeElement.name") == "severity":
            break
    assert index.evaluate("document.activeElement.value") == "SEV1"
    index.keyboard.press("Space")
    assert index.locator('input[name="severity"][value="SEV1"]').is_checked()
    data = {d["id"]: d for d in incidents()}
    assert set(visible_ids(index)) == {i for i in expected_ids("ledger")
                                       if data[i]["severity"] == "SEV1"}


# -- the board ----------------------------------------------------------------------
def open_items() -> list[tuple[str, dict]]:
    return [(d["id"], i) for d in incidents() for i in d.get("action_items", [])
            if i.get("status", "open") in OPEN]


def visible_cards(page) -> list[dict]:
    return page.eval_on_selector_all(
        "li.pmt-card",
        """cards => cards.filter(c => c.offsetParent !== null).map(c => ({
             owner: c.querySelector('.pmt-person').innerText, p: c.dataset.p, k: c.dataset.k,
             due: c.dataset.d, status: c.dataset.s, overdue: c.textContent.includes('Overdue'),
             group: c.closest('section').querySelector('h2').innerText}))""")


def test_board_filters_and_groupings(chromium, example_url) -> None:
    page, errors, outside = open_page(chromium, example_url + BOARD)
    page.wait_for_selector("form.pmt-board-controls:not([hidden])")
    items = open_items()
    cards = visible_cards(page)
    assert len(cards) == len(items)
    today = date(2026, 11, 26)
    assert sum(c["overdue"] for c in cards) == sum(i["due"] < today for _, i in items)

    owner = max({i["owner"] for _, i in items}, key=lambda o: (
        sum(i["owner"] == o for _, i in items), o))
    page.select_option('select[name="owner"]', owner.lower())
    cards = visible_cards(page)
    assert {c["owner"] for c in cards} == {owner}
    assert len(cards) == sum(i["owner"] == owner for _, i in items)

    page.select_option('select[name="owner"]', "")
    page.check('input[name="priority"][value="P2"]')
    page.check('input[name="priority"][value="P1"]')
    page.check('input[name="kind"][value="prevent"]')
    cards = visible_cards(page)
    wanted = [i for _, i in items if i.get("priority", "P3") in ("P1", "P2")
              and i.get("kind") == "prevent"]
    assert len(cards) == len(wanted) > 0
    assert all(c["p"] in ("P1", "P2") and c["k"] == "prevent" for c in cards)

    page.check('input[name="view"][value="owner"]')
    assert page.locator(".pmt-owner-view").is_visible()
    assert not page.locator(".pmt-board").is_visible()
    cards = visible_cards(page)
    assert len(cards) == len(wanted)
    assert all(c["group"].startswith(c["owner"].lower()) or c["group"].startswith(c["owner"])
               for c in cards)

    page.select_option('select[name="sort"]', "priority")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"priority": ["P1", "P2"], "kind": ["prevent"], "view": ["owner"],
                     "sort": ["priority"]}
    before = visible_cards(page)
    page.reload()
    page.wait_for_selector("form.pmt-board-controls:not([hidden])")
    assert visible_cards(page) == before
    assert page.locator('input[name="view"][value="owner"]').is_checked()

    page.check('input[name="view"][value=""]')
    page.uncheck('input[name="kind"][value="prevent"]')
    page.uncheck('input[name="priority"][value="P1"]')
    page.uncheck('input[name="priority"][value="P2"]')
    by_due = visible_cards(page)
    for status in OPEN:
        column = [c for c in by_due if c["status"] == status]
        ranks = [c["p"] for c in column]
        assert ranks == sorted(ranks), "sorted by priority"
    page.select_option('select[name="sort"]', "")
    for status in OPEN:
        dues = [c["due"] for c in visible_cards(page) if c["status"] == status and c["due"]]
        assert dues == sorted(dues), "sorted by due date"
    page.close()
    assert errors == [] and outside == []


# -- every page, both palettes ----------------------------------------------------
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_catalogue_pages_render_in_both_palettes(chromium, example_url, scheme) -> None:
    colours = {}
    for path in PAGES:
        page, errors, outside = open_page(chromium, example_url + path, scheme=scheme)
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
        text, background = page.evaluate(
            """() => [getComputedStyle(document.querySelector('.pmt-catalogue h1')).color,
                      getComputedStyle(document.body).backgroundColor]""")
        assert text != background
        box = page.locator(".pmt-catalogue").bounding_box()
        assert box is not None and box["height"] > 200
        charts = page.locator("svg.pmt-chart-svg rect")
        if charts.count():
            fill = charts.first.evaluate("r => getComputedStyle(r).fill")
            assert fill not in ("", "none", "rgb(0, 0, 0)")
            colours[path] = fill
        page.close()
        assert errors == [], (path, errors)
        assert outside == [], (path, outside)
    assert INDEX in colours and "incidents/metrics/" in colours


def test_dark_palette_changes_the_chart_colours(chromium, example_url) -> None:
    fills = []
    for scheme in ("default", "slate"):
        page, errors, _ = open_page(chromium, example_url + INDEX, scheme=scheme)
        fills.append(page.locator("svg.pmt-chart-svg rect.pmt-c1").first.evaluate(
            "r => getComputedStyle(r).fill"))
        page.close()
        assert errors == []
    assert fills[0] != fills[1]


# -- Material's instant navigation ---------------------------------------------------
def test_works_with_instant_navigation(chromium, tmp_path) -> None:
    site = SiteFactory(tmp_path / "instant")
    site.config["theme"]["features"] = ["navigation.instant", "navigation.sections"]
    site.config["theme"]["font"] = False  # no web fonts: the network is closed
    for n, title in enumerate(["Cache stampede", "DNS outage", "Cache eviction"], start=1):
        site.incident(f"{n}.yaml", minimal_incident(f"INC-{n}", title))
    (site.root / "site").mkdir()
    with serve_directory(site.root / "site") as url:
        # Material matches links against the sitemap by host, not port: as `mkdocs serve`
        # does, build for the address the site is served on.
        site.config["site_url"] = url
        site.build(strict=True)
        page, errors, _ = open_page(chromium, url)
        page.evaluate("window.__stillTheSamePage = true")
        page.locator("a.md-nav__link", has_text="Post-mortem index").first.click()
        page.wait_for_selector("form.pmt-filters:not([hidden])")
        assert page.evaluate("window.__stillTheSamePage") is True, "instant navigation"
        page.locator("#pmt-q").type("cache")
        assert sorted(visible_ids(page)) == ["INC-1", "INC-3"]
        page.locator("a.md-nav__link", has_text="Action items").first.click()
        page.wait_for_url(re.compile(r"action-items/$"))
        page.locator("a.md-nav__link", has_text="Post-mortem index").first.click()
        page.wait_for_selector("form.pmt-filters:not([hidden])")
        page.locator("#pmt-q").fill("dns")
        assert visible_ids(page) == ["INC-2"]
        assert page.evaluate("window.__stillTheSamePage") is True
        page.close()
    assert errors == []
