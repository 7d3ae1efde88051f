"""Render the Markdown fields of incidents with the site's own Markdown extensions.

Incident text is untrusted input from pull requests. Unless the site opts in,
raw HTML is shown as text; and whatever the extensions produce (``attr_list``
lets an author set any attribute, ``toc`` turns headings into ids) goes through
an allow-list sanitiser, ``nh3`` (the Rust ``ammonia`` library), before it
reaches a page:

* only the tags and attributes Markdown and the known extensions produce are
  kept, links only with ``http``, ``https``, ``mailto``, ``tel`` or
  ``incident`` schemes (or none);
* every id an author can set or cause (``{: #x }``, a heading, a footnote) is
  moved into a namespace of its own, ``pmt-user-...``, with the references to
  it (``for``, ``headers``, ``aria-*`` id lists, ``href="#..."`` links to it),
  so incident text can never shadow an element of the theme, the plugin or the
  page (Material reads its configuration from ``#__config``) nor a global
  variable (DOM clobbering); ``name`` is kept only on ``input`` (namespaced too,
  for the radio groups of tabs), ``form`` and the like are not on the list.

All fields of one incident are rendered in a single Markdown pass, separated
by marker paragraphs, because a Markdown pass has a large fixed cost; a field
that swallows a marker (an unclosed code fence, say) makes the renderer fall
back to one pass per field for that incident. Fields that can hold state for
the whole document (footnotes ``[^1]``, link reference definitions ``[x]: url``,
abbreviations ``*[HTML]: ...``) always get a pass of their own, so nothing they
define leaks into another field, and their ids get a per-pass prefix so two
fields' footnotes never collide.

Python-Markdown recurses once per level of nesting (a few hundred levels of
``- - - x`` raise ``RecursionError``), and its inline pass is quadratic in the
markup of one paragraph (100 KB of ``[x](`` takes minutes) and its block
parser in the number of lines. Fields nested deeper than :data:`MAX_NESTING`
levels, longer than :data:`MAX_LINES` lines or needing more than
:data:`MAX_INLINE_WORK` (all found by linear pre-scans), and fields whose
rendering fails for any other reason, are shown as escaped plain text and
reported through the ``on_problem`` callback, so the build warns at the
field's line and publishes everything else.

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
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE
from markupsafe import Markup

# Extensions that read files or reach outside the text are no business of incident text.
_EXCLUDED_EXTENSIONS = {"pymdownx.snippets", "markdown_include.include", "mdx_include"}
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "incident"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_MARKER = "pmtheater-field-boundary-5f0c1e"
_MARKER_P = "<p>" + _MARKER + "</p>"
_SINGLE_P = re.compile(r"^<p>(.*)</p>$", re.S)
_ID = re.compile(r'\sid="([^"<>]*)"')

USER_ID_PREFIX = "pmt-user-"
"""Every id that incident text produces starts with this (see the module doc)."""
MAX_NESTING = 20
"""Deepest nesting of lists, block quotes, emphasis, brackets (and HTML elements
when ``allow_html``) that a field may have; deeper fields are shown as plain text.
Real post-mortems nest a handful of levels; Python-Markdown needs a few hundred
to exhaust Python's stack, so the margin is wide."""
MAX_LINES = 20_000
"""Most lines a field may have: Python-Markdown's block parser moves every
remaining block on each block it takes, so its work grows with the square of
the lines (20,000 one-line list items take about a second)."""
MAX_INLINE_WORK = 300_000_000
"""Largest :func:`inline_work` a field may need (about a second of Markdown); a
100 KB paragraph with 3,000 markup characters or a paragraph of a hundred
links is well within it, 10 KB of unclosed links (quadratic in Python-Markdown)
is not."""
MAX_FIELDS_INLINE_WORK = 3 * MAX_INLINE_WORK
"""Largest :func:`inline_work` of all the fields of one incident together (about three
seconds): a 1 MB file of a few hundred fields, each just within
:data:`MAX_INLINE_WORK`, would otherwise take minutes. Fields past it are shown as
plain text, wherever they are shown."""

LinkResolver = Callable[[str], str | None]
ProblemCallback = Callable[[tuple[str, bool], str, str], None]
"""``(field key, message, hint)``: a field that could not be rendered as Markdown."""

