"""A Jinja extension that drops template whitespace no browser would show.

Templates are indented for people, but every newline between two tags is a
text node that search indexers (Material's search plugin parses each page's
HTML in Python) and browsers walk one by one: about half the text nodes of a
playbill. Whitespace between two opening block-level tags, or two closing
ones, never renders and separates no words, so it is dropped when the template
is compiled, at no cost per page; other indentation shrinks to one newline,
which still keeps the words of neighbouring blocks apart for search. Only the
template's own text is touched, never values: incident text reaches the page
exactly as rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DATA, Token, TokenStream

_BLOCK = (
    r"(?:address|article|aside|blockquote|caption|col|colgroup|dd|details|div|dl|dt|"
    r"fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|section|"
    r"summary|table|tbody|td|tfoot|th|thead|tr|ul)"
)
# Whitespace between two opening block tags (`<ul>` and its first `<li>`) or two
# closing ones (`</li>` and `</ul>`): no text on either side for it to separate.
_OPEN = r"<" + _BLOCK + r"(?:\s[^<>]*)?>"
_CLOSE = r"</" + _BLOCK + r">"
_BETWEEN_OPENINGS = re.compile(r"(" + _OPEN + r")\s+(?=" + _OPEN + r")")
_BETWEEN_CLOSINGS = re.compile(r"(" + _CLOSE + r")\s+(?=" + _CLOSE + r")")
# Other indentation shrinks to one newline. It must not go: between two blocks it is
# what keeps their words apart in text taken from the page (Material's search index,
# textContent), which adds no separator of its own.
_INDENT = re.compile(r"\n\s+")


class CompactWhitespace(Extension):
    """Drop or shorten template whitespace that cannot render (see the module doc)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == TOKEN_DATA and not _has_pre(token.value):
                value = _BETWEEN_OPENINGS.sub(r"\1", token.value)
                value = _INDENT.sub("\n", _BETWEEN_CLOSINGS.sub(r"\1", value))
                token = Token(token.lineno, TOKEN_DATA, value)
            yield token


def _has_pre(text: str) -> bool:
    """Preformatted template text keeps its whitespace (our templates have none)."""
    return "<pre" in text or "<textarea" in text or "white-space" in text
