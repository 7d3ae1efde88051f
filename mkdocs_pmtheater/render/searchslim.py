"""What Material's search plugin needs of a playbill: the page without what it skips.

Material for MkDocs' search plugin (``material/plugins/search/plugin.py``) builds its
index in ``on_page_context`` by feeding the page's HTML to a pure-Python
``html.parser.HTMLParser``, token by token, and skipping every element marked
``data-search-exclude``. A playbill marks most of its text so (scenes, cast, call
sheet...: Pagefind indexes those), yet the parser still walks all of it: about
two thirds of a playbill's indexing time went on tokens it then threw away.

:func:`search_slim` cuts those elements out of the HTML beforehand, with one
regular-expression scan over the tags, so that the plugin parses a fraction of
the page. A cut is made only where it provably changes nothing in the index: the
scan replays the parser's own state (its stack of open tags and its set of
skipped tag names, which it compares by name, not by element), and an element is
cut only if, in the real parse, every token inside it is skipped, it holds no
heading (a heading opens an index section even inside a skipped element), and
the parser's state after its end tag is the one before its start tag. Anything
the scan does not understand exactly as ``HTMLParser`` does (comments, raw-text
elements such as ``<script>``, a ``<`` that is not a tag) makes it return
``None``: the page is indexed whole, as before. The work is one pass over the
page's tags: O(page size), with linear-time regular expressions.

That pass is still a Python step per tag. :func:`search_cut` does the same job on a
playbill the packaged templates rendered (well formed: every element closed in
order) with a few C-speed searches for the skipped elements themselves, in about a
quarter of the time, and hands the parser less (skipped sections and headings as
stand-ins); the plugin falls back to :func:`search_slim` wherever that premise is
not known to hold, and wherever the fast cut is unsure.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser, attrfind_tolerant  # type: ignore[attr-defined]

_TAG = re.compile(r"""<(/?)([a-zA-Z][^\t\n\r\f />\x00]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>""")
"""A start or end tag; its attributes' quoted values may hold ``>`` (as the parser's
``locatestarttagend_tolerant`` allows). The alternatives start with different
characters, and an unquoted ``<`` ends the attempt, so a scan from one ``<`` stops at
the next one outside quotes: linear time. (A tag with an unquoted ``<`` in it is not
read as a tag, and the count of ``<`` then tells the scan it is unsure.)"""

_UNSURE = re.compile(r"<[!?]|<plaintext\b", re.IGNORECASE)
"""Markup the tag scan does not replay exactly (comments, declarations, processing
instructions, and ``<plaintext>``, after which everything is text)."""

_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                       "noframes", "noscript"})
"""Elements whose content the parser reads (in some Python versions) as text up to their
end tag: the scan agrees with it only when such content holds no ``<`` (an SVG chart's
``<title>``, say), that is, when the next tag is the end tag."""

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIPPED_ALWAYS = ("object", "script", "style")
"""The parser's initial skip set; ending one of these never leaves the set."""
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                   "meta", "param", "source", "track", "wbr"})
"""Tags the parser never puts on its stack (Material's ``void`` list)."""


def _excludes(attributes: str) -> bool:
    """Whether a start tag's attributes make the parser skip the element: the
    attribute ``data-search-exclude``, or ``class="linenodiv"`` (line numbers)."""
    # Case-blind and entity-aware prefilter: the parser lowercases attribute names and
    # unescapes values (``class="&#108;inenodiv"``), and a miss here would leave the
    # scan's skip set smaller than the parser's (tests/test_redteam2.py).
    folded = attributes.lower()
    if ("data-search-exclude" not in folded and "linenodiv" not in folded
            and "&" not in attributes):
        return False
    # The parser's own attribute reader, so that a value merely mentioning the name
    # does not count; the last of repeated names wins, as in the parser's dict.
    found = dict(tag_attributes(attributes))
    return "data-search-exclude" in found or found.get("class") == "linenodiv"


def tag_attributes(attributes: str) -> list[tuple[str, str | None]]:
    """The attributes of a start tag (the text after its name), read as Python's HTML
    parser reads them: names lowercased, values unquoted and unescaped (None: no value),
    repeated names kept in order."""
    found: list[tuple[str, str | None]] = []
    for match in attrfind_tolerant.finditer(attributes):
        name, value = match.group(1), match.group(3)
        if not name:
            continue
        if value and value[:1] == value[-1:] and value[:1] in ("'", '"'):
            value = value[1:-1]
        found.append((name.lower(), unescape(value) if value else value))
    return found


