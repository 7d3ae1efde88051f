"""A playbill as people see it: Chromium, light and dark palettes, print."""

from __future__ import annotations

import pytest
from browsing import open_page

pytestmark = pytest.mark.browser

PLAYBILL = "incidents/inc-2024-058/"


def _open(chromium, url: str, *, scheme: str | None = None):
    page, errors, outside = open_page(chromium, url, scheme=scheme)
    return page, errors + [f"outside request: {u}" for u in outside]


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_playbill_renders_in_both_palettes(chromium, example_url, scheme) -> None:
    page, errors = _open(chromium, example_url + PLAYBILL, scheme=scheme)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
    badge = page.locator(".pmt-header .pmt-severity")
    assert badge.inner_text() == "SEV1"
    colors = page.evaluate(
        """() => { const b = getComputedStyle(document.querySelector('.pmt-header .pmt-severity'));
                   const t = getComputedStyle(document.querySelector('.pmt-playbill h1'));
                   return [b.backgroundColor, b.color, t.color,
                           getComputedStyle(document.body).backgroundColor]; }"""
    )
    badge_bg, badge_fg, title_fg, body_bg = colors
    assert badge_bg != badge_fg
    assert title_fg != body_bg
    # Sections and the screenplay are laid out (not collapsed or hidden).
    assert page.locator("#the-screenplay").is_visible()
    assert page.locator(".pmt-scene").count() >= 15
    box = page.locator("#scene-1").bounding_box()
    assert box is not None and box["height"] > 20
    assert errors == []


def test_scene_and_item_anchors_scroll_into_view(chromium, example_url) -> None:
    page, errors = _open(chromium, example_url + PLAYBILL + "#ai-2")
    assert page.evaluate("document.querySelector(':target').id") == "ai-2"
    top = page.locator("#ai-2").bounding_box()["y"]
    assert 0 <= top < 900
    assert errors == []


def test_print_stylesheet_gives_a_clean_document(chromium, example_url) -> None:
    page, errors = _open(chromium, example_url + PLAYBILL)
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.md-header', '.md-sidebar--primary', '.md-footer']
              .map(s => document.querySelector(s))
              .filter(Boolean)
              .map(e => getComputedStyle(e).display)"""
    )
    assert hidden and set(hidden) == {"none"}
    assert page.locator(".pmt-playbill h1").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert errors == []
