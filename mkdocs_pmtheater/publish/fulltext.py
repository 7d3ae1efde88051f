"""Full-text search of every playbill with Pagefind, after the site is built.

Material's (and Zensical's) search index holds only what finds an incident
(the playbill templates mark every other section ``data-search-exclude``), so
it stays small; every word of every post-mortem is findable through Pagefind
(https://pagefind.app), a search engine for static sites whose browser side
loads only the index chunks a query needs. The playbill templates mark the
article ``data-pagefind-body`` (so Pagefind indexes playbills and nothing
else), the index's facets as ``data-pagefind-filter`` and the title, id and
date as ``data-pagefind-meta``.

Pagefind is an optional dependency (``pip install "mkdocs-pmtheater[search]"``,
which brings ``pagefind[bin]``: a prebuilt binary for the platform, run as
``python -m pagefind``). The build runs that command in a process of its own,
with a time limit, so a failing binary is a warning and never a stalled build;
nothing is downloaded at build time.
"""

from __future__ import annotations

import importlib.util
import posixpath
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BUNDLE_DIR = "pagefind"
"""Where the index goes, under the site's root: ``pagefind/pagefind.js`` and its chunks."""


def pagefind_available() -> bool:
    """Whether Pagefind's Python API and its binary (``pagefind[bin]``) are installed."""
    if importlib.util.find_spec("pagefind") is None:
        return False
    try:
        from pagefind.service import get_executable
    except ImportError:
        return False
    return get_executable() is not None


@dataclass(frozen=True)
class IndexReport:
    """What :func:`index_site` did: pages indexed, or why it could not."""

    pages: int = 0
    """Pages in the index (one fragment file each): the playbills."""
    error: str | None = None


def playbill_glob(prefix: str) -> str:
    """The HTML files Pagefind reads: everything under the playbills' URL prefix (the
    catalogue pages there have no ``data-pagefind-body``, so Pagefind leaves them out)."""
    prefix = prefix.strip("/")
    return posixpath.join(prefix, "**/*.html") if prefix else "**/*.html"


INDEX_TIMEOUT = 1800
"""Seconds Pagefind may take (10,000 playbills take a few minutes on two cores)."""


def index_site(site_dir: str | Path, *, prefix: str = "incidents") -> IndexReport:
    """Index the built site in ``site_dir`` with Pagefind and write the bundle to
    ``site_dir/pagefind/`` (replacing an earlier one). Reads only the HTML files under
    ``prefix``; only pages with ``data-pagefind-body`` (playbills) are indexed.

    Never raises: a missing package or binary, or a failure of the Pagefind service,
    is returned as :attr:`IndexReport.error` (a sentence for the build's log).
    """
    site = Path(site_dir).resolve()
    if not pagefind_available():
        return IndexReport(error="Pagefind is not installed (pip install "
                                 "\"mkdocs-pmtheater[search]\")")
    output = site / BUNDLE_DIR
    try:
        if output.is_dir():  # a stale bundle would keep removed playbills findable
            shutil.rmtree(output)
        # Pagefind's own command in a process of its own, with a time limit: its Python
        # API waits forever on a binary that exits early, and shares the caller's asyncio
        # machinery (a build run beside a browser driver, say).
        done = subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", str(site),
             "--glob", playbill_glob(prefix), "--output-path", str(output)],
            capture_output=True, text=True, timeout=INDEX_TIMEOUT, check=False)
        if done.returncode != 0:
            said = " ".join((done.stderr or done.stdout).split())[-300:]
            return IndexReport(error=f"Pagefind could not index the site (exit status "
                                     f"{done.returncode}: {said})")
    except subprocess.TimeoutExpired:
        return IndexReport(error=f"Pagefind could not index the site within "
                                 f"{INDEX_TIMEOUT} s")
    except Exception as exc:  # the service is another process: any failure is a message
        return IndexReport(error=f"Pagefind could not index the site: {exc}")
    # Pagefind's own count is of the files it read (the catalogue pages under the prefix
    # too); the fragments are the pages it kept.
    fragments = output / "fragment"
    return IndexReport(pages=sum(1 for _ in fragments.iterdir()) if fragments.is_dir() else 0)


