"""One build of the theater: from the site's files to playbill pages.

The plugin class only forwards MkDocs events here. A :class:`Theater` lives
for one build; the :class:`IncidentLoader` (and its content cache) lives as
long as the plugin, so ``mkdocs serve`` re-reads only what changed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..catalogue import Catalogue
from ..catalogue.pages import SEARCH_DATA
from ..load.loader import (
    INCIDENT_SUFFIXES,
    Catalog,
    IncidentLoader,
    links_outside,
    outside_problem,
)
from ..model.incident import Incident
from ..model.problems import FieldPath, Problem, format_path
from ..publish import feeds
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, PlaybillRenderer, page_source
from .addresses import AddressBook, Holder, clash, dest_of, page_address
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


def _site_outputs(config: MkDocsConfig) -> list[tuple[str, str]]:
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
        self.addresses = AddressBook()
        """Every output path of the build (filled by ``check``)."""
        self.shadowed: set[str] = set()
        """The plugin's own files (src_uri) that a file of the site keeps from being published."""
        self.problem_texts: list[str] = []
        """Every problem reported in this build, as logged."""
        self._renderer: PlaybillRenderer | None = None
        self._fields: MarkdownFields | None = None
        self.summaries: dict[str, str] = {}
        """Plain words of each published summary (by its Markdown source), taken from
        the rendered HTML: the meta description, the feed and the index's filter use them."""
        self.reported_links: set[tuple[str, str]] = set()
        """(incident file as displayed, href) of links in incident Markdown already reported
        by :meth:`field_link_problems`."""
        self.incident_link: Callable[[str, Incident, Page], str | None] | None = None
        """Set by the plugin: the URL for a link in an incident's Markdown shown on a page
        (``IncidentLinks.field_href``: None to leave it, ``""`` for a dead link)."""
        self.folder_link: Callable[[str, str, Page], str | None] | None = None
        """Set by the plugin: the same for ``(href, folder of the text, page)``, silent
        (``IncidentLinks.folder_href``), for catalogue pages and props."""
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
        folder of mkdocs.yml).

        Before any playbill is placed, every address the site writes is claimed
        (addresses.py): the site's own files, the theme's pages, then the plugin's
        own files; a playbill whose address is taken is a problem at its ``id:``
        line and is not published, and nothing else is lost.
        """
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
        # A prop may name any file MkDocs writes: not one exclude_docs leaves out.
        src_uris = {f.src_uri for f in files if f.inclusion is not InclusionLevel.EXCLUDED}
        self.catalog = self.loader.load(
            triples,
            page_exists=src_uris.__contains__,
            pages=lambda: sorted(u for u in src_uris if u.endswith(".md")),
            reserved=RESERVED_SLUGS | self.reserved_slugs(),
        )
        self.catalog.problems += [
            outside_problem(display_path(f.abs_src_path or f.src_uri, root)) for f in refused]
        self.catalog.problems += self.claim_addresses(files, root)
        publishing = []
        for incident in self.catalog.incidents:
            if not self.is_published(incident):
                continue
            src_uri = f"{self.prefix}/{incident.slug}.md" if self.prefix else f"{incident.slug}.md"
            display = self.catalog.files[incident.source].display
            holder = self.claim_page(src_uri, f"the playbill of {incident.id} ({display})")
            if holder is not None:
                self.catalog.problems.append(self._taken(display, incident, src_uri, holder))
                continue
            publishing.append((incident, src_uri))
        self.catalog.problems += self._props_naming_unpublished(publishing)
        self.catalog.problems += self.field_link_problems(publishing, files, root)
        return publishing

    def _props_naming_unpublished(self, publishing: list[tuple[Incident, str]]) -> list[Problem]:
        """A prop's ``page`` may name an incident file: it links to that playbill. When that
        incident is not published, the prop has no link: say so (the incident that names it
        is still published, so one broken file never takes others down with it)."""
        published = {incident.source for incident, _ in publishing}
        problems = []
        for incident, _ in publishing:
            for index, prop in enumerate(incident.setting.props if incident.setting else ()):
                target = self.catalog.files.get(prop.page or "")
                if target is None or prop.page in published:
                    continue
                if target.incident is None:
                    why = f"the incident file {target.display} has problems, so it has no page"
                elif not self.is_published(target.incident):
                    why = (f"the incident {target.incident.id} is a draft, and this site "
                           "hides drafts")
                else:
                    why = (f"the incident {target.incident.id} is not published (see the "
                           "problem reported at its id)")
                loaded = self.catalog.files[incident.source]
                path = ("setting", "props", index, "page")
                line, column = loaded.source.locate(path)
                problems.append(Problem(
                    loaded.display, line, column, f"setting.props[{index}].page",
                    f"{why}; the prop is shown without a link",
                    f"fix the problems reported for {target.display}, or name another page"
                    if target.incident is None else "publish it, or name another page"))
        return problems


    def field_link_problems(
        self, publishing: list[tuple[Incident, str]], files: Files, root: str
    ) -> list[Problem]:
        """Broken links and missing files in the incidents' own Markdown, with positions.

        Part of ``check`` so that ``pmtheater validate`` runs it as the build does; the
        links reported here are in :attr:`reported_links`, so rendering the playbill
        (which meets the same links) does not report them twice.
        """
        from ..links.incident_links import IncidentLinks, LinkIndex  # links import this module

        links = IncidentLinks(
            self.catalog, {src: incident for incident, src in publishing},
            incidents_dir=self.incidents_dir, drafts_hidden=self.options.drafts == "hide",
            index=LinkIndex(), root=root,
        )
        site = {f.src_uri for f in files if f.inclusion is not InclusionLevel.EXCLUDED}
        problems: list[Problem] = []
        for incident, _src in publishing:
            loaded = self.catalog.files[incident.source]
            found = links.field_link_problems(loaded, incident, site.__contains__)
            self.reported_links |= {(p.file, href) for p, href in found}
            problems += [p for p, _href in found]
        self.reported_links |= links.counted
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
        if STYLESHEET not in self.shadowed:
            files.append(File.generated(self.config, STYLESHEET,
                                        abs_src_path=str(ASSETS_DIR / "pmtheater.css")))
        self.catalogue.add_files(files, self.playbills, skip=self.shadowed)
        # The plugin lists the script whenever catalogue pages are configured.
        if self.catalogue.kinds and SCRIPT not in self.shadowed:
            files.append(File.generated(self.config, SCRIPT,
                                        abs_src_path=str(ASSETS_DIR / "pmtheater.js")))
        self.report(self.catalog.problems)
        return files

    def report(self, problems: Iterable[Problem]) -> None:
        """Log each problem as an MkDocs warning (so ``--strict`` fails) and count it:
        with ``-q`` MkDocs neither prints nor counts warnings (see ``strict_failure``)."""
        for problem in problems:
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

    def plugin_outputs(self) -> list[tuple[str, str, str]]:
        """``(src_uri, what it is, what to do when it is taken)`` of every file the plugin
        adds besides the playbills."""
        under = f"{self.prefix}/" if self.prefix else ""
        restyle = "to restyle the pages, add a stylesheet of your own to extra_css instead"
        outputs = [(STYLESHEET, "the plugin's stylesheet", f"move or rename this file; {restyle}")]
        if self.catalogue.kinds:
            outputs.append((SCRIPT, "the plugin's script",
                            "move or rename this file, or set the pmtheater option "
                            "catalogue.pages to [] (the script serves the catalogue pages)"))
        for kind in self.catalogue.kinds:
            outputs.append((self.catalogue.src_uri(kind.slug),
                            f"the generated catalogue page '{kind.title}'",
                            f"move or rename this page, or leave '{kind.slug}' out of the "
                            "pmtheater option catalogue.pages"))
        if any(kind.slug == "index" for kind in self.catalogue.kinds):
            outputs.append((SEARCH_DATA, "the post-mortem index's search data",
                            "move or rename this file (without it, the index's filter box "
                            "searches only the table)"))
        for name, what in feeds.DATA_FILES:
            outputs.append((under + name, f"the plugin's {what}",
                            "move or rename this file, or change the pmtheater option prefix"))
        return outputs

    def claim_addresses(self, files: Files, root: str) -> list[Problem]:
        """Fill ``self.addresses`` with every output path but the playbills', in order of
        precedence: the site's files (never replaced), what MkDocs and the theme write, then
        the plugin's own files. A plugin file whose address is taken is left out
        (``self.shadowed``) and is a problem that names the file that has it."""
        book = self.addresses = AddressBook()
        self.shadowed = set()
        for file in files:
            if self.is_incident_file(file) or not file.inclusion.is_in_serve():
                continue  # incident files become playbills; excluded files are not written
            book.claim(file.dest_uri, display_path(file.abs_src_path or file.src_uri, root),
                       site_file=True)
        for path, owner in _site_outputs(self.config):
            book.claim(path, owner)
        problems = []
        for src_uri, what, hint in self.plugin_outputs():
            dest = self.dest(src_uri)
            holder = book.claim(dest, what)
            if holder is None:
                continue
            self.shadowed.add(src_uri)
            file, owner = holder.owner, "this file"
            if not holder.site_file:  # a page of the theme, say: only the prefix can move
                file = display_path(self.config.config_file_path or "mkdocs.yml", root)
                owner = holder.owner
                hint = "change the pmtheater option prefix"
            problems.append(Problem(
                file, 0, 0, "",
                f"{owner} takes the address {page_address(dest)}{clash(dest, holder)} of {what},"
                " so the plugin does not publish its own", hint))
        return problems

    def dest(self, src_uri: str) -> str:
        """Where MkDocs will write the file with this ``src_uri`` in this site."""
        return dest_of(src_uri, use_directory_urls=self.config.use_directory_urls)

    def claim_page(self, src_uri: str, owner: str) -> Holder | None:
        """Claim the output path of a page the plugin adds; the holder when it is taken."""
        return self.addresses.claim(self.dest(src_uri), owner)

    def _taken(self, display: str, incident: Incident, src_uri: str,
               holder: Holder) -> Problem:
        """The problem of a playbill whose address is taken, at the incident's ``id:``."""
        line, column = self.catalog.files[incident.source].source.locate(("id",))
        dest = self.dest(src_uri)
        keeps = f"; {holder.owner} keeps its address" if holder.site_file else ""
        return Problem(
            display, line, column, "id",
            f"the playbill address {page_address(dest)} is already taken by "
            f"{holder.owner}{clash(dest, holder)}",
            f"choose another id for this incident (it is not published){keeps}",
        )

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
            """A prop's ``page`` (docs-relative): its URL, the playbill's for an incident
            file; None when it has none (reported when the incidents were checked)."""
            file = files.get_file_from_path(target)
            if file is not None and file.inclusion is not InclusionLevel.EXCLUDED:
                return file.url_relative_to(page.file)
            return self.folder_link(target, "", page) or None if self.folder_link else None

        def resolve_link(href: str) -> str | None:
            """Links in incident Markdown are relative to the YAML file, as in the repo."""
            return self.incident_link(href, incident, page) if self.incident_link else None

        problems: list[Problem] = []

        def on_problem(path: FieldPath, message: str, hint: str) -> None:
            loaded = self.catalog.files.get(incident.source)
            display = loaded.display if loaded else incident.source
            line, column = loaded.source.locate(path) if loaded else (0, 0)
            problems.append(Problem(display, line, column, format_path(path), message, hint))

        body, toc = renderer.render(incident, prop_url=prop_url, resolve_link=resolve_link,
                                    on_problem=on_problem)
        self.catalog.problems += problems
        self.report(problems)
        page.toc = toc
        return body

    def catalogue_page(self, page: Page, files: Files) -> str | None:
        """The body of a catalogue page (index, board, ...); None for other pages."""
        return self.catalogue.render(page, files, lambda: self.renderer().fields)
