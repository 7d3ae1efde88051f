"""The MkDocs plugin: wires MkDocs events to the theater, and nothing else."""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from .config import PmTheaterConfig
from .loader import IncidentLoader
from .theater import SCRIPT, STYLESHEET, TEMPLATES_DIR, Theater
from .timestamps import site_zone


class PmTheaterPlugin(BasePlugin[PmTheaterConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.theater: Theater | None = None
        self._loader: IncidentLoader | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
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
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        return self.theater.collect(files) if self.theater else files

    @event_priority(50)  # before search plugins and others read page.content
    def on_page_content(
        self, html: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if self.theater is None:
            return html
        body = self.theater.playbill(page, files)
        if body is None:
            body = self.theater.catalogue_page(page, files)
        return html if body is None else body

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        if self.theater is not None:
            self.theater.catalogue.place_in_nav(nav, files)
        return nav
