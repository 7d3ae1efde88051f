"""Incident text can never run script on the site, and is still shown to the reader.

Incident files come from pull requests, so their text is untrusted. Every
payload in ``xss_payloads.txt`` (the kinds of the OWASP XSS filter evasion cheat
sheet) goes into every text field of one incident; URL fields get the links the
schema admits but that try to break out of an attribute, and the script links
it refuses. The site (the example site's configuration: Material, attr_list,
md_in_html, pymdownx...) is built and every page kind is opened in headless
Chromium, where ``alert``/``confirm``/``prompt``/``print`` are recorded and
payloads try to set ``top.__pwned``. The tests assert that nothing ran, that no
handler attribute or script URL reached the DOM, and that each field's text is
still on the page (see ``rendered_text`` for what "shown" means for Markdown).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browsing import isolate, serve_directory
from conftest import EXAMPLE_SITE, BuiltSite, build_site
from rendered_text import markdown_text, missing_texts

pytestmark = pytest.mark.browser

PAYLOAD_FILE = Path(__file__).parent / "xss_payloads.txt"


def read_payloads(path: Path = PAYLOAD_FILE) -> list[str]:
    payloads = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("--"):
            payloads.append(line.replace("\\n", "\n"))
    return payloads


PAYLOADS = read_payloads()

TRICKY_URLS = [
    'https://example.test/"><script>top.__pwned=1</script>',
    "https://example.test/'onmouseover='top.__pwned=1",
    'https://example.test/"onmouseover="top.__pwned=1"',
    "https://example.test/?q=<img/src=x/onerror=top.__pwned=1>",
    '/"><img/src=x/onerror=top.__pwned=1>',
    "/javascript:top.__pwned=1",
    'mailto:ops@example.test"><svg/onload=top.__pwned=1>',
]
"""Links the schema admits (http(s), mailto, paths) that try to leave the href attribute."""

REFUSED_URLS = [
    "javascript:top.__pwned=1",
    "JaVaScRiPt:top.__pwned=1",
    " javascript:top.__pwned=1",
    "java\tscript:top.__pwned=1",
    "\x01javascript:top.__pwned=1",
    "data:text/html,<script>top.__pwned=1</script>",
    "vbscript:msgbox(1)",
    "https:javascript:top.__pwned=1",
    "//example.test/%0Ajavascript:top.__pwned=1",  # another host, read as a path before
]
"""Script links and links to another host that read as a path: the build must refuse
them, with a warning, in both URL fields."""

REVIEW_LISTS = ("went_well", "got_lucky", "could_improve", "detection", "process",
                "root_causes", "contributing_factors")


def incident(incident_id: str, p: str, *, url: str = "https://grafana.example.test/d/x",
             tracker: str = "https://tracker.example.test/browse/X-1") -> dict[str, Any]:
    """An incident with ``p`` in every text field."""
    review: dict[str, Any] = {key: [p] for key in REVIEW_LISTS}
    review["five_whys"] = [{"why": p, "because": p}]
    return {
        "id": incident_id,
        "title": p,
        "severity": "SEV2",
        "started_at": "2024-03-14T14:02:00Z",
        "detected_at": "2024-03-14T14:06:00Z",
        "services": [p],
        "tags": [p],
        "summary": p,
        "impact": p,
        "director": p,
        "review_date": "2024-03-19",
        "cast": [{"role": p, "actor": p, "notes": p}],
        "timeline": [{"at": "14:03", "character": p, "action": p, "observation": p,
                      "belief": p, "plot_point": "climax"}],
        "setting": {"environment": p, "conditions": [p],
                    "props": [{"name": p, "kind": "dashboard", "url": url}]},
        "plot": {"lead_up": p, "climax": p, "turning_point": p, "resolution": p},
        "review": review,
        "action_items": [{"id": "AI-1", "title": p, "owner": p, "due": "2024-05-31",
                          "notes": p, "tracker": tracker}],
        "awards": [{"award": p, "recipient": p, "citation": p}],
    }


def expected_sections(p: str, md: str) -> dict[str, list[str]]:
    """What each playbill section must show: ``p`` for plain fields, ``md`` for Markdown ones."""
    return {
        ".pmt-header": [p, p, p, p],  # title, service, tag, director
        ".pmt-story": [md, md],
        ".pmt-cast": [p, p, md],
        ".pmt-setting": [md, p, md],
        ".pmt-screenplay": [p, md, md, md],
        ".pmt-plot": [md, md, md, md, p],
        ".pmt-critique": [p] + [md] * (len(REVIEW_LISTS) + 2),
        ".pmt-call-sheet": [p, md, p],
        ".pmt-awards": [p, p, md],
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    root = tmp_path_factory.mktemp("xss") / "site-project"
    (root / "docs" / "incidents").mkdir(parents=True)
    shutil.copy(EXAMPLE_SITE / "mkdocs.yml", root / "mkdocs.yml")
    (root / "docs" / "index.md").write_text("# Home\n\nThe post-mortems of a test site.\n")
    incidents = root / "docs" / "incidents"
    for number, payload in enumerate(PAYLOADS, 1):
        (incidents / f"xss-{number:02d}.yaml").write_text(
            dump(incident(f"XSS-{number:02d}", payload)), encoding="utf-8")
    for number, url in enumerate(TRICKY_URLS, 1):
        (incidents / f"url-{number:02d}.yaml").write_text(
            dump(incident(f"URL-{number:02d}", f"Tricky link {number}", url=url, tracker=url)),
            encoding="utf-8")
    for number, url in enumerate(REFUSED_URLS, 1):
        (incidents / f"refused-{number:02d}.yaml").write_text(
            dump(incident(f"REFUSED-{number:02d}", f"Script link {number}", url=url,
                          tracker=url)), encoding="utf-8")
    return build_site(root)


@pytest.fixture(scope="module")
def xss_url(xss_site: BuiltSite) -> Iterator[str]:
    with serve_directory(xss_site.site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def shown_markdown(xss_site: BuiltSite):
    return markdown_text(xss_site.root / "mkdocs.yml")


# Records every dialog (and print) in every frame, before any page script runs.
RECORD_DIALOGS = """
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = function () { (top.__dialogs = top.__dialogs || []).push(name); };
}
"""

# Handler attributes, script URLs and active elements inside the page's content.
FIND_ACTIVE = """() => {
  const found = [];
  const urls = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster',
                'background', 'srcdoc'];
  for (const el of document.querySelectorAll('.md-content *')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${el.tagName} ${name}`);
      if (urls.includes(name)) {
        const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
        if (/^(javascript|vbscript|data):/.test(value)) found.push(`${el.tagName} ${name}`);
      }
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'BASE', 'META', 'STYLE']
        .includes(el.tagName.toUpperCase())) found.push(el.tagName);
    // The catalogue's own filter forms are the only forms allowed.
    if (el.tagName === 'FORM' && !el.classList.contains('pmt-filters')) found.push('FORM');
  }
  return found;
}"""


SECTION_TEXTS = """(selectors) => selectors.map(
  (s) => (document.querySelector('.pmt-playbill ' + s) || {}).textContent || '')"""


def open_page(chromium, url: str) -> tuple[Any, list[str]]:
    page = chromium.new_page()
    isolate(page)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(RECORD_DIALOGS)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(250)  # image error handlers and animations fire after load
    return page, dialogs


# Material's configuration is its own script element, and every id, name or form that
# incident Markdown produced is in the pmt-user- namespace (no DOM clobbering).
MARKDOWN_CONTAINERS = (".pmt-summary, .pmt-impact, .pmt-cast td, .pmt-environment, "
                       ".pmt-setting li, .pmt-action, .pmt-observation, .pmt-belief, "
                       ".pmt-plot dd, .pmt-critique li, .pmt-item-notes, .pmt-award-citation")
FIND_CLOBBERING = """(containers) => {
  const found = [];
  const config = document.getElementById('__config');
  if (!config || config.tagName !== 'SCRIPT' || !JSON.parse(config.textContent).base)
    found.push('__config is not the theme config');
  if (document.querySelectorAll('#__config').length !== 1) found.push('two #__config');
  if (typeof document.getElementById !== 'function') found.push('document clobbered');
  for (const box of document.querySelectorAll(containers)) {
    for (const el of box.querySelectorAll('*')) {
      if (el.id && !el.id.startsWith('pmt-user-')) found.push(`${el.tagName}#${el.id}`);
      for (const name of ['name', 'form', 'for']) {
        const value = el.getAttribute(name);
        if (value !== null && !value.startsWith('pmt-user-')) found.push(`${el.tagName} ${name}`);
      }
    }
  }
  return found;
}"""


def assert_nothing_ran(page, dialogs: list[str]) -> None:
    ran = page.evaluate("() => [top.__pwned, window.__pwned, top.__dialogs]")
    assert ran == [None, None, None], f"script ran: {ran}"
    assert dialogs == []
    assert page.evaluate(FIND_ACTIVE) == []
    assert page.evaluate(FIND_CLOBBERING, MARKDOWN_CONTAINERS) == []


def test_the_payload_list_covers_the_cheat_sheet_kinds() -> None:
    assert len(PAYLOADS) >= 40
    text = "\n".join(PAYLOADS).lower()
    for kind in ("<script", "onerror", "javascript:", "<svg", "&#", "{:", "data:", "<!--",
                 "](", "vbscript:", "#__config", "name=", "form=", "[^", "- - - - ",
                 "> > > > ", "[x]([x]("):
        assert kind in text, kind


def test_script_links_are_refused_with_a_warning(xss_site: BuiltSite) -> None:
    for number in range(1, len(REFUSED_URLS) + 1):
        name = f"docs/incidents/refused-{number:02d}.yaml"
        fields = {w.split(": ")[2] for w in xss_site.warnings if f"{name}:" in w}
        assert {"setting.props[0].url", "action_items[0].tracker"} <= fields, (name, fields)
        assert not xss_site.exists(f"incidents/refused-{number:02d}/")


@pytest.mark.parametrize("number", range(1, len(PAYLOADS) + 1))
def test_no_payload_runs_on_a_playbill(chromium, xss_site, xss_url, shown_markdown,
                                       number: int) -> None:
    payload = PAYLOADS[number - 1]
    assert xss_site.exists(f"incidents/xss-{number:02d}/"), xss_site.warnings
    page, dialogs = open_page(chromium, f"{xss_url}incidents/xss-{number:02d}/")
    try:
        assert_nothing_ran(page, dialogs)
        sections = expected_sections(payload, shown_markdown(payload))
        texts = page.evaluate(SECTION_TEXTS, list(sections))
        for (selector, expected), shown in zip(sections.items(), texts, strict=True):
            assert missing_texts(shown, expected) == [], (selector, shown)
    finally:
        page.close()


@pytest.mark.parametrize("number", range(1, len(TRICKY_URLS) + 1))
def test_tricky_links_stay_links(chromium, xss_site, xss_url, number: int) -> None:
    url = TRICKY_URLS[number - 1]
    page, dialogs = open_page(chromium, f"{xss_url}incidents/url-{number:02d}/")
    try:
        assert_nothing_ran(page, dialogs)
        for selector in (".pmt-prop-url", ".pmt-call-sheet td a[rel]"):
            link = page.locator(f".pmt-playbill {selector}").first
            assert link.get_attribute("href") == url
            assert link.text_content() == url
    finally:
        page.close()


def test_no_payload_runs_in_search_results(chromium, xss_url) -> None:
    """Material shows titles and text of matching sections: the payloads, escaped."""
    page, dialogs = open_page(chromium, xss_url)
    try:
        page.click("input.md-search__input")
        # Words of what Material's index keeps for a playbill (its title: id and payload;
        # the bulky sections are left to Pagefind).
        for query in ("xss", "tricky"):
            page.fill("input.md-search__input", "")
            page.keyboard.type(query)  # Material searches on key events
            page.wait_for_selector(".md-search-result__item", timeout=10_000)
            page.wait_for_timeout(300)
            assert page.locator(".md-search-result__item").count() >= 1
            assert_nothing_ran(page, dialogs)
    finally:
        page.close()


CATALOGUE = {
    "index": "incidents/",
    "board": "incidents/action-items/",
    "hall-of-fame": "incidents/hall-of-fame/",
    "metrics": "incidents/metrics/",
    "themes": "incidents/themes/",
}


def catalogue_expected(kind: str, shown_markdown) -> list[str]:
    """Plain texts each catalogue page must show for every payload incident."""
    expected: list[str] = []
    for payload in PAYLOADS:
        if kind == "index":
            expected += [payload] * 3  # title, service, tag
        elif kind == "board":
            expected += [payload] * 3  # item title, owner, incident title
        elif kind == "hall-of-fame":
            expected += [payload, payload, shown_markdown(payload)]  # award, title, citation
    return expected


def interact(kind: str, page) -> None:
    """Use the page's own scripts on the payloads: filter, facets, the owner view."""
    if kind == "index":
        page.locator("#pmt-q").click()
        for query in ("script", "onerror", "<img"):
            page.locator("#pmt-q").fill("")
            page.keyboard.type(query)
            page.wait_for_timeout(200)
        page.locator(".pmt-facet input[type=checkbox]").first.check()
        page.locator("th[data-k=title] button").first.click()
    elif kind == "board":
        page.locator("input[name=view][value=owner]").check()
        page.wait_for_timeout(200)
        owners = page.locator("select[name=owner] option")
        page.locator("select[name=owner]").select_option(owners.nth(1).get_attribute("value"))
    page.wait_for_timeout(250)


@pytest.mark.parametrize("kind", list(CATALOGUE))
def test_no_payload_runs_on_catalogue_pages(chromium, xss_site, xss_url, shown_markdown,
                                            kind: str) -> None:
    page, dialogs = open_page(chromium, xss_url + CATALOGUE[kind])
    try:
        assert_nothing_ran(page, dialogs)
        shown = page.locator(".pmt-catalogue").first.text_content() or ""
        assert missing_texts(shown, catalogue_expected(kind, shown_markdown)) == []
        interact(kind, page)
        assert_nothing_ran(page, dialogs)
    finally:
        page.close()
