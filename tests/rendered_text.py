"""What a reader should see of incident text, worked out independently of the plugin.

Plain-text fields are shown exactly as written. Markdown fields are shown as
Python-Markdown renders them with the site's own extensions and with raw HTML
turned off (the contract: raw HTML in an incident is shown as text), reduced to
the text a reader sees; except that a field over the documented limits of
``render/markdown_fields.py`` (nesting depth, lines, markup work) is shown as
written. Both are compared with whitespace collapsed, because
HTML collapses it too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import markdown
from bs4 import BeautifulSoup
from mkdocs.config import load_config

from mkdocs_pmtheater.render.markdown_fields import (
    MAX_INLINE_WORK,
    MAX_LINES,
    MAX_NESTING,
    inline_work,
    nesting_depth,
)

_SKIPPED_EXTENSIONS = {"pymdownx.snippets"}


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces, ends trimmed."""
    return " ".join(text.split())


def markdown_text(config_file: Path) -> Callable[[str], str]:
    """A function from Markdown source to the text a reader sees, for the site's extensions."""
    config = load_config(str(config_file))
    md = markdown.Markdown(
        extensions=[e for e in config.markdown_extensions if e not in _SKIPPED_EXTENSIONS],
        extension_configs=config.mdx_configs,
    )
    for registry, name in ((md.preprocessors, "html_block"), (md.inlinePatterns, "html")):
        if name in registry:
            registry.deregister(name)

    def visible(source: str) -> str:
        if (nesting_depth(source) > MAX_NESTING or source.count("\n") >= MAX_LINES
                or inline_work(source) > MAX_INLINE_WORK):
            return squash(source)  # the contract: shown as written, with a warning
        md.reset()
        return squash(BeautifulSoup(md.convert(source), "html.parser").get_text())

    return visible


def missing_texts(shown: str, expected: Iterable[str]) -> list[str]:
    """The expected texts that ``shown`` does not hold as often as they were written.

    A text written twice must be shown twice; a text that is part of another
    expected text is counted inside it too. Empty texts are not counted.
    """
    wanted = Counter(t for t in (squash(x) for x in expected) if t)
    text = squash(shown)
    missing = []
    for needle in wanted:
        required = sum(count * other.count(needle) for other, count in wanted.items())
        if text.count(needle) < required:
            missing.append(needle)
    return missing
