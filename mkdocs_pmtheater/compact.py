"""A Jinja extension that drops template whitespace no browser would show.

Templates are indented for people, but every newline between two tags is a
text node that search indexers (Material's search plugin parses each page's
HTML in Python) and browsers walk one by one: about half the text nodes of a
playbill. Whitespace next to a block-level tag never renders (CSS removes it
at the start and end of a line and between blocks), so it is dropped when the
template is compiled, at no cost per page. Only the template's own text is
touched, never values: incident text reaches the page exactly as rendered.
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
# Whitespace after a block-level tag, or before one.
_AFTER_BLOCK_TAG = re.compile(r"(</?" + _BLOCK + r"(?:\s[^<>]*)?>)\s+")
_BEFORE_BLOCK_TAG = re.compile(r"\s+(?=</?" + _BLOCK + r"[\s>/])")


class CompactWhitespace(Extension):
    """Drop whitespace next to block-level tags in template text (see the module doc)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == TOKEN_DATA and not _has_pre(token.value):
                value = _BEFORE_BLOCK_TAG.sub("", _AFTER_BLOCK_TAG.sub(r"\1", token.value))
                token = Token(token.lineno, TOKEN_DATA, value)
            yield token


def _has_pre(text: str) -> bool:
    """Preformatted template text keeps its whitespace (our templates have none)."""
    return "<pre" in text or "<textarea" in text or "white-space" in text
