"""Links from any page to a playbill, and the record of who links to whom (for backlinks).

A page links to an incident as ``[text](incident:INC-2024-031)``, to one of its
action items as ``[text](incident:INC-2024-031#AI-2)``, or with the relative
path of the incident's YAML file, which also works when the Markdown is read on
the repository host. The incident files are not pages of the site, so both
forms have to be rewritten before MkDocs checks the page's links.

Why a Markdown treeprocessor, not text substitution: it sees the links the
Markdown parser found, after code spans and fenced code were set aside, so a
link written inside code is never touched. It runs just before MkDocs' own
link processor and rewrites a link to the playbill's generated page
(``../incidents/inc-2024-031.md#ai-2``); MkDocs then turns that into the
right URL for the site's URL style and validates it like any other link, so
MkDocs has nothing to warn about. A link that names no incident, item or file
is a warning naming the page, its line and the link (``--strict`` fails); on
the page its words are kept without the dead link, and a link whose incident
exists but whose item or scene does not goes to the top of the playbill.

Every link found is recorded in a :class:`LinkIndex`, which lives as long as
the plugin: the backlinks ("Referenced by") are known only once every page has
been rendered, and with ``mkdocs serve --dirty`` pages that were not
re-rendered keep the links they had. Resolving a link is a few dict lookups, so
a build stays O(pages + links).
"""

from __future__ import annotations

import bisect
import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from ..load.loader import INCIDENT_SUFFIXES, Catalog, LoadedFile
from ..load.yamlsource import line_starts
from ..model.incident import Incident
from ..model.problems import FieldPath, Problem, did_you_mean, excerpt, format_path
from ..publish.urls import SiteFiles
from ..render.markdown_fields import is_safe_url
from ..render.playbill import markdown_fields

SCHEME = "incident"
BROKEN_CLASS = "pmt-broken-link"
LINK_CLASS = "pmt-incident-link"
"""Added to every rewritten link, for styling (they are underlined in running text)."""
_SCENE = re.compile(r"scene-(\d+)")
_LINE_ANCHOR = re.compile(r"L\d+(?:C\d+)?(?:-L?\d+(?:C\d+)?)?")
"""``#L12`` or ``#L12-L20``: a line of the file on the repository host; dropped on the site."""
PLAYBILL_ANCHORS = frozenset({
    "playbill", "the-story", "impact", "cast-of-characters", "stage-directions-setting",
    "props", "contributing-conditions", "the-screenplay", "plot-points", "the-critique",
    "five-whys", "root-causes", "contributing-factors", "call-sheet", "awards-ceremony",
    "referenced-by",
})
"""The fixed section anchors of a playbill (templates/pmtheater/partials), besides
the anchors of scenes and action items."""
# Links in incident Markdown, found without rendering it (so ``pmtheater validate``
# runs the same check as the build). Linear-time: an inline link or image is found
# by its "](" (each match starts there and its target stops at a space or a
# parenthesis, so matches never overlap); a reference definition is anchored at
# the start of its line.
_MD_LINK = re.compile(r"\]\([ \t]*<?([^\s()<>]{1,2000})")
_REF_LINK = re.compile(r"^[ ]{0,3}\[(?!\^)[^\]\n]{1,1000}\]:[ \t]*<?([^\s<>]{1,2000})", re.M)
"""A link reference definition (``[x]: url``), not a footnote (``[^1]: text``)."""
_TICKS = re.compile(r"`+")
MAX_LINK_PROBLEMS = 20
"""Broken links reported one by one per incident file; the rest are counted."""
_FENCE = re.compile(r"^[ ]{0,3}(```|~~~)")
_PRIORITY = 1.5
"""After the inline patterns (20) have made the links, before MkDocs' ``relpath`` (0)."""


@dataclass(frozen=True)
class Target:
    """Where a link to an incident goes on the site."""

    slug: str
    src_uri: str
    """The playbill's generated page (docs-relative ``.md`` path)."""
    anchor: str = ""


@dataclass(frozen=True)
class Broken:
    """Why a link to an incident goes nowhere (or only to the playbill's top)."""

    message: str
    hint: str = ""
    fallback: Target | None = None
    """Where the link goes anyway: the playbill, when only the fragment is unknown."""