def search_slim(html: str) -> str | None:
    """``html`` without the elements Material's search parser would skip whole, or
    ``None`` when the page holds markup the scan does not replay exactly (then the
    parser must read the page whole). The result gives the parser exactly the same
    index sections (titles, texts, anchors) as ``html``.
    """
    if _UNSURE.search(html) is not None:
        return None
    context: list[str] = []
    # Per open element: where it starts, and, if it may be cut (it starts inside a
    # skipped region), the parser's skip set, event and heading counts at its start.
    frames: list[tuple[int, frozenset[str] | None, int, int]] = []
    not_a_candidate = (0, None, 0, 0)
    skip: set[str] = set(_SKIPPED_ALWAYS)
    skipping = False  # whether the parser skips what comes now: skip & context
    events = 0  # tokens the parser acted on (not skipped): they change the index
    headings = 0
    started = False  # the parser has opened its first section
    cuts: list[tuple[int, int]] = []
    tags = 0
    position = 0
    raw_text = ""  # the raw-text element just opened: the next tag must be its end
    for match in _TAG.finditer(html):
        tags += 1
        start, end = match.span()
        closing, name, attributes = match.groups()
        tag = name.lower()
        if raw_text:
            if not (closing and tag == raw_text):
                return None
            raw_text = ""
        if start > position and not skipping:
            events += 1  # text the parser keeps (or whose whitespace it records)
            started = True
        position = end
        if not closing:  # a start tag
            self_closing = attributes.endswith("/")
            if tag in _RAW_TEXT and not self_closing:
                raw_text = tag
            if tag in _VOID:
                continue
            excluded = _excludes(attributes)
            heading = tag in _HEADINGS
            skipped = skipping or excluded or tag in skip
            if skipped and started and not heading:
                frames.append((start, frozenset(skip), 0, 0))
            else:
                frames.append(not_a_candidate)
            context.append(tag)
            started = True
            if heading:
                headings += 1
                events += 1
            if excluded:
                skip.add(tag)
            elif not skipped:
                events += 1
            skipping = skipped
            if frames[-1][1] is not None:
                frames[-1] = (start, frames[-1][1], events, headings)
            if not self_closing:
                continue
            # <x/>: the parser's handle_startendtag, a start then an end tag.
        if not context or context[-1] != tag:
            continue  # the parser ignores an end tag that does not close the last element
        context.pop()
        element_start, before, events_then, headings_then = frames.pop()
        in_skip = tag in skip
        if in_skip and tag not in _SKIPPED_ALWAYS:
            skip.discard(tag)
        if skipping:
            skipping = not skip.isdisjoint(context)
        if not in_skip and not skipping:
            events += 1
        if (before is not None and events == events_then and headings == headings_then
                and skip == before):
            while cuts and cuts[-1][0] >= element_start:
                cuts.pop()  # the element cut now holds them
            cuts.append((element_start, end))
    if html.count("<") != tags:
        return None  # a "<" the tag scan did not read as a tag: not sure how the parser does
    if not cuts:
        return html
    parts = []
    position = 0
    for start, end in cuts:
        parts.append(html[position:start])
        # A void tag (which the parser ignores) where the element was keeps the text
        # before and after it two separate pieces of data, as in the whole page: joined,
        # the parser would collapse their whitespace differently ("a   <x>..</x>   b").
        parts.append("<br>")
        position = end
    parts.append(html[position:])
    return "".join(parts)



# -- the fast cut: skipped elements found by what the renderer wrote ---------------------

_HEADING = re.compile(r"<h[1-6](?=[\t\n\r\f />])([^<>]*)>")
"""A heading's start tag (in lowercased markup): it opens an index section even inside a
skipped element."""
_NOT_PLAIN = re.compile(r"<[!?]|<(?:script|style|object|textarea|xmp|iframe|noembed|noframes"
                        r"|noscript|plaintext)\b")
"""Markup (lowercased) after which the parser does not read tags where a search for them
finds them (comments, raw-text elements, whose content is text to the parser)."""
_MARKUP_IN_VALUE = re.compile(r"""="[^"]*[<>]|='[^']*[<>]""")
"""A ``<`` or ``>`` inside a quoted attribute value (HTML serialisers escape them in text,
not in attribute values): there a ``<div`` is no tag, nor a ``/>`` the end of one. It also
matches some text before a tag, which only costs the fast cut's use. Each attempt stops at
the next quote: linear."""
_VOID_START = re.compile(r"<(?:area|base|br|col|embed|hr|img|input|link|meta|param|source"
                         r"|track|wbr)(?=[\t\n\r\f />])[^<>]*>")
