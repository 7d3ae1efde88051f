"""``mkdocs build``: playbills rendered ahead, on the other core, by a forked child.

MkDocs converts every page before it writes any, and the theater's part of
converting a playbill (its body from the templates: 3 ms a playbill, most of the
build's own time) runs on one core while the other waits: Pagefind starts only
once the pages are written. After the build process has rendered its first
playbill (templates compiled, "Previously on…" computed), a forked child renders
the playbills from the last one backwards while the build goes on from the
first (:class:`~..load.parallel.AheadInChild`); each playbill is rendered by
whichever gets to it first.

What rendering does besides the HTML is sent with it and done again here when the
body is used, in the order the build reaches the page, so the site and the log
are those of rendering in one process: the problems it reported (counted for
``--strict``), every log record and everything it printed, in their order
(captured in the child, not printed there), the links it recorded for "Referenced
by", and the broken links it warned about (warned once a build). A playbill whose
rendering depends on what the build rendered before it (a Python warning, shown
once; a text with a Markdown pass of its own, whose ids count such passes) is left
to the build. Not under ``mkdocs serve`` (threads: no fork; the render
cache reuses bodies instead) nor where forking is not usable; then every
playbill is rendered here, as before.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import warnings
from dataclasses import dataclass

from mkdocs.structure.files import Files

from ..links.incident_links import IncidentLinks
from ..load.parallel import AheadInChild
from ..model.problems import Problem
from ..render.toc import TocEntry
from .theater import Theater


@dataclass
class RenderedAhead:
    """One playbill rendered by the child, with what rendering it did besides."""

    body: str
    sections: list[TocEntry]
    problems: list[tuple[Problem, bool]]
    """What it reported; True: the production found it (it keeps a list)."""
    links: list[str]
    """Incident slugs the body links to, in the order recorded."""
    warned: list[tuple[str, str]]
    """Broken links it warned about: ``(file as named, href)``."""
    over_budget: list[tuple[str, bool]]
    """Its fields shown as plain text for their incident's Markdown budget (shown so on
    the catalogue pages too)."""
    logs: list[logging.LogRecord | tuple[str, str]]
    """In the order made: every log record it emitted (its message formatted, its
    traceback as text) and what it wrote to ``sys.stdout`` or ``sys.stderr`` (``print``:
    stream, text)."""


_TRACEBACKS = logging.Formatter()


class PlaybillsAhead:
    """The child rendering this build's playbills ahead (see the module)."""

    def __init__(self, theater: Theater, links: IncidentLinks | None, files: Files) -> None:
        self._theater = theater
        self._links = links
        self._files = files
        self._logs: list[logging.LogRecord | tuple[str, str]] = []
        self._child: AheadInChild[str, RenderedAhead] | None = None
        self._python_warning = False
        """In the child: the page being rendered raised a Python warning."""

    @classmethod
    def start(cls, theater: Theater, links: IncidentLinks | None, files: Files,
              after: str) -> PlaybillsAhead | None:
        """The child for the playbills that MkDocs converts after ``after`` (a src_uri),
        or None when it cannot or need not start (see ``AheadInChild.start``)."""
        order = [f.src_uri for f in files.documentation_pages()
                 if f.src_uri in theater.playbills]
        if after not in order:
            return None
        ahead = cls(theater, links, files)
        ahead._child = AheadInChild.start(ahead._render, order[order.index(after) + 1:],
                                          in_child=ahead._capture_logs)
        return ahead if ahead._child is not None else None

    @property
    def taken(self) -> int:
        """Playbills taken from the child so far."""
        return self._child.taken if self._child is not None else 0

    def take(self, src: str) -> tuple[str, list[TocEntry]] | None:
        """The body and sections of playbill ``src`` if the child rendered it, with what
        rendering did besides done here; None: render it here."""
        if self._child is None:
            return None
        rendered = self._child.take(src)
        if rendered is None:
            return None
        theater = self._theater
        for problem, in_production in rendered.problems:
            if in_production:
                theater.production.problems.append(problem)
            theater.problem_texts.append(problem.text())
        links = self._links
        if links is not None:
            for slug in rendered.links:
                links.index.add(src, slug)
            links.already_reported(rendered.warned)
        theater.production.fields().over_budget.update(rendered.over_budget)
        for record in rendered.logs:  # the problems' own lines among them
            if isinstance(record, tuple):
                stream, text = record
                (sys.stdout if stream == "stdout" else sys.stderr).write(text)
                continue
            logger = logging.getLogger(record.name)
            if logger.isEnabledFor(record.levelno):
                logger.handle(record)
        return rendered.body, rendered.sections

    def close(self) -> None:
        """Stop the child (every page is converted, or the build failed)."""
        if self._child is not None:
            self._child.close()

    # -- in the child --------------------------------------------------------
    def _capture_logs(self) -> None:
        """Keep the child's log records for the build to emit (``Logger.handle`` is the
        one way in for every record that passed its logger's level), and note its Python
        warnings."""
        logs = self._logs

        def handle(logger: logging.Logger, record: logging.LogRecord) -> None:
            # Sent pickled: the message as formatted, the traceback as a handler prints
            # it (a record that still does not pickle has its page rendered by the build).
            record.msg, record.args = record.getMessage(), None
            if record.exc_info:
                record.exc_text = record.exc_text or _TRACEBACKS.formatException(
                    record.exc_info)
                record.exc_info = None
            logs.append(record)

        logging.Logger.handle = handle  # type: ignore[method-assign,assignment]
        # A Python warning is shown once per place in the code, by the registry of the
        # process that raises it: only the build's says whether (and on which page) one
        # process would show it. A page that raises any is left to the build.
        # One the build's filters ignore (Python ignores DeprecationWarning outside
        # __main__) is shown by neither process: it leaves the page to the child.
        filters = list(warnings.filters)
        warnings.simplefilter("always")

        def show(message: Warning | str, category: type[Warning], filename: str,
                 *args: object, **kwargs: object) -> None:
            if _ignored(filters, str(message), category, filename):
                return
            self._python_warning = True

        warnings.showwarning = show
        # Printed output too is the build's to write: the child also renders pages that
        # the build renders (and a page whose rendering fails in the child).
        sys.stdout = _Printed("stdout", sys.stdout, logs)
        sys.stderr = _Printed("stderr", sys.stderr, logs)

    def _render(self, src: str) -> RenderedAhead | None:
        theater, links = self._theater, self._links
        self._logs.clear()
        self._python_warning = False
        warned = set(links.warned) if links is not None else set()
        if links is not None:
            links.index.start(src)  # as the build does when it converts the page
        fields = theater.production.fields()
        passes = fields.solo_passes
        over_budget = set(fields.over_budget)
        rendered, problems = theater.render_recorded(src, self._files)
        if rendered is None or self._python_warning:
            return None
        if fields.solo_passes != passes:
            # A text with a Markdown pass of its own numbers its ids by the passes before
            # it in the build's order (pmt-user-N-): only the build can render it.
            return None
        body, sections = rendered
        return RenderedAhead(
            body, sections, problems,
            list(links.index.pages.get(src, ())) if links is not None else [],
            sorted(links.warned - warned) if links is not None else [],
            sorted(fields.over_budget - over_budget),
            list(self._logs))


def _ignored(filters: list[tuple[object, ...]], message: str, category: type[Warning],
             filename: str) -> bool:
    """Whether the first of ``filters`` (``warnings.filters`` entries: action, message
    pattern, category, module pattern, line) that fits a warning says ``ignore``. The
    module is taken from the file's name, as ``warnings.warn`` does for a file it cannot
    name otherwise; the line is not compared (a filter for one line is kept: it fits)."""
    module = os.path.splitext(os.path.basename(filename))[0]
    for action, pattern, kind, module_pattern, _line in filters:
        if (isinstance(kind, type) and issubclass(category, kind)
                and (pattern is None or pattern.match(message))  # type: ignore[attr-defined]
                and (module_pattern is None
                     or module_pattern.match(module))):  # type: ignore[attr-defined]
            return action == "ignore"
    return False


class _Printed(io.TextIOBase):
    """In the child: ``sys.stdout`` or ``sys.stderr``, kept for the build to write."""

    def __init__(self, name: str, stream: object,
                 printed: list[logging.LogRecord | tuple[str, str]]) -> None:
        super().__init__()
        self._name, self._stream, self._printed = name, stream, printed

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._printed.append((self._name, text))
        return len(text)

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"
