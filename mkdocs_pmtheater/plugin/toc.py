"""Tables of contents of generated pages, handed to MkDocs in its own types."""

from __future__ import annotations

from collections.abc import Sequence

from mkdocs.structure.toc import TableOfContents, get_toc

from ..render.toc import TocEntry


def mkdocs_toc(entries: Sequence[TocEntry]) -> TableOfContents:
    """MkDocs' table of contents for the core's section entries (same nesting and anchors)."""

    def token(entry: TocEntry) -> dict[str, object]:
        return {"level": entry.level, "id": entry.anchor, "name": entry.title,
                "children": [token(child) for child in entry.children]}

    return get_toc([token(e) for e in entries])  # type: ignore[arg-type]
