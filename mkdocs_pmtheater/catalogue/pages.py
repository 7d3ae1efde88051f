"""Catalogue pages: which are built, their front matter, their data file and their bodies.

Each page is generated under the playbills' prefix; its Markdown source is
front matter only, and its body comes from an overridable, autoescaped
template (``pmtheater/index.html``, ``board.html``, ``hall-of-fame.html``,
``metrics.html``) looked up through the site's template loader (the theme's,
so ``custom_dir`` overrides them), like the playbills. Where a page goes in
the navigation is the adapter's business. Each page walks the incidents once,
so a build stays O(incidents).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta, tzinfo
from typing import Any, TypeVar

import yaml
from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup

from ..model.incident import Incident
from ..publish.fulltext import BUNDLE_DIR as PAGEFIND_BUNDLE
from ..publish.fulltext import SEARCH_WORKER
from ..publish.outputs import Output
from ..publish.urls import SiteFiles, page_url, relative_link_resolver, relative_url
from ..render.i18n import ENGLISH, N_, Labels
from ..render.markdown_fields import MarkdownFields
from ..render.playbill import Clock, safe_title
from ..render.toc import TocEntry, sections
from . import charts, metrics, views
from .learning import Learning, time_inputs
from .people import People

SEARCH_DATA = "assets/pmtheater/index-search.json"
"""Summary and people of every listed incident, fetched by the index's filter box."""
SEARCH_SCRIPT = "assets/pmtheater/index-search.js"
"""The same data as a script, for pages opened from ``file://`` (Material's ``offline``
plugin), where browsers refuse ``fetch()`` but still run ``<script src>``."""
_CITATION_BATCH = 100
_T = TypeVar("_T")


@dataclass(frozen=True)
class PageKind:
    slug: str
    title: str
    template: str
    wide: bool
    """Hide the table-of-contents sidebar (Material) to give tables room."""


KINDS: dict[str, PageKind] = {
    "index": PageKind("index", N_("Post-mortem index"), "pmtheater/index.html", True),
    "action-items": PageKind("action-items", N_("Action items"), "pmtheater/board.html",
                             True),
    "hall-of-fame": PageKind("hall-of-fame", N_("Hall of fame"),
                             "pmtheater/hall-of-fame.html", False),
    "metrics": PageKind("metrics", N_("Metrics"), "pmtheater/metrics.html", False),
    "themes": PageKind("themes", N_("Themes"), "pmtheater/themes.html", False),
}


def page_markdown(kind: PageKind, labels: Labels = ENGLISH) -> str:
    """The page's Markdown source: front matter only, its title in the site's language."""
    meta: dict[str, Any] = {
        # Themes print page titles unescaped; the site's own label may hold any text.
        "title": safe_title(labels.gettext(kind.title)),
        "pmtheater_catalogue": kind.slug,
        # Material's search: these pages only repeat what the playbills say.
        "search": {"exclude": True},
    }
    if kind.wide:
        meta["hide"] = ["toc"]
    return "---\n" + yaml.safe_dump(meta, sort_keys=True) + "---\n"


