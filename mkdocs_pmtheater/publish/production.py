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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader

from ..catalogue import Catalogue
from ..catalogue.pages import SEARCH_DATA, SEARCH_SCRIPT
from ..load.loader import (
    INCIDENT_SUFFIXES,
    Catalog,
    IncidentLoader,
    links_outside,
    outside_problem,
)
from ..model.incident import Incident
from ..model.options import SiteOptions
from ..model.problems import FieldPath, Problem, format_path
from ..render.i18n import Labels
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, PlaybillRenderer, page_source
from ..render.toc import TocEntry
from . import feeds
from .addresses import AddressBook, Holder, clash, dest_of, page_address
from .export import IncidentLines
from .fulltext import SEARCH_WORKER
from .outputs import Output
from .urls import SiteFiles, relative_link_resolver

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
    config_file: str | None = None
    """How messages name the site's configuration file (mkdocs.yml, zensical.toml)."""
    material: bool = False
    """The theme is Material (or Zensical's, which shares its markup and CSS variables)."""
    language: str = "en"
    """The theme's language (``theme.language``, or ``theme.locale`` for the ``mkdocs``
    theme): the labels' language (render/i18n.py; English when it has no catalogue)."""


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


def read_sources(
    files: Iterable[tuple[str, str | None, str, Callable[[], bytes]]],
    folders: Sequence[str],
) -> tuple[list[Source], list[Problem]]:
    """Read incident files given as ``(src_uri, absolute path or None, display, read)``;
    one that is (or sits in) a symbolic link leading out of ``folders`` (docs_dir first)
    is not read, and is a problem instead (:func:`~..load.loader.links_outside`)."""
    sources: list[Source] = []
    refused: list[Problem] = []
    memo: dict[str, str] = {}
    for src_uri, abs_path, display, read in files:
        if abs_path and links_outside(abs_path, folders, memo):
            refused.append(outside_problem(display))
        else:
            sources.append(Source(read(), src_uri, display))
    return sources, refused


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
        self.labels = Labels(site.language, options.labels)
        """Every word the theater writes, in the site's language, with the site's overrides."""
        self.catalog = Catalog()
        self.pages: dict[str, GeneratedPage] = {}
        """Every generated page by src_uri: playbills (newest first), then catalogue pages."""
        self.playbills: dict[str, Incident] = {}
        """Playbill pages by src_uri, newest first."""
        self.outputs: list[Output] = []
        """Data files and assets to publish beside the pages."""
        self.problems: list[Problem] = []
        """Every problem of the production (the catalog's, then the addresses')."""
        self.addresses = AddressBook()
        """Every output path of the build (filled by :meth:`check`)."""
        self.reported_links: set[tuple[str, str]] = set()
        """(incident file as displayed, href) of links in incident Markdown already reported
        by :meth:`field_link_problems`."""
        self.shadowed: set[str] = set()
        """The theater's own files (src_uri) that a file of the site keeps from being
        published."""
        self.link_hook: LinkHook | None = None
        """Resolves links in incident Markdown on playbills (``IncidentLinks.field_href``)."""
        self.folder_link_hook: Callable[[str, str, str], str | None] | None = None
        """``(href, folder of the text, page) -> URL``, silent (``IncidentLinks.folder_href``):
        for props naming incident files and for citations on catalogue pages."""
        self._renderer: PlaybillRenderer | None = None
        self.incident_lines: IncidentLines | None = None
        """``incidents.json`` lines to reuse, kept by ``mkdocs serve`` across rebuilds."""
        self.calendar_events: feeds.CalendarEvents | None = None
        """``action-items.ics`` events to reuse, kept by ``mkdocs serve`` likewise."""
        self.summary_cache: dict[str, dict[str, str]] | None = None
        """Plain words of summaries by Markdown settings, kept by ``mkdocs serve``."""
        self.page_sources: dict[int, tuple[Incident, str | None, str]] | None = None
        """``id(incident) -> (incident, summary words, its page_source)``, kept by ``mkdocs
        serve``: the same object and words give the same front matter."""
        self.field_links_cache: dict[int, tuple[Incident, Any]] | None = None
        """``id(incident) -> (incident, its links.incident_links.field_links)``, kept by
        ``mkdocs serve``: the same object means the same bytes, so the same links."""
        self._fields: MarkdownFields | None = None
        self.summaries: dict[str, str] = {}
        """Plain words of each published summary (by its Markdown source), taken from
        the rendered HTML: the meta description, the feed and the index's filter use them."""
        self.report: Callable[[Problem], None] = lambda problem: self.problems.append(problem)
        """Receives the problems found while rendering a page (a field Markdown cannot
        render); the MkDocs adapter logs them at once."""
        self.catalogue = Catalogue(
            templates=templates,
            prefix=self.prefix,
            pages=options.catalogue_pages,
            people=dict(options.people),
            severities=list(options.severities),
            zone=zone,
            clock=self.clock,
            today=self.today,
            labels=self.labels,
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
    def check(self, sources: Iterable[Source], site_files: Mapping[str, str], *,
              generator_outputs: Iterable[tuple[str, str]] = ()
              ) -> list[tuple[Incident, str]]:
        """Read and check the incident files (every check of a build) and decide the
        playbills: sets :attr:`catalog` and :attr:`problems`; returns ``(incident, src_uri)``
        for each playbill to publish, newest first.

        ``site_files`` maps every file of the site that will be written (docs-relative)
        to how messages name it; ``generator_outputs`` lists ``(path, what)`` of other
        files the generator writes (the theme's 404 page, the search index). Before any
        playbill is placed, every address is claimed (addresses.py): the site's files,
        the generator's, then the theater's own; a playbill whose address is taken is a
        problem at its ``id:`` line and is not published, and nothing else is lost.
        """
        sources = list(sources)
        # A prop's page may name an incident file too: it links to that playbill.
        incident_files = {s.src_uri for s in sources}
        self.catalog = self.loader.load(
            ((s.raw, s.src_uri, s.display) for s in sources),
            page_exists=lambda page: page in site_files or page in incident_files,
            pages=lambda: sorted(u for u in site_files if u.endswith(".md")),
            reserved=self.reserved_slugs(),
        )
        self.problems = self.catalog.problems
        self.problems += [Problem(self.site.config_file or "mkdocs.yml", 0, 0, "labels", text,
                                  "", blocking=False) for text in self.labels.problems]
        self.problems += self.claim_addresses(site_files, generator_outputs)
        publishing = []
        for incident in self.catalog.incidents:
            if not self.is_published(incident):
                continue
            src_uri = self.playbill_src(incident)
            display = self.catalog.files[incident.source].display
            holder = self.claim_page(src_uri, f"the playbill of {incident.id} ({display})")
            if holder is not None:
                self.problems.append(self._taken(display, incident, src_uri, holder))
                continue
            publishing.append((incident, src_uri))
        self.problems += self._props_naming_unpublished(publishing)
        self.problems += self.field_link_problems(
            publishing, lambda page: page in site_files or page in incident_files)
        return publishing

    def field_link_problems(
        self, publishing: list[tuple[Incident, str]], exists: Callable[[str], bool]
    ) -> list[Problem]:
        """Broken links and missing files in the incidents' own Markdown, with positions.

        Part of :meth:`check`, so ``pmtheater validate`` runs it as the build does; the
        links reported here are in :attr:`reported_links`, so rendering the playbill
        (which meets the same links) does not report them twice.
        """
        from ..links.incident_links import IncidentLinks, LinkIndex, field_links

        links = IncidentLinks(
            self.catalog, {src: incident for incident, src in publishing},
            incidents_dir=self.incidents_dir, drafts_hidden=self.options.drafts_hidden,
            index=LinkIndex(), root="", report=lambda problem: None,
        )
        problems: list[Problem] = []
        cache = self.field_links_cache
        kept: dict[int, tuple[Incident, Any]] = {}
        for incident, _src in publishing:
            loaded = self.catalog.files[incident.source]
            if loaded.summary_only:  # validate's cache: only link targets, no Markdown
                continue
            targets = None
            if cache is not None:
                known = cache.get(id(incident))
                # The object is kept in the entry, so its id is not reused while it lives.
                targets = (known[1] if known is not None and known[0] is incident
                           else field_links(incident))
                kept[id(incident)] = (incident, targets)
            found = links.field_link_problems(loaded, incident, exists, targets)
            self.reported_links |= {(p.file, href) for p, href in found}
            problems += [p for p, _href in found]
        self.reported_links |= links.counted
        if cache is not None:  # only this build's incidents: the others are gone
            cache.clear()
            cache.update(kept)
        return sorted(problems, key=Problem.sort_key)

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
                line, column = loaded.locate(path)
                problems.append(Problem(
                    loaded.display, line, column, f"setting.props[{index}].page",
                    f"{why}; the prop is shown without a link",
                    f"fix the problems reported for {target.display}, or name another page"
                    if target.incident is None else "publish it, or name another page"))
        return problems

    def plugin_outputs(self) -> list[tuple[str, str, str]]:
        """``(src_uri, what it is, what to do when it is taken)`` of every file the theater
        publishes besides the playbills."""
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
        if "index" in self.catalogue.slugs():
            for path in (SEARCH_DATA, SEARCH_SCRIPT):
                outputs.append((path, "the post-mortem index's search data",
                                "move or rename this file (without it, the index's filter box "
                                "searches only the table)"))
            outputs.append((SEARCH_WORKER, "the post-mortem index's full-text search worker",
                            "move or rename this file (without it, full-text search runs in "
                            "Pagefind's own worker, which the browser fetches: 40 KB more)"))
        for name, what in feeds.DATA_FILES:
            outputs.append((under + name, f"the plugin's {what}",
                            "move or rename this file, or change the pmtheater option prefix"))
        return outputs

    def claim_addresses(self, site_files: Mapping[str, str],
                        generator_outputs: Iterable[tuple[str, str]]) -> list[Problem]:
        """Fill :attr:`addresses` with every output path but the playbills', in order of
        precedence: the site's files (never replaced), what the generator and theme write,
        then the theater's own files. A theater file whose address is taken is left out
        (:attr:`shadowed`) and is a problem that names the file that has it."""
        book = self.addresses = AddressBook()
        self.shadowed = set()
        for src_uri, display in site_files.items():
            if not self.is_incident_file(src_uri):  # incident files become playbills
                book.claim(self.dest(src_uri), display, site_file=True)
        for path, owner in generator_outputs:
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
                file = self.site.config_file or "mkdocs.yml"
                owner = holder.owner
                hint = "change the pmtheater option prefix"
            problems.append(Problem(
                file, 0, 0, "",
                f"{owner} takes the address {page_address(dest)}{clash(dest, holder)} of {what},"
                " so the plugin does not publish its own", hint))
        return problems

    def dest(self, src_uri: str) -> str:
        """Where the generator will write the file with this ``src_uri`` in this site."""
        return dest_of(src_uri, use_directory_urls=self.site.directory_urls)

    def claim_page(self, src_uri: str, owner: str) -> Holder | None:
        """Claim the output path of a page the theater adds; the holder when it is taken."""
        return self.addresses.claim(self.dest(src_uri), owner)

    def _taken(self, display: str, incident: Incident, src_uri: str,
               holder: Holder) -> Problem:
        """The problem of a playbill whose address is taken, at the incident's ``id:``."""
        line, column = self.catalog.files[incident.source].locate(("id",))
        dest = self.dest(src_uri)
        keeps = f"; {holder.owner} keeps its address" if holder.site_file else ""
        return Problem(
            display, line, column, "id",
            f"the playbill address {page_address(dest)} is already taken by "
            f"{holder.owner}{clash(dest, holder)}",
            f"choose another id for this incident (it is not published){keeps}",
        )

    def stage(self, sources: Iterable[Source], site_files: Mapping[str, str], *,
              generator_outputs: Iterable[tuple[str, str]] = ()) -> None:
        """Everything the production publishes: fills :attr:`pages`, :attr:`playbills`,
        :attr:`outputs` and :attr:`problems` (see :meth:`check` for the arguments).

        ``site_files`` holds every file of the site except the incident files (they
        are not published as themselves).
        """
        publishing = self.check(sources, site_files, generator_outputs=generator_outputs)
        # Descriptions, the feed and the index's filter use the words a reader sees.
        self.summaries = self.plain_summaries([i.summary for i, _ in publishing])
        self.catalogue.summaries = self.summaries
        sources = self.page_sources
        kept: dict[int, tuple[Incident, str | None, str]] = {}
        for incident, src_uri in publishing:
            self.playbills[src_uri] = incident
            words = self.summaries.get(incident.summary)
            known = sources.get(id(incident)) if sources is not None else None
            if known is not None and known[0] is incident and known[1] == words:
                markdown = known[2]
            else:
                markdown = page_source(incident, words)
            kept[id(incident)] = (incident, words, markdown)  # the object keeps its id
            self.pages[src_uri] = GeneratedPage(src_uri, markdown, incident)
        if sources is not None:  # only this build's incidents
            sources.clear()
            sources.update(kept)
        self.catalogue.plan(self.playbills, skip=self.shadowed)
        for src_uri, markdown in self.catalogue.pages():
            self.pages[src_uri] = GeneratedPage(src_uri, markdown,
                                                catalogue=self.catalogue.files[src_uri].slug)
        self.outputs.extend(self.catalogue.data_outputs())

    def assets(self) -> list[tuple[str, Path]]:
        """``(path, source file)`` of the stylesheet, the script and the index's full-text
        search worker to publish (not shadowed)."""
        found = [(STYLESHEET, ASSETS_DIR / "pmtheater.css")]
        if self.catalogue.kinds:
            found.append((SCRIPT, ASSETS_DIR / "pmtheater.js"))
        if "index" in self.catalogue.slugs():
            found.append((SEARCH_WORKER, ASSETS_DIR / "pmtheater-search.js"))
        return [(path, source) for path, source in found if path not in self.shadowed]

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
            site_author=self.site.author, summaries=self.summaries, labels=self.labels,
            incident_lines=self.incident_lines, calendar_events=self.calendar_events)

    def data_path(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def data_outputs(self, url_of: Callable[[str], str | None]) -> list[Output]:
        """The four data files as outputs under the prefix, but those a file of the site
        keeps from being published (reported by :meth:`check`)."""
        return [Output(self.data_path(name), content if isinstance(content, bytes)
                       else content.encode("utf-8"))
                for name, content in self.data_documents(url_of).items()
                if self.data_path(name) not in self.shadowed]

    # -- pages -----------------------------------------------------------------
    def plain_summaries(self, texts: list[str]) -> dict[str, str]:
        """:meth:`~..render.markdown_fields.MarkdownFields.plain_texts` of ``texts``; with
        :attr:`summary_cache` (``mkdocs serve``), only texts not seen in an earlier build
        with the same Markdown settings are rendered (every rebuild rendered them all)."""
        cache = self.summary_cache
        if cache is None:
            return self.fields().plain_texts(texts)
        settings = repr(([e if isinstance(e, str) else type(e).__qualname__
                          for e in self.site.markdown_extensions],
                         sorted(self.site.markdown_configs.items(), key=lambda kv: str(kv[0])),
                         self.options.allow_html))
        known = cache.get(settings, {})
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known = {**known, **self.fields().plain_texts(missing)}
        found = {t: known[t] for t in texts if t in known}
        cache.clear()  # only this build's summaries, under these settings
        cache[settings] = found
        return found

    def fields(self) -> MarkdownFields:
        """The renderer of incident Markdown, configured like the site (one per build)."""
        if self._fields is None:
            self._fields = MarkdownFields(
                self.site.markdown_extensions,
                self.site.markdown_configs,
                allow_html=self.options.allow_html,
            )
        return self._fields

    def renderer(self) -> PlaybillRenderer:
        if self._renderer is None:
            self._renderer = PlaybillRenderer(
                self.templates, self.fields(), self.clock, list(self.options.severities),
                self.today, material=self.site.material, labels=self.labels,
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

        folder_hook = self.folder_link_hook

        def prop_url(target: str) -> str | None:
            """A prop's ``page`` (docs-relative): its URL, the playbill's for an incident
            file; None when it has none (reported when the incidents were checked)."""
            url = site.url(target, page)
            if url is not None:
                return url
            return (folder_hook(target, "", page) or None) if folder_hook else None

        plain = relative_link_resolver(source_dir, page, site)

        def resolve_link(href: str) -> str | None:
            """Links in incident Markdown are relative to the YAML file, as in the repo:
            the hook gives the URL, None to leave the link, "" for a dead one."""
            return hook(href, incident, page) if hook is not None else plain(href)

        loaded = self.catalog.files.get(incident.source)

        def on_problem(path: FieldPath, message: str, hint: str) -> None:
            display = loaded.display if loaded else incident.source
            line, column = loaded.locate(path) if loaded else (0, 0)
            self.report(Problem(display, line, column, format_path(path), message, hint))

        def url_of(other: Incident) -> str:
            return site.url(self.catalogue.sources.get(other.id, ""), page) or ""

        # "Previously on…" and the swimlane (catalogue/learning.py), computed once per build.
        learned = self.catalogue.learning.playbill_extra(incident, url_of, self.clock)
        return self.renderer().render(incident, prop_url=prop_url, resolve_link=resolve_link,
                                      extra={**learned, **(extra or {})}, on_problem=on_problem)

    def catalogue_page(self, page: str, site: SiteFiles) -> tuple[str, list[TocEntry]] | None:
        """The HTML body of catalogue page ``page`` and its sections; None for other pages."""
        return self.catalogue.render(page, site, lambda: self.renderer().fields)