"""A start tag the parser does not put on its stack (Material's ``void`` list)."""
_START_TAG = re.compile(r"<([a-z][^\t\n\r\f />\x00]*)([^<>]*)>")
"""A start tag in lowercased markup without ``<`` or ``>`` in attribute values (which the
fast cut checks first): simpler, so quicker, than :data:`_TAG`."""
_ELEMENT_ENDS: dict[str, re.Pattern[str]] = {}
_excludes_cached = lru_cache(maxsize=1024)(_excludes)
""":func:`_excludes` for the fast cut: the playbill templates write the same excluded start
tags on every page (same attributes), so most answers are looked up, not parsed again."""


def _element_end(tag: str) -> re.Pattern[str]:
    """Start or end tags named ``tag`` (lowercased markup), compiled once per name."""
    pattern = _ELEMENT_ENDS.get(tag)
    if pattern is None:
        pattern = _ELEMENT_ENDS[tag] = re.compile(
            rf"<(/?){re.escape(tag)}(?=[\t\n\r\f />])[^<>]*>")
    return pattern


def search_cut(html: str) -> str | None:
    """``html`` without the elements Material's search parser skips whole, found by a few
    C-speed searches instead of :func:`search_slim`'s Python step per tag; ``None`` when
    the page is not shaped for it (then :func:`search_slim` reads it).

    It relies on what :func:`search_slim` checks: the markup must be well formed, every
    element closed in order, as a serialised HTML tree or the playbill templates write
    it (the plugin uses it only for playbills rendered by the packaged templates,
    incident Markdown through the sanitiser, no ``allow_html``, and unchanged since). On
    such markup the index comes out the same:

    * an element marked ``data-search-exclude`` reaches to its first end tag of its name;
      if another element of that name starts inside it (the parser compares skipped
      elements by name: the inner one's end would end the skip), the page goes to
      :func:`search_slim`;
    * it is cut, leaving a ``<br>`` (which the parser ignores, so the text either side
      stays two pieces of data, as in :func:`search_slim`), when it holds no heading;
    * a heading opens an index section even inside a skipped element: an element whose
      headings are all skipped too and all its children (a playbill's ``<section>``) is
      cut to a stand-in, its name with those headings (as below), which gives the
      parser the same sections at the same depths (so it returns to the same section when
      the element ends); with any other heading it is left whole;
    * excluded headings are kept (they open the section that swallows the text after
      them), as their name, ``id`` or not and ``data-search-exclude``, without their
      text if it is all they hold (both are all the parser reads of a skipped heading,
      and fewer attributes are less of its time); elements inside a cut one go with it;
    * ``class="linenodiv"`` (line numbers), comments, raw-text elements and markup in
      attribute values send the page to :func:`search_slim`.

    O(page size): each search resumes where the last one stopped, and each element's
    headings are checked once.
    """
    low = html.lower()  # the parser lowercases tag and attribute names
    if (len(low) != len(html)  # a character whose lowercase is longer: offsets differ
            or "linenodiv" in low or _NOT_PLAIN.search(low) is not None
            or _MARKUP_IN_VALUE.search(low) is not None):
        return None
    cuts: list[tuple[int, int, str]] = []
    position = 0  # what lies before this is cut, or inside an element left whole
    looked = 0  # the words before this were looked at: back to there, no tag starts anew
    at = low.find("data-search-exclude")
    while at >= 0:
        # The tag the word may be in starts at the last "<" before it; with none since the
        # word before, it is in the same text or tag as that one, already decided (and
        # each look back stops there: linear, however often the word is written).
        tag_start = low.rfind("<", max(position, looked), at)
        looked = at
        match = _START_TAG.match(low, tag_start) if tag_start >= 0 else None
        if match is not None and match.end() > at and _excludes_cached(match.group(2)):
            position = _cut_end(html, low, match, cuts)
            if position < 0:
                return None
        at = low.find("data-search-exclude", max(at + 1, position))
    if not cuts:
        return html
    parts = []
    position = 0
    for start, end, stand_in in cuts:
        parts.append(html[position:start])
        parts.append(stand_in)
        position = end
    parts.append(html[position:])
    return "".join(parts)


