"""Labels in the site's language (issue #14 item 1): real builds read back as text.

The example site is built strictly once per shipped language; the German build is
read page by page, and every English label of our catalogue (its msgids) must be
gone from the text the plugin wrote (the incidents' own words are taken out first:
they are marked ``dir="auto"``, or are people, chips and ids).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from conftest import BUILD_EPOCH, EXAMPLE_SITE, REPO, BuiltSite, SiteFactory, build_site

from mkdocs_pmtheater.render import i18n
from mkdocs_pmtheater.render.i18n import LOCALES, Labels, placeholders, po_path

LANGUAGES = {"en": "en", "de": "de", "fr": "fr", "es": "es", "pt-BR": "pt_BR", "ja": "ja",
             "zh": "zh_Hans"}
"""Material's ``theme.language`` codes and the catalogue each one picks."""
POT = REPO / "mkdocs_pmtheater" / "locales" / "pmtheater.pot"
CATALOGUE_PAGES = ("incidents/", "incidents/action-items/", "incidents/hall-of-fame/",
                   "incidents/metrics/", "incidents/themes/")
USER_TEXT = ('[dir="auto"], .pmt-person, .pmt-chip, .pmt-id, .pmt-severity, .pmt-sev, code, '
             '.pmt-legend, svg, .pmt-facet-values, .pmt-priority, .pmt-item-kind, '
             '.pmt-card-facts > a:first-child, .pmt-card > a, .pmt-plot-scenes a, '
             '.pmt-scene-time, .pmt-award-name, .pmt-award-list a, .pmt-award-names tbody th, '
             '.pmt-index tbody, .pmt-numbers tbody th, .pmt-prop-url, .pmt-prop-page, '
             '.pmt-item-tracker, .pmt-reference-list, .pmt-whys, time')


def _messages() -> list[tuple[str, str | None]]:
    """``(msgid, plural msgid)`` of every message of the template."""
    with POT.open("rb") as handle:
        catalog = read_po(handle)
    return [(m.id, None) if isinstance(m.id, str) else (m.id[0], m.id[1])
            for m in catalog if m.id]


def _copy_example(root: Path, language: str) -> Path:
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site"))
    shutil.copytree(REPO / "schemas", root.parent / "schemas")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "\n  name: material\n" in text
    config.write_text(text.replace("\n  name: material\n",
                                   f"\n  name: material\n  language: {language}\n", 1),
                      encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltSite]:
    """The example site in every shipped language, each built once, strictly."""
    sites = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", BUILD_EPOCH)
        for language in LANGUAGES:
            root = _copy_example(tmp_path_factory.mktemp(f"ex-{language}") / "site-src",
                                 language)
            sites[language] = build_site(root, strict=True)
    return sites


def _plugin_text(page: BeautifulSoup) -> str:
    """The words the plugin wrote on a page: its block without the incidents' own text."""
    block = page.select_one(".pmt-playbill, .pmt-catalogue")
    assert block is not None
    for element in block.select(USER_TEXT):
        element.decompose()
    return " ".join(block.get_text(" ").split())


def _fragments(msgid: str) -> list[str]:
    """The literal words of a message around its placeholders."""
    return [f.strip(" .,:;()") for f in re.split(r"%\(\w+\)[sd]", msgid)
            if len(f.strip(" .,:;()")) >= 3]


def test_every_language_builds_the_example_strictly(built: dict[str, BuiltSite]) -> None:
    for language, site in built.items():
        assert site.warnings == [], language
        page = site.html("incidents/inc-2025-034/")
        block = page.select_one(".pmt-playbill")
        assert block is not None
        assert block["lang"] == LANGUAGES[language].replace("_", "-")
        heading = page.select_one("#cast-of-characters")
        assert heading is not None
        expected = Labels(language).gettext("Cast of Characters")
        assert heading.get_text(strip=True) == expected
        if language != "en":
            assert expected != "Cast of Characters"


def test_theatre_words_per_language(built: dict[str, BuiltSite]) -> None:
    cast = {"de": "Besetzung", "fr": "Distribution", "es": "Reparto", "pt-BR": "Elenco",
            "ja": "登場人物", "zh": "演员表", "en": "Cast of Characters"}
    for language, word in cast.items():
        heading = built[language].html("incidents/inc-2025-034/").select_one(
            "#cast-of-characters")
        assert heading is not None and heading.get_text(strip=True) == word


