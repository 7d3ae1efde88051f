"""One build of the theater: from the site's files to playbill pages.

The plugin class only forwards MkDocs events here. A :class:`Theater` lives
for one build; the :class:`IncidentLoader` (and its content cache) lives as
long as the plugin, so ``mkdocs serve`` re-reads only what changed.
"""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..catalogue import Catalogue
from ..load.loader import (
    INCIDENT_SUFFIXES,
    Catalog,
    IncidentLoader,
    links_outside,
    outside_problem,
)
from ..model.incident import Incident
from ..model.problems import FieldPath, Problem, format_path
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, PlaybillRenderer, page_source
from .config import PmTheaterConfig

log = get_plugin_logger(__name__)

PACKAGE_DIR = Path(__file__).parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ASSETS_DIR = PACKAGE_DIR / "assets"
ASSET_URI = "assets/pmtheater"
STYLESHEET = f"{ASSET_URI}/pmtheater.css"
SCRIPT = f"{ASSET_URI}/pmtheater.js"

# Paths that index.md would claim (README.md is an index in MkDocs too).
RESERVED_SLUGS = {"index", "readme"}


def build_date(zone: tzinfo) -> date:
    """Today in the site's zone, or the day of ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), zone).date()
        except (ValueError, OverflowError, OSError):
            log.warning(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds; using today")
    return datetime.fromtimestamp(time.time(), zone).date()


def project_dir(config: MkDocsConfig) -> str:
    """The folder of mkdocs.yml: messages name files relative to it."""
    config_file = config.config_file_path
    return os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()


def display_path(abs_path: str, root: str) -> str:
    try:
        rel = os.path.relpath(abs_path, root)
    except ValueError:  # another drive on Windows
        return Path(abs_path).as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else Path(abs_path).as_posix()


def report(problems: list[Problem]) -> None:
    """Each problem as an MkDocs warning, so ``mkdocs build --strict`` fails."""
    for problem in problems:
        log.warning(problem.text())


class Theater:
    def __init__(
        self,
        options: PmTheaterConfig,
        config: MkDocsConfig,
        loader: IncidentLoader,
        zone: tzinfo,
    ) -> None:
        self.options = options
        self.config = config
        self.loader = loader
        self.zone = zone
        self.prefix = options.prefix.strip("/")
        self.incidents_dir = options.incidents_dir.strip("/")
        self.today = build_date(zone)
        self.catalog = Catalog()
        self.playbills: dict[str, Incident] = {}
        """Generated playbill pages by src_uri."""
        self._renderer: PlaybillRenderer | None = None
        self._fields: MarkdownFields | None = None
        self.summaries: dict[str, str] = {}
        """Plain words of each published summary (by its Markdown source), taken from
        the rendered HTML: the meta description, the feed and the index's filter use them."""
        self.incident_link: Callable[[str, Incident, Page], str | None] | None = None
        """Set by the plugin: resolves ``incident:`` and incident-file links in incident
        Markdown (see links.py); None when the link is not one of those."""
        self.catalogue = Catalogue(
            config=config,
            prefix=self.prefix,
            pages=options.catalogue.pages,
            nav_title=options.catalogue.nav_title,
            nav_position=options.catalogue.nav_position,
            people=dict(options.people),
            severities=list(options.severities),
            zone=zone,
            clock=Clock(zone, options.timezone),
            today=self.today,
        )

    # -- files ---------------------------------------------------------------
    def is_incident_file(self, file: File) -> bool:
        return file.src_uri.startswith(self.incidents_dir + "/") and file.src_uri.endswith(
            INCIDENT_SUFFIXES
        )

    def check(self, files: Files, root: str | None = None) -> list[tuple[Incident, str]]:
        """Read and check the incident files (every check of a build; ``pmtheater validate``
        runs this too): sets ``self.catalog``; returns the playbills to publish as
        ``(incident, src_uri)``. Messages name files relative to ``root`` (default: the
        folder of mkdocs.yml)."""
        root = root or project_dir(self.config)
        sources = [f for f in files if self.is_incident_file(f)]
        # Never read through a symbolic link that leaves docs_dir (see links_outside).
        folders = (self.config.docs_dir, root)
        refused = [f for f in sources
                   if f.abs_src_path and links_outside(f.abs_src_path, folders)]
        sources = [f for f in sources if f not in refused]
        triples = (
            (f.content_bytes, f.src_uri, display_path(f.abs_src_path or f.src_uri, root))
            for f in sources
        )
        src_uris = {f.src_uri for f in files}
        self.catalog = self.loader.load(
            triples,
            page_exists=src_uris.__contains__,
            pages=lambda: sorted(u for u in src_uris if u.endswith(".md")),
            reserved=RESERVED_SLUGS | self.reserved_slugs(),
        )
        self.catalog.problems += [
            outside_problem(display_path(f.abs_src_path or f.src_uri, root)) for f in refused]
        publishing = []
        for incident in self.catalog.incidents:
            if not self.is_published(incident):
                continue
            src_uri = f"{self.prefix}/{incident.slug}.md" if self.prefix else f"{incident.slug}.md"
            if src_uri in src_uris:
                loaded = self.catalog.files[incident.source]
                line, column = loaded.source.locate(("id",))
                self.catalog.problems.append(
                    Problem(loaded.display, line, column, "id",
                            f"the playbill address {src_uri} is already taken by a page in "
                            "docs_dir", "rename that page or choose another id")
                )
                continue
            publishing.append((incident, src_uri))
        self.catalog.problems += self.field_link_problems(publishing, src_uris, root)
        return publishing

    def field_link_problems(
        self, publishing: list[tuple[Incident, str]], src_uris: set[str], root: str
    ) -> list[Problem]:
        """Broken links and missing files in the incidents' own Markdown, with positions.

        Part of ``check`` so that ``pmtheater validate`` runs it as the build does.
        """
        from ..links.incident_links import IncidentLinks, LinkIndex  # links import this module

        links = IncidentLinks(
            self.catalog, {src: incident for incident, src in publishing},
            incidents_dir=self.incidents_dir, drafts_hidden=self.options.drafts == "hide",
            index=LinkIndex(), root=root,
        )
        problems: list[Problem] = []
        for incident, _src in publishing:
            loaded = self.catalog.files[incident.source]
            problems += links.field_link_problems(loaded, incident, src_uris.__contains__)
        return sorted(problems, key=Problem.sort_key)

    def collect(self, files: Files) -> Files:
        """Read the incidents, report problems, swap the YAML files for playbill pages."""
        root = project_dir(self.config)
        sources = [f for f in files if self.is_incident_file(f)]
        publishing = self.check(files, root)
        for file in sources:
            files.remove(file)
        self.summaries = self.fields().plain_texts(i.summary for i, _ in publishing)
        self.catalogue.summaries = self.summaries
        for incident, src_uri in publishing:
            file = File.generated(
                self.config, src_uri, content=page_source(incident,
                                                          self.summaries[incident.summary]),
                inclusion=InclusionLevel.NOT_IN_NAV,
            )
            file.edit_uri = incident.source
            files.append(file)
            self.playbills[src_uri] = incident
        files.append(
            File.generated(self.config, STYLESHEET,
                           abs_src_path=str(ASSETS_DIR / "pmtheater.css"))
        )
        self.catalog.problems += self.catalogue.add_files(
            files, self.playbills, lambda f: display_path(f.abs_src_path or f.src_uri, root)
        )
        if self.catalogue.kinds:  # the plugin lists the script whenever pages are configured
            files.append(File.generated(self.config, SCRIPT,
                                        abs_src_path=str(ASSETS_DIR / "pmtheater.js")))
        report(self.catalog.problems)
        return files

    def reserved_slugs(self) -> set[str]:
        """Slugs taken by other generated pages under the prefix (the catalogue's)."""
        return self.catalogue.slugs()

    def is_published(self, incident: Incident) -> bool:
        return not (incident.is_draft and self.options.drafts == "hide")

    # -- pages ---------------------------------------------------------------
    def fields(self) -> MarkdownFields:
        """The renderer of incident Markdown, configured like the site (one per build)."""
        if self._fields is None:
            self._fields = MarkdownFields(
                self.config.markdown_extensions,
                self.config.mdx_configs,
                allow_html=self.options.allow_html,
            )
        return self._fields

    def renderer(self) -> PlaybillRenderer:
        if self._renderer is None:
            # The theme's loader puts custom_dir first, so users can override our templates.
            theme_loader = self.config.theme.get_env().loader
            assert theme_loader is not None
            self._renderer = PlaybillRenderer(
                theme_loader,
                self.fields(),
                Clock(self.zone, self.options.timezone),
                list(self.options.severities),
                self.today,
                material=self.config.theme.name == "material",
            )
        return self._renderer

    def playbill(self, page: Page, files: Files) -> str | None:
        """The body of a playbill page; None for other pages."""
        incident = self.playbills.get(page.file.src_uri)
        if incident is None:
            return None
        renderer = self.renderer()

        def prop_url(target: str) -> str | None:
            file = files.get_file_from_path(target)
            return file.url_relative_to(page.file) if file else None

        source_dir = posixpath.dirname(incident.source)

        def resolve_link(href: str) -> str | None:
            """Links in incident Markdown are relative to the YAML file, as in the repo."""
            if self.incident_link is not None:
                rewritten = self.incident_link(href, incident, page)
                if rewritten is not None:
                    return rewritten
            if "://" in href or href.startswith(("#", "/", "mailto:", "tel:")):
                return None
            path, _, fragment = href.partition("#")
            target = posixpath.normpath(posixpath.join(source_dir, path))
            file = files.get_file_from_path(target)
            if file is None:
                return None
            url = file.url_relative_to(page.file)
            return f"{url}#{fragment}" if fragment else url

        problems: list[Problem] = []

        def on_problem(path: FieldPath, message: str, hint: str) -> None:
            loaded = self.catalog.files.get(incident.source)
            display = loaded.display if loaded else incident.source
            line, column = loaded.source.locate(path) if loaded else (0, 0)
            problems.append(Problem(display, line, column, format_path(path), message, hint))

        body, toc = renderer.render(incident, prop_url=prop_url, resolve_link=resolve_link,
                                    on_problem=on_problem)
        self.catalog.problems += problems
        report(problems)
        page.toc = toc
        return body

    def catalogue_page(self, page: Page, files: Files) -> str | None:
        """The body of a catalogue page (index, board, ...); None for other pages."""
        return self.catalogue.render(page, files, lambda: self.renderer().fields)
