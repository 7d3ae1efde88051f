"""The MkDocs plugin: wires MkDocs events to the theater, and nothing else."""

from __future__ import annotations

import functools
import gc
import hashlib
import html
import os
import re
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from ..catalogue.pages import CardCache
from ..catalogue.related import FeatureCache, RelatedMemo
from ..links.incident_links import IncidentLinkExtension, IncidentLinks, LinkIndex, LinkingPage
from ..load.loader import IncidentLoader
from ..model.options import SiteOptions
from ..model.problems import display_path
from ..model.timestamps import site_zone
from ..publish.export import IncidentLines
from ..publish.feeds import CalendarEvents
from ..publish.fulltext import (
    BUNDLE_DIR,
    Parts,
    PlaybillCopies,
    StreamedCopies,
    html_start_tag,
    index_site,
    leaves_text_open,
    pagefind_available,
)
from ..publish.production import SCRIPT, STYLESHEET, TEMPLATES_DIR
from ..render.preview import link_preview
from ..render.searchslim import appended_cut, search_cut, search_slim
from .ahead import PlaybillsAhead
from .backlinks import SLOT, Backlinks
from .config import PmTheaterConfig
from .dirty import DirtyPlaybills, site_key
from .idlegc import IdleCollector
from .nav import place_catalogue
from .packed import (
    TRIM_EVERY,
    AnchorIds,
    PackedPage,
    anchor_ids,
    make_packed,
    return_free_memory,
)
from .rendercache import MemoryBytecodeCache, RenderCache
from .serving import ServeProblems
from .theater import MkDocsFiles, Theater, log, project_dir, theme_language


