"""``mkdocs serve``: a playbill whose incident did not change reuses its rendered body.

Plain ``mkdocs serve`` rebuilds every page after any edit. MkDocs' own work per
page (the theme's template, Material's search index) cannot be skipped, but the
plugin's can: the playbill body of an incident that did not change is taken
from the last build. The entry is used only when all of these are the same as
when it was made, otherwise the playbill is rendered again:

* the incident object (the loader's content cache gives the same object only for
  the same bytes: the key is the file's content);
* the site key (:func:`.dirty.site_key`: playbill addresses, the other files of
  the site, templates' and mkdocs.yml's modification times, "today", options);
* every incident the body links to (its title may be the link's words);
* its "Previously on…": the same related incidents, unchanged, for the same reasons.

What rendering did besides the HTML is replayed: the problems it reported (a
broken link in incident text is logged on every build, as before) and the links
it recorded for "Referenced by". Kept only under ``mkdocs serve``; the memory is
one body per playbill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2.bccache import Bucket, BytecodeCache

from ..links.incident_links import LinkIndex
from ..model.incident import Incident
from ..model.problems import Problem
from ..render.toc import TocEntry


@dataclass(frozen=True)
class Rendered:
    """One playbill body and what rendering it did besides."""

    incident: Incident
    body: str
    sections: list[TocEntry]
    links: tuple[tuple[str, Incident | None], ...]
    """Slugs the body links to, with the incident each was then."""
    related: tuple[Any, ...]
    """Its "Previously on…" (:func:`.dirty.related_key`) when it was rendered."""
    problems: tuple[tuple[Problem, bool], ...]
    """What rendering reported; True: the production found it (it keeps a list)."""


class RenderCache:
    """Rendered playbill bodies by page (src_uri), across the builds of one serve."""

    def __init__(self) -> None:
        self._entries: dict[str, Rendered] = {}
        self._site_key: Any = None
        self.hits = 0
        """Bodies reused in this build (for tests and the serve benchmark)."""

    def begin_build(self, key: Any, playbills: dict[str, Incident]) -> None:
        """A new build with site key ``key``: forget entries of another site or page."""
        if key != self._site_key:
            self._entries = {}
        self._site_key = key
        self._entries = {src: e for src, e in self._entries.items()
                         if playbills.get(src) is e.incident}
        self.hits = 0

    def get(self, src: str, incident: Incident, by_slug: dict[str, Incident],
            index: LinkIndex, related: tuple[Any, ...] = ()) -> Rendered | None:
        """The entry for playbill ``src`` if still valid; records its links in ``index``."""
        entry = self._entries.get(src)
        if entry is None or entry.incident is not incident:
            return None
        if [(i, r) for _, i, r in entry.related] != [(i, r) for _, i, r in related]:
            return None
        if any(by_slug.get(slug) is not then for slug, then in entry.links):
            return None
        for slug, _ in entry.links:
            index.add(src, slug)
        self.hits += 1
        return entry

    def put(self, src: str, incident: Incident, body: str, sections: list[TocEntry],
            index: LinkIndex, by_slug: dict[str, Incident],
            problems: list[tuple[Problem, bool]], related: tuple[Any, ...] = ()) -> None:
        """Keep what rendering ``src`` gave (its links are read from ``index``)."""
        links = tuple((slug, by_slug.get(slug)) for slug in index.pages.get(src, ()))
        self._entries[src] = Rendered(incident, body, sections, links, related,
                                      tuple(problems))


class MemoryBytecodeCache(BytecodeCache):
    """Compiled Jinja templates kept in memory across the builds of one ``mkdocs serve``.

    MkDocs and the theater make new Jinja environments for every build, which compiled
    every template again (about a second of each rebuild). Jinja checks each entry
    against the template's source (a checksum), so an edited template is compiled
    again. One instance per environment: environments with other options or
    extensions compile the same source differently.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()
