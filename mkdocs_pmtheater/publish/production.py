"""One production: from a site's incident files to every page and file the theater publishes.

The core of a build, for any front door. An adapter (the MkDocs plugin,
``pmtheater render`` for Zensical, ``pmtheater validate``) lists the site's
files, hands the incident files to :meth:`Production.stage`, publishes the
generated pages and data files the way its platform does, and asks for each
page's HTML body with :meth:`Production.playbill` and
:meth:`Production.catalogue_page`. Nothing here knows MkDocs.

Problems never stop a production: each is a :class:`~..model.problems.Problem`
in :attr:`Production.problems`, and the valid incidents are still published.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader

from ..catalogue import Catalogue
from ..load.loader import INCIDENT_SUFFIXES, Catalog, IncidentLoader
from ..model.incident import Incident
from ..model.options import SiteOptions
from ..model.problems import Problem
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, PlaybillRenderer, page_source
from ..render.toc import TocEntry
from . import feeds
from .outputs import Output
from .urls import SiteFiles

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
"""Our templates (``pmtheater/...``); themes and ``custom_dir`` come before it."""
ASSETS_DIR = PACKAGE_DIR / "assets"
ASSET_URI = "assets/pmtheater"
STYLESHEET = f"{ASSET_URI}/pmtheater.css"
SCRIPT = f"{ASSET_URI}/pmtheater.js"

RESERVED_SLUGS = {"index", "readme"}
"""Playbill slugs that would be read as a folder's index page (README.md is one too)."""


def build_date(zone: tzinfo) -> date:
    """Today in ``zone``, or the day of ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01
    UTC, the reproducible-builds convention) when it is set to a number."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), zone).date()
        except (ValueError, OverflowError, OSError):
            pass  # reported by source_date_problem()
    return datetime.fromtimestamp(time.time(), zone).date()


def source_date_problem() -> Problem | None:
    """A problem when ``SOURCE_DATE_EPOCH`` is set but is not a number of seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        datetime.fromtimestamp(int(epoch), tz=None)
    except (ValueError, OverflowError, OSError):
        return Problem("SOURCE_DATE_EPOCH", 0, 0, "",
                       f"the value {epoch[:40]!r} is not a number of seconds, so the build "
                       "uses today", "set it to whole seconds since 1970-01-01 UTC")
    return None


@dataclass(frozen=True)
class Site:
    """What the core needs to know of the site besides the theater's options."""

    name: str = ""
    url: str | None = None
    author: str | None = None
    directory_urls: bool = True
    markdown_extensions: list[Any] = field(default_factory=list)
    """The site's Markdown extensions (names or instances), used for incident Markdown."""
    markdown_configs: dict[str, Any] = field(default_factory=dict)
    material: bool = False
    """The theme is Material (or Zensical's, which shares its markup and CSS variables)."""


@dataclass(frozen=True)
class Source:
    """An incident file: its bytes, its path under docs_dir, and how messages name it."""

    raw: bytes
    src_uri: str
    display: str


@dataclass
class GeneratedPage:
    """A page the production publishes: Markdown source (front matter) and what it shows."""

    src_uri: str
    markdown: str
    incident: Incident | None = None
    """The playbill's incident; None for catalogue pages."""
    catalogue: str | None = None
    """The catalogue page's slug (``index``, ``action-items``, ...)."""

    @property
    def edit_source(self) -> str | None:
        """The file "edit this page" should open (docs-relative): the incident's YAML."""
        return self.incident.source if self.incident is not None else None


LinkHook = Callable[[str, Incident, str], "str | None"]
"""``(href, incident, page src_uri) -> URL``: resolves ``incident:`` and incident-file
links in incident Markdown; None when the href is not such a link."""