def test_no_english_label_is_left_in_german(built: dict[str, BuiltSite]) -> None:
    site = built["de"]
    german = i18n.translations("de")
    messages = _messages()
    translations = " | ".join(
        german.gettext(s) if p is None else f"{german.ngettext(s, p, 1)} {german.ngettext(s, p, 2)}"
        for s, p in messages)
    labels: list[str] = []
    for singular, plural in messages:
        for msgid in (singular, plural):
            if msgid is None:
                continue
            for fragment in _fragments(msgid):
                # Words that are German too (Status, Impact, Tag, Median...) are not
                # left-overs: they appear in some German label.
                if not re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", translations):
                    labels.append(fragment)
    assert "Cast of Characters" in labels and "Overdue" in labels
    playbills = sorted(p.parent.name for p in (site.site_dir / "incidents").glob(
        "inc-*/index.html"))
    assert len(playbills) >= 10
    pages = [f"incidents/{p}/" for p in playbills] + list(CATALOGUE_PAGES)
    left: dict[str, list[str]] = {}
    for url in pages:
        text = _plugin_text(site.html(url))
        assert len(text) > 100, url
        found = [label for label in labels
                 if re.search(rf"(?<![\w-]){re.escape(label)}(?![\w-])", text)]
        if found:
            left[url] = found
    assert left == {}


def test_english_check_would_notice_an_english_label(built: dict[str, BuiltSite]) -> None:
    """The check above reads the English build as full of labels (it can fail)."""
    text = _plugin_text(built["en"].html("incidents/action-items/"))
    assert "Overdue" in text and "Who owes what" in text
    text = _plugin_text(built["de"].html("incidents/action-items/"))
    assert "Überfällig" in text and "Wer schuldet was" in text


def test_german_counts_follow_plural_rules(built: dict[str, BuiltSite]) -> None:
    hall = built["de"].html("incidents/hall-of-fame/")
    counts = {n.get_text(" ", strip=True) for n in hall.select(".pmt-recipient h3 .pmt-n")}
    assert "1 Auszeichnung" in counts
    assert any(re.fullmatch(r"[2-9] Auszeichnungen", c) for c in counts)
    lede = hall.select_one(".pmt-lede")
    assert lede is not None
    assert re.search(r"\d+ Auszeichnungen an \d+ Personen und Teams, aus \d+ Vorfällen",
                     lede.get_text(" ", strip=True))
    labels = Labels("de")
    assert labels.count("%(num)d incident", "%(num)d incidents", 1) == "1 Vorfall"
    assert labels.count("%(num)d incident", "%(num)d incidents", 2) == "2 Vorfällen"
    # French counts 0 and 1 as singular (CLDR), English only 1.
    assert Labels("fr").count("%(num)d award", "%(num)d awards", 0) == "0 distinction"
    assert Labels("en").count("%(num)d award", "%(num)d awards", 0) == "0 awards"


def test_durations_in_the_sites_words_dates_stay_iso(built: dict[str, BuiltSite]) -> None:
    page = built["de"].html("incidents/inc-2025-034/")
    rows = [" ".join(r.get_text(" ").split()) for r in page.select(".pmt-milestones tbody tr")]
    assert any("2025-04-08 14:22 UTC 1 Std. 02 Min." in r for r in rows), rows
    japanese = built["ja"].html("incidents/inc-2025-034/")
    rows = [" ".join(r.get_text(" ").split())
            for r in japanese.select(".pmt-milestones tbody tr")]
    assert any("2025-04-08 14:22 UTC 1時間02分" in r for r in rows), rows


def test_catalogue_titles_nav_and_feeds_are_translated(built: dict[str, BuiltSite]) -> None:
    site = built["de"]
    index = site.html("incidents/")
    assert index.title is not None and index.title.get_text().startswith("Post-Mortem-Übersicht")
    nav = [a.get_text(strip=True) for a in index.select(".pmt-catalogue-nav a")]
    assert nav[:4] == ["Post-Mortem-Übersicht", "Maßnahmen", "Ruhmeshalle", "Kennzahlen"]
    assert "Themen" in nav
    feed = (site.site_dir / "incidents" / "feed.xml").read_text(encoding="utf-8")
    assert "Acme Payments Reliability: Post-Mortems" in feed
    assert 'label="Schweregrad"' in feed
    calendar = (site.site_dir / "incidents" / "action-items.ics").read_text(encoding="utf-8")
    assert "Acme Payments Reliability: Maßnahmen" in calendar
    assert "Verantwortlich: " in calendar.replace("\r\n ", "")