@dataclass(frozen=True)
class LinkingPage:
    """A hand-written page whose links are being resolved."""

    src_uri: str
    """Docs-relative path of its source (``runbooks/cache.md``)."""
    display: str
    """How messages name it (relative to the project's folder)."""
    source: Callable[[], str]
    """Its Markdown source, read only when a broken link needs a line number."""


class LinkIndex:
    """Which page links to which incidents: ``{page src_uri: {incident slug: None}}``."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, None]] = {}

    def start(self, src_uri: str) -> None:
        """A page is being rendered again: forget the links it had."""
        self.pages[src_uri] = {}

    def add(self, src_uri: str, slug: str) -> None:
        self.pages.setdefault(src_uri, {})[slug] = None

    def keep_only(self, src_uris: Iterable[str]) -> None:
        """Forget pages that are gone from the site."""
        live = set(src_uris)
        self.pages = {src: slugs for src, slugs in self.pages.items() if src in live}

    def referrers(self) -> dict[str, list[str]]:
        """``{incident slug: [page src_uri, ...]}``, pages in a stable order."""
        found: dict[str, list[str]] = {}
        for src in sorted(self.pages):
            for slug in self.pages[src]:
                found.setdefault(slug, []).append(src)
        return found


class IncidentLinks:
    """Resolves the links of one build, warns about broken ones and records the rest."""

    def __init__(
        self,
        catalog: Catalog,
        playbills: dict[str, Incident],
        *,
        incidents_dir: str,
        drafts_hidden: bool,
        index: LinkIndex,
        root: str,
        report: Callable[[Problem], None],
    ) -> None:
        self.catalog = catalog
        self.playbill_of: dict[str, str] = {i.slug: src for src, i in playbills.items()}
        """Published incidents: slug -> the playbill's src_uri."""
        self.playbills = playbills
        self.incidents_dir = incidents_dir.strip("/")
        self.drafts_hidden = drafts_hidden
        self.index = index
        self.root = root
        """Messages name pages relative to this folder (the project's)."""
        self.page: LinkingPage | None = None
        """The Markdown page being converted; None outside page conversion."""
        self._warned: set[tuple[str, str]] = set()
        self.counted: set[tuple[str, str]] = set()
        """(file, href) of broken links that field_link_problems counted but did not list."""
        self._sources: dict[str, tuple[str, list[tuple[tuple[int, int], FieldPath]]]] = {}
        """Incident file -> its text and where each value starts, to place broken links."""
        self.report = report
        """Receives each problem found in a link (once per file and link)."""

    # -- resolving -------------------------------------------------------------
    def is_incident_path(self, src: str) -> bool:
        return src.startswith(self.incidents_dir + "/") and src.endswith(INCIDENT_SUFFIXES)

    def resolve(self, href: str, base_dir: str) -> Target | Broken | None:
        """Where ``href``, written in a file of folder ``base_dir`` (docs-relative), goes.

        None when it is no link to an incident (an external link, another page).
        """
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        fragment = unquote(parts.fragment)
        if parts.scheme.lower() == SCHEME:
            return self._by_id(unquote(parts.netloc + parts.path).strip(), fragment)
        if parts.scheme or parts.netloc or not parts.path or href.startswith(("/", "\\")):
            return None
        target = posixpath.normpath(posixpath.join(base_dir, unquote(parts.path)))
        if target.startswith("../"):
            return None
        if self.is_incident_path(target):
            return self._by_file(target, fragment)
        incident = self.playbills.get(target)
        if incident is not None:  # a plain link to the playbill's page: MkDocs resolves it
            return Target(incident.slug, target, fragment)
        return None

    def _by_id(self, incident_id: str, fragment: str) -> Target | Broken:
        if not incident_id:
            return Broken("the link names no incident",
                          "write the incident's id after 'incident:', e.g. incident:INC-2024-031")
        src = self.playbill_of.get(incident_id.lower())
        if src is None:
            return self._unpublished(incident_id)
        return self._with_fragment(self.playbills[src], src, fragment, file_link=False)

    def _by_file(self, target: str, fragment: str) -> Target | Broken:
        loaded = self.catalog.files.get(target)
        if loaded is None:
            hint = did_you_mean(target, self.catalog.files) or (
                f"give the path of an incident file under {self.incidents_dir}/, relative "
                "to this page")
            return Broken(f"there is no incident file {target} in docs_dir", hint)
        incident = loaded.incident
        src = self.playbill_of.get(incident.slug) if incident else None
        if incident is None or src is None or self.playbills[src] is not incident:
            if incident is not None and src is None and incident.is_draft and self.drafts_hidden:
                return Broken(f"the incident {incident.id} ({target}) is a draft, and this "
                              "site hides drafts", "publish it or remove the link")
            return Broken(f"the incident file {target} has problems and is not published",
                          f"fix the problems reported for {loaded.display}")
        return self._with_fragment(incident, src, fragment, file_link=True)

    def _unpublished(self, incident_id: str) -> Broken:
        known = self.catalog.get(incident_id)
        if known is not None and known.is_draft and self.drafts_hidden:
            return Broken(f"the incident {known.id} is a draft, and this site hides drafts",
                          "publish it or remove the link")
        if known is not None:
            return Broken(f"the incident {known.id} is not published",
                          f"fix the problems reported for its file {known.source}")
        ids = [i.id for i in self.catalog.incidents]
        return Broken(f"no incident has the id '{incident_id}'",
                      did_you_mean(incident_id, ids) or "check the id in the incident file")

    def _with_fragment(
        self, incident: Incident, src: str, fragment: str, *, file_link: bool
    ) -> Target | Broken:
        if not fragment:
            return Target(incident.slug, src)
        item = incident.action_item(fragment)
        if item is not None:
            return Target(incident.slug, src, item.anchor)
        wanted = fragment.lower()
        for named in incident.timeline:
            if named.id and wanted == f"scene-{named.id}":
                return Target(incident.slug, src, wanted)
        scene = _SCENE.fullmatch(wanted)
        if scene and 1 <= int(scene.group(1)) <= len(incident.timeline):
            return Target(incident.slug, src, scene.group(0))
        if wanted in PLAYBILL_ANCHORS:
            return Target(incident.slug, src, wanted)
        if file_link and _LINE_ANCHOR.fullmatch(fragment):
            return Target(incident.slug, src)
        top = Target(incident.slug, src)
        if scene or wanted.startswith("scene-"):
            ids = [f"scene-{s.id}" for s in incident.timeline if s.id]
            hint = did_you_mean(wanted, ids) or (
                f"its timeline has {len(incident.timeline)} scenes"
                + (f"; its scene ids are {', '.join(ids)}" if ids else "")
                + "; give the scene an id (id: rollback) and link to #scene-rollback, "
                "which survives inserted scenes")
            return Broken(f"{incident.id} has no scene {wanted[len('scene-'):]}", hint, top)
        items = [i.id for i in incident.action_items]
        hint = did_you_mean(fragment, items) or (
            f"its action items are {', '.join(items)}" if items
            else f"{incident.id} has no action items; link to the incident itself")
        return Broken(f"{incident.id} has no action item '{fragment}'", hint, top)

    # -- pages -------------------------------------------------------------------
    def begin_page(self, page: LinkingPage) -> None:
        """Called before ``page`` is converted: its links are about to be found again."""
        self.page = page
        self.index.start(page.src_uri)

    def end_page(self) -> None:
        self.page = None

    def page_href(self, href: str, site: SiteFiles | None = None) -> str | None:
        """The new href for a link in the page being converted; None: leave it, ``""``: broken.

        Good links become a link to the playbill's page relative to this page's
        folder, which MkDocs' link processor then resolves and checks; with ``site``
        (generators that leave such links alone), the playbill's final URL.
        """
        page = self.page
        assert page is not None
        src = page.src_uri
        found = self.resolve(href, posixpath.dirname(src))
        if found is None:
            return None
        if isinstance(found, Broken):
            self._warn_page(page, href, found)
            if found.fallback is None:
                return ""
            found = found.fallback
        self.index.add(src, found.slug)
        if not self.is_incident_path_href(href):
            return None  # already a link MkDocs understands
        if site is not None:
            url = site.url(found.src_uri, src)
            if url is None:
                return ""
            return f"{url}#{found.anchor}" if found.anchor else url
        path = posixpath.relpath(found.src_uri, posixpath.dirname(src) or ".")
        return f"{path}#{found.anchor}" if found.anchor else path

    @staticmethod
    def is_incident_path_href(href: str) -> bool:
        """True unless ``href`` is a plain link to a page (the ``.md`` of a playbill)."""
        parts = urlsplit(href)
        return parts.scheme.lower() == SCHEME or parts.path.endswith(INCIDENT_SUFFIXES)

    def field_href(self, href: str, incident: Incident, page: str, site: SiteFiles) -> str | None:
        """A link in an incident's own Markdown, shown on ``page``: relative to its YAML
        file, as in the repository.

        Incident Markdown does not pass through MkDocs' link processor, so this does
        its work: ``incident:`` links, links to incident files and relative links to
        any file of the site become URLs relative to ``page``. Returns that URL; None
        when the link is none of those (an external link, an anchor); ``""`` when it
        leads nowhere: it was reported at the incident file's line, and the renderer
        drops the link and keeps its words.
        """

        def warn(broken: Broken) -> None:
            self._warn_field(incident, href, broken)

        return self._final_href(href, posixpath.dirname(incident.source), page, site,
                                warn=warn, record=True)

    def folder_href(self, href: str, folder: str, page: str, site: SiteFiles) -> str | None:
        """Like :meth:`field_href` for incident Markdown from files in ``folder`` that is
        shown on a catalogue page (a citation on the hall of fame): same URLs, relative
        to that page. Silent and not a backlink: every such text is on its playbill
        too, which reports a broken link once, at its file and line."""
        return self._final_href(href, folder, page, site, warn=None, record=False)

    def _final_href(self, href: str, base_dir: str, page: str, site: SiteFiles, *,
                    warn: Callable[[Broken], None] | None, record: bool,
                    site_files: bool = True) -> str | None:
        found = self.resolve(href, base_dir)
        if found is None:
            return self._site_file_href(href, base_dir, page, site, warn) if site_files else None
        if isinstance(found, Broken):
            if warn is not None:
                warn(found)
            if found.fallback is None:
                return ""
            found = found.fallback
        if record:
            self.index.add(page, found.slug)
        url = site.url(found.src_uri, page)
        if url is None:  # pragma: no cover - every playbill is a file of the site
            return ""
        return f"{url}#{found.anchor}" if found.anchor else url

    def field_link_problems(
        self, loaded: LoadedFile, incident: Incident, exists: Callable[[str], bool],
        links: FieldLinks | None = None,
    ) -> list[tuple[Problem, str]]:
        """Broken links in an incident's Markdown, each at its line and column.

        A link to an incident, item, scene or anchor that does not exist, and a
        link or image to a file beside the incident (relative to the YAML file,
        format 1.1) that is not in docs_dir. These are warnings: the incident
        is still published (a dead link shows as its words). ``links``: the
        incident's :func:`field_links`, when the caller kept them (``mkdocs serve``).
        """
        problems: list[tuple[Problem, str]] = []
        base = posixpath.dirname(incident.source)
        starts: list[int] = []
        file_text = ""
        more = 0
        for path, href in field_links(incident) if links is None else links:
            message, hint = self._field_link_issue(href, base, exists)
            if not message:
                continue
            if len(problems) >= MAX_LINK_PROBLEMS:
                more += 1  # a pasted log or a markup bomb: say how many, not each
                self.counted.add((loaded.display, href))
                continue
            if not starts:
                file_text = loaded.text
                # Lines end where the reader counts them (a lone CR too), or a
                # CR-only file would have one line and every link its field's place.
                starts = line_starts(file_text)
            line, column = _position_in_file(loaded, file_text, starts, path, href)
            # Named as the build's other link warnings are: "field: link 'href'".
            label = f"{format_path(path)}: link '{excerpt(href)}'"
            problems.append((Problem(loaded.display, line, column, label, message, hint,
                                     blocking=False), href))
        if more:
            problems.append((Problem(
                loaded.display, 0, 0, "", f"{more:,} more links in this file lead nowhere",
                "fix the links above first; the build lists at most "
                f"{MAX_LINK_PROBLEMS} per file", blocking=False), ""))
        return problems

    @property
    def warned(self) -> set[tuple[str, str]]:
        """(incident file, href) pairs already reported in this build (not a copy)."""
        return self._warned

    def already_reported(self, pairs: Iterable[tuple[str, str]]) -> None:
        """(incident file, href) pairs reported when the files were checked: rendering
        meets the same links and stays silent about them."""
        self._warned |= set(pairs)

    def _field_link_issue(
        self, href: str, base: str, exists: Callable[[str], bool]
    ) -> tuple[str, str]:
        if not is_safe_url(href):
            # The sanitiser drops such a target (it could run script in the site's
            # origin); say so, or the author sees words that are not a link and no reason.
            return ("this link uses a scheme that can run script or load content the site "
                    "does not vouch for (javascript:, data:, vbscript:, ...), so it is shown "
                    "as its words only",
                    "link to an http(s) or mailto: address, a page of this site or "
                    "incident:ID instead")
        found = self.resolve(href, base)
        if isinstance(found, Broken):
            return found.message, found.hint
        if found is not None:
            return "", ""
        try:
            parts = urlsplit(href)
        except ValueError:
            return "", ""
        if parts.scheme or parts.netloc or not parts.path or href.startswith(("/", "\\")):
            return "", ""
        target = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
        outside = target.startswith("../") or target == ".."
        if not outside and exists(target):
            return "", ""
        # Worded as the render-time check of the same links (_site_file_href).
        where = (f"{target} is outside docs_dir" if outside
                 else f"there is no file {target} in this site")
        return (f"{where}, so the link leads nowhere",
                "links and images in incident files are relative to the incident file, as in "
                "the repository: put a file the post-mortem shows beside it (then write just "
                "its name), or give the path of a file of the site (e.g. ../../runbooks/cache.md)")

    @staticmethod
    def _site_file_href(href: str, base_dir: str, page: str, site: SiteFiles,
                        warn: Callable[[Broken], None] | None) -> str | None:
        """A relative link from incident Markdown to a page or file of the site."""
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        if parts.scheme or parts.netloc or not parts.path or href.startswith(("/", "\\")):
            return None  # external, an anchor of this page, or from the site's root
        path = unquote(parts.path)
        target = posixpath.normpath(posixpath.join(base_dir, path))
        url = None if target.startswith("../") else site.url(target, page)
        if url is None:
            if warn is not None:
                where = (f"{target} is outside docs_dir" if target.startswith("../")
                         else f"there is no file {target} in this site")
                warn(Broken(f"{where}, so the link leads nowhere",
                            "links in incident files are relative to the incident file, as "
                            "in the repository; give the path of a file of the site "
                            "(e.g. ../../runbooks/cache.md)"))
            return ""
        return f"{url}#{parts.fragment}" if parts.fragment else url

    # -- raw HTML -------------------------------------------------------------------
    def page_raw_html(self, html: str, page: LinkingPage, site: SiteFiles) -> str:
        """``html`` of a converted page with its raw-HTML links to incidents rewritten.

        Markdown pages may hold raw HTML (``<a href="incident:INC-1">``), which neither
        the Markdown treeprocessor nor MkDocs' link checks see. Such links become URLs of
        the playbill (relative to this page; a link to an incident file is relative to
        the page's source file, as in the repository); broken ones are reported with the
        page and line, and lose their ``href``. Other raw links are left alone.
        """

        def warn(href: str) -> Callable[[Broken], None]:
            return lambda broken: self._warn_page(page, href, broken)

        return _rewrite_anchors(html, lambda href: self._final_href(
            href, posixpath.dirname(page.src_uri), page.src_uri, site, warn=warn(href),
            record=True, site_files=False))

    def field_raw_html(self, html: str, incident: Incident, page: str, site: SiteFiles) -> str:
        """The same for raw HTML in an incident's Markdown (``allow_html: true``), shown on
        its playbill: links are relative to the YAML file, as :meth:`field_href`."""
        return _rewrite_anchors(html, lambda href: self.field_href(href, incident, page, site))

    def catalogue_raw_html(self, html: str, page: str, site: SiteFiles) -> str:
        """The same for raw HTML of citations on a catalogue page: ``incident:`` links only
        (a relative path there has no one folder to be relative to), silent as
        :meth:`folder_href`."""
        return _rewrite_anchors(html, lambda href: self.folder_href(
            href, "", page, site) if href.lower().startswith(SCHEME + ":") else None)

    # -- warnings ----------------------------------------------------------------
    def _warn_page(self, page: LinkingPage, href: str, broken: Broken) -> None:
        line, column = _locate(page, href)
        self._warn(page.display, line, column, href, broken)

    def _warn_field(self, incident: Incident, href: str, broken: Broken) -> None:
        loaded = self.catalog.files.get(incident.source)
        where = loaded.display if loaded else incident.source
        if (where, href) in self._warned:
            return
        if where not in self._sources:  # only for broken links: read the file again
            try:
                text = Path(self.root, where).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            starts = sorted((at, path) for path, at in loaded.source.values.items()) if (
                loaded is not None) else []
            self._sources[where] = (text, starts)
        text, starts = self._sources[where]
        line, column = _find(text, href)
        # The field holding the link is the one whose value starts last before it.
        index = bisect.bisect_right(starts, ((line, column), ())) - 1 if line else -1
        field = format_path(starts[index][1]) if index >= 0 else ""
        self._warn(where, line, column, href, broken, field)

    def _warn(self, where: str, line: int, column: int, href: str, broken: Broken,
              field: str = "") -> None:
        if (where, href) in self._warned:
            return
        self._warned.add((where, href))
        label = f"{field}: link '{href}'" if field else f"link '{href}'"
        self.report(Problem(where, line, column, label, broken.message, broken.hint))


