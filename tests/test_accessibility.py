"""Accessibility: axe-core finds no serious or critical problem on any page kind, in either palette.

axe-core (an npm package, installed in tests/browser by scripts/setup) is
injected into the built example site's pages in headless Chromium: a playbill,
the post-mortem index, the action-item board, the hall of fame, the metrics
and the themes pages, each in Material's light ("default") and dark ("slate")
palettes. The whole page is
checked, the theme's header, navigation and sidebars included, except two
parts of Material's own markup that no plugin controls (THEME_PARTS): the
search dialog, which has no accessible name, and the footer's copyright
line (4.47:1 instead of 4.5:1 in the light palette).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import isolate, serve_directory
from conftest import BUILD_EPOCH, EXAMPLE_SITE, REPO, build_site

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "playbill": "incidents/inc-2024-031/",
    "draft-playbill": "incidents/inc-2026-071/",
    "index": "incidents/",
    "board": "incidents/action-items/",
    "hall-of-fame": "incidents/hall-of-fame/",
    "metrics": "incidents/metrics/",
    "themes": "incidents/themes/",
}
BLOCKING = ("serious", "critical")
THEME_PARTS = [[".md-search"], [".md-copyright"]]
"""Material's own markup with known problems of its own; everything else is checked."""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example site, built here (not strictly: only what readers see matters here)."""
    root = tmp_path_factory.mktemp("a11y") / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
    shutil.copytree(REPO / "schemas", root.parent / "schemas")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        built = build_site(root)
    with serve_directory(built.site_dir) as url:
        yield url


def test_axe_is_installed() -> None:
    assert AXE.is_file(), "run ./scripts/setup (npm install in tests/browser)"


def axe_violations(chromium, url: str, scheme: str) -> list[dict]:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        isolate(page)
        index = 1 if scheme == "slate" else 0
        # Material keeps the chosen palette in localStorage under "<scope>.__palette".
        page.add_init_script(
            f"localStorage.setItem('/.__palette', JSON.stringify({{index: {index}, color: "
            f"{{scheme: '{scheme}', primary: 'indigo', accent: 'amber'}}}}))"
        )
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            """async (exclude) => (await axe.run({include: [['html']], exclude},
                                                 {resultTypes: ['violations']})).violations""",
            THEME_PARTS,
        )
    finally:
        page.close()
    return [v for v in result if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["default", "slate"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_no_serious_accessibility_problem(chromium, site_url, kind: str, scheme: str) -> None:
    violations = axe_violations(chromium, site_url + PAGES[kind], scheme)
    assert violations == [], describe(violations)