def _template_messages() -> set[str]:
    return {singular for singular, _ in _messages()}


def test_every_catalogue_has_every_message_with_its_placeholders() -> None:
    messages = _messages()
    assert len(messages) > 150
    for locale in LOCALES:
        if locale == "en":
            continue
        with po_path(locale).open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for singular, plural in messages:
            message = catalog.get(singular)
            assert message is not None, (locale, singular)
            strings = [message.string] if isinstance(message.string, str) else list(
                message.string)
            assert len(strings) == (1 if plural is None else catalog.num_plurals)
            for string in strings:
                assert string, (locale, singular)
                assert placeholders(string) == placeholders(singular), (locale, singular)
                # Jinja's new-style gettext %-formats every message.
                assert re.sub(r"%\(\w+\)[sd]", "", string).count("%") == 0, (locale, singular)


def test_template_matches_the_code(tmp_path: Path) -> None:
    """locales/pmtheater.pot lists every label of the templates and code (re-extracted)."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "count:1,2", "--no-location",
         "--sort-output", "--omit-header", "-o", str(out), "."],
        cwd=REPO, check=True, capture_output=True)
    with out.open("rb") as handle:
        fresh = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert fresh == _template_messages()


def test_missing_translation_falls_back_to_english(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = po_path("de").read_text(encoding="utf-8")
    # Empty two messages (one plural) and drop a third altogether.
    text = text.replace('msgstr "Besetzung"', 'msgstr ""')
    text = text.replace('msgstr[0] "%(num)d Auszeichnung"', 'msgstr[0] ""')
    text = text.replace('msgstr[1] "%(num)d Auszeichnungen"', 'msgstr[1] ""')
    text = text.replace('msgid "Overdue"\nmsgstr "Überfällig"\n', "")
    (folder / "pmtheater.po").write_text(text, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        labels = Labels("de")
        assert labels.gettext("Cast of Characters") == "Cast of Characters"
        assert labels.gettext("Overdue") == "Overdue"
        assert labels.count("%(num)d award", "%(num)d awards", 2) == "2 awards"
        assert labels.count("%(num)d award", "%(num)d awards", 1) == "1 award"
        assert labels.gettext("Call Sheet") == "Aufgabenliste"
    finally:
        i18n.translations.cache_clear()


def test_language_tags_and_fallbacks() -> None:
    assert Labels("pt").locale == "pt_BR"
    assert Labels("pt-BR").locale == "pt_BR"
    assert Labels("zh-CN").locale == "zh_Hans"
    assert Labels("zh-Hans").locale == "zh_Hans"
    assert Labels("de-AT").locale == "de"
    assert Labels("ko").locale == "en"
    assert Labels("").locale == "en"
    assert Labels("ko").gettext("Call Sheet") == "Call Sheet"
    assert Labels("he").direction == "rtl" and Labels("fr").direction == "ltr"


INCIDENT = """\
id: INC-7
title: Checkout outage
severity: SEV2
started_at: 2024-03-14T14:02:00Z
resolved_at: 2024-03-14T15:30:00Z
summary: The checkout was down.
cast:
  - role: Incident Commander
    actor: "@priya"
action_items:
  - id: AI-1
    title: Add an alert
    owner: "@priya"
    due: 2024-04-01
awards:
  - award: Calm Under Fire
    recipient: "@priya"
