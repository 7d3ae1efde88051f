"""One MkDocs build of the theater: the core's production, published as MkDocs files.

The plugin class only forwards MkDocs events here. A :class:`Theater` lives
for one build and wraps a core :class:`~..publish.production.Production`; the
:class:`~..load.loader.IncidentLoader` (and its content cache) lives as long as
the plugin, so ``mkdocs serve`` re-reads only what changed.
"""

from __future__ import annotations

import os
from datetime import tzinfo

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..load.loader import Catalog, IncidentLoader
from ..model.incident import Incident
from ..model.options import SiteOptions
from ..model.problems import Problem, display_path
from ..publish.production import (
    ASSETS_DIR,
    SCRIPT,
    STYLESHEET,
    Production,
    Site,
    Source,
    source_date_problem,
)
from ..render.playbill import PlaybillRenderer
from .toc import mkdocs_toc

log = get_plugin_logger(__name__)


def project_dir(config: MkDocsConfig) -> str:
    """The folder of mkdocs.yml: messages name files relative to it."""
    config_file = config.config_file_path
    return os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()


def report(problems: list[Problem]) -> None:
    """Each problem as an MkDocs warning, so ``mkdocs build --strict`` fails."""
    for problem in problems:
        log.warning(problem.text())


class MkDocsFiles:
    """The core's view of the site's files (:class:`~..publish.urls.SiteFiles`), answered
    from MkDocs' own files, so URLs are exactly the ones MkDocs writes."""

    def __init__(self, files: Files) -> None:
        self.files = files

    def exists(self, src_uri: str) -> bool:
        return self.files.get_file_from_path(src_uri) is not None

    def url(self, target: str, page: str) -> str | None:
        found = self.files.get_file_from_path(target)
        here = self.files.get_file_from_path(page)
        if found is None or here is None:
            return None
        return found.url_relative_to(here)


def site_of(config: MkDocsConfig) -> Site:
    """The core's view of the site's settings."""
    return Site(
        name=config.site_name or "",
        url=config.site_url or None,
        author=config.site_author or None,
        directory_urls=bool(config.use_directory_urls),
        # The live lists: plugins that run after ours may still add extensions.
        markdown_extensions=config.markdown_extensions,
        markdown_configs=config.mdx_configs,
        material=config.theme.name == "material",
    )


class Theater:
    """One MkDocs build: reads the incidents, swaps their YAML files for generated pages."""

    def __init__(
        self,
        options: SiteOptions,
        config: MkDocsConfig,
        loader: IncidentLoader,
        zone: tzinfo,
    ) -> None:
        self.options = options
        self.config = config
        # The theme's loader puts custom_dir first, so users can override our templates.
        templates = config.theme.get_env().loader
        assert templates is not None
        self.production = Production(options, loader, site=site_of(config),
                                     templates=templates, zone=zone)
        self.prefix = self.production.prefix
        self.incidents_dir = self.production.incidents_dir
        self.today = self.production.today
        self.catalogue = self.production.catalogue

    @property
    def catalog(self) -> Catalog:
        return self.production.catalog

    @property
    def playbills(self) -> dict[str, Incident]:
        """Generated playbill pages by src_uri, newest first."""
        return self.production.playbills

    def renderer(self) -> PlaybillRenderer:
        return self.production.renderer()

    # -- files ---------------------------------------------------------------
    def is_incident_file(self, file: File) -> bool:
        return self.production.is_incident_file(file.src_uri)

    def sources(self, files: Files, root: str) -> list[Source]:
        return [Source(f.content_bytes, f.src_uri,
                       display_path(f.abs_src_path or f.src_uri, root))
                for f in files if self.is_incident_file(f)]

    def site_files(self, files: Files, root: str) -> dict[str, str]:
        """Every file but the incident files: docs-relative path -> how messages name it."""
        return {f.src_uri: display_path(f.abs_src_path or f.src_uri, root)
                for f in files if not self.is_incident_file(f)}

    def collect(self, files: Files) -> Files:
        """Read the incidents, report problems, swap the YAML files for generated pages."""
        root = project_dir(self.config)
        production = self.production
        production.stage(self.sources(files, root), self.site_files(files, root))
        for file in [f for f in files if self.is_incident_file(f)]:
            files.remove(file)
        for page in production.pages.values():
            file = File.generated(self.config, page.src_uri, content=page.markdown,
                                  inclusion=InclusionLevel.NOT_IN_NAV)
            if page.edit_source is not None:
                file.edit_uri = page.edit_source
            files.append(file)
        for output in production.outputs:
            files.append(File.generated(self.config, output.path, content=output.content))
        documents = production.data_documents(
            lambda src: (found.url if (found := files.get_file_from_path(src)) else None))
        for name, content in documents.items():
            path = production.data_path(name)
            if files.get_file_from_path(path) is not None:
                log.warning(f"docs_dir has a file at {path}, where the plugin would publish "
                            f"its {name}; the plugin leaves that file alone and does not "
                            "publish its own")
                continue
            files.append(File.generated(self.config, path, content=content))
        files.append(File.generated(self.config, STYLESHEET,
                                    abs_src_path=str(ASSETS_DIR / "pmtheater.css")))
        if self.catalogue.kinds:  # the plugin lists the script whenever pages are configured
            files.append(File.generated(self.config, SCRIPT,
                                        abs_src_path=str(ASSETS_DIR / "pmtheater.js")))
        bad_epoch = source_date_problem()
        if bad_epoch is not None:
            log.warning(bad_epoch.text())
        report(sorted(production.problems, key=Problem.sort_key))
        return files

    # -- pages ---------------------------------------------------------------
    def playbill(self, page: Page, files: Files) -> str | None:
        """The body of a playbill page; None for other pages."""
        rendered = self.production.playbill(page.file.src_uri, MkDocsFiles(files))
        if rendered is None:
            return None
        body, sections = rendered
        page.toc = mkdocs_toc(sections)
        return body

    def catalogue_page(self, page: Page, files: Files) -> str | None:
        """The body of a catalogue page (index, board, ...); None for other pages."""
        rendered = self.production.catalogue_page(page.file.src_uri, MkDocsFiles(files))
        if rendered is None:
            return None
        body, sections = rendered
        page.toc = mkdocs_toc(sections)
        return body