def _locate(page: LinkingPage, href: str) -> tuple[int, int]:
    """Line and column of ``href`` in the page's source file, for the warning (0, 0: unknown)."""
    try:
        text = page.source()
    except (OSError, UnicodeDecodeError, ValueError):
        return 0, 0
    return _find(text, href)


def _find(text: str, href: str) -> tuple[int, int]:
    """Line and column of the link ``href`` in Markdown ``text`` (0, 0: not found)."""
    for needle in (f"]({href})", f"]({href} ", f"]: {href}\n", f"]({href}", f"]: {href}", href):
        at = text.find(needle)
        if at >= 0:
            at += needle.index(href)
            line = text.count("\n", 0, at) + 1
            return line, at - (text.rfind("\n", 0, at) + 1) + 1
    return 0, 0


def _without_code_spans(line: str) -> str:
    """``line`` without its code spans: a run of backticks opens one, the next run of the
    same length closes it (one pass; an unclosed run is text, as in Markdown)."""
    out: list[str] = []
    done = 0
    opening: re.Match[str] | None = None
    for run in _TICKS.finditer(line):
        if opening is None:
            opening = run
        elif len(run.group()) == len(opening.group()):
            out.append(line[done:opening.start()])
            done, opening = run.end(), None
    return "".join(out) + line[done:] if out else line


