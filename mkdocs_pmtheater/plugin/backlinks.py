"""Backlinks: "Referenced by" on playbills, "Incidents that used this page" on runbooks.

The two directions need different moments of the build. Which incidents name
a page in a prop is known as soon as the incidents are read, so that block is
appended when the page's HTML is made (``on_page_content``). Which pages link
to an incident is known only once every page has been converted, and pages are
converted in order, so a playbill may come before the runbook that links to
it: the playbill carries a slot (``pmtheater/partials/references.html``) that
is filled just before the page is written (``on_page_context``, after every
page is converted and before search plugins read the page). Both blocks come
from overridable, autoescaped templates and add their heading to the page's
table of contents. The work is one pass over the incidents and one over the
recorded links: O(pages + links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

from ..links.incident_links import LinkIndex
from ..model.incident import Incident
from ..render.playbill import safe_title
from .packed import PackedPage
from .theater import Theater

SLOT = "<!-- pmtheater:referenced-by -->"
REFERENCES_TEMPLATE = "pmtheater/partials/referenced-by.html"
USED_IN_TEMPLATE = "pmtheater/used-in.html"
_TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Reference:
    title: Markup
    url: str


@dataclass(frozen=True)
class Use:
    incident: Incident
    url: str
    rank: int


def _title(page: Page) -> Markup:
    # Page titles are HTML text to MkDocs and themes (entities kept, tags stripped);
    # playbill titles are escaped already (playbill.safe_title).
    return Markup(_TAGS.sub("", page.title or page.file.name))


def _title_of_playbill(incident: Incident) -> Markup:
    return Markup(_TAGS.sub("", safe_title(f"{incident.id}: {incident.title}")))


def _add_to_toc(page: Page, title: str, anchor: str) -> None:
    toc = page.toc
    link = AnchorLink(title, anchor, 2)
    items = toc.items
    if items and items[0].level == 1:  # a page with an <h1>: its sections are its children
        items[0].children.append(link)
    else:
        items.append(link)


class Backlinks:
    """The backlinks of one build."""

    def __init__(self, theater: Theater, index: LinkIndex, files: Files, *,
                 used_in: bool) -> None:
        self.theater = theater
        self.index = index
        self.files = files
        self.used_in_enabled = used_in
        self.used_in_blocks: dict[str, str] = {}
        """Page src_uri -> the "Incidents that used this page" block appended to it (the
        plugin hands Material's search the page with the block cut, see searchslim.py)."""
        self._used_by: dict[str, list[Incident]] | None = None
        self._playbill_of: dict[int, str] = {}
        """id(incident) -> its playbill's src_uri."""
        self._referrers: dict[str, list[str]] | None = None

    # -- "Incidents that used this page" --------------------------------------
    def used_by(self) -> dict[str, list[Incident]]:
        """Page src_uri -> the published incidents naming it in a prop, newest first."""
        if self._used_by is None:
            self._playbill_of = {id(i): src for src, i in self.theater.playbills.items()}
            found: dict[str, list[Incident]] = {}
            for incident in self.theater.catalog.incidents:  # newest first
                if id(incident) not in self._playbill_of or incident.setting is None:
                    continue
                for page in dict.fromkeys(p.page for p in incident.setting.props if p.page):
                    found.setdefault(page, []).append(incident)
            self._used_by = found
        return self._used_by

    def append_used_in(self, page: Page, html: str, files: Files) -> str:
        """``html`` with the block listing the incidents that used ``page``, if any."""
        if not self.used_in_enabled or page.file.src_uri in self.theater.playbills:
            return html
        incidents = self.used_by().get(page.file.src_uri)
        if not incidents:
            return html
        renderer = self.theater.renderer()
        entries = []
        for incident in incidents:
            file = files.get_file_from_path(self._playbill_of[id(incident)])
            if file is None:  # pragma: no cover - every playbill is in files
                continue
            entries.append(Use(incident, file.url_relative_to(page.file),
                               renderer.severity_rank(incident.severity)))
        block = renderer.env.get_template(USED_IN_TEMPLATE).render(
            entries=entries, clock=renderer.clock, page=page)
        if 'id="pmt-used-in"' in block:
            _add_to_toc(page, renderer.labels.gettext("Incidents that used this page"),
                        "pmt-used-in")
            page.present_anchor_ids = (page.present_anchor_ids or set()) | {"pmt-used-in"}
        self.used_in_blocks[page.file.src_uri] = block
        return html + block

    # -- "Referenced by" ---------------------------------------------------------
    def fill_references(self, page: Page) -> None:
        """Fill a playbill's slot with the pages that link to it (all pages are converted)."""
        incident = self.theater.playbills.get(page.file.src_uri)
        if incident is None:
            return
        # A playbill packed around its slot is filled without decompressing it and
        # compressing it again (packed.py): 0.4 ms a playbill when every page is converted.
        in_place = isinstance(page, PackedPage) and page.packed_around(SLOT)
        content = None if in_place else page.content
        if not in_place and (content is None or SLOT not in content):
            return
        if self._referrers is None:
            self._referrers = self.index.referrers()
        references = []
        for src in self._referrers.get(incident.slug, ()):
            if src == page.file.src_uri:
                continue
            file = self.files.get_file_from_path(src)
            if file is None or file.page is None:
                continue
            title = _title(file.page)
            playbill = self.theater.playbills.get(src)
            if file.page.title is None and playbill is not None:
                # A playbill `serve --dirty` kept (not read in this build): its title is
                # the one its front matter gives (render/playbill.py page_source).
                title = _title_of_playbill(playbill)
            references.append(Reference(title, file.url_relative_to(page.file)))
        block = ""
        if references:
            block = self.theater.renderer().env.get_template(REFERENCES_TEMPLATE).render(
                references=references, incident=incident, page=page)
            if 'id="referenced-by"' in block:
                _add_to_toc(page, self.theater.renderer().labels.gettext("Referenced by"),
                            "referenced-by")
        if in_place and isinstance(page, PackedPage):
            page.replace_packed(SLOT, block)
        elif content is not None:
            page.content = content.replace(SLOT, block, 1)