def _minutes(delta: timedelta | None) -> str:
    return "" if delta is None else str(int(delta.total_seconds() // 60))


class CardCache:
    """The action-item board's cards (``pmtheater/partials/board-card.html``) and the
    index's rows (``pmtheater/partials/index-row.html``) as rendered, kept across the
    builds of one ``mkdocs serve``: a board of 2,000 incidents has thousands of cards,
    and an edit changes those of one incident.

    A card is reused only for the very same incident object (the loader gives the same
    object only for the same bytes) and item, the same status, owner key and overdue
    state; everything else it shows (addresses, "today", the site's words, the
    templates) is in the key given to :meth:`begin`, and a new key forgets every card.

    The same store keeps the other pieces of the catalogue pages a rebuild can reuse
    (:meth:`reuse`, :meth:`block`): playbill URLs and incident links per page, metrics
    rows and hall-of-fame awards, and the reports made from every incident (themes,
    follow-through, spreads, medians, the board, the hall of fame, the people), each
    with what it was made from. What a build does not use is forgotten after it.
    """

    def __init__(self) -> None:
        self._key: Any = None
        self._cards: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._used: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.hits = 0
        """Values reused in this build: cards, rows and the rest (for tests)."""

    def begin(self, key: Any) -> None:
        """A new build whose cards depend on ``key`` besides each card's own values."""
        if key != self._key:
            self._cards = {}
        else:
            self._cards = self._used or self._cards
        self._key, self._used, self.hits = key, {}, 0

    def card(self, macro: Callable[..., Markup], card: views.Card, status: str,
             *words: str) -> Markup:
        """The card's HTML: ``macro(card, status, *words)``, or what it gave before."""
        key = (id(card.item), status, card.overdue, card.owner_key)
        kept = self._cards.get(key)
        if kept is not None and kept[0] is card.incident:
            self.hits += 1
            html = kept[1]
        else:
            html = macro(card, status, *words)
        # The incident is kept with the card: its items (whose ids are the keys) stay
        # alive, so an id is never reused by another item while the entry lives.
        self._used[key] = (card.incident, html)
        return html

    def reuse(self, key: tuple[Any, ...], owner: object, check: Any,
              make: Callable[[], _T]) -> _T:
        """``make()``, or what it gave in the last build for ``key`` when ``owner`` is the
        very same object (None: no owner) and ``check`` is equal. Keys name what they
        hold first (``"url"``, ``"link"``, ``"block"``), so they never meet the cards'.
        The owner is kept with the value, so an ``id()`` in the key is not reused while
        the entry lives."""
        kept = self._cards.get(key)
        if kept is not None and len(kept) == 3 and kept[0] is owner and kept[2] == check:
            self.hits += 1
            value = kept[1]
        else:
            value = make()
        self._used[key] = (owner, value, check)
        return value

    def keep(self, key: tuple[Any, ...], owner: object, check: Any, value: Any) -> None:
        """Keep ``value`` for ``key`` instead of what :meth:`reuse` gave in this build (a
        reused value with this build's objects put in: the last build's can then go)."""
        self._used[key] = (owner, value, check)

    def block(self, page: str, macro: Callable[..., Markup], incident: Incident, *args: Any,
              part: object = None) -> Markup:
        """``macro(incident, *args)`` on catalogue page ``page`` (a src_uri), or what it
        gave before for the very same incident object, the same ``part`` of it (an award,
        say: the very object) and equal ``args``: a metrics row, an award of the hall of
        fame. The macro's name is in the key, so two kinds of block never mix."""
        name = getattr(macro, "name", None) or getattr(macro, "__name__", "")
        return self.reuse(("block", page, name, id(incident), id(part)), incident,
                          (part, *args), lambda: macro(incident, *args))

    def row(self, macro: Callable[..., Markup], incident: Incident) -> Markup:
        """An index row (``pmtheater/partials/index-row.html``): ``macro(incident)``, or
        what it gave before for the very same incident object (the index has a row per
        incident, and an edit changes one)."""
        key = ("index-row", id(incident))
        kept = self._cards.get(key)
        if kept is not None and kept[0] is incident:
            self.hits += 1
            html = kept[1]
        else:
            html = macro(incident)
        self._used[key] = (incident, html)  # kept alive with it: its id is not reused
        return html


class Catalogue:
    """The catalogue pages of one build."""

    def __init__(
        self,
        *,
        templates: BaseLoader,
        prefix: str,
        pages: Sequence[str],
        people: dict[str, list[str]],
        severities: Sequence[str],
        zone: tzinfo,
        clock: Clock,
        today: date,
        related: bool = True,
        theme_categories: dict[str, list[str]] | None = None,
        labels: Labels = ENGLISH,
    ) -> None:
        self.templates = templates
        self.labels = labels
        self.prefix = prefix
        self.kinds = [KINDS[p] for p in dict.fromkeys(pages)]
        self.aliases = people
        self.severities = list(severities)
        self.zone = zone
        self.clock = clock
        self.today = today
        self.incidents: list[Incident] = []
        self.sources: dict[str, str] = {}
        """Playbill src_uri by incident id."""
        self.files: dict[str, PageKind] = {}
        """Catalogue pages to generate, by src_uri, in nav order."""
        self._people: People | None = None
        self.summaries: dict[str, str] = {}
        """Plain words of each summary, by its Markdown (set by the build before add_files);
        a summary missing here is searched as written."""
        self._env: Environment | None = None
        self.skip: Container[str] = ()
        self.link_resolver: Callable[[str, str, SiteFiles], Callable[[str], str | None]] = (
            relative_link_resolver)
        """``(folder, page, site) -> resolver`` for links in incident Markdown from files
        in ``folder`` (the production sets one that knows ``incident:`` links)."""
        self.learning = Learning(related=related, categories=theme_categories or {},
                                 labels=labels)
        """Related incidents, themes and follow-through: computed once per build."""
        self.cards: CardCache | None = None
        """The board's cards rendered in earlier builds, kept by ``mkdocs serve``."""

    # -- files ---------------------------------------------------------------
    def slugs(self) -> set[str]:
        """Slugs the catalogue pages take under the prefix (ids must avoid them)."""
        return {kind.slug for kind in self.kinds}

    def src_uri(self, slug: str) -> str:
        return f"{self.prefix}/{slug}.md" if self.prefix else f"{slug}.md"

    def plan(self, incidents: dict[str, Incident], *, skip: Container[str] = ()) -> None:
        """Decide the catalogue pages for the published playbills.

        ``incidents`` maps each playbill's src_uri to its incident, newest first.
        ``skip`` names the src_uris whose address a file of the site already has: that
        file wins (the production reports it) and the catalogue page is not built.
        """
        self.incidents = list(incidents.values())
        self.sources = {i.id: src for src, i in incidents.items()}
        self.files = {}
        self.skip = skip
        self.learning.reset(self.incidents)
        for kind in self.kinds:
            src_uri = self.src_uri(kind.slug)
            if src_uri not in skip:
                self.files[src_uri] = kind

    def pages(self) -> list[tuple[str, str]]:
        """``(src_uri, Markdown source)`` of each catalogue page to generate, in nav order."""
        return [(src_uri, page_markdown(kind, self.labels)) for src_uri, kind in self.files.items()]

    def data_outputs(self) -> list[Output]:
        """The index's search data file, when the index is built."""
        if any(kind.slug == "index" for kind in self.files.values()):
            if SEARCH_DATA in self.skip:
                return []
            data = self.search_data()
            script = ("(window.pmtheaterSearchData = window.pmtheaterSearchData || [])"
                      f".push({data});\n")
            return [Output(SEARCH_DATA, data.encode("utf-8")),
                    Output(SEARCH_SCRIPT, script.encode("utf-8"))]
        return []

    def search_data(self) -> str:
        """``{id: "summary and people"}``: what the filter box searches beyond the table."""
        data = {
            i.id: " ".join((self.summaries.get(i.summary, i.summary), *views.people_of(i)))
            for i in self.incidents
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)

    # -- rendering -----------------------------------------------------------
    def environment(self) -> Environment:
        if self._env is None:
            self._env = Environment(loader=self.templates,
                                    autoescape=select_autoescape(default=True),
                                    trim_blocks=True, lstrip_blocks=True)
            self.labels.install(self._env)
        return self._env

    def people(self) -> People:
        if self._people is None:
            incidents = self.incidents

            def make() -> People:
                return views.meet_everyone(People(self.aliases), incidents)

            if self.cards is None:
                self._people = make()
            else:
                # Under serve, last build's People while every name written is the same:
                # the board's cards and the follow-through are then reused with it.
                check = (sorted((k, tuple(v)) for k, v in self.aliases.items()),
                         [(i.director, [c.actor for c in i.cast],
                           [a.owner for a in i.action_items], [a.recipient for a in i.awards])
                          for i in incidents])
                self._people = self.cards.reuse(("people",), None, check, make)
        return self._people

    def render(
        self, page: str, site: SiteFiles, fields: Callable[[], MarkdownFields]
    ) -> tuple[str, list[TocEntry]] | None:
        """The body (HTML) of catalogue page ``page`` (a src_uri) and its table of contents;
        None for other pages. Links are relative to the page, as ``site`` places files."""
        kind = self.files.get(page)
        if kind is None:
            return None
        urls: dict[str, str] = {}
        cards = self.cards

        def url(incident: Incident, fragment: str = "") -> str:
            if incident.id not in urls:
                src = self.sources[incident.id]
                # Under serve, the URL is last build's while the site's files are the same
                # (the cache's key): MkDocs' answer costs two path lookups.
                urls[incident.id] = (site.url(src, page) or "" if cards is None else
                                     cards.reuse(("url", page, src), None, None,
                                                 lambda: site.url(src, page) or ""))
            return urls[incident.id] + (f"#{fragment}" if fragment else "")

        links: dict[int, Markup] = {}

        def incident_link(incident: Incident) -> Markup:
            """``<a href="{url}" title="{title}">{id}</a>``, escaped as Jinja escapes, made
            once per incident and page (the themes page links each incident ~17 times),
            and under serve kept for the very same incident object."""
            found = links.get(id(incident))
            if found is None:
                def make() -> Markup:
                    return Markup('<a href="{}" title="{}">{}</a>').format(
                        url(incident), incident.title, incident.id)
                found = links[id(incident)] = (make() if cards is None else cards.reuse(
                    ("link", page, id(incident)), incident, None, make))
            return found

        def incident_links(incidents: Sequence[Incident]) -> Markup:
            """:func:`incident_link` of each, joined with ", " (one call per table cell).
            Each is Markup already, so a plain join gives what ``Markup.join`` would,
            without escaping thousands of them again."""
            return Markup(", ".join([incident_link(i) for i in incidents]))

        def cached_block(macro: Callable[..., Markup], incident: Incident, *args: Any,
                         part: object = None) -> Markup:
            """``macro(incident, *args)``, under serve reused (:meth:`CardCache.block`)."""
            if cards is None:
                return macro(incident, *args)
            return cards.block(page, macro, incident, *args, part=part)

        def incident_rows(macro: Callable[..., Markup], incidents: Sequence[Incident]
                          ) -> Markup:
            """:func:`cached_block` of each incident, each followed by a newline (what a
            Jinja loop writing one per line gives), joined here rather than called from
            the template once per incident: a Jinja call costs more than the reuse."""
            return _lines([cached_block(macro, incident) for incident in incidents])

        context: dict[str, Any] = {
            "incidents": self.incidents,
            "url": url,
            "incident_link": incident_link,
            "incident_links": incident_links,
            "cached_block": cached_block,
            "incident_rows": incident_rows,
            "clock": self.clock,
            "today": self.today,
            "severities": self.severities,
            "sev_rank": self.severity_rank,
            "duration": self.duration,
            "minutes": _minutes,
            "title": self.labels.gettext(kind.title),
            "nav": self.page_links(page, site),
            "index_url": (site.url(self.src_uri("index"), page) or "")
            if self.src_uri("index") in self.files else "",
            "seconds": lambda d: "" if d is None else str(int(d.total_seconds())),
        }
        context.update(getattr(self, "_context_" + kind.slug.replace("-", "_"))(page, site,
                                                                                 fields))
        self.learning.memo = cards
        context.update(self.learning.page_context(kind.slug, zone=self.zone, today=self.today,
                                                  severities=self.severities,
                                                  people=self.people()))
        body = self.environment().get_template(kind.template).render(context)
        return body, ([] if kind.wide else sections(body))

    def duration(self, delta: timedelta | None) -> str:
        """A median or a span in the site's words, exact to the minute; a dash for none; a
        negative one (detection before impact, format 1.1) says so instead of a minus."""
        if delta is None:
            return "–"
        if delta < timedelta(0):
            return self.labels.before_impact(self.labels.duration(-delta))
        return self.labels.duration(delta)

    def severity_rank(self, severity: str) -> int:
        rank = self.severities.index(severity) + 1 if severity in self.severities else 5
        return min(rank, 5)

    def page_links(self, page: str, site: SiteFiles) -> list[tuple[str, str, bool]]:
        """(title, url, current) for each catalogue page: a small menu on every one."""
        links = []
        for src_uri, kind in self.files.items():
            target = site.url(src_uri, page)
            if target is not None:
                links.append((self.labels.gettext(kind.title), target, src_uri == page))
        return links

    def _severity_series(self) -> list[charts.Series]:
        return [charts.Series(s, s, f"pmt-c{self.severity_rank(s)}") for s in self.severities]

    def _context_index(self, page: str, site: SiteFiles, fields: Any) -> dict[str, Any]:
        months = views.per_month(self.incidents, self.zone)
        series = self._severity_series()
        known = set(self.severities)
        extra = sorted({i.severity for i in self.incidents} - known)
        series += [charts.Series(s, s, "pmt-c5") for s in extra]
        chart = charts.stacked_bars(
            self.labels.gettext(N_("Incidents per month by severity")), months.months,
            charts.month_labels(months.months), series, months.counts,
        ) if months.months else Markup("")
        return {
            "facets": views.facets(self.incidents, self.severities, self.zone),
            "chart": chart,
            "series": series,
            "months": [(m, months.counts[m]) for m in reversed(months.months)
                       if m in months.counts],
            "cached_row": self.cards.row if self.cards is not None else None,
            "search_data": site.url(SEARCH_DATA, page) or "",
            "search_script": site.url(SEARCH_SCRIPT, page) or "",
            # Pagefind's bundle, written after the build (publish/fulltext.py): the index
            # page is a folder's index page, so its URL is the same with or without
            # directory URLs.
            "pagefind_script": relative_url(f"{PAGEFIND_BUNDLE}/pagefind.js",
                                            page_url(page, directory_urls=True)),
            # A file of the site in its place is not our worker: Pagefind's own does it.
            "search_worker": "" if SEARCH_WORKER in self.skip else relative_url(
                SEARCH_WORKER, page_url(page, directory_urls=True)),
        }

    def _reused(self, name: str, check: Any, make: Callable[[], _T],
                remap: Callable[[_T, dict[int, Any]], _T],
                parts: Callable[[Incident], Sequence[Any]]) -> _T:
        """``make()``, or under ``mkdocs serve`` last build's value when ``check`` (all
        that ``make`` reads of the incidents) is equal, with ``remap`` putting this build's
        objects in place of the last build's: the incidents and their ``parts`` (items,
        awards) by position, as equal inputs mean the same ones in the same order
        (``remap`` gets only those that are other objects now)."""
        incidents = self.incidents
        if self.cards is None:
            return make()
        value, then = self.cards.reuse((name,), None, check, lambda: (make(), incidents))
        if then is incidents:
            return value
        by_object: dict[int, Any] = {}
        for old, new in zip(then, incidents, strict=True):
            if old is not new:  # an incident file that changed (its inputs did not)
                by_object[id(old)] = new
                for old_part, new_part in zip(parts(old), parts(new), strict=True):
                    by_object[id(old_part)] = new_part
        if by_object:
            value = remap(value, by_object)
        # Kept with this build's objects, so the last build's incidents are not held.
        self.cards.keep((name,), None, check, (value, incidents))
        return value

    def _board(self) -> views.Board:
        """The board (views.board); under serve last build's while what it reads is equal."""
        people = self.people()

        def make() -> views.Board:
            return views.board(self.incidents, self.today, self.zone, people)

        if self.cards is None:
            return make()
        check = (self.today, self.zone, people,
                 [(i.id, i.started_at, i.zone, [(a.id, a.status, a.owner, a.due, a.priority)
                                                for a in i.action_items])
                  for i in self.incidents])
        return self._reused("board", check, make, _board_with,
                            lambda incident: incident.action_items)

    def _hall(self) -> views.Hall:
        """The hall of fame (views.hall_of_fame); under serve reused likewise."""
        people = self.people()

        def make() -> views.Hall:
            return views.hall_of_fame(self.incidents, people)

        if self.cards is None:
            return make()
        check = (people, [[(a.award, a.recipient) for a in i.awards] for i in self.incidents])
        return self._reused("hall", check, make, _hall_with, lambda incident: incident.awards)

    def _context_action_items(self, page: str, site: SiteFiles, fields: Any
                              ) -> dict[str, Any]:
        board = self._board()
        kinds = sorted({c.item.kind for c in board.cards if c.item.kind},
                       key=lambda k: (views.KINDS.index(k) if k in views.KINDS else 99, k))
        cards = self.cards

        def board_cards(macro: Callable[..., Markup], column: Sequence[views.Card], status: str,
                        *words: str) -> Markup:
            """``macro(card, status, *words)`` of each card (reused under serve), each
            followed by a newline, as one Jinja loop line per card would give: joined here,
            since a board has thousands of cards and a Jinja call costs more than a reuse."""
            if cards is None:
                return _lines([macro(card, status, *words) for card in column])
            return _lines([cards.card(macro, card, status, *words) for card in column])

        return {"board": board, "priorities": views.PRIORITIES, "kinds": kinds,
                "cached_card": cards.card if cards is not None else None,
                "board_cards": board_cards}

    def _context_hall_of_fame(self, page: str, site: SiteFiles,
                              fields: Callable[[], MarkdownFields]) -> dict[str, Any]:
        hall = self._hall()
        rendered = self._citations(hall, page, site, fields)

        def md(text: str | None) -> Markup:
            return rendered.get(text, Markup("")) if text else Markup("")

        cards = self.cards

        def hall_honours(macro: Callable[..., Markup], honours: Sequence[views.Honour]
                         ) -> Markup:
            """``macro(incident, award, citation HTML)`` of each honour, each followed by a
            newline (see ``board_cards``); under serve reused per award
            (:meth:`CardCache.block`)."""
            if cards is None:
                return _lines([macro(h.incident, h.award, md(h.award.citation))
                               for h in honours])
            return _lines([cards.block(page, macro, h.incident, h.award, md(h.award.citation),
                                       part=h.award) for h in honours])

        return {"hall": hall, "md": md, "hall_honours": hall_honours}

    def _citations(self, hall: views.Hall, page: str, site: SiteFiles,
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
            resolve = self.link_resolver(folder, page, site)
            for start in range(0, len(texts), _CITATION_BATCH):
                chunk = [(t, False) for t in texts[start:start + _CITATION_BATCH]]
                assert renderer is not None
                for (text, _), html in renderer.render(chunk, resolve).items():
                    out.setdefault(text, html)
        return out

    def _context_themes(self, page: str, site: SiteFiles, fields: Any) -> dict[str, Any]:
        return {}  # all from self.learning

    def _context_metrics(self, page: str, site: SiteFiles, fields: Any) -> dict[str, Any]:
        if self.cards is None:
            return self._metrics_context()
        # Under serve, last build's medians and charts while every incident's times,
        # quarter and severity are the same (a title edit).
        check = (self.zone, tuple(self.severities), [time_inputs(i) for i in self.incidents])
        return self.cards.reuse(("metrics-context",), None, check, self._metrics_context)

    def _metrics_context(self) -> dict[str, Any]:
        quarters = metrics.by_quarter(self.incidents, self.zone)
        severities = metrics.by_severity(self.incidents, self.severities)
        series = [charts.Series(name, self.labels.gettext(label), f"pmt-m{n}")
                  for n, (name, label) in enumerate(metrics.MEASURES, start=1)]

        def chart(title: str, rows: list[metrics.GroupMedians],
                  categories: list[str] | None = None) -> Markup:
            if not rows:
                return Markup("")
            values = {r.label: {k: (v.total_seconds() if v is not None else None)
                                for k, v in r.medians.items()} for r in rows}
            return charts.grouped_bars(title, categories or [r.label for r in rows], series,
                                       values, lambda s: self.labels.duration(timedelta(seconds=s)),
                                       no_data=self.labels.gettext(N_("no data")))

        timeline = (metrics.quarter_range(quarters[0].label, quarters[-1].label)
                    if quarters else [])

        return {
            "measures": metrics.MEASURES,
            "series": series,
            "overall": metrics.overall(self.incidents),
            "quarters": quarters,
            "by_severity": severities,
            "quarter_chart": chart(self.labels.gettext(N_("Median times by quarter")), quarters,
                                   timeline),
            "severity_chart": chart(self.labels.gettext(N_("Median times by severity")),
                                    severities),
            "times": metrics.durations,
        }


def _lines(htmls: list[Markup]) -> Markup:
    """Each piece of HTML followed by a newline: what a Jinja loop writing ``{{ piece }}``
    on a line of its own gives (with ``trim_blocks``)."""
    return Markup("".join([f"{html}\n" for html in htmls]))


def _board_with(board: views.Board, by_object: dict[int, Any]) -> views.Board:
    """``board`` with the cards of the incidents in ``by_object`` given this build's item
    and incident (:meth:`Catalogue._reused`); the other cards are kept as they are."""
    return replace(board, columns=[
        (status, [card if id(card.incident) not in by_object else
                  views.Card(by_object[id(card.item)], by_object[id(card.incident)],
                             card.owner_key, card.overdue) for card in cards])
        for status, cards in board.columns])


def _hall_with(hall: views.Hall, by_object: dict[int, Any]) -> views.Hall:
    """``hall`` with the honours of the incidents in ``by_object`` replaced likewise."""
    return replace(hall, recipients=[
        replace(recipient, honours=[h if id(h.incident) not in by_object else
                                    views.Honour(by_object[id(h.award)],
                                                 by_object[id(h.incident)])
                                    for h in recipient.honours])
        for recipient in hall.recipients])
