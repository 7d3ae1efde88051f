"""Plain-text fields skip Markdown only where Markdown would give the same HTML.

markdown_fields.py renders a field such as "Restarted the checkout pods." without
a Markdown pass when every extension of the site is one known to leave such text
alone. These tests hold that shortcut to the real thing: for each extension on
the list (alone, and together as sites configure them) and for generated plain
texts, the shortcut's HTML equals Markdown's. They also check that the shortcut
is off for extensions that do change plain words, and that texts Markdown
changes are never taken for plain.
"""

from __future__ import annotations

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.extensions import Extension

from mkdocs_pmtheater.render.markdown_fields import (
    _PLAIN,
    _PLAIN_SAFE_EXTENSIONS,
    MarkdownFields,
)

EXAMPLE_SITE = ["toc", "tables", "fenced_code", "admonition", "attr_list", "md_in_html",
                "pymdownx.details", "pymdownx.superfences", "pymdownx.highlight",
                "pymdownx.inlinehilite", "pymdownx.emoji", "pymdownx.tasklist"]
MANY = [*EXAMPLE_SITE, "def_list", "footnotes", "smarty", "sane_lists", "nl2br", "meta",
        "pymdownx.betterem", "pymdownx.caret", "pymdownx.mark", "pymdownx.tilde",
        "pymdownx.keys", "pymdownx.magiclink", "pymdownx.critic", "pymdownx.arithmatex",
        "pymdownx.tabbed", "pymdownx.saneheaders", "pymdownx.progressbar", "wikilinks"]
CONFIGS = [[name] for name in sorted(_PLAIN_SAFE_EXTENSIONS)] + [EXAMPLE_SITE, MANY]

plain_texts = st.from_regex(_PLAIN, fullmatch=True).filter(bool)
# Texts that look plain but are not: what the pattern must refuse.
NOT_PLAIN = ["1. Restarted", "don't", "it's \"fine\"", "wait...", "see www.example.com",
             "a -- b", "a -> b", "(c) 2024", "the 1st time? no: *this*", "x_y", "a  b",
             " leading", "trailing ", "- item", "!!! note", "??? note", "#1", "@team",
             "a/b", "a+b", "x^2", "~~gone~~", "==marked==", "<b>", "a & b", "rate: 5"]


def slow(extensions: list[str], text: str, inline: bool) -> str:
    fields = MarkdownFields(extensions, {})
    fields.plain_fast_path = False
    return str(fields.render([(text, inline)])[(text, inline)])


@pytest.mark.parametrize("extensions", CONFIGS, ids=lambda e: e[0] if len(e) == 1 else f"{len(e)}")
def test_the_shortcut_gives_what_markdown_gives(extensions: list[str]) -> None:
    fields = MarkdownFields(extensions, {})
    assert fields.plain_fast_path, extensions

    @settings(max_examples=40 if len(extensions) == 1 else 300, deadline=None, database=None)
    @given(text=plain_texts, inline=st.booleans())
    def check(text: str, inline: bool) -> None:
        fast = str(fields.render([(text, inline)])[(text, inline)])
        assert fast == slow(extensions, text, inline)

    check()


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_texts_markdown_may_change_are_not_plain(text: str) -> None:
    assert _PLAIN.fullmatch(text) is None


class SiteExtension(Extension):
    """An extension of a site's own: the shortcut cannot know what it does."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)


@pytest.mark.parametrize("extensions", [["abbr"], ["extra"], ["pymdownx.smartsymbols"],
                                        ["toc", SiteExtension()]], ids=str)
def test_the_shortcut_is_off_for_extensions_that_change_plain_words(
    extensions: list[str | Extension],
) -> None:
    assert not MarkdownFields(extensions, {}).plain_fast_path


def test_smartsymbols_is_why_ordinals_are_left_to_markdown() -> None:
    """The reason smartsymbols is off the list: it marks up a plain-looking text."""
    text = "Paged on the 1st try"
    assert _PLAIN.fullmatch(text)
    html = markdown.markdown(text, extensions=["pymdownx.smartsymbols"])
    assert html != f"<p>{text}</p>"
    assert str(MarkdownFields(["pymdownx.smartsymbols"], {}).render([(text, False)])[
        (text, False)]) == html


def test_a_text_starting_with_whitespace_renders_as_it_does_alone() -> None:
    """Found by the nothing-lost property test: after a blank line, " \\n\\tx" is an
    indented code block; at the start of a document it is a paragraph."""
    texts = ["Ù#", " \n\t N*Mæn*Ï#", "\t \u3000 \nxčX", "*em* `code`", "plain text"]
    fields = MarkdownFields(EXAMPLE_SITE, {})
    together = fields.render([(t, True) for t in texts])
    for text in texts:
        alone = MarkdownFields(EXAMPLE_SITE, {}).render([(text, True)])[(text, True)]
        assert together[(text, True)] == alone, text
    assert together[(texts[1], True)] == "N<em>Mæn</em>Ï#"