"""


def test_labels_option_wins_over_the_catalogue(site: SiteFactory, build_epoch: str) -> None:
    site.config["theme"]["language"] = "de"
    site.config["plugins"] = ["search", {"pmtheater": {"labels": {
        "Call Sheet": "Offene Punkte", "%(num)d award": "%(num)d Pokale",
        "Post-mortems": "Störungsberichte"}}}]
    site.incident("inc-7.yaml", INCIDENT)
    built = site.build(strict=True)
    page = built.html("incidents/inc-7/")
    heading = page.select_one("#call-sheet")
    assert heading is not None and heading.get_text(strip=True) == "Offene Punkte"
    cast = page.select_one("#cast-of-characters")
    assert cast is not None and cast.get_text(strip=True) == "Besetzung"
    hall = built.html("incidents/hall-of-fame/")
    assert [n.get_text(strip=True) for n in hall.select(".pmt-recipient .pmt-n")] == [
        "1 Pokale"]
    sections = [a.get_text(" ", strip=True) for a in page.select("nav.md-nav--primary label")]
    assert any("Störungsberichte" in s for s in sections), sections


def test_labels_with_wrong_placeholders_are_reported(site: SiteFactory,
                                                     build_epoch: str) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {"labels": {
        "%(num)d award": "%(count)d trophies"}}}]
    site.incident("inc-7.yaml", INCIDENT)
    built = site.build()
    assert any("labels" in w and "%(num)d award" in w for w in built.warnings), built.warnings
    hall = built.html("incidents/hall-of-fame/")
    assert [n.get_text(strip=True) for n in hall.select(".pmt-recipient .pmt-n")] == [
        "1 award"]


def test_mkdocs_theme_locale(site: SiteFactory, build_epoch: str) -> None:
    site.config["theme"] = {"name": "mkdocs", "locale": "fr"}
    site.incident("inc-7.yaml", INCIDENT)
    built = site.build(strict=True)
    page = built.html("incidents/inc-7/")
    heading = page.select_one("#call-sheet")
    assert heading is not None and heading.get_text(strip=True) == "Feuille de service"


def test_right_to_left_site_is_marked(site: SiteFactory, build_epoch: str) -> None:
    site.config["theme"]["language"] = "ar"
    site.incident("inc-7.yaml", INCIDENT.replace("Checkout outage", "انقطاع الدفع"))
    built = site.build(strict=True)
    page = built.html("incidents/inc-7/")
    block = page.select_one(".pmt-playbill")
    assert block is not None and block["dir"] == "rtl"
    title = page.select_one("h1#playbill")
    assert title is not None and title["dir"] == "auto"
    assert title.get_text(strip=True) == "انقطاع الدفع"
    # No Arabic catalogue: English labels, never empty ones.
    heading = page.select_one("#call-sheet")
    assert heading is not None and heading.get_text(strip=True) == "Call Sheet"
    board = built.html("incidents/action-items/").select_one(".pmt-catalogue")
    assert board is not None and board["dir"] == "rtl"
    css = (REPO / "mkdocs_pmtheater" / "assets" / "pmtheater.css").read_text(encoding="utf-8")
    assert "margin-left" not in css and "border-left" not in css and "inline-start" in css


def test_zensical_route_writes_german_labels(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "docs" / "incidents").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "docs" / "incidents" / "inc-7.yaml").write_text(INCIDENT, encoding="utf-8")
    (root / "zensical.toml").write_text(textwrap.dedent("""\
        [project]
        site_name = "Acme"
        docs_dir = "docs"

        [project.theme]
        language = "de"
        """), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.cli", "render"],
                            cwd=root, capture_output=True, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH})
    assert result.returncode == 0, result.stderr
    text = (root / "docs" / "incidents" / "inc-7.md").read_text(encoding="utf-8")
    assert "Besetzung" in text and "Aufgabenliste" in text and "Call Sheet" not in text
    index = (root / "docs" / "incidents" / "index.md").read_text(encoding="utf-8")
    assert "Post-Mortem-Übersicht" in index and "Post-mortem index" not in index


def test_config_example_is_valid_yaml() -> None:
    """README documents the labels option with an example that parses."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(plugins:\n  - pmtheater:\n      labels:.*?)```", readme,
                      re.S)
    assert block is not None
    options = yaml.safe_load(block.group(1))["plugins"][0]["pmtheater"]["labels"]
    assert set(options) <= _template_messages()


def test_blocks_on_hand_written_pages_are_german(built: dict[str, BuiltSite]) -> None:
    """'Incidents that used this page' on runbooks; 'Referenced by' on playbills."""
    site = built["de"]
    used = [site.html(f"runbooks/{p.stem}/").select_one("#pmt-used-in")
            for p in (EXAMPLE_SITE / "docs" / "runbooks").glob("*.md")]
    headings = {h.get_text(strip=True) for h in used if h is not None}
    assert headings == {"Vorfälle, die diese Seite genutzt haben"}
    playbill = site.html("incidents/inc-2025-034/")
    referenced = playbill.select_one("#referenced-by")
    assert referenced is not None and referenced.get_text(strip=True) == "Verweise von"
    # Both blocks are in their page's table of contents, in German too.
    toc = [a.get_text(strip=True) for a in playbill.select(".md-nav--secondary a")]
    assert "Verweise von" in toc and "Referenced by" not in toc
    runbook = site.html("runbooks/api-latency/")
    toc = [a.get_text(strip=True) for a in runbook.select(".md-nav--secondary a")]
    assert "Vorfälle, die diese Seite genutzt haben" in toc