FieldLinks = tuple[tuple[FieldPath, str], ...]
"""``(field path, href)`` of each distinct link target of an incident, at its first place."""


def field_links(incident: Incident) -> FieldLinks:
    """Every distinct link target in an incident's Markdown fields, each with the first
    field that has it (page order). Depends only on the incident, so ``mkdocs serve``
    keeps it per incident object (the loader's object stands for the file's bytes)."""
    found: dict[str, FieldPath] = {}
    for path, text, _inline in markdown_fields(incident):
        for href in links_in_markdown(text):
            found.setdefault(href, path)  # each link once per file, at its first place
    return tuple((path, href) for href, path in found.items())


def links_in_markdown(text: str) -> list[str]:
    """Targets of the inline links, images and link definitions of a Markdown text, outside
    code spans and fenced code (what Python-Markdown would make links of, near enough)."""
    kept: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(_without_code_spans(line))
    plain = "\n".join(kept)
    return [m.group(1) for m in _MD_LINK.finditer(plain)] + [
        m.group(1) for m in _REF_LINK.finditer(plain)]


def _position_in_file(
    loaded: LoadedFile, text: str, starts: list[int], path: FieldPath, href: str
) -> tuple[int, int]:
    """Line and column of ``href`` in the field at ``path`` (the field's own when the link
    is written with escapes, so it cannot be found as written). ``text``: the file's
    text; ``starts``: the offset where each line of it begins."""
    line, column = loaded.locate(path)
    if not 1 <= line <= len(starts):
        return line, column
    at = text.find(href, starts[line - 1])
    if at < 0:
        return line, column
    found = bisect.bisect_right(starts, at)
    return found, at - starts[found - 1] + 1


