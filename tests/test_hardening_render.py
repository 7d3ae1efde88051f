"""Hostile incident text against everything that renders it (issue #9, items 1, 4, 5, 14).

Real sites are built with ``mkdocs build`` and their HTML, front matter and data
files are read back:

* ids an author sets or causes (``{: #__config }``, headings, footnotes) stay in
  the ``pmt-user-`` namespace on playbills and catalogue pages, with their
  references, and no ``name``/``form`` attribute gets through, with and without
  ``allow_html``;
* footnotes, link references and abbreviations never leak from one field into
  another;
* deep nesting, Markdown that makes an extension fail, and pathological markup
  near the file-size limit are warnings at the field's line, the text is still
  shown, every other incident is published, and the build takes seconds;
* plain-text copies (meta description, feed, index filter data) hold the words
  a reader sees; titles and descriptions survive any code point in front matter,
  ``<title>`` and meta tags.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag
from conftest import BuiltSite, SiteFactory, minimal_incident

from mkdocs_pmtheater.load.yamlsource import MAX_BYTES
from mkdocs_pmtheater.render.markdown_fields import (
    MAX_NESTING,
    USER_ID_PREFIX,
    MarkdownFields,
    inline_work,
    nesting_depth,
)

EXTENSIONS = ["admonition", "attr_list", "md_in_html", "tables", "footnotes", "abbr",
              "def_list", {"toc": {"permalink": True}}]

# Containers on a playbill whose content is rendered from incident Markdown.
MARKDOWN_CONTAINERS = (".pmt-summary, .pmt-impact, .pmt-cast td, .pmt-environment, "
                       ".pmt-setting li, .pmt-action, .pmt-observation, .pmt-belief, "
                       ".pmt-plot dd, .pmt-critique li, .pmt-item-notes, .pmt-award-citation")

ID_PAYLOAD = """\
# __config

## search

