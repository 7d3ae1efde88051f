"""The table of contents of a generated page, read from the page body the core rendered.

Sections of playbills and catalogue pages mark their headings with
``data-pmt-toc="<title>"``; this module turns them into a plain tree, which
each adapter hands to its platform (MkDocs' ``TableOfContents``; Zensical
reads headings from the page itself).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

_SECTION = re.compile(r'<h([23])\b[^>]*?\bid="([^"]+)"[^>]*?\bdata-pmt-toc="([^"]*)"[^>]*>')


@dataclass
class TocEntry:
    """One heading: level 2 or 3, its anchor, its title as HTML text, its sub-headings."""

    level: int
    anchor: str
    title: str
    children: list[TocEntry] = field(default_factory=list)


def sections(body: str) -> list[TocEntry]:
    """The ``<h2>``/``<h3>`` headings marked ``data-pmt-toc`` in ``body``, nested by level."""
    entries: list[TocEntry] = []
    for level, anchor, title in _SECTION.findall(body):
        # Every playbill has the same sections: one shared copy of each anchor and title
        # (MkDocs keeps every page's table of contents for the whole build).
        entry = TocEntry(int(level), sys.intern(anchor), sys.intern(title))
        if entry.level == 3 and entries:
            entries[-1].children.append(entry)
        else:
            entries.append(entry)
    return entries
