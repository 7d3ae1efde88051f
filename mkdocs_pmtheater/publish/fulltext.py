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

import gzip
import importlib.util
import itertools
import json
import os
import posixpath
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    tighten_chunk_bounds(output)
    # Pagefind's own count is of the files it read (the catalogue pages under the prefix
    # too); the fragments are the pages it kept.
    fragments = output / "fragment"
    return IndexReport(pages=sum(1 for _ in fragments.iterdir()) if fragments.is_dir() else 0)




SIGNATURE = b"pagefind_dcd"
"""What every Pagefind 1.x data file starts with, once gunzipped, before its CBOR."""


def tighten_chunk_bounds(bundle: str | Path) -> int:
    """Make each index chunk's upper bound in Pagefind's metadata exact where Pagefind
    wrote it loosely, so that the browser stops fetching chunks that cannot hold a word
    searched. Returns how many bounds changed (0 when there is nothing to do, or when the
    bundle is not the Pagefind 1.x format this reads: it is then left as it is).

    Why: Pagefind 1.x (``pagefind_web``, ``request_indexes``) loads, for a query word that
    falls between two chunks, every chunk whose bounds, cut to the word's length, bracket
    it. A bound is the shortest prefix that tells a chunk's last word from the next
    chunk's first word; when the last word is itself a prefix of the next first word
    (``a`` before ``ac``, ``on`` before ``onc``, ``in`` before ``inc``), the bound is that
    whole word, and cut to one letter it brackets every word beginning with it. So each
    search for "autoscaler", "oncall" or "incident" fetched the chunk of "a", "on" or
    "in": on 10,000 generated playbills 220, 270 and 136 KB that cannot hold the words
    searched (the chunk of a very common short word is large).

    The fix: such a bound (one that is a proper prefix of the next chunk's lower bound,
    hence exactly the chunk's last word) gets a NUL character appended. Every word of the
    chunk still sorts within its bounds, so a word in the index finds its chunk as
    before; a word that only begins with the chunk's last word no longer matches it, and
    none of its extensions can be in that chunk. Only the metadata file
    (``pagefind.<hash>.pf_meta``, a few bytes per page) is read and written again, with
    ``cbor2`` (Pagefind's encoding is CBOR, RFC 8949); it keeps its name, since it is
    still a function of what Pagefind wrote. Never raises: a bundle it cannot read is
    left untouched.
    """
    try:
        import cbor2
    except ImportError:  # comes with the "search" extra; without it, Pagefind as it is
        return 0
    bundle = Path(bundle)
    changed = 0
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        if not str(entry.get("version", "")).startswith("1."):
            return 0
        for language in entry.get("languages", {}).values():
            path = bundle / f"pagefind.{language['hash']}.pf_meta"
            raw = gzip.decompress(path.read_bytes())
            if not raw.startswith(SIGNATURE):
                continue
            meta: Any = cbor2.loads(raw[len(SIGNATURE):])
            chunks = meta[2] if isinstance(meta, list) and len(meta) > 2 else None
            if not (isinstance(chunks, list) and all(
                    isinstance(c, list) and len(c) == 3 and all(isinstance(v, str) for v in c)
                    for c in chunks)):
                continue
            here = 0
            for chunk, following in itertools.pairwise(chunks):
                upper, lower = chunk[1], following[0]
                if (len(upper) < len(lower) and lower.startswith(upper)
                        and _last_word(bundle / "index" / f"{chunk[2]}.pf_index") == upper):
                    chunk[1] = upper + "\0"
                    here += 1
            if here:
                data = gzip.compress(SIGNATURE + cbor2.dumps(meta), compresslevel=9, mtime=0)
                temporary = path.with_name(path.name + ".tmp")
                temporary.write_bytes(data)
                os.replace(temporary, path)
                changed += here
    except Exception:  # an unexpected bundle is left as Pagefind wrote it
        return changed
    return changed


def _last_word(path: Path) -> str | None:
    """The last (greatest) word of one index chunk (``index/<hash>.pf_index``: the words in
    order, each ``[word, pages, ...]``), or None if the file is not laid out so. Checked
    before a bound changes, so that a Pagefind that chose its bounds otherwise is left
    alone."""
    import cbor2

    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        return None
    chunk = cbor2.loads(raw[len(SIGNATURE):])
    words = chunk[0] if isinstance(chunk, list) and chunk else None
    if not (isinstance(words, list) and words and isinstance(words[-1], list)
            and words[-1] and isinstance(words[-1][0], str)):
        return None
    return words[-1][0]


def main(argv: list[str] | None = None) -> int:
    """``python -m mkdocs_pmtheater.publish.fulltext SITE [--prefix incidents]``: index a
    built site's playbills as the MkDocs build does (Pagefind, then exact chunk bounds),
    for sites built by another tool, such as Zensical after ``pmtheater render``. Prints
    how many playbills were indexed; exit status 1, with the reason, when it could not."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mkdocs_pmtheater.publish.fulltext",
        description="Index the playbills of a built site with Pagefind for the post-mortem "
                    "index's full-text search.")
    parser.add_argument("site", help="the built site's folder (site_dir)")
    parser.add_argument("--prefix", default="incidents",
                        help="the playbills' URL folder (the plugin's 'prefix'; default: "
                             "incidents)")
    args = parser.parse_args(argv)
    report = index_site(args.site, prefix=args.prefix)
    if report.error:
        print(report.error, file=sys.stderr)
        return 1
    plural = "" if report.pages == 1 else "s"
    print(f"Pagefind indexed {report.pages} playbill{plural} into "
          f"{Path(args.site) / BUNDLE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