# -- the sanitiser's allow-lists -----------------------------------------------------------
# What Python-Markdown and the common extensions (tables, footnotes, def_list, abbr,
# admonition, details, tabbed, tasklist, highlight, emoji, keys, mark, caret, tilde,
# critic, arithmatex, progressbar) produce.
_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd",
    "label", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small",
    "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    # Material's emoji and icons are inline SVG.
    "svg", "path", "g", "circle", "rect", "title",
}
_GENERIC = {"id", "class", "title", "lang", "dir", "aria-hidden", "aria-label",
            "aria-labelledby", "aria-describedby"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC,
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "input": {"type", "checked", "disabled", "name"},
    "label": {"for"},
    "td": {"colspan", "rowspan", "align", "headers"},
    "th": {"colspan", "rowspan", "align", "headers", "scope"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "svg": {"viewBox", "xmlns", "width", "height", "fill", "role"},
    "path": {"d", "fill", "fill-rule", "clip-rule", "transform"},
    "g": {"fill", "transform"},
    "circle": {"cx", "cy", "r", "fill"},
    "rect": {"x", "y", "width", "height", "rx", "ry", "fill"},
}
_ID_REFERENCES = {"for", "headers", "aria-labelledby", "aria-describedby"}
"""Attributes holding (space-separated) ids: they follow the ids into the namespace."""

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

# -- nesting pre-scan (linear: each pattern is anchored or has no overlapping repeats) --------
_BLOCK_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+",
                           re.M)
_BLOCK_MARKER = re.compile(r">|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)")
_INDENT = re.compile(r"^[ \t]+(?=(?:>|[-*+]|\d{1,9}[.)])(?:[ \t]|$))", re.M)
_INLINE_TOKEN = re.compile(r"[*_~^=]+|[\[\]]|<[A-Za-z]|</[A-Za-z]|\n[ \t]*\n")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_INLINE_MARKUP = re.compile(r"[*_`\[\]()<>&!\\~^=:|{}]|  \n")
_LINK_TOKEN = re.compile(r"\]\(|[\[\]()]")
_LINK_STEP_COST = 200
_OPENS_AFTER = frozenset(" \t\n([{>\"'")
_CLOSES_BEFORE = frozenset(" \t\n)]}<.,;:!?\"'")


def is_safe_url(value: str) -> bool:
    """False for ``javascript:``, ``data:`` and other schemes that can run script."""
    plain = _CONTROL.sub("", html.unescape(value.replace(AMP_SUBSTITUTE, "&"))).lower()
    match = _SCHEME.match(plain)
    return match is None or match.group(1) in _SAFE_SCHEMES


