"""In headless Chromium: the swimlane's marks go to their scenes, the new pages read in
both palettes and in print, and axe-core finds nothing serious on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import open_page, serve_directory
from conftest import BUILD_EPOCH, EXAMPLE_SITE
from test_accessibility import axe_violations, describe
from test_learning import make_site

pytestmark = pytest.mark.browser

PALETTE = {"palette": [
    {"scheme": "default", "primary": "indigo", "accent": "amber",
     "toggle": {"icon": "material/weather-night", "name": "Switch to dark mode"}},
    {"scheme": "slate", "primary": "indigo", "accent": "amber",
     "toggle": {"icon": "material/weather-sunny", "name": "Switch to light mode"}},
]}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    factory = make_site(tmp_path_factory.mktemp("learning-browser") / "p")
    factory.config["theme"] = {**factory.config["theme"], **PALETTE, "font": False}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        built = factory.build(strict=True)
    with serve_directory(built.site_dir) as url:
        yield url


def test_swimlane_marks_go_to_their_scenes(chromium, site_url: str) -> None:
    page, errors, outside = open_page(chromium, f"{site_url}incidents/cache-1/")
    try:
        marks = page.locator("svg.pmt-swimlane a")
        assert marks.count() == 3
        for n in (3, 1, 2):
            page.locator(f'svg.pmt-swimlane a[*|href="#scene-{n}"]').first.click()
            assert page.evaluate("location.hash") == f"#scene-{n}"
            box = page.locator(f"#scene-{n}").bounding_box()
            assert box is not None and 0 <= box["y"] < 900  # scrolled into view
        assert errors == [] and outside == []
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_swimlane_reads_in_both_palettes(chromium, site_url: str, scheme: str) -> None:
    page, errors, _ = open_page(chromium, f"{site_url}incidents/cache-3/", scheme=scheme)
    try:
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
        colours = page.evaluate("""() => {
            const name = getComputedStyle(document.querySelector('.pmt-sl-name')).fill;
            const bg = getComputedStyle(document.querySelector('.md-main')).backgroundColor;
            const body = getComputedStyle(document.body).backgroundColor;
            return {name, bg, body};
        }""")
        # Lane names are drawn in the palette's text colour, never the background's.
        assert colours["name"] not in (colours["body"], "rgba(0, 0, 0, 0)")
        svg = page.locator("svg.pmt-swimlane").bounding_box()
        assert svg is not None and svg["width"] > 300 and svg["height"] > 40
        assert errors == []
    finally:
        page.close()


def test_print_keeps_the_swimlane_in_black_on_white(chromium, site_url: str) -> None:
    page, _, _ = open_page(chromium, f"{site_url}incidents/cache-1/", scheme="slate")
    try:
        page.emulate_media(media="print")
        fill = page.evaluate(
            "getComputedStyle(document.querySelector('.pmt-sl-scene')).fill")
        assert fill == "rgb(0, 0, 0)"
        assert page.locator("svg.pmt-swimlane").is_visible()
        assert page.locator("#previously-on").is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("path", ["incidents/themes/", "incidents/cache-1/",
                                  "incidents/metrics/", "incidents/action-items/"])
def test_axe_finds_nothing_serious(chromium, site_url: str, path: str, scheme: str) -> None:
    violations = axe_violations(chromium, f"{site_url}{path}", scheme)
    assert violations == [], describe(violations)


def test_example_site_is_present() -> None:
    assert (Path(EXAMPLE_SITE) / "mkdocs.yml").is_file()
