"""The MkDocs plugin: wires MkDocs events to the theater, and nothing else."""

from __future__ import annotations

import gc
import html
import re

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from ..links.incident_links import IncidentLinkExtension, IncidentLinks, LinkIndex, LinkingPage
from ..load.loader import IncidentLoader
from ..model.options import SiteOptions
from ..model.problems import display_path
from ..model.timestamps import site_zone
from ..publish.export import IncidentLines
from ..publish.fulltext import BUNDLE_DIR, index_site, pagefind_available
from ..publish.production import SCRIPT, STYLESHEET, TEMPLATES_DIR
from ..render.preview import link_preview
from .backlinks import Backlinks
from .config import PmTheaterConfig
from .dirty import DirtyPlaybills, site_key
from .nav import place_catalogue
from .packed import TRIM_EVERY, AnchorIds, PackedPage, make_packed, return_free_memory
from .rendercache import MemoryBytecodeCache, RenderCache
from .serving import ServeProblems
from .theater import MkDocsFiles, Theater, log, project_dir


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
        self._serving = False
        self._pagefind = False
        self._converted: PackedPage | None = None
        """The generated page MkDocs converted last: packed when the next page starts."""
        self._pages_done = 0
        """Pages converted, then written (free memory is returned every TRIM_EVERY)."""
        self._writing = False
        """Whether MkDocs has started writing pages (it has copied the other files)."""

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

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        gc.unfreeze()  # what the last `mkdocs serve` build froze can be collected again
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
        self._pagefind = self._want_pagefind()
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
            self.render_cache.begin_build(site_key(theater, files, watched), theater.playbills)
        # The incidents stay alive until the build ends; without this, Python's cycle
        # collector rescans them again and again (about 15% of a 2,000-incident build).
        gc.freeze()
        return_free_memory()  # what reading thousands of files left free (packed.py)
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
            # every handler saw it as text.
            self._converted = make_packed(page)
        return markdown

    def _count_page(self) -> None:
        self._pages_done += 1
        if self._pages_done % TRIM_EVERY == 0:
            return_free_memory()

    def _pack_converted(self) -> None:
        if self._converted is not None:
            self._converted.pack()
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
            if raw_fields is not None:
                incident = self.theater.playbills[src_uri]
                body = raw_fields.field_raw_html(body, incident, src_uri, site)
            register_anchors(page, body)
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
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        if not self._writing:  # the first page written: MkDocs has copied the other files
            self._writing = True
            return_free_memory()
        if isinstance(page, PackedPage):
            page.unpack()  # read by our backlinks, the search plugins and the template
        if self.backlinks is not None:
            self.backlinks.fill_references(page)
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str | None:
        """Playbills get link previews (Open Graph, Twitter card) in their ``<head>``."""
        if isinstance(page, PackedPage):
            page.pack()  # written: back to its compressed form for the rest of the build
        self._count_page()
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

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files
               ) -> Environment | None:
        self._pack_converted()  # every page is converted; MkDocs now writes them
        return_free_memory()
        if self._bytecode is not None:
            env.bytecode_cache = self._bytecode["theme"]
        return env

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        theater = self.theater
        if theater is not None and self.dirty is not None:
            self.dirty.written(theater)
        if theater is not None and self._pagefind and theater.playbills:
            report = index_site(config.site_dir, prefix=theater.production.prefix)
            if report.error:
                log.warning(f"{report.error}; the post-mortem index has no full-text search. "
                            "Set 'pagefind: false' to build without it.")
            else:
                log.debug(f"Pagefind indexed {report.pages} playbills into {BUNDLE_DIR}/")
        if theater is not None and config.strict:
            theater.strict_failure()

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        theater = self.theater
        if theater is not None and config.nav is None:
            place_catalogue(nav, files, theater.catalogue.files,
                            title=theater.production.labels.gettext(self.config.catalogue.nav_title),
                            position=self.config.catalogue.nav_position)
        return nav


_ID = re.compile(r'\bid="([^"]+)"')


def register_anchors(page: Page, html: str) -> None:
    """Tell MkDocs which anchors a generated page has, so links to ``#ai-2`` validate."""
    ids = set(_ID.findall(html))
    # Compact: a playbill has forty-odd ids, kept until MkDocs checks anchors at the end.
    page.present_anchor_ids = AnchorIds((page.present_anchor_ids or set()) | ids)  # type: ignore[assignment]