def nesting_depth(text: str, *, html_tags: bool = False) -> int:
    """How deeply ``text`` nests Markdown containers, estimated in one linear scan.

    Block nesting: per line, the ``>`` and list markers at its start plus one
    level per four columns of indentation before a marker. Inline nesting, per
    paragraph: emphasis runs that open (after a space or bracket, before a word)
    minus those that close, and ``[`` minus ``]``; with ``html_tags``, HTML start
    tags minus end tags. Returns the deepest of these; an over-estimate for odd
    text, never an under-estimate for the shapes that exhaust Python's stack.
    """
    if len(text) <= MAX_NESTING:
        return 0  # each level costs at least one character
    deepest = 0
    end = len(text)
    for match in _BLOCK_PREFIX.finditer(text):
        line_end = text.find("\n", match.end())
        if not text[match.end():line_end if line_end >= 0 else end].strip() and not any(
                c in match.group(0) for c in ">.)"):
            continue  # "- - - -" alone on a line is a rule, not nested lists
        deepest = max(deepest, len(_BLOCK_MARKER.findall(match.group(0))))
    for match in _INDENT.finditer(text):
        columns = len(match.group(0).expandtabs(4))
        deepest = max(deepest, columns // 4 + 1)
    depth = 0
    for match in _INLINE_TOKEN.finditer(text):
        token = match.group(0)
        first = token[0]
        if first == "\n":
            depth = 0  # a blank line: emphasis and brackets never span paragraphs
        elif first == "[":
            depth += 1
        elif first == "]":
            depth = max(depth - 1, 0)
        elif first == "<":
            if html_tags:
                depth = depth + 1 if token[1] != "/" else max(depth - 1, 0)
        else:
            start, stop = match.start(), match.end()
            before = text[start - 1] if start else " "
            after = text[stop] if stop < end else " "
            if before in _OPENS_AFTER and after not in _CLOSES_BEFORE:
                depth += 1
            elif after in _CLOSES_BEFORE and before not in _OPENS_AFTER:
                depth = max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def inline_work(text: str) -> int:
    """An upper bound of the work Python-Markdown's inline pass does on ``text``.

    That pass rebuilds a block's whole text for every inline element it finds
    (emphasis, code, links, line breaks, escapes): markup characters times the
    block's length. And for every ``[`` it walks to the matching ``]``, for
    every ``](`` to the matching ``)``, one Python step a character (about 200
    times the cost of copying one): an unclosed link walks to the block's end.
    Blocks are the text between blank lines. Returns the sum over the blocks,
    in copied characters; computed in linear time.
    """
    total = 0
    for block in _BLANK_LINE.split(text):
        total += len(_INLINE_MARKUP.findall(block)) * len(block)
        if "[" in block:
            total += _link_steps(block) * _LINK_STEP_COST
    return total


def _link_steps(block: str) -> int:
    """Characters Python-Markdown's link pattern walks in ``block`` (one linear pass)."""
    steps = 0
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []
    for match in _LINK_TOKEN.finditer(block):
        token, at = match.group(0), match.start()
        if token == "[":
            brackets.append(at)
        elif token == "]":
            if brackets:
                steps += at - brackets.pop()
        elif token == "](":
            if brackets:
                steps += at - brackets.pop()
            parens.append((at, True))
        elif token == "(":
            parens.append((at, False))
        elif parens:  # ")"
            start, link = parens.pop()
            if link:
                steps += at - start
    end = len(block)
    steps += sum(end - at for at in brackets)
    steps += sum(end - at for at, link in parens if link)
    return steps


def _has_document_state(text: str) -> bool:
    """Whether ``text`` may define something for the whole Markdown document."""
    return "[^" in text or "]:" in text or "*[" in text


def _escaped(text: str, inline: bool) -> Markup:
    """A field shown as written, when Markdown cannot be trusted with it."""
    shown = html.escape(text).replace("\n", "<br>\n")
    return Markup(shown if inline else f'<p class="pmt-unrendered">{shown}</p>')


class _ResolveLinks(Treeprocessor):
    """Last tree pass: rewrite links the site knows (incident files, pages of the site)."""

    def __init__(self, md: markdown.Markdown, renderer: MarkdownFields) -> None:
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: Element) -> None:
        resolve = self.renderer.resolve_link
        if resolve is None:
            return
        # <img src> too: an image beside the incident file (1.1) is published with the
        # playbill, at a URL relative to the playbill's page.
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute is None:
                continue
            href = element.get(attribute)
            if href and is_safe_url(href):
                target = resolve(href)
                if target == "":  # leads nowhere (and was reported): keep the words
                    del element.attrib[attribute]
                    element.set("class", " ".join(
                        filter(None, (element.get("class"), "pmt-broken-link"))))
                elif target is not None:
                    element.set(attribute, target)


