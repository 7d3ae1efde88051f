"""Catalogue pages: generated files, their place in the nav, and their bodies.

Each page is a ``File.generated`` page under the playbills' prefix whose
Markdown is front matter only; the body comes from an overridable, autoescaped
template (``pmtheater/index.html``, ``board.html``, ``hall-of-fame.html``,
``metrics.html``) looked up through the theme's loader, like the playbills.
Each page walks the incidents once, so a build stays O(incidents).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import Any

import yaml
from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents

from ..model.incident import Incident
from ..model.timestamps import format_duration
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, _section_toc
from . import charts, metrics, views
from .people import People

SEARCH_DATA = "assets/pmtheater/index-search.json"
"""Summary and people of every listed incident, fetched by the index's filter box."""
_CITATION_BATCH = 100


@dataclass(frozen=True)
class PageKind:
    slug: str
    title: str
    template: str
    wide: bool
    """Hide the table-of-contents sidebar (Material) to give tables room."""


KINDS: dict[str, PageKind] = {
    "index": PageKind("index", "Post-mortem index", "pmtheater/index.html", True),
    "action-items": PageKind("action-items", "Action items", "pmtheater/board.html", True),
    "hall-of-fame": PageKind("hall-of-fame", "Hall of fame", "pmtheater/hall-of-fame.html",
                             False),
    "metrics": PageKind("metrics", "Metrics", "pmtheater/metrics.html", False),
}


def page_markdown(kind: PageKind) -> str:
    meta: dict[str, Any] = {
        "title": kind.title,
        "pmtheater_catalogue": kind.slug,
        # Material's search: these pages only repeat what the playbills say.
        "search": {"exclude": True},
    }
    if kind.wide:
        meta["hide"] = ["toc"]
    return "---\n" + yaml.safe_dump(meta, sort_keys=True) + "---\n"