class _Anchors(HTMLParser):
    """Finds the ``<a>`` start tags of an HTML text, with where each starts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[tuple[int, int], str, list[tuple[str, str | None]], bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append((self.getpos(), self.get_starttag_text() or "", attrs, False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found.append((self.getpos(), self.get_starttag_text() or "", attrs, True))


_RAW_HINTS = (SCHEME, ".yaml", ".yml", "&#", "&colon")
"""A page without any of these has no raw link to an incident (entities can spell one)."""
_ATTRIBUTE_NAME = re.compile(r"[a-z_:][-a-z0-9_:.]*")


def _rewrite_anchors(html: str, resolve: Callable[[str], str | None]) -> str:
    """``html`` with the ``href`` of each ``<a>`` replaced by ``resolve(href)``: None leaves
    the tag as it is, ``""`` drops the href (the words stay, marked as a broken link).

    A real HTML parser finds the tags (never text, comments or code, where markup is
    escaped) and decodes attribute values as browsers do; it runs only when the text
    mentions incidents, a YAML file or a character reference, so most pages pay one
    case-insensitive substring search.
    """
    lower = html.lower()
    if not any(hint in lower for hint in _RAW_HINTS):
        return html
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    if not parser.found:
        return html
    line_starts = [0]
    line_starts += [m.end() for m in re.finditer("\n", html)]
    out: list[str] = []
    done = 0
    for (line, offset), text, attrs, closed in parser.found:
        href = next((v for k, v in attrs if k == "href"), None)
        if not href:
            continue
        new = resolve(href)
        if new is None:
            continue
        start = line_starts[line - 1] + offset
        if html[start:start + len(text)] != text:  # pragma: no cover - parser positions
            continue
        out += [html[done:start], _anchor_tag(attrs, new, closed)]
        done = start + len(text)
    return "".join(out) + html[done:] if out else html


def _anchor_tag(attrs: list[tuple[str, str | None]], href: str, closed: bool) -> str:
    """An ``<a>`` start tag with ``href`` (none when empty) and the class of its kind."""
    kind = LINK_CLASS if href else BROKEN_CLASS
    parts = ["<a"]
    seen_href = seen_class = False
    for name, value in attrs:
        if not _ATTRIBUTE_NAME.fullmatch(name):
            continue  # only names that mean the same to every parser
        if name == "href":
            if seen_href or not href:
                continue
            seen_href, value = True, href
        elif name == "class":
            seen_class, value = True, " ".join(filter(None, (value, kind)))
        parts.append(f" {name}" if value is None else f' {name}="{escape(value)}"')
    if not seen_class:
        parts.append(f' class="{kind}"')
    return "".join(parts) + (" />" if closed else ">")


class _LinkTreeprocessor(Treeprocessor):
    def __init__(self, md: Markdown, extension: IncidentLinkExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        links = self.extension.links
        if links is None or links.page is None:
            return  # not a page of the site (incident Markdown, another plugin's conversion)
        for element in root.iter("a"):
            href = element.get("href")
            if not href:
                continue
            new = links.page_href(href)
            if new is None:
                continue
            if new:
                element.set("href", new)
                _add_class(element, LINK_CLASS)
            else:  # broken: keep the words, drop the link (MkDocs would check it again)
                del element.attrib["href"]
                element.tag = "span"
                _add_class(element, BROKEN_CLASS)


def _add_class(element: etree.Element, name: str) -> None:
    element.set("class", " ".join(filter(None, (element.get("class"), name))))


class IncidentLinkExtension(Extension):
    """Added to the site's ``markdown_extensions``; active while the plugin converts a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: IncidentLinks | None = None

    def extendMarkdown(self, md: Markdown) -> None:
        md.treeprocessors.register(_LinkTreeprocessor(md, self), "pmtheater_links", _PRIORITY)