def sanitise(fragment: str, prefix: str = USER_ID_PREFIX) -> str:
    """``fragment`` (HTML from incident Markdown) through the allow-list, ids namespaced.

    Ids become ``prefix + id``; ``for``/``headers``/``aria-*`` references and
    ``href="#id"`` links to ids of this fragment follow. ``href="#x"`` links
    to anything else (``#scene-3``, ``#ai-2``: the playbill's own anchors) stay.
    """
    own = {html.unescape(i) for i in _ID.findall(fragment)}

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "id":
            return prefix + value
        if attribute in _ID_REFERENCES:
            return " ".join(prefix + token for token in value.split())
        if attribute == "name":
            return prefix + value  # only on <input>: tabs' radio groups keep working
        if attribute == "href" and value.startswith("#") and value[1:] in own:
            return "#" + prefix + value[1:]
        return value

    return nh3.clean(
        fragment, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=rewrite,
        url_schemes=_SAFE_SCHEMES, link_rel=None, strip_comments=True,
    )


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
        self.allow_html = allow_html
        if not allow_html:
            for registry, name in ((self.md.preprocessors, "html_block"),
                                   (self.md.inlinePatterns, "html")):
                if name in registry:
                    registry.deregister(name)
        self.md.treeprocessors.register(_ResolveLinks(self.md, self), "pmtheater_links_rel", 0)
        self.resolve_link: LinkResolver | None = None
        self.plain_fast_path = all(_leaves_plain_text_alone(e) for e in kept)
        """False when an extension might change plain words (abbr, or one we don't know)."""
        self._solo_passes = 0
        """Counts passes of their own, whose ids get a prefix of their own (pmt-user-2-...)."""
        self._over_budget: set[tuple[str, bool]] = set()
        """Fields shown as plain text on their playbill for :data:`MAX_FIELDS_INLINE_WORK`:
        shown so wherever else they appear (citations on the hall of fame), at no cost."""

    def _convert(self, text: str) -> str:
        self.md.reset()
        return self.md.convert(text)

    @property
    def solo_passes(self) -> int:
        """Passes of their own so far: the ids each makes are numbered by this count, so
        by every such pass of the build before it."""
        return self._solo_passes

    @property
    def over_budget(self) -> set[tuple[str, bool]]:
        """``(text, inline)`` of the fields shown as plain text on their playbill because
        their incident's fields together had too much markup (the set itself: rendering a
        playbill elsewhere adds what it found here, see ``plugin/ahead.py``)."""
        return self._over_budget

    def _solo_prefix(self) -> str:
        self._solo_passes += 1
        return f"{USER_ID_PREFIX}{self._solo_passes}-"

    def render(
        self,
        texts: Iterable[tuple[str, bool]],
        resolve_link: LinkResolver | None = None,
        on_problem: ProblemCallback | None = None,
    ) -> dict[tuple[str, bool], Markup]:
        """HTML for each ``(text, inline)``; inline ones lose a lone wrapping ``<p>``.

        Never raises for any text, and stays linear: a field nested deeper than
        :data:`MAX_NESTING`, longer than :data:`MAX_LINES` lines, needing more than
        :data:`MAX_INLINE_WORK`, or one Markdown fails on, is returned escaped, as
        written, and passed to ``on_problem`` with a message and a hint for the author.
        """
        out, _ = self._render(texts, resolve_link, on_problem)
        return out

    def _render(
        self,
        texts: Iterable[tuple[str, bool]],
        resolve_link: LinkResolver | None,
        on_problem: ProblemCallback | None,
    ) -> tuple[dict[tuple[str, bool], Markup], set[tuple[str, bool]]]:
        """:meth:`render`, and the keys shown as written (not rendered as Markdown)."""
        out: dict[tuple[str, bool], Markup] = {}
        unrendered: set[tuple[str, bool]] = set()
        wanted: list[tuple[str, bool]] = []
        # One incident's fields come with on_problem: they share a budget.
        spent = 0 if on_problem is not None else None
        for key in dict.fromkeys(texts):
            text, inline = key
            if self.plain_fast_path and _PLAIN.fullmatch(text):
                out[key] = Markup(text if inline else f"<p>{text}</p>")
                continue
            depth = nesting_depth(text, html_tags=self.allow_html)
            if depth > MAX_NESTING:
                out[key] = _escaped(text, inline)
                unrendered.add(key)
                if on_problem is not None:
                    on_problem(key, f"this text nests lists, quotes, emphasis or brackets "
                               f"about {depth} levels deep, more than the {MAX_NESTING} "
                               "levels the site renders, so it is shown as plain text",
                               f"keep the nesting within {MAX_NESTING} levels")
                continue
            lines = text.count("\n") + 1
            if lines > MAX_LINES:
                out[key] = _escaped(text, inline)
                unrendered.add(key)
                if on_problem is not None:
                    on_problem(key, f"this text has {lines:,} lines, more than the "
                               f"{MAX_LINES:,} the site renders as Markdown, so it is shown "
                               "as plain text", "shorten it, or link to the full text")
                continue
            work = inline_work(text)
            if work > MAX_INLINE_WORK:
                out[key] = _escaped(text, inline)
                unrendered.add(key)
                if on_problem is not None:
                    on_problem(key, f"this text ({len(text):,} characters) has so much "
                               "Markdown markup (links, emphasis, line breaks) that rendering "
                               "it would stall the build, so it is shown as plain text",
                               "shorten it, or put long pasted output in a file and link it")
                continue
            if (spent is None and key in self._over_budget) or (
                    spent is not None and spent + work > MAX_FIELDS_INLINE_WORK):
                out[key] = _escaped(text, inline)
                unrendered.add(key)
                if on_problem is not None:
                    on_problem(key, "the Markdown fields of this incident together have so "
                               "much markup (links, emphasis, line breaks) that rendering "
                               "them all would stall the build, so this one is shown as "
                               "plain text", "shorten the fields, or put long pasted output "
                               "in a file and link it")
                self._over_budget.add(key)
                continue
            if spent is not None:
                spent += work
            wanted.append(key)
        if not wanted:
            return out, unrendered
        self.resolve_link = resolve_link
        try:
            pieces = self._render_wanted(wanted)
        finally:
            self.resolve_link = None
        for key, piece in zip(wanted, pieces, strict=True):
            text, inline = key
            if piece is None:
                out[key] = _escaped(text, inline)
                unrendered.add(key)
                if on_problem is not None:
                    on_problem(key, "Markdown could not render this text, so it is shown as "
                               "plain text", "simplify its Markdown (nesting, unclosed "
                               "markup), or report the text as a bug of mkdocs-pmtheater")
                continue
            piece = piece.strip()
            if inline:
                match = _SINGLE_P.match(piece)
                if match and "<p>" not in match.group(1):
                    piece = match.group(1)
            out[key] = Markup(piece)
        return out, unrendered

    def _render_wanted(self, wanted: list[tuple[str, bool]]) -> list[str | None]:
        """Sanitised HTML of each text (None: Markdown failed on it), batched where safe."""
        # A text that starts with whitespace reads differently at the start of a document
        # than after a blank line (" \n\tx" is a paragraph alone, a code block in the
        # batch), and a text with document-wide definitions must not share them: such
        # texts get a pass of their own.
        alone = [t[:1].isspace() or _has_document_state(t) for t, _ in wanted]
        batch = [t for (t, _), solo in zip(wanted, alone, strict=True) if not solo]
        pieces: list[str] | None = None
        if batch:
            try:
                joined = self._convert(("\n\n" + _MARKER + "\n\n").join(batch))
            except Exception:  # any failure: find the field, one pass each
                joined = None
            if joined is not None:
                split = joined.split(_MARKER_P)
                if len(split) == len(batch) and _MARKER not in joined.replace(_MARKER_P, ""):
                    pieces = [sanitise(p) for p in split]
        batched = iter(pieces) if pieces is not None else None
        result: list[str | None] = []
        for (text, _), solo in zip(wanted, alone, strict=True):
            if batched is not None and not solo:
                result.append(next(batched))
                continue
            try:
                converted = self._convert(text)
            except Exception:  # reported to the author by render()
                result.append(None)
                continue
            result.append(sanitise(converted, self._solo_prefix()))
        return result

    def plain_texts(self, texts: Iterable[str], batch: int = 100) -> dict[str, str]:
        """The words a reader sees in each Markdown text (for descriptions, feeds, search).

        Taken from the rendered, sanitised HTML with a real parser, so no Markdown
        markers (``**``, ``[x](url)``) are left and no space is put before
        punctuation; whitespace collapses to single spaces. Rendered in batches
        of ``batch`` texts (a Markdown pass has a large fixed cost).
        """
        unique = list(dict.fromkeys(texts))
        out: dict[str, str] = {}
        for start in range(0, len(unique), batch):
            chunk = [(t, False) for t in unique[start:start + batch]]
            rendered, unrendered = self._render(chunk, None, None)
            for key, html_fragment in rendered.items():
                out[key[0]] = (" ".join(key[0].split()) if key in unrendered
                               else html_text(str(html_fragment)))
        return out


class _TextOf(HTMLParser):
    """Collects the text of an HTML fragment; block elements separate words."""

    _BLOCKS = frozenset({
        "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table",
        "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "details", "summary",
        "figure", "figcaption", "caption"})
    _SKIPPED = frozenset({"headerlink", "footnote-backref"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")
        if tag == "a":
            classes = next((v or "" for k, v in attrs if k == "class"), "").split()
            if self.skipping or self._SKIPPED.intersection(classes):
                self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append(" ")
        if self.skipping and tag == "a":
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(fragment: str) -> str:
    """The visible words of an HTML fragment, whitespace collapsed."""
    parser = _TextOf()
    parser.feed(fragment)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _leaves_plain_text_alone(extension: Any) -> bool:
    if isinstance(extension, str):
        return extension in _PLAIN_SAFE_EXTENSIONS
    # Our own link extension rewrites links only.
    return type(extension).__module__.startswith("mkdocs_pmtheater.")