def test_problems_page_is_german() -> None:
    """The page `mkdocs serve` shows for a broken incident file, in German."""
    from jinja2 import Environment, FileSystemLoader

    from mkdocs_pmtheater.model.problems import Problem

    env = Environment(loader=FileSystemLoader(str(REPO / "mkdocs_pmtheater" / "templates")),
                      autoescape=True)
    Labels("de").install(env)
    problems = [Problem("docs/incidents/a.yaml", 3, 1, "severity", "bad value <b>", "fix it"),
                Problem("docs/incidents/a.yaml", 5, 1, "title", "missing", "")]
    html = env.get_template("pmtheater/problems.html").render(
        incident_id="INC-9", file="docs/incidents/a.yaml", problems=problems)
    page = BeautifulSoup(html, "html.parser")
    text = " ".join(page.get_text(" ").split())
    assert "INC-9 ist nicht veröffentlicht" in text
    assert "2 Probleme in docs/incidents/a.yaml" in text
    assert "mkdocs serve" in text and "Programmheft" in text
    assert "alue <b>" in text  # escaped, shown as written
    assert "problems in" not in text and "is not published" not in text


@pytest.mark.browser
def test_counts_written_by_the_script_are_german(built: dict[str, BuiltSite], chromium) -> None:
    """pmtheater.js writes the live counts from the patterns the template translated."""
    from browsing import open_page, serve_directory

    with serve_directory(built["de"].site_dir) as url:
        page, errors, outside = open_page(chromium, url + "incidents/")
        page.wait_for_selector("form.pmt-filters:not([hidden])")
        page.fill("#pmt-q", "payments-api")
        page.wait_for_function(
            "document.querySelector('.pmt-count').textContent.includes('von')")
        count = page.inner_text(".pmt-count")
        assert re.fullmatch(r"\d+ von 11", count), count
        # The full-text box writes its count and notes from the template's words too.
        page.fill("#pmt-ft", "cache")
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent.includes('Post-Mortem')")
        assert re.fullmatch(r"\d+ Post-Mortems?", page.inner_text(".pmt-ft-count"))
        page.fill("#pmt-ft", "zzyzx")
        page.wait_for_function(
            "document.querySelector('.pmt-ft-count').textContent.startsWith('Kein')")
        assert page.inner_text(".pmt-ft-count") == "Kein Post-Mortem enthält diese Wörter."
        page.close()
        page, errors2, outside2 = open_page(chromium, url + "incidents/action-items/")
        page.wait_for_selector("form.pmt-board-controls:not([hidden])")
        page.select_option("select[name=owner]", index=1)
        page.wait_for_function(
            "document.querySelector('.pmt-count').textContent.includes('offenen')")
        count = page.inner_text(".pmt-board-controls .pmt-count")
        assert re.fullmatch(r"\d+ von \d+ offenen Maßnahmen", count), count
        page.close()
    assert errors == errors2 == [] and outside == outside2 == []


def test_a_label_is_text_never_markup(site: SiteFactory, build_epoch: str) -> None:
    """The site's own labels are escaped like every other label (headings, titles, nav)."""
    site.config["plugins"] = ["search", {"pmtheater": {"labels": {
        "Metrics": "<img src=x onerror=alert(1)>", "Call Sheet": "<b>Follow-ups</b>"}}}]
    site.incident("inc-7.yaml", INCIDENT)
    built = site.build(strict=True)
    page = built.html("incidents/inc-7/")
    heading = page.select_one("#call-sheet")
    assert heading is not None and heading.get_text(strip=True) == "<b>Follow-ups</b>"
    assert heading.find("b") is None
    metrics = built.html("incidents/metrics/")
    assert metrics.find("img", src="x") is None
    h1 = metrics.select_one("h1#metrics")
    assert h1 is not None and h1.get_text(strip=True) == "<img src=x onerror=alert(1)>"