def _cut_end(html: str, low: str, start_tag: re.Match[str],
             cuts: list[tuple[int, int, str]]) -> int:
    """Where the scan of :func:`search_cut` goes on after an excluded start tag (adding
    the element to ``cuts``, as ``(start, end, stand-in)``, if it may be cut), or -1 when
    the page must go to :func:`search_slim`."""
    tag, attributes = start_tag.groups()
    if tag in _VOID or attributes.endswith("/"):
        return start_tag.end()  # nothing inside
    end_tag = _element_end(tag).search(low, start_tag.end())
    if end_tag is None or not end_tag.group(1):
        return -1  # unclosed, or another element of its name starts inside it
    if tag in _HEADINGS:
        # It opens a section (which swallows the text after it): kept, emptied of its
        # text (skipped) if it holds no element.
        if low.find("<", start_tag.end()) == end_tag.start():
            cuts.append((start_tag.start(), end_tag.end(),
                         _heading_stand_in(tag, attributes)))
        return end_tag.end()
    stand_in = []
    since = start_tag.end()
    for heading in _HEADING.finditer(low, start_tag.end(), end_tag.start()):
        if not _excludes_cached(heading.group(1)) or _depth_change(low, since, heading.start()):
            return end_tag.end()  # left whole: an index entry, or a section deeper down
        stand_in.append(_heading_stand_in(low[heading.start() + 1:heading.start() + 3],
                                          heading.group(1)))
        since = heading.start()
    cuts.append((start_tag.start(), end_tag.end(),
                 f"<{tag} data-search-exclude>{''.join(stand_in)}</{tag}>" if stand_in
                 else "<br>"))
    return end_tag.end()


@lru_cache(maxsize=256)
def _heading_stand_in(tag: str, attributes: str) -> str:
    """A skipped heading as the parser needs it: its name, whether it has an ``id`` (only
    then it opens a section; the value is not indexed, the section being skipped) and
    ``data-search-exclude``; no text (skipped too) and no other attributes (ignored)."""
    names = {match.group(1).lower() for match in attrfind_tolerant.finditer(attributes)}
    return f"<{tag}{' id' if 'id' in names else ''} data-search-exclude></{tag}>"


def _depth_change(low: str, start: int, end: int) -> int:
    """How many more elements are open at ``end`` than at ``start`` in well-formed markup
    (tags counted by C-speed searches: every ``<`` opens a tag, see search_cut)."""
    tags = low.count("<", start, end)
    end_tags = low.count("</", start, end)
    self_closed = low.count("/>", start, end)
    voids = 0
    for void in _VOID_START.finditer(low, start, end):
        voids += 1
        self_closed -= void.group(0).endswith("/>")
    return tags - 2 * end_tags - voids - self_closed


def appended_cut(html: str, block: str) -> str | None:
    """``html``, which ends with ``block``, with :func:`search_cut` of the block in its
    place, when Material's search parser reads both the same way; ``None`` when it may not
    (or the cut would not pay).

    For a block this package's templates appended to a page whose own markup may be
    anything (a runbook's "Incidents that used this page": one line per incident, all of
    it ``data-search-exclude``, often most of the page). The block is well formed, as
    :func:`search_cut` needs; what comes before it only has to leave the parser's
    tokenizer where it starts: nothing held back (an unfinished tag or comment, a
    character reference cut short) and no raw-text element (``<script>``) open. Then the
    block is read as the same tokens whatever precedes it, and its cut changes the
    parser's state (open elements, skipped names, sections and their depths) as the
    block does. That is checked by tokenizing the page's own part with the parser's
    base class, so the cut is made only when the block is the larger part.
    """
    own = len(html) - len(block)
    if not block or own < 0 or own > len(block) or not html.endswith(block):
        return None
    cut = search_cut(block)
    if cut is None or cut == block:
        return None
    prefix = html[:own]
    tokenizer = _SkipTracker()
    tokenizer.feed(prefix)
    # Internals of html.parser (stable since Python 3.0): the unread rest, and the
    # raw-text element being read.
    if tokenizer.rawdata or tokenizer.cdata_elem is not None:  # type: ignore[attr-defined]
        return None
    # The parser compares skipped elements by name: an end tag the cut takes away ends
    # the skip of an element of its name the page's own markup left open (a heading's
    # unclosed <span data-search-exclude>), and what follows is read otherwise.
    if tokenizer.skip and not tokenizer.skip.isdisjoint(
            Counter(_END_TAG.findall(block.lower())) - Counter(_END_TAG.findall(cut.lower()))):
        return None
    return prefix + cut


_END_TAG = re.compile(r"</([a-z][^\t\n\r\f />\x00]*)")


class _SkipTracker(HTMLParser):
    """A tokenizer that keeps what Material's parser keeps of open elements: their names
    (an end tag closes only the last one) and the skipped names among them (not the
    always skipped ones, which an end tag never takes out)."""

    def __init__(self) -> None:
        super().__init__()
        self.context: list[str] = []
        self.skip: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        self.context.append(tag)
        found = dict(attrs)
        if tag not in _SKIPPED_ALWAYS and (
                "data-search-exclude" in found or found.get("class") == "linenodiv"):
            self.skip.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.context and self.context[-1] == tag:
            self.skip.discard(self.context.pop())
