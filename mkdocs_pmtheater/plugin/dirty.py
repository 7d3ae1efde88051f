"""``mkdocs serve --dirty``: playbills whose incident did not change are not rebuilt.

MkDocs rebuilds under ``--dirty`` only the files whose ``File.is_modified()`` is
true, and a file made with ``File.generated(..., content=...)`` always is: every
playbill of a 2,000-incident site was rebuilt after any edit. A playbill is a
:class:`PlaybillFile`, which asks :class:`DirtyPlaybills` (kept by the plugin
across the rebuilds of one ``mkdocs serve --dirty``) whether it is still fresh.

A playbill counts as fresh when all of these hold, and otherwise it is rebuilt:

* its output file from the last build exists;
* its incident is the very object the loader's content cache gave last time
  (the loader hands back the same object only for the same bytes);
* nothing site-wide changed since then: the set of playbills (source, slug),
  the site's other files, ``mkdocs.yml``, the templates and "today";
* no changed incident may link to it or have linked to it (its old links, and
  its new text naming the playbill's id, slug or file, are looked at);
* its "Previously on…" (related incidents) lists the same, unchanged incidents
  for the same reasons;
* the pages that link to it ("Referenced by") are the same as last time. Markdown
  pages are converted before playbills (the playbills come last in the files),
  so when MkDocs first asks, every Markdown page's links are known.

Markdown pages that show something of a changed incident are rebuilt too (MkDocs
would keep their old output, their own file being unchanged): those a prop of it
names ("Incidents that used this page" lists its title) and those that linked to
it in the last build. A kept playbill listed under another's "Referenced by" is
named by its front matter's title (MkDocs did not read it in this build).

The catalogue pages and data files are always rebuilt. Problems found while a
playbill is rendered (a broken link in its text) are logged when it is rebuilt,
like MkDocs' own warnings under ``--dirty``. The work is O(playbills) per build,
plus O(playbills) per changed incident.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.structure.files import File

from ..links.incident_links import LinkIndex
from ..model.incident import Incident

if TYPE_CHECKING:  # theater.py makes PlaybillFiles
    from .theater import Theater


class PlaybillFile(File):
    """A generated playbill page; unmodified under ``--dirty`` when :attr:`fresh` says so."""

    fresh: Callable[[File], bool] | None = None
    """Set by :class:`DirtyPlaybills` on ``--dirty`` rebuilds; None: always modified."""
    _modified: bool | None = None

    def is_modified(self) -> bool:
        # MkDocs asks twice (reading the page, then writing it): the answer must not change.
        if self._modified is None:
            fresh = self.fresh
            self._modified = not (fresh is not None and fresh(self))
        return self._modified


def _modified() -> bool:
    return True


def _watched_mtimes(paths: Iterable[str | Path]) -> tuple[tuple[str, float], ...]:
    """Modification times of every file under ``paths`` (templates, mkdocs.yml)."""
    found: list[tuple[str, float]] = []
    for path in paths:
        path = str(path)
        if os.path.isfile(path):
            found.append((path, os.path.getmtime(path)))
            continue
        for folder, _, names in os.walk(path):
            found.extend((os.path.join(folder, n), os.path.getmtime(os.path.join(folder, n)))
                         for n in names)
    return tuple(sorted(found))


def site_key(theater: Theater, files: Iterable[File], watched: Iterable[str]) -> Any:
    """Everything site-wide a playbill's HTML depends on, but the other incidents: the
    playbills' addresses, the site's other files, the watched files' modification times
    (templates, mkdocs.yml), "today" and the options. Comparable with ``==``."""
    # Titles are left out: a playbill shows another incident only in links to it, and
    # the playbills linking to a changed incident are rebuilt.
    playbills = tuple((src, i.slug, i.source) for src, i in theater.playbills.items())
    others = tuple(sorted(f.src_uri for f in files if not isinstance(f, PlaybillFile)))
    return (playbills, others, _watched_mtimes(watched), theater.today,
            theater.options, theater.config.site_url, theater.config.use_directory_urls)


def related_key(theater: Theater, incident: Incident) -> tuple[Any, ...]:
    """What a playbill's "Previously on…" shows of other incidents: each related incident
    (the very object: the same object means the same bytes) and the reasons given.
    The objects are kept in the key, so their ids are not reused while it lives."""
    return tuple((r.incident, id(r.incident), r.reasons)
                 for r in theater.production.catalogue.learning.related_to(incident))


def same_related(then: tuple[Any, ...] | None, now: tuple[Any, ...]) -> bool:
    return then is not None and [(i, r) for _, i, r in then] == [(i, r) for _, i, r in now]


class DirtyPlaybills:
    """What the last ``--dirty`` build published, to tell which playbills are still fresh."""

    def __init__(self) -> None:
        self._site_key: Any = None
        self._incidents: dict[str, Incident] = {}
        """Playbill src_uri -> the incident object it was last written from."""
        self._referrers: dict[str, tuple[str, ...]] = {}
        """Playbill src_uri -> the pages that linked to it when it was last written."""
        self._related: dict[str, tuple[Any, ...]] = {}
        """Playbill src_uri -> its "Previously on…" when it was last written."""
        self._theater: Theater | None = None
        self._stale: set[str] = set()
        self._index: LinkIndex | None = None
        self._now_referrers: dict[str, list[str]] | None = None
        self.rebuilt: list[str] = []
        """Playbills (src_uri) this build rebuilt (for the serve benchmark and tests)."""

    def plan(self, theater: Theater, files: Iterable[File], index: LinkIndex,
             watched: Iterable[str]) -> None:
        """Called once the playbill files exist (``on_files``): decide what must be rebuilt.

        ``watched`` are the files and folders (templates, mkdocs.yml) whose change
        rebuilds every playbill.
        """
        files = list(files)
        self._index, self._now_referrers, self.rebuilt = index, None, []
        self._theater = theater
        key = site_key(theater, files, watched)
        same_site = key == self._site_key
        self._site_key = key
        before = self._incidents
        if not same_site:
            self._incidents, self._referrers = {}, {}
        stale: set[str] = set()
        by_source = {i.source: src for src, i in theater.playbills.items()}
        changed = [src for src, i in theater.playbills.items()
                   if self._incidents.get(src) is not i]
        docs_dir = theater.config.docs_dir
        if not self._incidents:
            # The first build (or the site changed): every playbill is built anyway, and
            # looking for each incident's names in every other file is O(playbills²)
            # (19 s of CPU on the first build of a 2,000-incident site).
            changed = []
            stale.update(theater.playbills)
        for src in changed:
            if len(stale) == len(theater.playbills):
                break  # everything is rebuilt already: nothing more to look for
            stale.add(src)
            # Links it had (from the last build's index) and may have now (its text).
            stale.update(s for s, pages in self._referrers.items() if src in pages)
            # Pages that link to it show its title, which may have changed.
            stale.update(s for s in self._referrers.get(src, ()) if s in theater.playbills)
            try:
                text = Path(docs_dir, theater.playbills[src].source).read_text(
                    encoding="utf-8", errors="replace").lower()
            except OSError:  # gone since it was read: rebuild everything it could name
                stale.update(theater.playbills)
                continue
            for other, incident in theater.playbills.items():
                if (incident.id.lower() in text or incident.slug in text
                        or incident.source.lower() in text):
                    stale.add(other)
        stale.update(src for src in by_source.values() if src not in self._incidents)
        self._stale = stale
        # The incidents as they were and as they are now, wherever they changed.
        edited = [i for src, i in theater.playbills.items() if self._incidents.get(src) is not i]
        edited += [i for src, i in before.items() if theater.playbills.get(src) is not i]
        self._rebuild_pages_naming(files, edited, index)
        for file in files:
            if isinstance(file, PlaybillFile):
                file.fresh = self.is_fresh

    @staticmethod
    def _rebuild_pages_naming(files: Iterable[File], edited: list[Incident],
                              index: LinkIndex) -> None:
        """Markdown pages that show something of an edited incident are rebuilt: those a
        prop of it names ("Incidents that used this page" lists its title) and those
        that linked to it in the last build (a link may show its title). MkDocs'
        ``--dirty`` would otherwise keep their old output, as it does for any page
        whose own file did not change."""
        if not edited:
            return
        named = {prop.page for incident in edited if incident.setting is not None
                 for prop in incident.setting.props if prop.page}
        slugs = {incident.slug for incident in edited}
        named.update(page for page, targets in index.pages.items()
                     if not slugs.isdisjoint(targets))
        for file in files:
            if (file.src_uri in named and not isinstance(file, PlaybillFile)
                    and file.is_documentation_page()):
                file.is_modified = _modified  # type: ignore[method-assign]

    def is_fresh(self, file: File) -> bool:
        """Whether the playbill ``file`` can keep last build's output (see the module)."""
        src = file.src_uri
        if src in self._stale or not os.path.isfile(file.abs_dest_path):
            self.rebuilt.append(src)
            return False
        if self._now_referrers is None:
            assert self._index is not None
            self._now_referrers = self._index.referrers()
        incident = self._incidents.get(src)
        now = tuple(self._now_referrers.get(incident.slug, ())) if incident else None
        if now != self._referrers.get(src):
            self.rebuilt.append(src)
            return False
        if incident is not None and self._theater is not None and not same_related(
                self._related.get(src), related_key(self._theater, incident)):
            self.rebuilt.append(src)
            return False
        return True

    def written(self, theater: Theater) -> None:
        """After the build (``on_post_build``): remember what each playbill shows now."""
        if self._index is None:
            return
        referrers = self._index.referrers()
        self._incidents = dict(theater.playbills)
        self._referrers = {src: tuple(referrers.get(i.slug, ()))
                           for src, i in theater.playbills.items()}
        self._related = {src: related_key(theater, i) for src, i in theater.playbills.items()}
