"""Render the Markdown fields of incidents with the site's own Markdown extensions.

Incident text is untrusted input from pull requests, so unless the site opts
in, raw HTML is shown as text, and whatever the extensions produce is cleaned
of event-handler attributes and script URLs (``attr_list`` would otherwise let
``{: onclick=...}`` through).

All fields of one incident are rendered in a single Markdown pass, separated
by marker paragraphs, because a Markdown pass has a large fixed cost; a field
that swallows a marker (an unclosed code fence, say) makes the renderer fall
back to one pass per field for that incident.

Most fields are one plain sentence ("Restarted the checkout pods."), which
Markdown turns into the same sentence in a paragraph. When every extension of
the site is one known to leave such text alone, those fields skip Markdown:
only letters, digits, single spaces and a few punctuation marks that no known
extension reads (no quotes, dashes, ellipses, URLs, list or block markers).
``tests/test_markdown_fields.py`` checks that both ways give the same HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE
from markupsafe import Markup

# Extensions that read files or reach outside the text are no business of incident text.
_EXCLUDED_EXTENSIONS = {"pymdownx.snippets", "markdown_include.include", "mdx_include"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "cite",
                   "background", "data", "srcset", "lowsrc", "ping"}
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "incident"}
_DROP_ATTRIBUTES = {"srcdoc", "style"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_MARKER = "pmtheater-field-boundary-5f0c1e"
_SPLIT = re.compile(r"\s*<p>" + _MARKER + r"</p>\s*")
_SINGLE_P = re.compile(r"^<p>(.*)</p>$", re.S)

LinkResolver = Callable[[str], str | None]

# Text that Markdown, with any of the extensions below, renders as itself in a <p>:
# starts with a letter or digit, not "1. " (a list); single spaces; a dot only before a
# space or the end (no "...", "www.", "v1.2"); a hyphen only between word characters
# (no "--", "->"); otherwise only , ; ? %.
_PLAIN = re.compile(r"(?!\d+\.(?: |$))[^\W_](?:[^\W_]| (?=\S)|[,;?%]|\.(?= |$)|-(?=[^\W_]))*")
# Known not to touch such text. Not here: abbr (marks up words it was given), extra
# (includes abbr), smartsymbols (turns "1st" into 1<sup>st</sup>), and anything unknown.
_PLAIN_SAFE_EXTENSIONS = frozenset(
    {f"{prefix}{name}" for prefix in ("", "markdown.extensions.") for name in (
        "admonition", "attr_list", "codehilite", "def_list", "fenced_code",
        "footnotes", "legacy_attrs", "legacy_em", "md_in_html", "meta", "nl2br",
        "sane_lists", "smarty", "tables", "toc", "wikilinks")}
    | {f"pymdownx.{name}" for name in (
        "arithmatex", "b64", "betterem", "caret", "critic", "details", "emoji",
        "escapeall", "highlight", "inlinehilite", "keys", "magiclink", "mark",
        "pathconverter", "progressbar", "saneheaders", "striphtml",
        "superfences", "tabbed", "tasklist", "tilde", "blocks.admonition",
        "blocks.details", "blocks.html", "blocks.tab", "blocks.caption")}
)


def is_safe_url(value: str) -> bool:
    """False for ``javascript:``, ``data:`` and other schemes that can run script."""
    plain = _CONTROL.sub("", html.unescape(value.replace(AMP_SUBSTITUTE, "&"))).lower()
    match = _SCHEME.match(plain)
    return match is None or match.group(1) in _SAFE_SCHEMES


class _CleanTree(Treeprocessor):
    """Last pass over the tree: strip script vectors, rewrite links the site knows."""

    def __init__(self, md: markdown.Markdown, renderer: MarkdownFields) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: Element) -> None:
        resolve = self.renderer.resolve_link
        for element in root.iter():
            for name in list(element.attrib):
                lower = name.lower()
                value = element.attrib[name]
                if lower.startswith("on") or lower in _DROP_ATTRIBUTES:
                    del element.attrib[name]
                elif lower in _URL_ATTRIBUTES:
                    if not is_safe_url(value):
                        del element.attrib[name]
                    elif lower in ("href", "src") and resolve is not None:
                        # src too: an image beside the incident file (1.1) is published
                        # with the playbill, at a URL relative to the playbill's page.
                        target = resolve(value)
                        if target is not None:
                            element.attrib[name] = target


class MarkdownFields:
    """A Markdown renderer for incident fields, configured like the site."""

    def __init__(
        self,
        extensions: Iterable[Any],
        extension_configs: dict[str, Any],
        *,
        allow_html: bool = False,
    ) -> None:
        kept = [e for e in extensions if not (isinstance(e, str) and e in _EXCLUDED_EXTENSIONS)]
        self.md = markdown.Markdown(
            extensions=kept,
            extension_configs={k: v for k, v in extension_configs.items()
                               if k not in _EXCLUDED_EXTENSIONS},
        )
        if not allow_html:
            for registry, name in ((self.md.preprocessors, "html_block"),
                                   (self.md.inlinePatterns, "html")):
                if name in registry:
                    registry.deregister(name)
        self.md.treeprocessors.register(_CleanTree(self.md, self), "pmtheater_clean", 0)
        self.resolve_link: LinkResolver | None = None
        self.plain_fast_path = all(_leaves_plain_text_alone(e) for e in kept)
        """False when an extension might change plain words (abbr, or one we don't know)."""

    def _convert(self, text: str) -> str:
        self.md.reset()
        return self.md.convert(text)

    def render(
        self, texts: Iterable[tuple[str, bool]], resolve_link: LinkResolver | None = None
    ) -> dict[tuple[str, bool], Markup]:
        """HTML for each ``(text, inline)``; inline ones lose a lone wrapping ``<p>``."""
        out: dict[tuple[str, bool], Markup] = {}
        wanted = []
        for text, inline in dict.fromkeys(texts):
            if self.plain_fast_path and _PLAIN.fullmatch(text):
                out[(text, inline)] = Markup(text if inline else f"<p>{text}</p>")
            else:
                wanted.append((text, inline))
        if not wanted:
            return out
        self.resolve_link = resolve_link
        try:
            # A text that starts with whitespace reads differently at the start of a
            # document than after a blank line (" \n\tx" is a paragraph alone, a code
            # block in the batch), so such texts get a pass of their own.
            batch = [t for t, _ in wanted if not t[:1].isspace()]
            parts = self._convert(("\n\n" + _MARKER + "\n\n").join(batch)) if batch else ""
            pieces = _SPLIT.split(parts) if batch else []
            if len(pieces) != len(batch) or _MARKER in parts.replace(
                "<p>" + _MARKER + "</p>", ""
            ):
                pieces = [self._convert(t) for t in batch]
            batched = iter(pieces)
            pieces = [self._convert(t) if t[:1].isspace() else next(batched)
                      for t, _ in wanted]
        finally:
            self.resolve_link = None
        for (text, inline), piece in zip(wanted, pieces, strict=True):
            piece = piece.strip()
            if inline:
                match = _SINGLE_P.match(piece)
                if match and "<p>" not in match.group(1):
                    piece = match.group(1)
            out[(text, inline)] = Markup(piece)
        return out


def _leaves_plain_text_alone(extension: Any) -> bool:
    if isinstance(extension, str):
        return extension in _PLAIN_SAFE_EXTENSIONS
    # Our own link extension rewrites links only.
    return type(extension).__module__.startswith("mkdocs_pmtheater.")
