"""One MkDocs build of the theater: the core's production, published as MkDocs files.

The plugin class only forwards MkDocs events here. A :class:`Theater` lives
for one build and wraps a core :class:`~..publish.production.Production`; the
:class:`~..load.loader.IncidentLoader` (and its content cache) lives as long as
the plugin, so ``mkdocs serve`` re-reads only what changed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..links.incident_links import LinkIndex
from ..load.loader import Catalog, IncidentLoader
from ..model.incident import Incident
from ..model.options import SiteOptions
from ..model.problems import Problem, display_path
from ..publish.production import Production, Site, Source, read_sources, source_date_problem
from ..render.playbill import PlaybillRenderer
from ..render.toc import TocEntry
from .dirty import PlaybillFile, related_key
from .packed import generated_file
from .rendercache import RenderCache
from .toc import mkdocs_toc

if TYPE_CHECKING:
    from .ahead import PlaybillsAhead

log = get_plugin_logger(__name__)


def project_dir(config: MkDocsConfig) -> str:
    """The folder of mkdocs.yml: messages name files relative to it."""
    config_file = config.config_file_path
    return os.path.dirname(os.path.abspath(config_file)) if config_file else os.getcwd()


def generator_outputs(config: MkDocsConfig) -> list[tuple[str, str]]:
    """``(path, what)`` of files MkDocs writes that are not in ``Files``: the theme's static
    pages (``404.html``, ``sitemap.xml`` and its ``.gz``) and the search plugin's index."""
    outputs: list[tuple[str, str]] = []
    try:  # `pmtheater validate` reads mkdocs.yml without loading the theme or plugins
        templates = sorted(config.theme.static_templates)
        plugins = list(config.plugins)
    except (AttributeError, KeyError, TypeError):
        return outputs
    for name in templates:
        outputs.append((name, f"the theme's page {name}"))
        if name == "sitemap.xml":
            outputs.append((name + ".gz", f"the theme's page {name}.gz"))
    if any(name == "search" or name.endswith("/search") for name in plugins):
        outputs.append(("search/search_index.json", "the search plugin's index"))
    return outputs


def file_at(files: Files, src_uri: str) -> File | None:
    """``files.get_file_from_path(src_uri)``, without its ``PurePath`` normalisation when
    ``src_uri`` is a file's own ``src_uri`` (already normalised, so the answer is the same):
    the catalogue and the data files ask it thousands of times a build."""
    return files.src_uris.get(src_uri) or files.get_file_from_path(src_uri)


class MkDocsFiles:
    """The core's view of the site's files (:class:`~..publish.urls.SiteFiles`), answered
    from MkDocs' own files, so URLs are exactly the ones MkDocs writes."""

    def __init__(self, files: Files) -> None:
        self.files = files

    def exists(self, src_uri: str) -> bool:
        found = file_at(self.files, src_uri)
        return found is not None and found.inclusion is not InclusionLevel.EXCLUDED

    def url(self, target: str, page: str) -> str | None:
        found = file_at(self.files, target)
        here = file_at(self.files, page)
        if found is None or here is None or found.inclusion is InclusionLevel.EXCLUDED:
            return None
        return found.url_relative_to(here)


