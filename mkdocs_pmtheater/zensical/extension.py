"""The ``pmtheater`` Python-Markdown extension: incident links on hand-written pages wherever
Python-Markdown runs without our MkDocs plugin (Zensical's ``markdown_extensions``).

Registered under the entry point group ``markdown.extensions`` as ``pmtheater``,
so ``markdown_extensions: [pmtheater]`` (mkdocs.yml) or
``[project.markdown_extensions.pmtheater]`` (zensical.toml) loads it. Under
MkDocs the plugin adds its own link extension and drops this entry, so a
site that lists both never registers the rewriting twice.

What it does on each page:

* ``[text](incident:INC-2024-031)``, ``incident:ID#AI-2`` and relative links to
  incident YAML files become links to the playbill (final URLs: the generated
  playbill pages are where ``pmtheater render`` put them); an unknown id, item
  or file is a warning naming the page, line and link, and the link's words
  stay, without a dead link.
* A page named in an incident prop's ``page`` (a runbook) ends with
  "Incidents that used this page" (unless ``backlinks: false``).

It needs to know which page it renders: Zensical tells extensions through its
rendering context (``zensical.extensions.context``). Where nothing tells it (a
plain ``markdown.markdown()`` call), it leaves links alone.

The site (its ``zensical.toml`` or ``mkdocs.yml``, incidents and pages) is read
once per process and again when an incident file or the config file changes.
Zensical keeps rendered pages in a cache and re-renders only changed pages:
list the incidents folder under ``watch`` so a changed incident refreshes the
pages that link to it (see the README, "Publishing with Zensical").
"""

from __future__ import annotations

import logging
import os
import threading
import time
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from ..links.incident_links import BROKEN_CLASS, LINK_CLASS, LinkingPage
from ..model.problems import Problem, display_path
from .pages import StagedSite, stage_site

log = logging.getLogger("mkdocs_pmtheater")
_USED_IN_TEMPLATE = "pmtheater/used-in.html"
_USED_IN_TITLE = "Incidents that used this page"
_USED_IN_ANCHOR = "pmt-used-in"
"""The heading and id of the block (templates/pmtheater/used-in.html), for the toc."""
_RECHECK_SECONDS = 1.0
"""How often (at most) the extension looks for changed incident files."""
CONFIG_NAMES = ("zensical.toml", "mkdocs.yml", "mkdocs.yaml")


def _page_of(md: Markdown) -> str | None:
    """The docs-relative path of the page ``md`` renders, when the generator says."""
    try:
        from zensical.extensions.context import ContextPreprocessor
    except ImportError:
        return None
    context = ContextPreprocessor.from_markdown(md)
    path = getattr(getattr(context, "page", None), "path", None)
    return path if isinstance(path, str) and path else None


class _Site:
    """The staged site, shared by every page of one process; restaged when files change."""

    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file
        self.lock = threading.Lock()
        self.staged: StagedSite | None = None
        self.snapshot: dict[str, tuple[int, int]] = {}
        self.checked = 0.0
        self.reported: set[str] = set()
        self.used_by: dict[str, list[Any]] = {}

    def report(self, problem: Problem) -> None:
        text = problem.text()
        if text not in self.reported:
            self.reported.add(text)
            log.warning(text)

    def _files(self) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        if self.staged is None:
            return found
        paths = [self.config_file] if self.config_file else []
        incidents = self.staged.project.incidents_dir
        for folder, dirs, names in os.walk(incidents):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            paths += [Path(folder, n) for n in names if not n.startswith(".")]
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                continue
            found[str(path)] = (info.st_mtime_ns, info.st_size)
        return found

    def current(self) -> StagedSite | None:
        with self.lock:
            now = time.monotonic()
            if self.staged is not None and now - self.checked < _RECHECK_SECONDS:
                return self.staged
            self.checked = now
            if self.staged is not None and self._files() == self.snapshot:
                return self.staged
            self.staged = self._stage()
            self.snapshot = self._files()
            return self.staged

    def _stage(self) -> StagedSite | None:
        from ..cli.render import RenderError, load_site

        try:
            project = load_site(self.config_file, Path.cwd())
        except RenderError as exc:
            self.report(Problem(str(self.config_file or "."), 0, 0, "", str(exc)))
            return None
        if not project.options.enabled:
            return None
        # Problems of incident files are reported by `pmtheater render`; here only links.
        staged = stage_site(project, report=lambda problem: None)
        staged.links.report = self.report
        self.used_by = _used_by(staged)
        return staged


_SITES: dict[str, _Site] = {}


def _site_root(md: Markdown | None) -> Path:
    """The folder of the config file the generator was given (Zensical's ``root_dir``), so
    ``zensical build -f site/zensical.toml`` from another folder finds the same site; the
    current folder when nothing says."""
    if md is not None:
        try:
            from zensical.extensions.context import ContextPreprocessor
        except ImportError:
            return Path.cwd()
        config = getattr(ContextPreprocessor.from_markdown(md), "config", None)
        root = config.get("root_dir") if isinstance(config, dict) else None
        if isinstance(root, str) and root:
            return Path(root)
    return Path.cwd()


def _site_for(config_file: str, root: Path | None = None) -> _Site:
    """The site of ``config_file``; without one, of the first of CONFIG_NAMES (Zensical's
    own order) in ``root`` (default: the current folder)."""
    root = root or Path.cwd()
    path = Path(config_file) if config_file else next(
        (root / n for n in CONFIG_NAMES if (root / n).is_file()), None)
    key = str(path.resolve()) if path else ""
    if key not in _SITES:
        _SITES[key] = _Site(path)
    return _SITES[key]


