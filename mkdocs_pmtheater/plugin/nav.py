"""The catalogue pages' section in MkDocs' navigation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page


def place_catalogue(nav: Navigation, files: Files, pages: Iterable[str], *, title: str,
                    position: int | None) -> None:
    """Add a section ``title`` holding the catalogue pages (src_uris, in order) at
    ``position`` among the top-level entries (None: last; as ``list.insert``)."""
    found = [f for f in (files.get_file_from_path(s) for s in pages) if f and f.page]
    children = [f.page for f in found if f.page is not None]
    if not children:
        return
    section = Section(title, list(children))
    for child in children:
        child.parent = section
    if position is None:
        nav.items.append(section)
    else:
        nav.items.insert(position, section)
    ordered: list[Page] = []
    _collect_pages(nav.items, ordered)
    nav.pages = ordered
    for before, after in zip([None, *ordered], [*ordered, None], strict=True):
        if before is not None:
            before.next_page = after
        if after is not None:
            after.previous_page = before


def _collect_pages(items: Sequence[Any], out: list[Page]) -> None:
    for item in items:
        if isinstance(item, Page):
            out.append(item)
        elif isinstance(item, Section):
            _collect_pages(item.children, out)