def theme_language(theme: Any) -> str:
    """The theme's language: Material's ``language``, else the ``locale`` of MkDocs' own
    themes (a ``babel.core.Locale`` or a string); English when neither is set."""
    for key in ("language", "locale"):
        value = theme.get(key) if hasattr(theme, "get") else None
        if value:
            return str(value)
    return "en"


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
        language=theme_language(config.theme),
        config_file=display_path(config.config_file_path, project_dir(config))
        if config.config_file_path else None,
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
        self.problem_texts: list[str] = []
        """Every problem reported in this build, as logged."""
        self.recording: list[Problem] | None = None
        """While a playbill renders: the problems it reports (kept with a cached body)."""
        self.rendering_problems: list[Problem] = []
        """Of those, the ones the production found (kept in its problems too)."""
        self.production.report = self._render_problem
        self.ahead: PlaybillsAhead | None = None
        """``mkdocs build``: the child rendering playbills ahead (ahead.py), once started."""
        self.pack_files = True
        """Whether large data files are held compressed until written (packed.py); the
        plugin turns it off under ``mkdocs serve``, which makes them on every rebuild."""

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

    def sources(self, files: Files, root: str) -> tuple[list[Source], list[Problem]]:
        """The incident files to read (see :func:`~..publish.production.read_sources`)."""
        return read_sources(
            ((f.src_uri, f.abs_src_path, display_path(f.abs_src_path or f.src_uri, root),
              lambda f=f: f.content_bytes) for f in files if self.is_incident_file(f)),
            (self.config.docs_dir, root))

    def site_files(self, files: Files, root: str) -> dict[str, str]:
        """Every file that will be written but the incident files: docs-relative path ->
        how messages name it (a prop may name any of them, not one exclude_docs leaves out).
        """
        return {f.src_uri: display_path(f.abs_src_path or f.src_uri, root)
                for f in files if not self.is_incident_file(f)
                and f.inclusion is not InclusionLevel.EXCLUDED}


    def collect(self, files: Files) -> Files:
        """Read the incidents, report problems, swap the YAML files for generated pages."""
        root = project_dir(self.config)
        production = self.production
        sources, refused = self.sources(files, root)
        production.stage(sources, self.site_files(files, root),
                         generator_outputs=generator_outputs(self.config))
        production.problems += refused
        for file in [f for f in files if self.is_incident_file(f)]:
            files.remove(file)
        for page in production.pages.values():
            # Playbills can stay unmodified under `mkdocs serve --dirty` (dirty.py).
            kind = File if page.incident is None else PlaybillFile
            file = kind.generated(self.config, page.src_uri, content=page.markdown,
                                  inclusion=InclusionLevel.NOT_IN_NAV)
            if page.edit_source is not None:
                file.edit_uri = page.edit_source
            files.append(file)
        # Held compressed until MkDocs copies them (packed.py): about 10 KB per incident.
        for output in production.outputs:
            files.append(generated_file(self.config, output.path, output.content,
                                        pack=self.pack_files))
        for output in production.data_outputs(
                lambda src: (found.url if (found := file_at(files, src)) else None)):
            files.append(generated_file(self.config, output.path, output.content,
                                        pack=self.pack_files))
        for path, source in production.assets():
            files.append(File.generated(self.config, path, abs_src_path=str(source)))
        bad_epoch = source_date_problem()
        if bad_epoch is not None:
            log.warning(bad_epoch.text())
        self.report(sorted(production.problems, key=Problem.sort_key))
        return files

    def _render_problem(self, problem: Problem) -> None:
        """A problem found while a page is rendered: kept with the others, logged at once."""
        self.production.problems.append(problem)
        self.report([problem])
        if self.recording is not None:  # replayed the same way with a cached body
            self.rendering_problems.append(problem)

    def report(self, problems: Iterable[Problem]) -> None:
        """Log each problem as an MkDocs warning (so ``--strict`` fails) and count it:
        with ``-q`` MkDocs neither prints nor counts warnings (see :meth:`strict_failure`)."""
        for problem in problems:
            if self.recording is not None:
                self.recording.append(problem)
            self.problem_texts.append(problem.text())
            log.warning(self.problem_texts[-1])

    def strict_failure(self) -> None:
        """End a strict build that had problems, whatever the log level.

        MkDocs counts for ``--strict`` only the warnings it prints, so with ``-q`` (a
        common CI line) a build with broken incident files would pass. Raising
        :class:`~mkdocs.exceptions.Abort` gives the same ending as MkDocs' own strict
        check: its message, no traceback, exit code 1 (also under ProperDocs, which
        redirects ``mkdocs`` imports to itself). When warnings were not shown, the
        problems are logged as errors first, so the output still says what is wrong.

        Raises:
            Abort: when this build reported any problem.
        """
        count = len(self.problem_texts)
        if not count:
            return
        seen = "warnings"
        if not log.isEnabledFor(logging.WARNING):
            for text in self.problem_texts:
                log.error(text)
            seen = "errors"
        raise Abort(f"Aborted with {count} incident problem{'s' * (count != 1)} in strict "
                    f"mode (see the {seen} above)")

    # -- pages ---------------------------------------------------------------
    def playbill(self, page: Page, files: Files,
                 cache: tuple[RenderCache, LinkIndex] | None = None) -> str | None:
        """The body of a playbill page; None for other pages. With ``cache`` (``mkdocs
        serve``), an unchanged incident's body comes from the last build (rendercache.py)."""
        src = page.file.src_uri
        incident = self.playbills.get(src)
        entry = None
        related: tuple[Any, ...] = ()
        if cache is not None and incident is not None:
            related = related_key(self, incident)
            entry = cache[0].get(src, incident, self.catalog.by_slug, cache[1], related)
        if entry is not None:
            # Logged on every build, as when it is rendered.
            for problem, in_production in entry.problems:
                if in_production:
                    self._render_problem(problem)
                else:
                    self.report([problem])
            body, sections = entry.body, entry.sections
        elif self.ahead is not None and (taken := self.ahead.take(src)) is not None:
            body, sections = taken  # rendered by the child, what it did besides replayed
        else:
            rendered, problems = self.render_recorded(src, files)
            if rendered is None:
                return None
            body, sections = rendered
            if cache is not None and incident is not None:
                cache[0].put(src, incident, body, sections, cache[1], self.catalog.by_slug,
                             problems, related)
        return _with_toc(page, (body, sections))

    def render_recorded(self, src: str, files: Files
                        ) -> tuple[tuple[str, list[TocEntry]] | None, list[tuple[Problem, bool]]]:
        """Playbill ``src`` rendered (its body and sections; None for another page) and
        the problems rendering reported, each with True when the production found it (it
        keeps a list): what a cached or a child's body replays."""
        self.recording, self.rendering_problems = [], []
        try:
            rendered = self.production.playbill(src, MkDocsFiles(files))
        finally:
            ours = {id(p) for p in self.rendering_problems}
            problems = [(p, id(p) in ours) for p in self.recording]
            self.recording = None
        return rendered, problems

    def catalogue_page(self, page: Page, files: Files) -> str | None:
        """The body of a catalogue page (index, board, ...); None for other pages."""
        return _with_toc(page, self.production.catalogue_page(page.file.src_uri,
                                                              MkDocsFiles(files)))


def _with_toc(page: Page, rendered: tuple[str, list[TocEntry]] | None) -> str | None:
    """The body of a rendered page, its sections given to MkDocs as the page's toc."""
    if rendered is None:
        return None
    body, sections = rendered
    page.toc = mkdocs_toc(sections)
    return body