def _minutes(delta: timedelta | None) -> str:
    return "" if delta is None else str(int(delta.total_seconds() // 60))


def _duration(delta: timedelta | None) -> str:
    """A median or a span, exact to the minute; a negative one (detection before impact,
    format 1.1) says so instead of carrying a minus sign."""
    if delta is None:
        return "–"
    if delta < timedelta(0):
        return format_duration(-delta) + " before impact"
    return format_duration(delta)


class Catalogue:
    """The catalogue pages of one build."""

    def __init__(
        self,
        *,
        config: MkDocsConfig,
        prefix: str,
        pages: Sequence[str],
        nav_title: str,
        nav_position: int | None,
        people: dict[str, list[str]],
        severities: Sequence[str],
        zone: tzinfo,
        clock: Clock,
        today: date,
    ) -> None:
        self.config = config
        self.prefix = prefix
        self.kinds = [KINDS[p] for p in dict.fromkeys(pages)]
        self.nav_title = nav_title
        self.nav_position = nav_position
        self.aliases = people
        self.severities = list(severities)
        self.zone = zone
        self.clock = clock
        self.today = today
        self.incidents: list[Incident] = []
        self.sources: dict[str, str] = {}
        """Playbill src_uri by incident id."""
        self.files: dict[str, PageKind] = {}
        """Generated catalogue pages by src_uri, in nav order."""
        self._people: People | None = None
        self.summaries: dict[str, str] = {}
        """Plain words of each summary, by its Markdown (set by the build before add_files);
        a summary missing here is searched as written."""
        self._env: Environment | None = None
        self.link_resolver: Callable[[str, Page, Files], Callable[[str], str | None]] = (
            _link_resolver)
        """``(folder, page, files) -> resolver`` for links in incident Markdown from files
        in ``folder`` (the plugin sets one that knows ``incident:`` links)."""

    # -- files ---------------------------------------------------------------
    def slugs(self) -> set[str]:
        """Slugs the catalogue pages take under the prefix (ids must avoid them)."""
        return {kind.slug for kind in self.kinds}

    def src_uri(self, slug: str) -> str:
        return f"{self.prefix}/{slug}.md" if self.prefix else f"{slug}.md"

    def add_files(
        self, files: Files, incidents: dict[str, Incident], *, skip: Container[str] = ()
    ) -> None:
        """Add the catalogue pages (and their data) for the published playbills.

        ``incidents`` maps each playbill's src_uri to its incident, newest first.
        ``skip`` names the src_uris whose address a file of the site already has: that
        file wins (the theater reports it) and the catalogue page is not built.
        """
        self.incidents = list(incidents.values())
        self.sources = {i.id: src for src, i in incidents.items()}
        for kind in self.kinds:
            src_uri = self.src_uri(kind.slug)
            if src_uri in skip:
                continue
            file = File.generated(self.config, src_uri, content=page_markdown(kind),
                                  inclusion=InclusionLevel.NOT_IN_NAV)
            files.append(file)
            self.files[src_uri] = kind
        if any(kind.slug == "index" for kind in self.files.values()) and SEARCH_DATA not in skip:
            files.append(File.generated(self.config, SEARCH_DATA, content=self.search_data()))

    def search_data(self) -> str:
        """``{id: "summary and people"}``: what the filter box searches beyond the table."""
        data = {
            i.id: " ".join((self.summaries.get(i.summary, i.summary), *views.people_of(i)))
            for i in self.incidents
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)

    # -- navigation ----------------------------------------------------------
    def place_in_nav(self, nav: Navigation, files: Files) -> None:
        """A section with the catalogue pages, unless the site lists its nav itself."""
        if self.config.nav is not None or not self.files:
            return
        pages = [p for p in (files.get_file_from_path(s) for s in self.files) if p and p.page]
        children = [f.page for f in pages if f.page is not None]
        if not children:
            return
        section = Section(self.nav_title, list(children))
        for child in children:
            child.parent = section
        if self.nav_position is None:
            nav.items.append(section)
        else:
            nav.items.insert(self.nav_position, section)
        ordered: list[Page] = []
        _collect_pages(nav.items, ordered)
        nav.pages = ordered
        for before, after in zip([None, *ordered], [*ordered, None], strict=True):
            if before is not None:
                before.next_page = after
            if after is not None:
                after.previous_page = before

    # -- rendering -----------------------------------------------------------
    def environment(self) -> Environment:
        if self._env is None:
            loader = self.config.theme.get_env().loader
            assert isinstance(loader, BaseLoader)
            self._env = Environment(loader=loader, autoescape=select_autoescape(default=True),
                                    trim_blocks=True, lstrip_blocks=True)
        return self._env

    def people(self) -> People:
        if self._people is None:
            self._people = views.meet_everyone(People(self.aliases), self.incidents)
        return self._people

    def render(self, page: Page, files: Files, fields: Callable[[], MarkdownFields]) -> str | None:
        """The body of a catalogue page; None for other pages."""
        kind = self.files.get(page.file.src_uri)
        if kind is None:
            return None
        urls: dict[str, str] = {}

        def url(incident: Incident, fragment: str = "") -> str:
            if incident.id not in urls:
                target = files.get_file_from_path(self.sources[incident.id])
                urls[incident.id] = target.url_relative_to(page.file) if target else ""
            return urls[incident.id] + (f"#{fragment}" if fragment else "")

        context: dict[str, Any] = {
            "incidents": self.incidents,
            "url": url,
            "clock": self.clock,
            "today": self.today,
            "severities": self.severities,
            "sev_rank": self.severity_rank,
            "duration": _duration,
            "minutes": _minutes,
            "title": kind.title,
            "nav": self.page_links(page, files),
            "index_url": asset_url(files, page, self.src_uri("index"))
            if self.src_uri("index") in self.files else "",
            "seconds": lambda d: "" if d is None else str(int(d.total_seconds())),
        }
        context.update(getattr(self, "_context_" + kind.slug.replace("-", "_"))(page, files,
                                                                                 fields))
        body = self.environment().get_template(kind.template).render(context)
        if not kind.wide:
            page.toc = _section_toc(body)
        else:
            page.toc = TableOfContents([])
        return body

    def severity_rank(self, severity: str) -> int:
        rank = self.severities.index(severity) + 1 if severity in self.severities else 5
        return min(rank, 5)

    def page_links(self, page: Page, files: Files) -> list[tuple[str, str, bool]]:
        """(title, url, current) for each catalogue page: a small menu on every one."""
        links = []
        for src_uri, kind in self.files.items():
            target = files.get_file_from_path(src_uri)
            if target is not None:
                links.append((kind.title, target.url_relative_to(page.file),
                              src_uri == page.file.src_uri))
        return links

    def _severity_series(self) -> list[charts.Series]:
        return [charts.Series(s, s, f"pmt-c{self.severity_rank(s)}") for s in self.severities]

    def _context_index(self, page: Page, files: Files, fields: Any) -> dict[str, Any]:
        months = views.per_month(self.incidents, self.zone)
        series = self._severity_series()
        known = set(self.severities)
        extra = sorted({i.severity for i in self.incidents} - known)
        series += [charts.Series(s, s, "pmt-c5") for s in extra]
        chart = charts.stacked_bars(
            "Incidents per month by severity", months.months,
            charts.month_labels(months.months), series, months.counts,
        ) if months.months else Markup("")
        return {
            "facets": views.facets(self.incidents, self.severities, self.zone),
            "chart": chart,
            "series": series,
            "months": [(m, months.counts[m]) for m in reversed(months.months)
                       if m in months.counts],
            "search_data": asset_url(files, page, SEARCH_DATA),
        }

    def _context_action_items(self, page: Page, files: Files, fields: Any) -> dict[str, Any]:
        board = views.board(self.incidents, self.today, self.zone, self.people())
        kinds = sorted({c.item.kind for c in board.cards if c.item.kind},
                       key=lambda k: (views.KINDS.index(k) if k in views.KINDS else 99, k))
        return {"board": board, "priorities": views.PRIORITIES, "kinds": kinds}

    def _context_hall_of_fame(self, page: Page, files: Files,
                              fields: Callable[[], MarkdownFields]) -> dict[str, Any]:
        hall = views.hall_of_fame(self.incidents, self.people())
        rendered = self._citations(hall, page, files, fields)

        def md(text: str | None) -> Markup:
            return rendered.get(text, Markup("")) if text else Markup("")

        return {"hall": hall, "md": md}

    def _citations(self, hall: views.Hall, page: Page, files: Files,
                   fields: Callable[[], MarkdownFields]) -> dict[str, Markup]:
        """Every citation as HTML, links resolved from the incident file's folder.

        Citations are rendered in batches per folder (a Markdown pass has a
        large fixed cost); a citation's relative links are relative to its YAML
        file, as in the repository.
        """
        by_folder: dict[str, list[str]] = {}
        for recipient in hall.recipients:
            for honour in recipient.honours:
                if honour.award.citation:
                    folder = posixpath.dirname(honour.incident.source)
                    by_folder.setdefault(folder, []).append(honour.award.citation)
        out: dict[str, Markup] = {}
        renderer = fields() if by_folder else None
        for folder in sorted(by_folder):
            texts = list(dict.fromkeys(by_folder[folder]))
            resolve = self.link_resolver(folder, page, files)
            for start in range(0, len(texts), _CITATION_BATCH):
                chunk = [(t, False) for t in texts[start:start + _CITATION_BATCH]]
                assert renderer is not None
                for (text, _), html in renderer.render(chunk, resolve).items():
                    out.setdefault(text, html)
        return out

    def _context_metrics(self, page: Page, files: Files, fields: Any) -> dict[str, Any]:
        quarters = metrics.by_quarter(self.incidents, self.zone)
        severities = metrics.by_severity(self.incidents, self.severities)
        series = [charts.Series(name, label, f"pmt-m{n}")
                  for n, (name, label) in enumerate(metrics.MEASURES, start=1)]

        def chart(title: str, rows: list[metrics.GroupMedians],
                  categories: list[str] | None = None) -> Markup:
            if not rows:
                return Markup("")
            values = {r.label: {k: (v.total_seconds() if v is not None else None)
                                for k, v in r.medians.items()} for r in rows}
            return charts.grouped_bars(title, categories or [r.label for r in rows], series,
                                       values, lambda s: _duration(timedelta(seconds=s)))

        timeline = (metrics.quarter_range(quarters[0].label, quarters[-1].label)
                    if quarters else [])

        return {
            "measures": metrics.MEASURES,
            "series": series,
            "overall": metrics.overall(self.incidents),
            "quarters": quarters,
            "by_severity": severities,
            "quarter_chart": chart("Median times by quarter", quarters, timeline),
            "severity_chart": chart("Median times by severity", severities),
            "times": metrics.durations,
        }


def asset_url(files: Files, page: Page, path: str) -> str:
    target = files.get_file_from_path(path)
    return target.url_relative_to(page.file) if target else ""


def _collect_pages(items: Sequence[Any], out: list[Page]) -> None:
    for item in items:
        if isinstance(item, Page):
            out.append(item)
        elif isinstance(item, Section):
            _collect_pages(item.children, out)


def _link_resolver(folder: str, page: Page, files: Files) -> Callable[[str], str | None]:
    """Relative links in incident Markdown point from the incident file's folder."""

    def resolve(href: str) -> str | None:
        if "://" in href or href.startswith(("#", "/", "mailto:", "tel:", "incident:")):
            return None
        path, _, fragment = href.partition("#")
        target = files.get_file_from_path(posixpath.normpath(posixpath.join(folder, path)))
        if target is None:
            return None
        url = target.url_relative_to(page.file)
        return f"{url}#{fragment}" if fragment else url

    return resolve