Text with a footnote[^1] and [a link to the heading](#__config).

A paragraph that wants to be the theme's configuration.
{: #__config hidden }

Another paragraph.
{: #__search name="getElementById" form="pmt-filters" }

[^1]: The footnote's text.
"""

HTML_PAYLOAD = """\
<div id="__config">{"base": "https://evil.example.test/"}</div>
<form name="search" id="q"><input name="x" form="f"></form>
<img name="getElementById" src="x.png" alt="pic">
<span id="__drawer">drawer</span>
"""


def incident_yaml(incident_id: str, text: str) -> str:
    """An incident with ``text`` in every kind of Markdown field (each one ends apart)."""

    def t(field: str) -> str:
        return f"{text}\n\nWritten in the {field}."

    data = {
        "id": incident_id,
        "title": f"Ids in {incident_id}",
        "severity": "SEV2",
        "started_at": "2024-03-14T14:02:00Z",
        "summary": t("summary"),
        "impact": t("impact"),
        "cast": [{"role": "IC", "actor": "@dana", "notes": t("cast")}],
        "timeline": [{"at": "14:03", "character": "IC", "action": t("action"),
                      "belief": t("belief")}],
        "setting": {"environment": t("environment"), "conditions": [t("condition")]},
        "plot": {"climax": t("climax")},
        "review": {"went_well": [t("review")]},
        "action_items": [{"id": "AI-1", "title": "Fix it", "owner": "@dana",
                          "due": "2030-01-01", "notes": t("item")}],
        "awards": [{"award": "Calm", "recipient": "@dana", "citation": t("citation")}],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def theme_config_is_intact(page: BeautifulSoup) -> None:
    configs = page.find_all(id="__config")
    assert len(configs) == 1, configs
    assert configs[0].name == "script"
    json.loads(configs[0].get_text())  # Material's own configuration, still JSON


def assert_namespaced(container: Tag, page: BeautifulSoup) -> int:
    """Every id in ``container`` is an author id in the namespace; references follow.

    Returns how many ids were checked.
    """
    checked = 0
    for element in container.find_all(True):
        element_id = element.get("id")
        if element_id is not None:
            assert element_id.startswith(USER_ID_PREFIX), element
            checked += 1
        for attribute in ("form", "formaction", "usemap"):
            assert not element.has_attr(attribute), element
        if element.has_attr("name"):
            assert element.name == "input" and element["name"].startswith(USER_ID_PREFIX)
        if element.has_attr("for"):
            assert element["for"].startswith(USER_ID_PREFIX), element
        href = element.get("href", "")
        if href.startswith("#") and not href.startswith(("#scene-", "#ai-")):
            assert href.startswith("#" + USER_ID_PREFIX), element
            assert page.find_all(id=href[1:]), href  # the link still lands
    return checked


@pytest.mark.parametrize("allow_html", [False, True])
def test_author_ids_never_leave_their_namespace(site: SiteFactory, allow_html: bool) -> None:
    site.config["markdown_extensions"] = EXTENSIONS
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": allow_html}}]
    text = ID_PAYLOAD + ("\n" + HTML_PAYLOAD if allow_html else "")
    site.incident("ids.yaml", incident_yaml("INC-IDS", text))
    built = site.build(strict=True)
    playbill = built.html("incidents/inc-ids/")
    theme_config_is_intact(playbill)
    assert len(playbill.find_all(id="__search")) <= 1  # the theme's, if any
    for theme_id in ("__search", "__drawer"):
        for element in playbill.find_all(id=theme_id):
            assert not element.find_parent(class_="pmt-playbill")
    containers = playbill.select(MARKDOWN_CONTAINERS)
    assert len(containers) >= 12
    checked = sum(assert_namespaced(c, playbill) for c in containers)
    assert checked >= 12 * 4  # headings, footnotes and attr_list ids in every field
    # Footnotes of different fields have different ids.
    notes = [a["href"] for a in playbill.select(".pmt-playbill a.footnote-ref")]
    assert len(notes) >= 8 and len(set(notes)) == len(notes)
    # The words are all still there.
    summary = playbill.select_one(".pmt-summary").get_text(" ")
    for words in ("__config", "search", "The footnote's text.", "Another paragraph."):
        assert words in summary
    if allow_html:
        assert playbill.select_one(".pmt-summary div[id^='pmt-user-'][id$='-__config']")
        assert "drawer" in summary
    hall = built.html("incidents/hall-of-fame/")
    theme_config_is_intact(hall)
    citations = hall.select(".pmt-award-citation")
    assert citations and sum(assert_namespaced(c, hall) for c in citations) >= 4
    # The search index holds the sanitised body, never a bare author id.
    index = (built.site_dir / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "INC-IDS" in index
    assert '#__config"' not in index and 'id=\\"__config' not in index


def test_document_wide_definitions_stay_in_their_field(site: SiteFactory) -> None:
    site.config["markdown_extensions"] = EXTENSIONS
    site.incident("state.yaml", minimal_incident("INC-ST").replace(
        "summary: Something broke and we fixed it.\n", "") + """\
summary: |
  Summary note[^1], an HTML word, and [x].

  [x]: https://evil.example.test/
  [^1]: Summary footnote.
  *[HTML]: Hyper Text Markup Language
impact: |
  Impact note[^1] mentions HTML and [x] without defining them.

  [^1]: Impact footnote.
cast:
  - role: IC
    notes: Cast note uses [x] and HTML too.
""")
    page = site.build(strict=True).html("incidents/inc-st/")
    summary = page.select_one(".pmt-summary")
    impact = page.select_one(".pmt-impact")
    cast = page.select_one(".pmt-cast td:last-child")
    assert summary.select_one("a[href='https://evil.example.test/']") is not None
    assert summary.select_one("abbr") is not None
    for other in (impact, cast):
        assert other.select_one("a[href*='evil']") is None, other
        assert other.select_one("abbr") is None, other
        assert "[x]" in other.get_text()
    assert "Impact footnote." in impact.get_text()
    assert "Summary footnote." not in impact.get_text()
    assert "Impact footnote." not in summary.get_text()
    ids = [e["id"] for e in page.select(".pmt-story [id]")]
    assert len(ids) == len(set(ids)) >= 4


def test_markdown_fields_render_state_fields_alone() -> None:
    """The renderer itself: a link reference in one text never resolves in another."""
    fields = MarkdownFields(["footnotes", "abbr"], {})
    texts = [("[x]: https://a.example.test/\n\nsee [x]", False), ("see [x]", False),
             ("a[^1]\n\n[^1]: one", False), ("b[^1]\n\n[^1]: two", False)]
    out = fields.render(texts)
    assert 'href="https://a.example.test/"' in out[texts[0]]
    assert "href" not in out[texts[1]]
    first = BeautifulSoup(str(out[texts[2]]), "html.parser")
    second = BeautifulSoup(str(out[texts[3]]), "html.parser")
    first_ids = {e["id"] for e in first.select("[id]")}
    second_ids = {e["id"] for e in second.select("[id]")}
    assert first_ids and second_ids and not first_ids & second_ids


DEEP = {
    "list": "- " * 400 + "x",
    "quote": "> " * 400 + "x",
    "emphasis": "*a _b " * 400 + "x",
    "indented": "\n".join("    " * n + "- x" for n in range(300)),
    "ordered": "1. " * 400 + "x",
}


@pytest.mark.parametrize("shape", list(DEEP))
def test_the_prescan_sees_each_deep_shape(shape: str) -> None:
    assert nesting_depth(DEEP[shape]) > MAX_NESTING
    normal = "- one\n  - two\n    - **three** and [a](b)\n\n> quoted *text*\n"
    assert nesting_depth(normal) <= 3
    assert nesting_depth("- - - - - - - - - - - - - - - - - - - - - - - - - -") == 0  # a rule


def test_deep_nesting_is_a_warning_at_the_field_and_the_rest_publishes(
    site: SiteFactory,
) -> None:
    site.config["markdown_extensions"] = EXTENSIONS
    site.incident("good.yaml", minimal_incident("INC-GOOD"))
    # Line 5 column 10 is where each summary value starts in these files.
    for shape, text in DEEP.items():
        site.incident(f"deep-{shape}.yaml",
                      minimal_incident(f"INC-{shape.upper()}").replace(
                          "summary: Something broke and we fixed it.",
                          "summary: " + json.dumps(text)))
    built = site.build()
    assert built.exists("incidents/inc-good/")
    for shape, text in DEEP.items():
        found = built.warnings_about(f"docs/incidents/deep-{shape}.yaml:5:10: summary:")
        assert len(found) == 1, (shape, built.warnings)
        assert "levels" in found[0] and str(MAX_NESTING) in found[0]
        page = built.html(f"incidents/inc-{shape}/")
        shown = page.select_one(".pmt-summary").get_text()
        assert " ".join(shown.split()) == " ".join(text.split())
    assert not any("Traceback" in w or "RecursionError" in w for w in built.warnings)


def test_deep_html_nesting_with_allow_html(site: SiteFactory) -> None:
    site.config["markdown_extensions"] = EXTENSIONS
    site.config["plugins"] = ["search", {"pmtheater": {"allow_html": True}}]
    site.incident("good.yaml", minimal_incident("INC-GOOD"))
    divs = "<div markdown>\n" * 400 + "x\n" + "</div>\n" * 400
    site.incident("divs.yaml", minimal_incident("INC-DIVS") + "impact: " + json.dumps(divs)
                  + "\n")
    built = site.build()
    assert built.warnings_about("docs/incidents/divs.yaml:6:9: impact:"), built.warnings
    assert built.exists("incidents/inc-good/") and built.exists("incidents/inc-divs/")
    impact = built.html("incidents/inc-divs/").select_one(".pmt-impact").get_text()
    assert impact.count("<div markdown>") == 400


BOOM_EXTENSION = '''
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor


class Boom(Preprocessor):
    def run(self, lines):
        if any("BOOM" in line for line in lines):
            raise RuntimeError("the extension gave up")
        return lines


class BoomExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(Boom(md), "boom", 100)


def makeExtension(**kwargs):
    return BoomExtension(**kwargs)
'''


def test_an_exception_in_a_field_is_a_warning_at_its_line(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any failure inside Markdown (here a site extension that raises) is one warning."""
    (site.root / "boom_ext_pmt.py").write_text(BOOM_EXTENSION, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site.root))
    site.config["markdown_extensions"] = ["attr_list", "boom_ext_pmt"]
    site.incident("good.yaml", minimal_incident("INC-GOOD"))
    site.incident("boom.yaml", minimal_incident("INC-BOOM") + """\
impact: Fine text.
timeline:
  - at: "14:03"
    character: IC
    action: Restarted the pods.
    belief: "It would all go BOOM *again*"
cast: [{role: IC}]
""")
    built = site.build()
    sys.modules.pop("boom_ext_pmt", None)
    found = built.warnings_about("docs/incidents/boom.yaml:11:13: timeline[0].belief:")
    assert len(found) == 1, built.warnings
    assert "plain text" in found[0]
    page = built.html("incidents/inc-boom/")
    assert page.select_one(".pmt-belief").get_text().endswith("It would all go BOOM *again*")
    assert page.select_one(".pmt-impact").get_text().strip() == "Fine text."
    assert built.exists("incidents/inc-good/")


def test_render_problems_fail_a_strict_build(site: SiteFactory) -> None:
    site.incident("deep.yaml", minimal_incident("INC-D") + "impact: " +
                  json.dumps("- " * 300 + "x") + "\n")
    with pytest.raises(Exception, match="warning"):
        site.build(strict=True)


# -- pathological markup near the file-size limit -------------------------------------------
TEXT_FIELDS = {
    "summary": lambda d, t: d.__setitem__("summary", t),
    "impact": lambda d, t: d.__setitem__("impact", t),
    "title": lambda d, t: d.__setitem__("title", t),
    "cast.notes": lambda d, t: d["cast"][0].__setitem__("notes", t),
    "timeline.action": lambda d, t: d["timeline"][0].__setitem__("action", t),
    "timeline.observation": lambda d, t: d["timeline"][0].__setitem__("observation", t),
    "timeline.belief": lambda d, t: d["timeline"][0].__setitem__("belief", t),
    "setting.environment": lambda d, t: d["setting"].__setitem__("environment", t),
    "setting.conditions": lambda d, t: d["setting"].__setitem__("conditions", [t]),
    "plot.climax": lambda d, t: d["plot"].__setitem__("climax", t),
    "review.went_well": lambda d, t: d["review"].__setitem__("went_well", [t]),
    "review.five_whys": lambda d, t: d["review"].__setitem__("five_whys",
                                                             [{"why": t, "because": "x"}]),
    "review.root_causes": lambda d, t: d["review"].__setitem__("root_causes", [t]),
    "action_items.notes": lambda d, t: d["action_items"][0].__setitem__("notes", t),
    "action_items.title": lambda d, t: d["action_items"][0].__setitem__("title", t),
    "awards.citation": lambda d, t: d["awards"][0].__setitem__("citation", t),
}
BOMBS = {
    "link targets": "](",
    "unclosed links": "[x](",
    "emphasis": "*a ",
    "line breaks": "a  \n",
    "list items": "- a\n",
    "paragraphs": "a\n\n",
    "paragraphs of links": "[x](" * 400 + "\n\n",
}


def bomb_incident(incident_id: str, field: str, unit: str, size: int) -> str:
    """An incident with ``unit`` repeated in ``field``, the file just under ``size`` bytes."""
    count = size // len(unit)
    while True:
        data = yaml.safe_load(incident_yaml(incident_id, "Plain words."))
        TEXT_FIELDS[field](data, unit * count)
        text = yaml.safe_dump(data, sort_keys=False, width=1000)
        if len(text.encode("utf-8")) <= size:
            return text
        count = count * 4 // 5  # quoted line breaks take two characters


@pytest.mark.parametrize("unit", list(BOMBS.values()), ids=list(BOMBS))
def test_pathological_markup_stays_linear(unit: str) -> None:
    """The renderer alone, on one field near the file-size limit: seconds, not minutes."""
    fields = MarkdownFields(["attr_list", "toc", "tables", "md_in_html", "footnotes"], {})
    text = unit * ((MAX_BYTES - 4096) // len(unit))
    problems: list[str] = []
    start = time.perf_counter()
    out = fields.render([(text, False), (text, True)],
                        on_problem=lambda key, message, hint: problems.append(message))
    plain = fields.plain_texts([text])
    elapsed = time.perf_counter() - start
    assert elapsed < 20, elapsed
    assert len(problems) == 2  # reported for each way of showing it
    shown = html.unescape(str(out[(text, False)]).replace("<br>\n", "\n"))
    assert shown == f'<p class="pmt-unrendered">{text}</p>'  # as written, escaped
    assert plain[text] == " ".join(text.split())


def test_pathological_text_in_every_field_builds_in_seconds(site: SiteFactory) -> None:
    """One incident per text field with near-limit markup bombs; the whole build is bounded."""
    site.config["markdown_extensions"] = EXTENSIONS
    site.config["plugins"] = ["search", "pmtheater"]
    size = MAX_BYTES - 1024
    for n, field in enumerate(TEXT_FIELDS):
        unit = list(BOMBS.values())[n % len(BOMBS)]
        site.incident(f"bomb-{n:02d}.yaml", bomb_incident(f"BOMB-{n:02d}", field, unit, size))
    site.incident("good.yaml", minimal_incident("INC-GOOD"))
    start = time.perf_counter()
    built = site.build()
    elapsed = time.perf_counter() - start
    # Hours before the fix (Python-Markdown is quadratic in these); about a minute on a
    # busy two-core machine now, most of it reading 16 MB of YAML and indexing the pages.
    assert elapsed < 120, elapsed
    assert built.exists("incidents/inc-good/")
    for n, field in enumerate(TEXT_FIELDS):
        assert built.exists(f"incidents/bomb-{n:02d}/"), (field, built.warnings)
        if field not in ("title", "action_items.title"):  # plain text, never Markdown
            assert built.warnings_about(f"bomb-{n:02d}.yaml:"), field
    data = json.loads((built.site_dir / "assets/pmtheater/index-search.json").read_text())
    assert len(data) == len(TEXT_FIELDS) + 1
    etree.fromstring((built.site_dir / "incidents/feed.xml").read_bytes())


def test_inline_work_is_linear_to_compute() -> None:
    text = "[x](" * 250_000
    start = time.perf_counter()
    assert inline_work(text) > 10**10
    assert time.perf_counter() - start < 2


# -- plain text copies -------------------------------------------------------------------------
def test_plain_copies_are_the_words_a_reader_sees(site: SiteFactory) -> None:
    site.incident("words.yaml", minimal_incident("INC-W").replace(
        "summary: Something broke and we fixed it.",
        'summary: "**Checkout** failed, see [the runbook](https://example.test/r) and '
        '`redis-cli`; *again*!"'))
    built = site.build(strict=True)
    expected = "Checkout failed, see the runbook and redis-cli; again!"
    page = built.html("incidents/inc-w/")
    assert page.select_one('meta[name="description"]')["content"] == expected
    data = json.loads((built.site_dir / "assets/pmtheater/index-search.json").read_text())
    assert data["INC-W"].startswith(expected)
    feed = etree.fromstring((built.site_dir / "incidents/feed.xml").read_bytes())
    summary = feed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    assert summary is not None and summary.text == expected


# -- titles and front matter ---------------------------------------------------------------------
HOSTILE_TITLES = [
    "---",
    'Quotes " and \' and \\" inside',
    "Colon: then # hash {brace} [bracket] & ampersand | pipe > gt",
    "Percent %s and {{ jinja }} and {% raw %}",
    "Emoji 🔥🧯 and ZWJ 👩‍🚒 flags 🇪🇺",
    "עברית RTL text with العربية, written without direction marks",
    "A long title " + "word " * 400,
    "Tabs\tand  double  spaces",
    "Non-breaking\u00a0space and a plain-hyphen",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_survive_front_matter_title_and_meta(site: SiteFactory,
                                                             title: str) -> None:
    """The playbill shows the title exactly; ``<title>`` and the index show it with
    whitespace collapsed (a title is one line) and ``<``/``>`` as look-alikes."""
    site.incident("t.yaml", minimal_incident("INC-T").replace(
        "title: A small outage", "title: " + json.dumps(title, ensure_ascii=False)).replace(
        "summary: Something broke and we fixed it.",
        "summary: " + json.dumps(f"Before `{title}` after", ensure_ascii=False)))
    built = site.build(strict=True)
    page = built.html("incidents/inc-t/")
    shown = " ".join(title.split()).replace("<", "\uff1c").replace(">", "\uff1e")
    assert page.select_one("h1#playbill").get_text() == title
    assert page.title is not None and page.title.get_text().startswith(f"INC-T: {shown} - ")
    description = page.select_one('meta[name="description"]')["content"]
    expected = " ".join(f"Before {title} after".split())
    assert description == expected or (
        description.endswith("…") and expected.startswith(description[:-1]))
    index = built.html("incidents/")
    assert title in [td.get_text() for td in index.select(".pmt-index td:nth-of-type(2)")]


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085", "\x01", "\x7f", "\x9b"])
def test_line_break_and_control_code_points_are_refused_not_mangled(
    site: SiteFactory, char: str
) -> None:
    site.incident("good.yaml", minimal_incident("INC-GOOD"))
    site.incident("c.yaml", minimal_incident("INC-C").replace(
        "title: A small outage", "title: " + json.dumps(f"Before{char}after")))
    built = site.build()
    assert built.warnings_about("docs/incidents/c.yaml:2:"), built.warnings
    assert not built.exists("incidents/inc-c/")
    assert built.exists("incidents/inc-good/")


def test_front_matter_escapes_what_yaml_reads_as_line_breaks() -> None:
    """Values that reach page_source are written so that YAML reads them back intact."""
    from datetime import datetime, timezone

    from mkdocs.utils.meta import get_data

    from mkdocs_pmtheater.model.incident import Incident

    text = "a\u2028b\u2029c\u0085d\x7fe\x9ff --- \"q\" 'q' : # { & < 🔥 עברית"
    incident = Incident(id="INC-1", title=text, severity="SEV1", source="x.yaml",
                        started_at=datetime(2024, 1, 1, tzinfo=timezone.utc), summary=text)
    from mkdocs_pmtheater.render.playbill import page_source, plain_description, safe_title

    body, meta = get_data(page_source(incident, text))
    assert body == ""
    assert meta["title"] == safe_title(f"INC-1: {text}")
    assert meta["description"] == plain_description(text)
    assert re.search("[\u2028\u2029\x85]", page_source(incident, text)) is None


def test_script_in_a_title_never_reaches_the_head(site: SiteFactory) -> None:
    title = '</title><script>top.__pwned=1</script><meta name="x" content="'
    site.incident("t.yaml", minimal_incident("INC-S").replace(
        "title: A small outage", "title: " + json.dumps(title, ensure_ascii=False)))
    page = site.build(strict=True).html("incidents/inc-s/")
    assert page.head is not None
    assert page.head.find("script", string=re.compile("pwned")) is None
    assert page.head.find("meta", attrs={"name": "x"}) is None
    assert page.select_one("h1#playbill").get_text() == title


def test_example_ids_are_unchanged_for_the_page_itself(example_site: BuiltSite) -> None:
    """The playbill's own anchors (sections, scenes, items) are not author ids."""
    path = Path("incidents")
    pages = sorted((example_site.site_dir / path).glob("*/index.html"))
    playbills = [p for p in pages if p.parent.name.startswith("inc-")]
    assert playbills
    page = BeautifulSoup(playbills[0].read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("h1#playbill") is not None
    assert page.select_one("[id^=scene-]") is not None
    theme_config_is_intact(page)