class Production:
    """One build of the theater (a new one per build; the loader and its cache live longer)."""

    def __init__(
        self,
        options: SiteOptions,
        loader: IncidentLoader,
        *,
        site: Site,
        templates: BaseLoader,
        zone: tzinfo,
        today: date | None = None,
    ) -> None:
        self.options = options
        self.loader = loader
        self.site = site
        self.templates = templates
        self.zone = zone
        self.prefix = options.prefix.strip("/")
        self.incidents_dir = options.incidents_dir.strip("/")
        self.today = today or build_date(zone)
        self.clock = Clock(zone, options.timezone)
        self.catalog = Catalog()
        self.pages: dict[str, GeneratedPage] = {}
        """Every generated page by src_uri: playbills (newest first), then catalogue pages."""
        self.playbills: dict[str, Incident] = {}
        """Playbill pages by src_uri, newest first."""
        self.outputs: list[Output] = []
        """Data files and assets to publish beside the pages."""
        self.problems: list[Problem] = []
        self.link_hook: LinkHook | None = None
        self._renderer: PlaybillRenderer | None = None
        self.catalogue = Catalogue(
            templates=templates,
            prefix=self.prefix,
            pages=options.catalogue_pages,
            people=dict(options.people),
            severities=list(options.severities),
            zone=zone,
            clock=self.clock,
            today=self.today,
            related=options.related,
            theme_categories=dict(options.theme_categories),
        )

    # -- addresses -------------------------------------------------------------
    def is_incident_file(self, src_uri: str) -> bool:
        return src_uri.startswith(self.incidents_dir + "/") and src_uri.endswith(
            INCIDENT_SUFFIXES)

    def playbill_src(self, incident: Incident) -> str:
        """The playbill's generated page: ``<prefix>/<slug>.md``."""
        return f"{self.prefix}/{incident.slug}.md" if self.prefix else f"{incident.slug}.md"

    def is_published(self, incident: Incident) -> bool:
        return not (incident.is_draft and self.options.drafts_hidden)

    def reserved_slugs(self) -> set[str]:
        """Slugs no incident may take: index pages and the catalogue pages."""
        return RESERVED_SLUGS | self.catalogue.slugs()

    # -- staging ---------------------------------------------------------------
    def check(self, sources: Iterable[Source], site_files: Mapping[str, str]
              ) -> list[tuple[Incident, str]]:
        """Read and check the incident files (every check of a build) and decide the
        playbills: sets :attr:`catalog`, adds problems; returns ``(incident, src_uri)``
        for each playbill to publish, newest first.

        ``site_files`` maps every file of the site (docs-relative) to how messages
        name it; a playbill never takes the address of one of them.
        """
        self.catalog = self.loader.load(
            ((s.raw, s.src_uri, s.display) for s in sources),
            page_exists=site_files.__contains__,
            pages=lambda: sorted(u for u in site_files if u.endswith(".md")),
            reserved=self.reserved_slugs(),
        )
        self.problems.extend(self.catalog.problems)
        publishing = []
        for incident in self.catalog.incidents:
            if not self.is_published(incident):
                continue
            src_uri = self.playbill_src(incident)
            if src_uri in site_files:
                loaded = self.catalog.files[incident.source]
                line, column = loaded.source.locate(("id",))
                self.problems.append(
                    Problem(loaded.display, line, column, "id",
                            f"the playbill address {src_uri} is already taken by a page in "
                            "docs_dir", "rename that page or choose another id")
                )
                continue
            publishing.append((incident, src_uri))
        return publishing

    def stage(self, sources: Iterable[Source], site_files: Mapping[str, str]) -> None:
        """Everything the production publishes: fills :attr:`pages`, :attr:`playbills`,
        :attr:`outputs` and :attr:`problems`.

        ``site_files`` maps every file of the site except the incident files (they
        are not published as themselves) to how messages name it.
        """
        for incident, src_uri in self.check(sources, site_files):
            self.playbills[src_uri] = incident
            self.pages[src_uri] = GeneratedPage(src_uri, page_source(incident), incident)
        self.problems.extend(self.catalogue.plan(self.playbills, site_files.get))
        for src_uri, markdown in self.catalogue.pages():
            self.pages[src_uri] = GeneratedPage(src_uri, markdown,
                                                catalogue=self.catalogue.files[src_uri].slug)
        self.outputs.extend(self.catalogue.data_outputs())

    def data_documents(self, url_of: Callable[[str], str | None]) -> dict[str, str | bytes]:
        """``schema.json``, ``incidents.json``, ``action-items.ics`` and ``feed.xml`` by name
        (published under the prefix); ``url_of(src_uri)`` is a page's URL from the site's
        root (None: not published)."""
        published = []
        for src_uri, incident in self.playbills.items():
            url = url_of(src_uri)
            if url is not None:
                published.append((incident, url))
        return feeds.documents(
            published, prefix=self.prefix, severities=self.options.severities,
            today=self.today, site_name=self.site.name, site_url=self.site.url,
            site_author=self.site.author)

    def data_path(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    # -- pages -----------------------------------------------------------------
    def renderer(self) -> PlaybillRenderer:
        if self._renderer is None:
            fields = MarkdownFields(
                self.site.markdown_extensions,
                self.site.markdown_configs,
                allow_html=self.options.allow_html,
            )
            self._renderer = PlaybillRenderer(
                self.templates, fields, self.clock, list(self.options.severities), self.today,
                material=self.site.material,
            )
        return self._renderer

    def playbill(self, page: str, site: SiteFiles, *, extra: dict[str, Any] | None = None
                 ) -> tuple[str, list[TocEntry]] | None:
        """The HTML body of playbill page ``page`` (a src_uri) and its sections; None for
        other pages. Links are relative to the page, as ``site`` places files."""
        incident = self.playbills.get(page)
        if incident is None:
            return None
        source_dir = posixpath.dirname(incident.source)
        hook = self.link_hook

        def prop_url(target: str) -> str | None:
            return site.url(target, page)

        def resolve_link(href: str) -> str | None:
            """Links in incident Markdown are relative to the YAML file, as in the repo."""
            if hook is not None:
                rewritten = hook(href, incident, page)
                if rewritten is not None:
                    return rewritten
            if "://" in href or href.startswith(("#", "/", "mailto:", "tel:")):
                return None
            path, _, fragment = href.partition("#")
            url = site.url(posixpath.normpath(posixpath.join(source_dir, path)), page)
            if url is None:
                return None
            return f"{url}#{fragment}" if fragment else url

        def url_of(other: Incident) -> str:
            return site.url(self.catalogue.sources.get(other.id, ""), page) or ""

        # "Previously on…" and the swimlane (catalogue/learning.py), computed once per build.
        learned = self.catalogue.learning.playbill_extra(incident, url_of, self.clock)
        return self.renderer().render(incident, prop_url=prop_url, resolve_link=resolve_link,
                                      extra={**learned, **(extra or {})})

    def catalogue_page(self, page: str, site: SiteFiles) -> tuple[str, list[TocEntry]] | None:
        """The HTML body of catalogue page ``page`` and its sections; None for other pages."""
        return self.catalogue.render(page, site, lambda: self.renderer().fields)
