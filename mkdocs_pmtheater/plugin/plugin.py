"""The MkDocs plugin: wires MkDocs events to the theater, and nothing else."""

from __future__ import annotations

import gc

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from ..links.backlinks import Backlinks
from ..links.incident_links import IncidentLinkExtension, IncidentLinks, LinkIndex, register_anchors
from ..load.loader import IncidentLoader
from ..model.timestamps import site_zone
from ..publish import feeds
from .config import PmTheaterConfig
from .serving import ServeProblems
from .theater import SCRIPT, STYLESHEET, TEMPLATES_DIR, Theater, project_dir


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

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Having this hook makes MkDocs keep the plugin across ``mkdocs serve`` rebuilds,
        and with it the loader's content cache and the index of links between pages."""
        self._serve_problems = ServeProblems() if command == "serve" else None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        gc.unfreeze()  # what the last `mkdocs serve` build froze can be collected again
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
        self.theater = Theater(self.config, config, self._loader, zone)
        # Last in the search path: the theme and custom_dir can override our templates.
        if str(TEMPLATES_DIR) not in config.theme.dirs:
            config.theme.dirs.append(str(TEMPLATES_DIR))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if self.config.catalogue.pages and SCRIPT not in map(str, config.extra_javascript):
            config.extra_javascript.append(SCRIPT)  # type: ignore[arg-type]
        # Rewrites incident links in pages before MkDocs checks them (links.py).
        if self._link_extension not in config.markdown_extensions:
            config.markdown_extensions.append(self._link_extension)  # type: ignore[arg-type]
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        theater = self.theater
        if theater is None:
            return files
        files = theater.collect(files)
        self._link_index.keep_only(f.src_uri for f in files.documentation_pages())
        self.links = IncidentLinks(
            theater.catalog, theater.playbills, incidents_dir=theater.incidents_dir,
            drafts_hidden=self.config.drafts == "hide", index=self._link_index,
            root=project_dir(config), report=theater.report,
        )
        self._link_extension.links = links = self.links
        links.already_reported(theater.reported_links)
        theater.incident_link = lambda href, incident, page: links.field_href(
            href, incident, page, files)
        theater.folder_link = lambda href, folder, page: links.folder_href(
            href, folder, page, files)
        theater.catalogue.link_resolver = lambda folder, page, files: (
            lambda href: links.folder_href(href, folder, page, files))
        self.backlinks = Backlinks(theater, self._link_index, files,
                                   used_in=self.config.backlinks)
        feeds.add_files(files, config, prefix=theater.prefix, playbills=theater.playbills,
                        severities=self.config.severities, today=theater.today,
                        summaries=theater.summaries,
                        skip=theater.shadowed)
        if self._serve_problems is not None:
            self._serve_problems.add_files(theater, files, config)
        # The incidents stay alive until the build ends; without this, Python's cycle
        # collector rescans them again and again (about 15% of a 2,000-incident build).
        gc.freeze()
        return files

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.links is not None:
            self.links.begin_page(page)
        return markdown

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
        body = self.theater.playbill(page, files)
        if body is not None:
            if raw_fields is not None:
                incident = self.theater.playbills[page.file.src_uri]
                body = raw_fields.field_raw_html(body, incident, page, files)
            register_anchors(page, body)
            return body
        body = self.theater.catalogue_page(page, files)
        if body is not None:
            return raw_fields.catalogue_raw_html(body, page, files) if raw_fields else body
        if self._serve_problems is not None:
            body = self._serve_problems.render(page, self.theater)
            if body is not None:
                return body
        if links is not None:
            html = links.page_raw_html(html, page, files)
        if self.backlinks is not None:
            return self.backlinks.append_used_in(page, html, files)
        return html

    @event_priority(50)  # before search plugins index the page
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        if self.backlinks is not None:
            self.backlinks.fill_references(page)
        return context

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.theater is not None and config.strict:
            self.theater.strict_failure()

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if self.theater is not None:
            self.theater.catalogue.place_in_nav(nav, files)
        return nav