class PmTheaterPlugin(BasePlugin[PmTheaterConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.theater: Theater | None = None
        self._loader: IncidentLoader | None = None
        self.links: IncidentLinks | None = None
        self.backlinks: Backlinks | None = None
        self._link_index = LinkIndex()
        self._link_extension = IncidentLinkExtension()
        self._serve_problems: ServeProblems | None = None
        self.dirty: DirtyPlaybills | None = None
        """Under ``mkdocs serve --dirty``: which playbills need no rebuild (dirty.py)."""
        self.render_cache: RenderCache | None = None
        """Under ``mkdocs serve``: playbill bodies of unchanged incidents (rendercache.py)."""
        self._bytecode: dict[str, MemoryBytecodeCache] | None = None
        self._incident_lines: IncidentLines = {}
        self._summary_cache: dict[str, dict[str, str]] = {}
        self._page_sources: dict[int, Any] = {}
        """Under ``mkdocs serve``: each playbill's front matter, by incident object."""
        self._related_features: FeatureCache = {}
        self._related_memo = RelatedMemo()
        self._cards = CardCache()
        """Under ``mkdocs serve``: the action-item board's cards (catalogue/pages.py)."""
        self._field_links: dict[int, tuple[Any, Any]] = {}
        """Under ``mkdocs serve``: each incident's links, by incident object (production.py)."""
        self._calendar_events: CalendarEvents = {}
        self._serving = False
        self._pagefind = False
        self._slim_search = False
        """Whether Material's search plugin is the site's search (see _slim_for_search)."""
        self._full_bodies: dict[str, tuple[str, str]] = {}
        """Playbills whose body Material's search reads slim: source URI -> (full, slim)."""
        self._fast_cut = False
        """Whether playbills rendered by the packaged templates, without ``allow_html``, get
        :func:`search_cut` (see _slim_for_search)."""
        self._rendered: dict[str, object] = {}
        """Playbill source URI -> how to know its body is still the one this plugin wrote,
        while _fast_cut is on: the body's hash; once packed, the packed value itself
        (PackedPage.packed_state, compared by identity); _TRUSTED once checked at
        page_context; 0 when another plugin changed it."""
        self._rendered_for_pagefind: dict[str, int] = {}
        """Playbills converted but not yet streamed to Pagefind: the hash of the body the
        plugin rendered (the fast cut of the copy needs the plugin's own markup)."""
        self._anchors: dict[str, tuple[str, frozenset[str]]] | None = None
        """Under ``mkdocs serve``: each playbill's last body and its anchor ids."""
        self._slims: dict[str, tuple[bytes, str | None]] | None = None
        """Under ``mkdocs serve``: each playbill's last body's digest and its slim form
        (the same body gives the same slim form: search_slim reads nothing else)."""
        self._copies: PlaybillCopies | None = None
        """Pagefind run on copies of the playbills while the site is written (fulltext.py)."""
        self._stream: StreamedCopies | None = None
        """Pagefind's copies sent to its child as playbills are converted (fulltext.py);
        :attr:`_copies` is the fallback."""
        self._converted: PackedPage | None = None
        """The generated page MkDocs converted last: packed when the next page starts."""
        self._pages_done = 0
        """Pages converted, then written (free memory is returned every TRIM_EVERY)."""
        self._writing = False
        """Whether MkDocs has started writing pages (it has copied the other files)."""
        self._writing_checked = False
        """Whether the first written page's ``<html>`` tag was checked for the stream."""
        self._idle_gc: IdleCollector | None = None
        """Under ``mkdocs serve``: full cycle collections between rebuilds (idlegc.py)."""
        self._dirty_build = False
        """``mkdocs build --dirty`` (or ``gh-deploy --dirty``): most pages are not
        converted, none is rendered ahead."""
        self._ahead_tried = False
        """Whether this build has tried to start rendering playbills ahead (ahead.py)."""

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Having this hook makes MkDocs keep the plugin across ``mkdocs serve`` rebuilds,
        and with it the loader's content cache and the index of links between pages."""
        self._serve_problems = ServeProblems() if command == "serve" else None
        self.dirty = DirtyPlaybills() if command == "serve" and dirty else None
        self.render_cache = RenderCache() if command == "serve" else None
        # Compiled templates for the theme's, the playbills' and the catalogue's Jinja
        # environments (one cache each: their options differ), kept across rebuilds.
        self._bytecode = ({role: MemoryBytecodeCache() for role in ("theme", "playbill",
                                                                     "catalogue")}
                          if command == "serve" else None)
        self._serving = command == "serve"
        # `mkdocs gh-deploy --dirty` builds as `mkdocs build --dirty` does.
        self._dirty_build = dirty and command != "serve"
        self._slims = {} if command == "serve" else None
        self._anchors = {} if command == "serve" else None
        self._idle_gc = IdleCollector() if command == "serve" else None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if self._idle_gc is not None:  # serve: collected while idle, unless it grew (idlegc.py)
            self._idle_gc.build_starts()
        else:
            gc.unfreeze()  # what an earlier build froze can be collected again
        self._pages_done, self._writing, self._converted = 0, False, None
        self._link_extension.links = self.links = self.backlinks = None
        if not self.config.enabled:
            self.theater = None
            return config
        try:
            zone = site_zone(self.config.timezone)
        except ValueError as exc:
            raise PluginError(f"pmtheater: timezone: {exc}") from None
        severities = tuple(self.config.severities)
        if not severities:
            raise PluginError("pmtheater: severities: list at least one severity level")
        shard = self.config.pagefind_shard_size
        if shard is not None and (isinstance(shard, bool) or shard < 1):
            raise PluginError(f"pmtheater: pagefind_shard_size: {shard!r} is not a number of "
                              "playbills; give 1 or more, or leave it unset (automatic)")
        # Keep the loader (and its content cache) across `mkdocs serve` rebuilds.
        if self._loader is None or (self._loader.severities, self._loader.zone) != (
            severities, zone
        ):
            self._loader = IncidentLoader(severities, zone)
        # Last in the search path: the theme and custom_dir can override our templates.
        if str(TEMPLATES_DIR) not in config.theme.dirs:
            config.theme.dirs.append(str(TEMPLATES_DIR))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if self.config.catalogue.pages and SCRIPT not in map(str, config.extra_javascript):
            config.extra_javascript.append(SCRIPT)  # type: ignore[arg-type]
        # `markdown_extensions: [pmtheater]` is for Zensical; here the plugin's own
        # extension does the same with MkDocs' pages, so the entry goes (no double rewriting).
        config.markdown_extensions[:] = [e for e in config.markdown_extensions
                                         if e != "pmtheater"]
        config.mdx_configs.pop("pmtheater", None)
        # Rewrites incident links in pages before MkDocs checks them (links.py).
        if self._link_extension not in config.markdown_extensions:
            config.markdown_extensions.append(self._link_extension)  # type: ignore[arg-type]
        self.theater = Theater(SiteOptions.from_config(self.config), config, self._loader, zone)
        if self.render_cache is not None:  # serve: unchanged incidents keep their JSON line
            self.theater.production.incident_lines = self._incident_lines
            self.theater.production.summary_cache = self._summary_cache
            self.theater.production.page_sources = self._page_sources
            self.theater.catalogue.learning.feature_cache = self._related_features
            self.theater.catalogue.learning.related_memo = self._related_memo
            self.theater.production.calendar_events = self._calendar_events
            self.theater.production.field_links_cache = self._field_links
            self.theater.pack_files = False  # data files made anew each rebuild (packed.py)
        self._pagefind = self._want_pagefind()
        if self._stream is not None:  # a build that ended without on_post_build
            self._stream.cancel()
        self._stream = (StreamedCopies(f"{config.site_dir}/{BUNDLE_DIR}",
                                       theme_language(config.theme),
                                       cut=not (self.config.allow_html
                                                or playbill_templates_overridden(config)),
                                       shard=self.config.pagefind_shard_size)
                        if self._pagefind else None)
        self._slim_search = (uses_materials_search_only(config)
                             and only_search_reads_slim_pages(config, self))
        self._fast_cut = (self._slim_search and not self.config.allow_html
                          and not playbill_templates_overridden(config))
        self._full_bodies.clear()
        self._rendered.clear()
        self._rendered_for_pagefind.clear()
        return config

    def _want_pagefind(self) -> bool:
        """Whether to index the built site with Pagefind (see the option ``pagefind``)."""
        wanted = self.config.pagefind
        if wanted is False or self._serving:
            # Under `mkdocs serve` every rebuild would re-index the whole site: the
            # index page says that full-text search is not available there.
            return False
        if pagefind_available():
            return True
        if wanted:
            log.warning("pagefind: true, but Pagefind is not installed, so the post-mortem "
                        "index has no full-text search. Install it with "
                        "'pip install \"mkdocs-pmtheater[search]\"', or set 'pagefind: false'.")
        else:
            log.info("Pagefind is not installed: the post-mortem index has no full-text "
                     "search (pip install \"mkdocs-pmtheater[search]\" adds it).")
        return False

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        theater = self.theater
        if theater is None:
            return files
        files = theater.collect(files)
        if self._stream is not None:
            self._stream.playbills = len(theater.playbills)
        self._link_index.keep_only(f.src_uri for f in files.documentation_pages())
        self.links = IncidentLinks(
            theater.catalog, theater.playbills, incidents_dir=theater.incidents_dir,
            drafts_hidden=self.config.drafts == "hide", index=self._link_index,
            root=project_dir(config), report=lambda problem: theater.report([problem]),
        )
        self._link_extension.links = links = self.links
        links.already_reported(theater.production.reported_links)
        self._site = site = MkDocsFiles(files)
        production = theater.production
        production.link_hook = lambda href, incident, page: links.field_href(
            href, incident, page, site)
        production.folder_link_hook = lambda href, folder, page: links.folder_href(
            href, folder, page, site)
        theater.catalogue.link_resolver = lambda folder, page, site: (
            lambda href: links.folder_href(href, folder, page, site))
        self.backlinks = Backlinks(theater, self._link_index, files,
                                   used_in=self.config.backlinks)
        if self._serve_problems is not None:
            self._serve_problems.add_files(theater, files, config)
        if self._bytecode is not None:
            theater.renderer().env.bytecode_cache = self._bytecode["playbill"]
            theater.catalogue.environment().bytecode_cache = self._bytecode["catalogue"]
        # What can change a playbill's HTML during a serve: our templates, the site's
        # overrides and mkdocs.yml (the installed theme's thousands of files do not).
        watched = [str(TEMPLATES_DIR)]
        if config.theme.custom_dir:
            watched.append(config.theme.custom_dir)
        if config.config_file_path:
            watched.append(config.config_file_path)
        if self.dirty is not None:
            self.dirty.plan(theater, files, self._link_index, watched)
        if self.render_cache is not None:
            key = site_key(theater, files, watched)
            self.render_cache.begin_build(key, theater.playbills)
            # The board's cards show addresses, "today" and the site's words (site_key).
            theater.catalogue.cards = self._cards
            self._cards.begin(key)
        for kept in (self._slims, self._anchors):  # playbills that are gone keep no body
            for src_uri in [s for s in kept or () if s not in theater.playbills]:
                del kept[src_uri]  # type: ignore[union-attr]
        # The incidents stay alive until the build ends; without this, Python's cycle
        # collector rescans them again and again (about 15% of a 2,000-incident build).
        gc.freeze()
        return_free_memory()  # what reading thousands of files left free (packed.py)
        self._ahead_tried = False
        return files

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        self._pack_converted()
        if self.links is not None:
            self.links.begin_page(self._linking_page(page, config))
        if self.theater is not None and page.file.src_uri in self.theater.production.pages:
            # A playbill or catalogue page. MkDocs assigns the body after on_page_content's
            # last handler; it is packed when the next page starts (or at on_env), so
            # every handler saw it as text. Not under `mkdocs serve`: there the render
            # cache holds the very same body strings, so packing would save nothing and
            # cost a compression and a decompression per page on every rebuild.
            packed = make_packed(page)
            if self.render_cache is None:
                self._converted = packed
        return markdown

    def _count_page(self) -> None:
        self._pages_done += 1
        if self._pages_done % TRIM_EVERY == 0:
            return_free_memory()

    def _pack_converted(self) -> None:
        page = self._converted
        if page is not None:
            src_uri = page.file.src_uri
            expected = self._rendered.get(src_uri)
            # Every on_page_content handler has run: the body is still the one this plugin
            # returned if its hash is (the same str object: the hash is cached, free).
            ours = isinstance(expected, int) and expected != 0 and hash(
                page.content) == expected
            rendered = self._rendered_for_pagefind.pop(src_uri, None)
            unchanged = rendered is not None and hash(page.content) == rendered
            page.pack(split_at=SLOT)  # filled in on_env without unpacking
            stream, theater = self._stream, self.theater
            if stream is not None and theater is not None and src_uri in theater.playbills:
                # Its body is final but for "Referenced by": Pagefind's child writes its
                # copy now, on the other core, while the next pages are converted.
                stream.add(src_uri, page.file.dest_path, page.content_parts(),
                           ours=unchanged)
            if expected is not None:
                # From now on "unchanged" is the packed value's identity (packed.py), so
                # that filling "Referenced by" in place keeps the fast cut.
                self._rendered[src_uri] = (page.packed_state() or 0) if ours else 0
            self._converted = None
        self._count_page()

    @staticmethod
    def _linking_page(page: Page, config: MkDocsConfig) -> LinkingPage:
        file = page.file
        display = (display_path(file.abs_src_path, project_dir(config)) if file.abs_src_path
                   else file.src_uri)
        return LinkingPage(file.src_uri, display, lambda: file.content_string)

    @event_priority(50)  # before search plugins and others read page.content
    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.theater is None:
            return html
        links = self.links
        if links is not None:
            links.end_page()
        # Raw HTML links (<a href="incident:...">) are seen by no Markdown pass: rewrite them
        # in the HTML. Incident text holds raw HTML only with allow_html.
        raw_fields = links if self.config.allow_html else None
        src_uri = page.file.src_uri
        site = MkDocsFiles(files)
        cache = self.render_cache
        body = self.theater.playbill(page, files, None if cache is None
                                     else (cache, self._link_index))
        if body is not None:
            if not self._ahead_tried and cache is None:
                # The first playbill compiled the templates and computed "Previously
                # on…": a child forked now renders the others from the last one (ahead.py).
                self._ahead_tried = True
                if not self._dirty_build:
                    self.theater.ahead = PlaybillsAhead.start(self.theater, links, files,
                                                              src_uri)
            if raw_fields is not None:
                incident = self.theater.playbills[src_uri]
                body = raw_fields.field_raw_html(body, incident, src_uri, site)
            register_anchors(page, body, self._anchors)
            if self._fast_cut:
                self._rendered[src_uri] = hash(body)
            if self._stream is not None and self._stream.cut:
                self._rendered_for_pagefind[src_uri] = hash(body)
            return body
        body = self.theater.catalogue_page(page, files)
        if body is not None:
            return raw_fields.catalogue_raw_html(body, src_uri, site) if raw_fields else body
        if self._serve_problems is not None:
            body = self._serve_problems.render(page, self.theater)
            if body is not None:
                return body
        if links is not None:
            html = links.page_raw_html(html, self._linking_page(page, config), site)
        if self.backlinks is not None:
            return self.backlinks.append_used_in(page, html, files)
        return html

    @event_priority(50)  # before search plugins index the page
    def _on_page_context_before_search(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        if not self._writing:  # the first page written: MkDocs has copied the other files
            self._writing = True
            return_free_memory()
        if isinstance(page, PackedPage):
            src_uri = page.file.src_uri
            token = self._rendered.get(src_uri)
            if token is not None and not isinstance(token, int):
                # Packed as this plugin left it (rendered, filled in place): trusted as is.
                self._rendered[src_uri] = _TRUSTED if page.packed_state() is token else 0
            page.unpack()  # read by our backlinks, the search plugins and the template
        self._fill_references(page)
        if self._slim_search:
            self._slim_for_search(page)
        return context

    def _fill_references(self, page: Page) -> None:
        """Fill a playbill's "Referenced by" (backlinks.py), keeping track of whether its
        body is still the one this plugin wrote (for search_cut): the filled body is."""
        if self.backlinks is None:
            return
        src_uri = page.file.src_uri
        expected = self._rendered.get(src_uri)
        if not expected or expected == _TRUSTED:
            self.backlinks.fill_references(page)  # our own fill keeps a trusted body so
            return
        if not isinstance(expected, int):  # the packed value this plugin left (on_env)
            ours = isinstance(page, PackedPage) and page.packed_state() is expected
            self.backlinks.fill_references(page)  # in place when packed around the slot
            if not ours:
                self._rendered[src_uri] = 0
            elif (token := page.packed_state()) is not None:
                self._rendered[src_uri] = token
            else:  # filled as text (packed whole): known by its hash from now on
                self._rendered[src_uri] = hash(page.content)
            return
        if isinstance(page, PackedPage):
            page.unpack()  # read twice here; the caller packs it again
        before = page.content
        self.backlinks.fill_references(page)
        after = page.content
        if after is not before and after is not None:
            self._rendered[page.file.src_uri] = (
                hash(after) if before is not None and hash(before) == expected else 0)

    def _slim_for_search(self, page: Page) -> None:
        """Give Material's search plugin a playbill without what it skips (searchslim.py):
        it parses the page in Python, token by token, and most of a playbill is marked
        ``data-search-exclude``. The index comes out the same; the full body is put back
        (:meth:`_on_page_context_after_search`) before the page template renders it.

        A playbill that the packaged templates rendered, without ``allow_html``, and that
        no other plugin changed since (its hash is the one recorded in on_page_content)
        is well formed, which is all :func:`search_cut` needs: a few C-speed searches
        instead of :func:`search_slim`'s Python step per tag. Any other playbill, or one
        the fast cut is unsure of, goes to :func:`search_slim`."""
        theater, full = self.theater, page.content
        src_uri = page.file.src_uri
        if theater is None or full is None:
            return
        if src_uri not in theater.playbills:
            # A runbook's "Incidents that used this page", as the packaged template wrote
            # it (a custom_dir override turns _fast_cut off): cut, as in a playbill.
            block = (self.backlinks.used_in_blocks.pop(src_uri, None)
                     if self.backlinks is not None else None)
            slim = appended_cut(full, block) if block is not None and self._fast_cut else None
            search = page.meta.get("search")
            if (slim is None and full and isinstance(search, dict) and search.get("exclude")
                    and "data-search-" not in full):
                # Material indexes nothing of a page excluded from search (the catalogue
                # pages: 13 MB at 2,000 incidents); its one step is a regex that drops
                # data-search-* attributes, of which there are none. An empty body makes
                # that step free and leaves the same page.
                slim = ""
            if slim is not None:
                self._full_bodies[src_uri] = (full, slim)
                page.content = slim
            return
        expected = self._rendered.pop(src_uri, 0)
        trusted = expected == _TRUSTED or (isinstance(expected, int) and expected != 0
                                           and hash(full) == expected)
        slim = search_cut(full) if trusted else None
        if slim is None:
            slim = self._slim_of(src_uri, full)
        if slim is not None and slim != full:
            self._full_bodies[page.file.src_uri] = (full, slim)
            page.content = slim

    def _slim_of(self, src_uri: str, full: str) -> str | None:
        """:func:`search_slim` of a playbill's body; under ``mkdocs serve`` an unchanged
        body gives last build's answer. The body is known by a BLAKE2b digest of its
        text, not kept: here it is a new string each build ("Referenced by" filled in),
        and keeping 2,000 of them would hold another 130 MB through the session."""
        slims = self._slims
        if slims is None:
            return search_slim(full)
        digest = hashlib.blake2b(full.encode("utf-8", "surrogatepass"), digest_size=20).digest()
        kept = slims.get(src_uri)
        if kept is not None and kept[0] == digest:
            return kept[1]
        slim = search_slim(full)
        slims[src_uri] = (digest, slim)
        return slim

    @event_priority(-1)  # after search plugins (priority 0) read the page, before the template
    def _on_page_context_after_search(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        bodies = self._full_bodies.pop(page.file.src_uri, None)
        if bodies is not None:
            full, slim = bodies
            now = page.content
            if now == slim or now == _MATERIAL_STRIPS.sub("", slim):
                # Material's search plugin drops data-search-* attributes from the page it
                # indexed: do the same to the full body (even when the slim one had none:
                # its expression reads text too, and a value opened in the page's own words
                # may close only in what the slim body left out).
                page.content = (_MATERIAL_STRIPS.sub("", full)
                                if _MATERIAL_VALUE.search(full) is not None else full)
            else:
                # Another plugin changed the slim body in a way that cannot be replayed on
                # the full one: the playbill as the plugin rendered it is what is published.
                log.debug(f"{page.file.src_uri}: the playbill's body was changed during "
                          "search indexing; publishing it as rendered")
                page.content = full
        return context

    on_page_context = CombinedEvent(_on_page_context_before_search,
                                    _on_page_context_after_search)

    def _on_post_page_previews(self, output: str, *, page: Page, config: MkDocsConfig
                               ) -> str | None:
        """Playbills get link previews (Open Graph, Twitter card) in their ``<head>``."""
        theater = self.theater
        incident = theater.playbills.get(page.file.src_uri) if theater is not None else None
        if incident is None or "</head>" not in output:
            return output
        description = html.unescape(str(page.meta.get("description", "")))
        url = page.canonical_url if config.site_url else None
        tags = link_preview(incident, description=description,
                            site_name=config.site_name or "", url=url)
        head_end = output.index("</head>")
        return f"{output[:head_end]}{tags}\n{output[head_end:]}"

    @event_priority(-10000)  # the page as written, after every plugin changed it
    def _on_post_page_pagefind(self, output: str, *, page: Page, config: MkDocsConfig
                               ) -> str | None:
        """Start Pagefind on the playbills' copies once the first page is written (its
        ``<html>`` tag is every page's), and check each written playbill against its copy.
        Last of every handler: the page, written, goes back to its compressed form (after
        the check, which reads its body, so that it is not decompressed again for it)."""
        self._confirm_copy(output, page)
        if isinstance(page, PackedPage):
            page.pack()
        self._count_page()
        return output

    def _confirm_copy(self, output: str, page: Page) -> None:
        stream = self._stream
        if stream is not None and not self._writing_checked:
            self._writing_checked = True
            tag = html_start_tag(output)
            if stream.exact and tag is not None and stream.matches(tag):
                if self._copies is not None:  # not needed: Pagefind runs on the stream
                    self._copies.cancel()
                    self._copies = None
            else:  # another language, or the stream failed: copies made now
                stream.cancel()
                self._stream = stream = None
        if stream is not None:
            theater = self.theater
            if (theater is not None and page.file.src_uri in theater.playbills
                    and page.content):
                stream.confirm(page.file.src_uri, page.content, output)
            return
        copies = self._copies
        if copies is None:
            return
        if not copies.started:
            tag = html_start_tag(output)
            if tag is None:  # not a page Pagefind would read the language of
                copies.cancel()
                self._copies = None
                return
            copies.start(tag)
        theater = self.theater
        if theater is not None and page.file.src_uri in theater.playbills and page.content:
            copies.confirm(page.file.src_uri, page.content, output)

    on_post_page = CombinedEvent(_on_post_page_previews, _on_post_page_pagefind)

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files
               ) -> Environment | None:
        self._pack_converted()  # every page is converted; MkDocs now writes them
        self._stop_ahead()
        return_free_memory()
        if self._bytecode is not None:
            env.bytecode_cache = self._bytecode["theme"]
        if self._copies is not None:
            self._copies.cancel()
        self._copies = None
        if self._pagefind and self._titles_leave_text_open(files):
            # Titles are HTML to MkDocs: the theme writes them as they are in the
            # navigation, and "Referenced by" too. One that opens a comment, raw text or
            # RCDATA makes Pagefind read a written playbill's body, or the end of its
            # page, as other than the body alone: the written site is indexed.
            if self._stream is not None:
                self._stream.cancel()
                self._stream = None
        elif self._pagefind:
            self._copies = self._playbill_copies(files, config)
        self._writing_checked = False
        return env

    @staticmethod
    def _titles_leave_text_open(files: Files) -> bool:
        """Whether a page's title opens a comment, raw text or RCDATA it does not close
        (:func:`.fulltext.leaves_text_open`; a ``<`` first: 2,000 titles in about a millisecond)."""
        for file in files.documentation_pages():
            title = file.page.title if file.page is not None else None
            if title and "<" in title and leaves_text_open(title):
                return True
        return False

    def _playbill_copies(self, files: Files, config: MkDocsConfig) -> PlaybillCopies | None:
        """Every page is converted now: the playbills' bodies, "Referenced by" filled in,
        are those the pages will hold, so Pagefind can start on copies of them (it runs
        beside the rest of the build). ``None`` when a playbill has no body yet
        (``build --dirty`` leaves unchanged pages unread): the written site is indexed."""
        theater = self.theater
        if theater is None or not theater.playbills:
            return None
        bodies: dict[str, tuple[str, str]] = {}
        final: dict[str, tuple[str, Parts]] = {}
        """What the stream's copies are checked against (StreamedCopies.seal)."""
        for src_uri in theater.playbills:
            file = files.get_file_from_path(src_uri)
            if file is None or not file.inclusion.is_included():
                continue  # not written by `mkdocs build`, so not indexed either
            page = file.page
            if page is None or page.content is None:
                if self._stream is not None:  # `build --dirty`: the written site is indexed
                    self._stream.cancel()
                    self._stream = None
                return None
            self._fill_references(page)
            if isinstance(page, PackedPage):
                page.pack()  # filled in: compressed again until MkDocs writes it
                # Handed over compressed, as held: the Pagefind child decompresses them.
                parts: Parts = page.content_parts()
            else:
                parts = (page.content or "",)
            bodies[src_uri] = (file.dest_path, functools.partial(tuple, parts))
            final[src_uri] = (file.dest_path, parts)
        if self._stream is not None and not (final and self._stream.seal(final)):
            self._stream.cancel()
            self._stream = None
        return (PlaybillCopies(f"{config.site_dir}/{BUNDLE_DIR}", bodies,
                               shard=self.config.pagefind_shard_size) if bodies else None)

    def _stop_ahead(self) -> None:
        theater = self.theater
        if theater is not None and theater.ahead is not None:
            theater.ahead.close()
            theater.ahead = None

    def on_build_error(self, *, error: Exception) -> None:
        self._stop_ahead()
        if self._idle_gc is not None:
            self._idle_gc.build_ended()
        if self._copies is not None:  # no Pagefind left running, no copies left behind
            self._copies.cancel()
            self._copies = None
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        theater = self.theater
        if self._stream is not None and not (theater is not None and self._pagefind
                                             and theater.playbills):
            self._stream.cancel()  # nothing to index: no child left waiting for pages
            self._stream = None
        if theater is not None and self.dirty is not None:
            self.dirty.written(theater)
        if theater is not None and self._pagefind and theater.playbills:
            copies, self._copies = self._copies, None
            stream, self._stream = self._stream, None
            if stream is not None:
                if copies is not None:
                    copies.cancel()
                report = stream.finish()
            else:
                report = copies.finish() if copies is not None else None
            if report is None:  # no copies, or they might not index as the site does
                report = index_site(config.site_dir, prefix=theater.production.prefix,
                                    shard=self.config.pagefind_shard_size)
            if report.error:
                log.warning(f"{report.error}; the post-mortem index has no full-text search. "
                            "Set 'pagefind: false' to build without it.")
            else:
                log.debug(f"Pagefind indexed {report.pages} playbills into {BUNDLE_DIR}/")
        if self._idle_gc is not None:  # before strict_failure, which raises
            self._idle_gc.build_ended()
        if theater is not None and config.strict:
            theater.strict_failure()

    def on_shutdown(self) -> None:
        """The server stopped. MkDocs keeps plugin instances that have ``on_startup`` for
        the rest of the process, so a later build through MkDocs' API (without
        ``on_startup``) reuses this one: it must not build as if it were serving (no
        Pagefind, serve's caches)."""
        if self._idle_gc is not None:
            self._idle_gc.stop()
        self.on_startup(command="build", dirty=False)

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        theater = self.theater
        if theater is not None and config.nav is None:
            place_catalogue(nav, files, theater.catalogue.files,
                            title=theater.production.labels.gettext(self.config.catalogue.nav_title),
                            position=self.config.catalogue.nav_position)
        return nav


_TRUSTED = -1
"""A playbill body checked to be this plugin's own (``hash()`` never gives -1)."""
_MATERIAL_STRIPS = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")
"""What Material's search plugin removes from the page it indexed (the same expression)."""
_MATERIAL_VALUE = re.compile(r"data-search-\w+=\"")
"""Where :data:`_MATERIAL_STRIPS` may match: a literal first, so a body without one (every
playbill: its data-search-exclude attributes have no value) is passed over at C speed
(0.03 ms against the strip's 0.3 ms, for each of thousands of playbills)."""


def playbill_templates_overridden(config: MkDocsConfig) -> bool:
    """Whether the theme or its ``custom_dir`` has templates of its own under ``pmtheater/``
    (searched before the packaged ones): then a playbill may not be shaped as
    :func:`search_cut` needs, and search_slim reads it. Any file there counts, a catalogue
    template too: one look at a folder per theme directory, once per build."""
    ours = str(TEMPLATES_DIR)
    for folder in config.theme.dirs:
        if folder == ours:
            return False
        if os.path.isdir(os.path.join(folder, "pmtheater")) or _icons_replaced(folder):
            return True
    return False


INCLUDED_ICONS = (".icons/material/trophy-outline.svg",)
"""Theme files the packaged templates include (the awards partial's trophy): a site's own
copy is markup of its own in every playbill, so it counts as an override too."""


def _icons_replaced(folder: str) -> bool:
    """Whether ``folder`` (a theme directory) replaces an icon of :data:`INCLUDED_ICONS`;
    Material's own templates folder holds the originals."""
    try:
        import material

        if os.path.commonpath([folder, os.path.dirname(material.__file__)]) == \
                os.path.dirname(material.__file__):
            return False
    except (ImportError, ValueError):  # no Material, or another drive: not its folder
        pass
    return any(os.path.isfile(os.path.join(folder, icon)) for icon in INCLUDED_ICONS)


def uses_materials_search_only(config: MkDocsConfig) -> bool:
    """Whether the site's search is Material for MkDocs' search plugin and no other:
    only that plugin skips ``data-search-exclude`` elements (MkDocs' own indexes every
    word of a page, so it must read playbills whole)."""
    material = False
    for name, plugin in config.plugins.items():
        module = type(plugin).__module__
        if module.startswith("material.plugins.search"):
            material = material or bool(getattr(plugin.config, "enabled", True))
        elif "search" in name.split("/")[-1] or "search" in module:
            return False  # another search plugin, which may read every word
    return material


def only_search_reads_slim_pages(config: MkDocsConfig, ours: object) -> bool:
    """Whether no plugin or hook but Material's search reads ``page.content`` in
    ``on_page_context`` while a playbill is slim (between this plugin's handlers at
    priority 50 and -1): another one would see, or change, the slim body instead of the
    playbill, so then every plugin gets the whole page, as before. Material's tags
    plugin is the exception: its ``on_page_context`` only adds the page's tag listings
    to the template context (mkdocs-material 9.x), without reading ``page.content``."""
    for handler in config.plugins.events.get("page_context", []):
        owner = getattr(handler, "__self__", None)
        if owner is ours:
            continue
        if not -1 <= getattr(handler, "mkdocs_priority", 0) <= 50:
            continue  # runs before the body is slimmed or after it is put back
        module = type(owner).__module__ if owner is not None else ""
        if not module.startswith(("material.plugins.search.", "material.plugins.tags.")):
            return False
    return True


def register_anchors(page: Page, html: str,
                     kept: dict[str, tuple[str, frozenset[str]]] | None = None) -> None:
    """Tell MkDocs which anchors a generated page has, so links to ``#ai-2`` validate.
    ``kept`` (``mkdocs serve``): each page's last body and its ids; the same body (compared
    whole) has the same ids, so an unchanged playbill's 65 KB are not scanned again."""
    found = kept.get(page.file.src_uri) if kept is not None else None
    if found is not None and found[0] == html:
        ids: frozenset[str] | set[str] = found[1]
    else:
        ids = frozenset(anchor_ids(html))
        if kept is not None:
            kept[page.file.src_uri] = (html, ids)
    # Compact: a playbill has forty-odd ids, kept until MkDocs checks anchors at the end.
    page.present_anchor_ids = AnchorIds((page.present_anchor_ids or set()) | ids)  # type: ignore[assignment]