def _used_by(staged: StagedSite) -> dict[str, list[Any]]:
    """Page src_uri -> the published incidents naming it in a prop, newest first."""
    found: dict[str, list[Any]] = {}
    if not staged.production.options.backlinks:
        return found
    for incident in staged.production.playbills.values():  # newest first
        if incident.setting is None:
            continue
        for page in dict.fromkeys(p.page for p in incident.setting.props if p.page):
            found.setdefault(page, []).append(incident)
    return found


class _Links(Treeprocessor):
    def __init__(self, md: Markdown, extension: PmTheaterExtension) -> None:
        super().__init__(md)
        self.extension = extension
        self.title = _USED_IN_TITLE
        """The block's entry in the page's table of contents, in the site's language."""

    def run(self, root: etree.Element) -> None:
        try:
            self._run(root)
        except Exception as exc:  # a crash here would abort the whole Zensical build
            self.extension.site(self.md).report(Problem("pmtheater", 0, 0, "",
                                                 f"incident links were left as written: {exc!r}"))

    def _run(self, root: etree.Element) -> None:
        page = _page_of(self.md)
        if page is None:
            return
        site = self.extension.site(self.md)
        staged = site.current()
        if staged is None:
            return
        links = staged.links
        display = display_path(str(staged.project.docs_dir / page), str(staged.project.root))
        source = staged.project.docs_dir / page
        links.begin_page(LinkingPage(page, display, lambda: source.read_text("utf-8-sig")))
        try:
            for element in root.iter("a"):
                href = element.get("href")
                if not href:
                    continue
                new = links.page_href(href, staged.tree)
                if new is None:
                    continue
                classes = element.get("class")
                if new:
                    element.set("href", new)
                    element.set("class", " ".join(filter(None, (classes, LINK_CLASS))))
                else:
                    del element.attrib["href"]
                    element.tag = "span"
                    element.set("class", " ".join(filter(None, (classes, BROKEN_CLASS))))
        finally:
            links.end_page()


class _UsedIn(Treeprocessor):
    """Appends the block as raw HTML at the very end of the page. A treeprocessor, not a
    postprocessor: ``toc`` runs the postprocessors on every heading's text as well."""

    def __init__(self, md: Markdown, extension: PmTheaterExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        try:
            block = self._block()
        except Exception as exc:  # a crash here would abort the whole Zensical build
            self.extension.site(self.md).report(Problem(
                "pmtheater", 0, 0, "", f"'Incidents that used this page' left out: {exc!r}"))
            return
        if block:
            # A paragraph holding only a stash placeholder is replaced by the raw HTML.
            etree.SubElement(root, "p").text = self.md.htmlStash.store(block)
            _add_to_toc(self.md, self.title, _USED_IN_ANCHOR)

    def _block(self) -> str:
        page = _page_of(self.md)
        if page is None:
            return ""
        site = self.extension.site(self.md)
        staged = site.current()
        incidents = site.used_by.get(page) if staged is not None else None
        if not incidents or staged is None or page in staged.production.pages:
            return ""
        production = staged.production
        renderer = production.renderer()
        self.title = renderer.labels.gettext(_USED_IN_TITLE)
        entries = []
        for incident in incidents:
            url = staged.tree.url(production.playbill_src(incident), page)
            if url is not None:
                entries.append({"incident": incident, "url": url,
                                "rank": renderer.severity_rank(incident.severity)})
        return renderer.env.get_template(_USED_IN_TEMPLATE).render(
            entries=entries, clock=renderer.clock, page=None)


def _add_to_toc(md: Markdown, title: str, anchor: str) -> None:
    """List the block in the page's table of contents, as the MkDocs plugin does: Zensical
    builds it from ``md.toc_tokens`` (made by ``toc``, which ran before us). A page with
    one ``<h1>`` gets it among that heading's sections."""
    tokens = getattr(md, "toc_tokens", None)
    if not isinstance(tokens, list):
        return
    token = {"level": 2, "id": anchor, "name": title, "html": title, "data-toc-label": "",
             "children": []}
    if tokens and isinstance(tokens[0], dict) and tokens[0].get("level") == 1:
        tokens[0].setdefault("children", []).append(token)
    else:
        tokens.append(token)


class PmTheaterExtension(Extension):
    """``markdown_extensions: [pmtheater]``: incident links and "Incidents that used this
    page" on hand-written pages, outside MkDocs (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "config_file": ["", "the site's zensical.toml or mkdocs.yml; default: the first "
                                "of those in the current folder"],
        }
        super().__init__(**kwargs)

    def site(self, md: Markdown | None = None) -> _Site:
        """The site the page rendered by ``md`` belongs to (see :func:`_site_root`)."""
        config_file = self.getConfig("config_file")
        return _site_for(config_file, None if config_file else _site_root(md))

    def extendMarkdown(self, md: Markdown) -> None:
        # After the inline patterns made the links (20), before other link processors (0).
        md.treeprocessors.register(_Links(md, self), "pmtheater_links", 1.5)
        # Last of all (after toc, 5, and any link processor, 0): the block's heading is
        # added to the toc's tokens by hand (_add_to_toc).
        md.treeprocessors.register(_UsedIn(md, self), "pmtheater_used_in", -100)


def makeExtension(**kwargs: Any) -> PmTheaterExtension:
    """Python-Markdown's entry point for ``pmtheater`` as a dotted-path extension."""
    return PmTheaterExtension(**kwargs)


__all__ = ["PmTheaterExtension", "makeExtension"]
