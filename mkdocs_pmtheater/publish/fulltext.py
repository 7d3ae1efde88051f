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
``python -m pagefind``). The build runs that command in a process of its own
(a Python child that runs it on at most a part of the playbills at a time, see
:mod:`.shards`, then cuts each part's index chunks to size, makes their bounds
exact and names its files in sequence, see :func:`index_then_tighten`), with a time
limit, so a failing binary is a warning and never a stalled build; nothing is
downloaded at build time.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib.util
import itertools
import json
import os
import pickle
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from ..load.parallel import widen_pipe
from ..render.searchslim import (
    _MARKUP_IN_VALUE,
    _NOT_PLAIN,
    _START_TAG,
    _VOID,
    _element_end,
    tag_attributes,
)
from .shards import (
    count_files,
    count_pages,
    link_or_copy,
    playbill_files,
    prune_part,
    shard_size,
    split,
    write_shard_list,
)

BUNDLE_DIR = "pagefind"
"""Where the index goes, under the site's root: ``pagefind/pagefind.js`` and its chunks."""
SEARCH_WORKER = "assets/pmtheater/pmtheater-search.js"
"""Where the index page's own worker that runs Pagefind is published, under the site's
root (its source: ``mkdocs_pmtheater/assets/pmtheater-search.js``); the index page
names it in ``data-pmt-fulltext-worker``."""


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

MEMORY_FOLDER = Path("/dev/shm")
"""Linux's file system in memory (tmpfs) that every user may write to."""
MEMORY_COPY_BYTES = 64 * 1024
"""Room asked of :data:`MEMORY_FOLDER` per playbill copy (a copy is about 25 KB)."""
MEMORY_SPARE_BYTES = 512 * 1024 * 1024
"""Room :data:`MEMORY_FOLDER` must keep free besides the copies (other programs use it;
Docker's is 64 MB: never used there)."""


def copies_home(playbills: int) -> str | None:
    """Where a build makes its temporary folder of Pagefind copies (``dir`` for
    :func:`tempfile.mkdtemp`): :data:`MEMORY_FOLDER` when it is a writable folder with
    room for ``playbills`` copies (:data:`MEMORY_COPY_BYTES` each) and
    :data:`MEMORY_SPARE_BYTES` more, and ``TMPDIR`` is not set (a user's choice wins);
    else ``None``, the system's temporary folder.

    Why: writing thousands of copies in new folders, then removing them, is most of
    what the kernel does for a build. On ext4 without a journal (a common virtual
    machine's disk) each new file or folder is slower the more were removed in the
    last minutes, so back-to-back builds pay more each time: 1.3 to 3.3 s of system CPU
    at 2,000 playbills, against almost none in memory. The copies live only while
    Pagefind runs (about 25 KB each: 50 MB at 2,000 playbills); :func:`sweep_copies`
    removes those of a build killed before it could. Used for the copies streamed
    during conversion (:class:`StreamedCopies`): a child that fails there, the memory
    folder full say, sends the build to index the written site instead."""
    if os.environ.get("TMPDIR"):
        return None
    try:
        room = os.statvfs(MEMORY_FOLDER)
    except OSError:  # not Linux, or no such folder
        return None
    free = room.f_bavail * room.f_frsize
    if (not MEMORY_FOLDER.is_dir() or not os.access(MEMORY_FOLDER, os.W_OK | os.X_OK)
            or free < MEMORY_SPARE_BYTES + MEMORY_COPY_BYTES * max(0, playbills)):
        return None
    sweep_copies(MEMORY_FOLDER)
    return str(MEMORY_FOLDER)


COPIES_PREFIX = "pmtheater-pagefind-"
"""How the temporary folders of copies are named."""


def sweep_copies(folder: Path, *, older_than: float = 2 * INDEX_TIMEOUT) -> int:
    """Remove this user's folders of copies in ``folder`` not touched for ``older_than``
    seconds: left by a build killed with its Pagefind child (no build runs that long).
    In memory they would hold their megabytes until the machine restarts. Returns how
    many were removed; never raises."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(COPIES_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (entry.is_dir(follow_symlinks=False) and info.st_uid == os.getuid()
                and now - info.st_mtime > older_than):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


class PagefindRun:
    """A Pagefind process indexing a folder of HTML files, started by :func:`start_index`.

    The build goes on while it runs (it is a process of its own, so it uses the other
    core); :meth:`wait` collects the result. Never raises.
    """

    def __init__(self, output: Path, process: subprocess.Popen[bytes] | None,
                 error: str | None = None, cleanup: Path | None = None,
                 log: IO[bytes] | None = None) -> None:
        self.output = output
        self._process = process
        self._log = log
        self._error = error
        self._cleanup = cleanup
        self._started = time.monotonic()
        self._report: IndexReport | None = None

    @property
    def stdin(self) -> IO[bytes] | None:
        """The child's standard input while it reads copies from the build (see
        :func:`start_index`'s ``stream``), else ``None``."""
        return self._process.stdin if self._process is not None else None

    def wait(self) -> IndexReport:
        """Wait for Pagefind (at most :data:`INDEX_TIMEOUT` seconds since it started) and
        return what it did; a second call returns the same report."""
        if self._report is None:
            self._report = self._finish()
            if self._log is not None:
                self._log.close()
            if self._cleanup is not None:
                shutil.rmtree(self._cleanup, ignore_errors=True)
        return self._report

    def _kill(self) -> None:
        """Stop the child and Pagefind under it (a process group of their own on POSIX)."""
        assert self._process is not None
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        if os.name == "posix":
            with contextlib.suppress(OSError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._process.kill()
        self._process.wait()

    def cancel(self) -> None:
        """Stop Pagefind if it still runs (the build failed, say) and forget its files."""
        if self._process is not None and self._process.poll() is None:
            self._kill()
        if self._log is not None:
            self._log.close()
        if self._cleanup is not None:
            shutil.rmtree(self._cleanup, ignore_errors=True)
        self._report = IndexReport(error="Pagefind was stopped")

    def _finish(self) -> IndexReport:
        if self._error is not None or self._process is None:
            return IndexReport(error=self._error or "Pagefind did not start")
        left = max(1.0, INDEX_TIMEOUT - (time.monotonic() - self._started))
        try:
            self._process.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self._kill()
            # The parts written so far, without their list, would be read as the whole
            # index: the page would find only some playbills, and say nothing.
            shutil.rmtree(self.output, ignore_errors=True)
            return IndexReport(error=f"Pagefind could not index the site within "
                                     f"{INDEX_TIMEOUT} s")
        except Exception as exc:  # the service is another process: any failure is a message
            return IndexReport(error=f"Pagefind could not index the site: {exc}")
        if self._process.returncode != 0:
            said = ""
            if self._log is not None:
                self._log.seek(0)
                said = " ".join(self._log.read().decode("utf-8", "replace").split())[-300:]
            return IndexReport(error=f"Pagefind could not index the site (exit status "
                                     f"{self._process.returncode}: {said})")
        # The child made the chunk bounds exact (index_then_tighten).
        # Pagefind's own count is of the files it read (the catalogue pages under the
        # prefix too); the fragments, in every part, are the pages it kept.
        return IndexReport(pages=count_pages(self.output))


def start_index(source_dir: str | Path, output: str | Path, *, glob: str = "**/*.html",
                cleanup: bool = False, copies: tuple[Path, Path] | None = None,
                stream: tuple[Path, str, int] | None = None,
                shard: int | None = None) -> PagefindRun:
    """Start Pagefind on the HTML files of ``source_dir`` matching ``glob``, writing the
    bundle to ``output`` (replacing an earlier one), and return at once.

    ``shard``: playbills per Pagefind run (see :mod:`.shards`); ``None``: automatic
    (:func:`.shards.shard_size`).

    ``cleanup``: ``source_dir`` is a temporary copy, removed once Pagefind is done.
    Else the folder where a big site's parts are linked (:func:`index_in_parts`) is made
    here, beside ``source_dir``, and removed once Pagefind is done or stopped: a child
    stopped at the time limit cannot remove it itself.
    ``copies``: (a file of copies, where their digests go): the child first writes the
    copies into ``source_dir`` (:func:`write_copies`), then runs Pagefind on them.
    ``stream``: (where the digests go, the pages' language, the bytes the copies may
    take, 0: no limit): the child reads the copies from its standard input (a pipe,
    :attr:`PagefindRun.stdin`) as the build converts them (:func:`receive_copies`), then
    runs Pagefind on them.
    Never raises: a missing package or binary, or a process that cannot start, is the
    returned run's :attr:`IndexReport.error` (a sentence for the build's log).
    """
    source, output = Path(source_dir).resolve(), Path(output).resolve()
    folder = source if cleanup else None
    if not pagefind_available():
        return PagefindRun(output, None, error="Pagefind is not installed (pip install "
                                               "\"mkdocs-pmtheater[search]\")",
                           cleanup=folder)
    log = None
    try:
        if output.is_dir():  # a stale bundle would keep removed playbills findable
            shutil.rmtree(output)
        # What Pagefind says goes to a file, not a pipe: nobody reads a pipe while the
        # build goes on, and a full one would stall Pagefind.
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by PagefindRun.wait
        work = []
        if folder is None:  # the parts' folder: on the site's file system, not in the site
            try:
                folder = Path(tempfile.mkdtemp(prefix=".pmtheater-shards-",
                                               dir=source.parent))
            except OSError:  # a folder that cannot be written: the system's
                folder = Path(tempfile.mkdtemp(prefix="pmtheater-shards-"))
            work = ["--pmt-work", str(folder)]
        # Pagefind's own command in a process of its own, with a time limit: its Python
        # API waits forever on a binary that exits early, and shares the caller's asyncio
        # machinery (a build run beside a browser driver, say). A Python child runs it,
        # then makes the chunk bounds exact (index_then_tighten): that reading and writing
        # of the bundle (0.5 s at 2,000 playbills) is then done on the other core, while
        # the build still writes pages, instead of at its end.
        here = str(Path(__file__).resolve().parents[2])
        first = ["--pmt-shard-size", str(shard if shard is not None and shard > 0 else 0),
                 *work]
        if copies:
            first += ["--pmt-copies", str(copies[0]), str(copies[1])]
        if stream is not None:
            first += ["--pmt-stream", str(stream[0]), stream[1], str(stream[2])]
        process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, here, *first, "--site", str(source),
             "--glob", glob, "--output-path", str(output)],
            stdin=subprocess.PIPE if stream is not None else subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT,
            start_new_session=os.name == "posix")  # its own group: cancel stops both
        if process.stdin is not None:
            widen_pipe(process.stdin.fileno())
    except Exception as exc:
        if log is not None:
            log.close()
        return PagefindRun(output, None, error=f"Pagefind could not index the site: {exc}",
                           cleanup=folder)
    return PagefindRun(output, process, cleanup=folder, log=log)


_CHILD = """import sys
sys.path.insert(0, sys.argv[1])
from mkdocs_pmtheater.publish.fulltext import index_then_tighten
sys.exit(index_then_tighten(sys.argv[2:]))
"""
"""The Pagefind child's program: its first argument is the folder this package is in,
put first on the child's path, so that the child runs the parent's own copy of the
package (not another one installed, which might not know the parent's arguments)."""


def index_then_tighten(arguments: list[str]) -> int:
    """Run Pagefind's command (with ``arguments``: ``--site``, ``--glob`` and
    ``--output-path``, the bundle), in parts of bounded size (:func:`index_in_parts`),
    then :func:`_finish_bundle` (chunks cut, exact bounds, names in sequence, filters in
    order) on each part once Pagefind succeeded. Returns Pagefind's exit
    status. What :func:`start_index` runs in a process of its own. Arguments may start
    with ``--pmt-shard-size N`` (playbills per run; 0: automatic), then ``--pmt-work
    DIR`` (an empty folder for the parts' links, which the parent removes); then
    ``--pmt-copies FILE DIGESTS`` has :func:`write_copies` write the copies Pagefind is
    to read first; ``--pmt-stream DIGESTS LANGUAGE ROOM``, :func:`receive_copies` (from
    standard input, the copies taking at most ROOM bytes, 0: no limit)."""
    chosen: int | None = None
    if arguments[:1] == ["--pmt-shard-size"]:
        chosen = int(arguments[1]) or None
        arguments = arguments[2:]
    work = None
    if arguments[:1] == ["--pmt-work"]:
        work = Path(arguments[1])
        arguments = arguments[2:]
    ours = arguments[:1] in (["--pmt-copies"], ["--pmt-stream"])  # a folder of copies
    site = Path(arguments[arguments.index("--site") + 1])
    try:
        if arguments[:1] == ["--pmt-copies"]:
            write_copies(Path(arguments[1]), Path(arguments[2]))
            arguments = arguments[3:]
        elif arguments[:1] == ["--pmt-stream"]:
            if not receive_copies(sys.stdin.buffer, site, Path(arguments[1]), arguments[2],
                                  room=int(arguments[3])):
                # The build stopped sending: it failed, fell back, or was interrupted
                # (Ctrl-C ends it without on_build_error); or the copies outgrew their
                # room: no Pagefind.
                return 3
            arguments = arguments[4:]
        return index_in_parts(site, arguments[arguments.index("--glob") + 1],
                              Path(arguments[arguments.index("--output-path") + 1]), chosen,
                              copies=ours, work=work)
    finally:
        if ours:  # read, or never to be: no copies left behind (in memory, copies_home),
            # even when the build is gone (Ctrl-C once they were sent: no one else removes them)
            shutil.rmtree(site, ignore_errors=True)


@lru_cache(maxsize=1)
def _pagefind_command() -> tuple[str, ...]:
    """How to run Pagefind: its binary, as ``python -m pagefind`` finds it (which then
    only replaces itself with the binary: a Python start-up saved per part), or that
    command when the binary cannot be named here."""
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except Exception:  # the package's own command then says what is wrong
        found = None
    return (str(found),) if found is not None else (sys.executable, "-m", "pagefind")


def _run_pagefind(site: Path, glob: str, bundle: Path) -> int:
    """Pagefind's command on ``site``'s files matching ``glob``, into ``bundle``: its exit
    status (127, said on standard error, when the binary cannot run)."""
    try:
        return subprocess.call([*_pagefind_command(), "--site", str(site),
                                "--glob", glob, "--output-path", str(bundle)],
                               stdin=subprocess.DEVNULL)
    except OSError as exc:  # a binary that cannot run: said in the build's warning
        print(f"Pagefind's binary could not run: {exc}", file=sys.stderr)
        return 127


def _finish_bundle(bundle: Path, *, later_part: bool = False) -> None:
    """What the build does to a bundle (or part) Pagefind wrote: index chunks cut to
    size, exact chunk bounds, fragments and chunks named in sequence, filters in a fixed
    order; a part after the first loses the scripts only the first part's serve
    (:func:`.shards.prune_part`), the first has its WebAssembly compressed again and a
    gzipped copy of ``pagefind.js`` beside it (:func:`pack_script`)."""
    split_index_chunks(bundle)
    tighten_chunk_bounds(bundle)
    name_in_sequence(bundle)
    order_filters(bundle)
    if later_part:
        prune_part(bundle)
    else:
        pack_webassembly(bundle)
        pack_script(bundle)


def _pagefind(site: Path, glob: str, bundle: Path) -> int:
    """Pagefind's command on ``site``'s files matching ``glob``, into ``bundle``; then, if
    it succeeded, :func:`_finish_bundle`. Its exit status."""
    status = _run_pagefind(site, glob, bundle)
    if status == 0:
        _finish_bundle(bundle)
    return status


def index_in_parts(site: Path, glob: str, bundle: Path, chosen: int | None = None, *,
                   copies: bool = False, work: Path | None = None) -> int:
    """Index the playbills among ``site``'s files matching ``glob`` into ``bundle``, at
    most :func:`.shards.shard_size` of them (``chosen``, or automatic) per Pagefind run,
    one run after another: the first part in ``bundle``, the others in
    ``bundle/shard-N/``, listed in the first part's entry (:data:`.shards.PARTS_KEY`, see
    :mod:`.shards`). A site that fits one part is indexed in place (copies: through a
    folder of links, as the parts are, for the order Pagefind reads them in). Returns
    the first failing run's exit status (then no bundle is left: a part missing would
    leave some playbills unfindable without a word), else 0. ``copies``: ``site`` is a
    temporary folder of copies, removed with everything in it when the run is stopped.
    ``work``: an empty folder for the parts' links, made (and removed, even when this
    process is stopped) by the caller (:func:`start_index`). Raises OSError when a
    part's folder cannot be made."""
    parts = None
    if copies:  # playbills by construction: not read again to know it; linked even in
        # one part, cheaply, so that Pagefind reads them in URL order (below)
        names = sorted(p.relative_to(site).as_posix() for p in site.glob(glob)
                       if p.is_file())
        parts = split(names, shard_size(len(names), chosen))
    elif count_files(site, glob) > shard_size(0, chosen):  # else one part holds them all
        names = playbill_files(site, glob)
        parts = split(names, shard_size(len(names), chosen))
    if not parts or (len(parts) == 1 and not copies):
        return _pagefind(site, glob, bundle)
    # Each part's files are hard links in a folder of their own, on the site's file
    # system (so no copies), so that the part's URLs are the pages' own: inside a folder
    # of copies (removed whole if the build stops this process), else beside the site
    # (never in it: a stopped run would leave the folder in what is published).
    if work is None:
        try:
            work = Path(tempfile.mkdtemp(prefix=".pmtheater-shards-",
                                         dir=site if copies else site.parent))
        except OSError:  # a folder that cannot be written: copies in the system's
            work = Path(tempfile.mkdtemp(prefix="pmtheater-shards-"))
    listed, done = [], False
    try:
        # Each part is finished (_finish_bundle: Python, 0.16 s per 500 playbills) on a
        # thread while Pagefind, a process of its own, indexes the next part.
        with ThreadPoolExecutor(max_workers=1) as finishing:
            finished = []
            for number, part in enumerate(parts, start=1):
                folder = work / str(number)
                # Made last to first: a folder in memory (tmpfs) lists what it holds
                # newest first, so Pagefind reads and numbers the pages in URL order, and
                # split_index_chunks has none to renumber (elsewhere it does).
                for name in reversed(part):
                    link_or_copy(site / name, folder / name)
                target = bundle if number == 1 else bundle / f"shard-{number}"
                status = _run_pagefind(folder, "**/*.html", target)
                shutil.rmtree(folder, ignore_errors=True)
                if copies:  # read: their memory (copies_home) is free for the next parts
                    for name in part:
                        with contextlib.suppress(OSError):
                            (site / name).unlink()
                if status != 0:
                    return status  # once the parts being finished are (the with block)
                finished.append(finishing.submit(_finish_bundle, target,
                                                 later_part=number > 1))
                if number > 1:
                    listed.append(f"shard-{number}/")
            for part_done in finished:
                part_done.result()
        if len(parts) > 1:  # one part: no list, as in Pagefind's own bundle
            write_shard_list(bundle, listed)  # into the entry part 1's finish wrote
        done = True
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not done:  # a part failed, or something raised on the way: no part is left
            shutil.rmtree(bundle, ignore_errors=True)
    return 0


Parts = tuple[bytes | str, ...]
"""A playbill body as held by the build: zlib-compressed UTF-8 (``surrogatepass``) runs
and plain text runs, in order (``PackedPage``'s packed form); joined, the body."""


def join_parts(parts: Parts) -> str:
    """The body that ``parts`` hold (see :data:`Parts`)."""
    return "".join(part if isinstance(part, str)
                   else zlib.decompress(part).decode("utf-8", "surrogatepass")
                   for part in parts)


def write_copies(copies: Path, digests: Path) -> None:
    """In the Pagefind child: write each playbill copy listed in ``copies`` (a pickle of
    ``(html_tag, [(source URI, path under the site, parts)])`` that
    :class:`PlaybillCopies` wrote into the folder Pagefind reads) into that folder as
    the page would hold it, then the digests of their bodies to ``digests`` (JSON,
    source URI -> hex), for the build to compare with the written pages. On the other
    core: 2,000 copies decompressed and written are 0.6 s or more of the build's own
    thread, and several seconds on a thread of its own (the GIL is held for most of it)."""
    folder = copies.parent
    with copies.open("rb") as stream:
        # Written by this build into its own mkdtemp folder (0700) a moment ago.
        html_tag, entries = pickle.load(stream)
    copies.unlink()
    found: dict[str, str] = {}
    for src_uri, dest_path, parts in entries:
        body = join_parts(parts)
        path = folder / dest_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'<!DOCTYPE html>\n{html_tag}<head><meta charset="utf-8">'
                        f"</head><body>{body}</body></html>\n", encoding="utf-8",
                        errors="surrogatepass")
        found[src_uri] = PlaybillCopies.digest(body).hex()
    written = digests.with_suffix(".part")
    written.write_text(json.dumps(found), encoding="utf-8")
    os.replace(written, digests)


SLOT = "<!-- pmtheater:referenced-by -->"
"""Where a playbill's "Referenced by" goes (``plugin/backlinks.py``); the same text."""


def copy_page(html_tag: str, body: str) -> str:
    """A playbill's copy as Pagefind reads it: the page's ``<html>`` tag and its body."""
    return (f'<!DOCTYPE html>\n{html_tag}<head><meta charset="utf-8"></head>'
            f"<body>{body}</body></html>\n")


_TITLE_NOT_PLAIN = re.compile(r"<title(?=[\t\n\r\f />])[^<>]*>(?![^<]*</title[\t\n\r\f />])")
"""A ``<title>`` whose text is not followed by its end tag: lol_html reads ``<title>`` as
RCDATA (in ``<svg>`` too), so the tags in it, or after an unclosed one, are text to
Pagefind. The swimlane's titles hold escaped text only; an icon that a ``custom_dir``
replaces (the awards partial includes Material's trophy) may hold anything."""


def pagefind_cut(body: str) -> str:
    """``body`` without the elements Pagefind would ignore whole: the copy Pagefind reads
    makes the same bundle, with less to parse (a generated playbill's body is 38 %
    ignored labels, recaps and columns; Pagefind spent about 12 % less CPU time on
    2,000 playbills, and wrote the same fragments, index and filters).

    Cut: an element whose start tag has the attribute ``data-pagefind-ignore`` (no
    value, ``index`` or ``all``), up to the first end tag of its name, when no element
    of that name starts inside it and no ``data-pagefind-`` attribute (a filter, a
    piece of metadata, a sort key, which ``index`` keeps) is inside it. The markup must
    be well formed, as the packaged templates and the sanitiser write it (the plugin
    asks for the cut only then); comments, raw-text elements and ``<`` or ``>`` in
    attribute values leave the body whole. O(body size)."""
    low = body.lower()  # lol_html, Pagefind's parser, reads names without case
    if (len(low) != len(body) or _NOT_PLAIN.search(low) is not None
            or _MARKUP_IN_VALUE.search(low) is not None
            or _TITLE_NOT_PLAIN.search(low) is not None):
        return body
    parts: list[str] = []
    kept = 0  # body[kept:] is not cut yet; no tag starts before it is looked at again
    looked = 0
    at = low.find("data-pagefind-ignore")
    while at >= 0:
        tag_start = low.rfind("<", max(kept, looked), at)
        looked = at
        match = _START_TAG.match(low, tag_start) if tag_start >= 0 else None
        resume = at + 1
        if match is not None and match.end() > at and _ignored_whole(match.group(2)):
            tag = match.group(1)
            end = (None if tag in _VOID or match.group(2).endswith("/")
                   else _element_end(tag).search(low, match.end()))
            if (end is not None and end.group(1)
                    and low.find("data-pagefind-", match.end(), end.start()) < 0):
                parts.append(body[kept:match.start()])
                kept = resume = end.end()
        at = low.find("data-pagefind-ignore", resume)
    if not parts:
        return body
    parts.append(body[kept:])
    return "".join(parts)


@lru_cache(maxsize=256)
def _ignored_whole(attributes: str) -> bool:
    """Whether a start tag's attributes (lowercased) hold ``data-pagefind-ignore`` as an
    attribute, with no value, ``index`` or ``all``: read with the HTML parser's own
    attribute reader, so that a value merely mentioning the name does not count."""
    found: dict[str, str | None] = {}
    for name, value in tag_attributes(attributes):
        found.setdefault(name, value)  # the first of repeated names counts, as in HTML
    return ("data-pagefind-ignore" in found
            and (found["data-pagefind-ignore"] or "") in ("", "index", "all"))


def language_tag(language: str) -> str:
    """The ``<html>`` start tag of a streamed copy: all that Pagefind reads of a page's
    ``<html>`` element is its ``lang`` (checked against each written page)."""
    return f'<html lang="{escape(language, quote=True)}">'


def receive_copies(source: IO[bytes], folder: Path, digests: Path, language: str, *,
                   room: int = 0) -> bool:
    """In the Pagefind child: read the playbills' bodies from ``source`` as the build
    converts them, write each into ``folder`` as a copy (:func:`copy_page`), and, once
    told the set is complete, the digests of the bodies the pages will hold to
    ``digests`` (JSON, source URI -> hex). Returns False when ``source`` ended early
    (the build failed or chose another path): then there is nothing to index.

    ``source`` holds pickles written by :class:`StreamedCopies` (the build that started
    this child, through a pipe): ``("page", src_uri, dest_path, parts)`` for a body as
    converted (its "Referenced by" slot still empty, see :data:`SLOT`), sent again if
    it changed; then ``("end", {src_uri: block})``: the playbills to index, each with
    the block put in its slot (``None``: the body stays as sent). A copy is written with
    the slot empty (the usual final body, so the common case is written once);
    the few with a block, or whose slot stays, are written again at the end. Copy and
    page are compared by digest in the build (:meth:`StreamedCopies.finish`). A page
    message may end with ``True``: its copy leaves out what Pagefind ignores whole
    (:func:`pagefind_cut`; the digest stays the body's).

    ``room``: the bytes the copies may take together (0: no limit); past it, False, as
    for a build that stopped sending (the room asked of the memory folder is an
    estimate, :data:`MEMORY_COPY_BYTES` a copy, and an incident file may make a copy
    of a megabyte: the spare room is other users')."""
    html_tag = language_tag(language)
    sizes: dict[str, int] = {}
    """dest_path -> the bytes of its copy, while ``room`` is counted."""
    taken = [0]

    def write(dest_path: str, page: str) -> bool:
        data = page.encode("utf-8", "surrogatepass")
        (folder / dest_path).write_bytes(data)
        if room:
            taken[0] += len(data) - sizes.get(dest_path, 0)
            sizes[dest_path] = len(data)
            return taken[0] <= room
        return True

    sent: dict[str, tuple[str, Parts, bytes | None, bool]] = {}
    """src_uri -> (path, parts, digest of the body with its slot emptied, or None when
    the copy holds the body as sent: it has no slot; whether the copy is cut)."""
    while True:
        try:
            # The build's own pipe to this child (see the docstring); one pickle each.
            message = pickle.load(source)
        except (EOFError, pickle.UnpicklingError, OSError):
            return False
        if message[0] == "end":
            blocks: dict[str, str | None] = message[1]
            break
        _kind, src_uri, dest_path, parts = message[:4]
        cut = len(message) > 4 and message[4] is True
        body = join_parts(parts)
        at = body.find(SLOT)
        if at >= 0:
            body = body[:at] + body[at + len(SLOT):]
        (folder / dest_path).parent.mkdir(parents=True, exist_ok=True)
        if not write(dest_path, copy_page(html_tag, pagefind_cut(body) if cut else body)):
            return False
        sent[src_uri] = (dest_path, parts,
                         PlaybillCopies.digest(body) if at >= 0 else None, cut)
    found: dict[str, str] = {}
    for src_uri, (dest_path, parts, emptied, cut) in sent.items():
        if src_uri not in blocks:  # not published after all (the build's inclusion)
            (folder / dest_path).unlink()
            continue
        block = blocks[src_uri]
        if emptied is not None and block == "":
            found[src_uri] = emptied.hex()
            continue
        body = join_parts(parts)
        if block is not None:
            body = body.replace(SLOT, block, 1)
        if emptied is not None and not write(  # the copy lacks what the slot holds
                dest_path, copy_page(html_tag, pagefind_cut(body) if cut else body)):
            return False
        found[src_uri] = PlaybillCopies.digest(body).hex()
    written = digests.with_suffix(".part")
    written.write_text(json.dumps(found), encoding="utf-8")
    os.replace(written, digests)
    return True


def index_site(site_dir: str | Path, *, prefix: str = "incidents",
               shard: int | None = None) -> IndexReport:
    """Index the built site in ``site_dir`` with Pagefind and write the bundle to
    ``site_dir/pagefind/`` (replacing an earlier one). Reads only the HTML files under
    ``prefix``; only pages with ``data-pagefind-body`` (playbills) are indexed, at most
    ``shard`` per Pagefind run (``None``: automatic; see :mod:`.shards`).

    Never raises: a missing package or binary, or a failure of the Pagefind service,
    is returned as :attr:`IndexReport.error` (a sentence for the build's log).
    """
    site = Path(site_dir).resolve()
    return start_index(site, site / BUNDLE_DIR, glob=playbill_glob(prefix),
                       shard=shard).wait()


_HTML_TAG = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_PAGEFIND_ATTRIBUTE = "data-pagefind-"


class _PagefindAttributes(HTMLParser):
    """Finds whether some start tag has a ``data-pagefind-*`` attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if any(name.startswith(_PAGEFIND_ATTRIBUTE) for name, _value in attrs):
            self.found = True


def _marks_for_pagefind(outside: str) -> bool:
    """Whether the written page around a playbill's body (``outside``) has a
    ``data-pagefind-*`` attribute, which its copy would lack. Counting the words is not
    enough: incident text the theme repeats (the summary in ``<meta name="description">``)
    may say "data-pagefind-", and one such incident sent the whole site's search index
    down the slow path. Such text is rare, so the page is parsed only then."""
    if _PAGEFIND_ATTRIBUTE not in outside:
        return False
    finder = _PagefindAttributes()
    finder.feed(outside)
    finder.close()
    return finder.found


_TEXT_OPENERS = (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"),
                 ("<title", "</title"), ("<textarea", "</textarea"), ("<xmp", "</xmp"),
                 ("<iframe", "</iframe"), ("<noembed", "</noembed"),
                 ("<noframes", "</noframes"), ("<noscript", "</noscript"),
                 ("<plaintext", None))
"""Markup after which the parser reads text, not tags, up to its closer (or the end)."""


def leaves_text_open(html: str) -> bool:
    """Whether ``html`` opens a comment, raw text or RCDATA that it does not close: then
    the parser reads what follows as text, up to a closer wherever the rest of the page
    has one. Found with the last opener of each kind (lowercased, as the parser reads
    names); meant for short pieces (page titles), not whole pages."""
    low = html.lower()
    for opener, closer in _TEXT_OPENERS:
        at = low.rfind(opener)
        if at >= 0 and (closer is None or low.find(closer, at + len(opener)) < 0):
            return True
    return False


def html_start_tag(page: str) -> str | None:
    """The ``<html ...>`` start tag of a written page (Pagefind takes the page's language
    from its ``lang``), or ``None``."""
    match = _HTML_TAG.search(page, 0, 4096)  # it opens the page, after the doctype
    return match.group(0) if match is not None else None


class PlaybillCopies:
    """Pagefind started on copies of the playbills' bodies while the site is still being
    written, instead of on the written site once it is done.

    Pagefind reads a playbill's ``data-pagefind-body`` article, the page's language
    (``<html lang>``) and any ``data-pagefind-*`` attribute of the page. A copy holds
    exactly those: the page's ``<html>`` start tag and the body the page template puts
    in the page, and nothing of the theme around it, so Pagefind reads less than half
    of each page and runs beside the build (it is a process of its own: the other core),
    and the bundle is the one it makes from the written site. :meth:`confirm` checks
    that promise for every written playbill (the copy's body is in the page verbatim,
    the page's ``<html>`` tag is the copy's, the theme adds no ``data-pagefind-``
    attribute); if one page breaks it (a plugin rewrote the body, a theme marked its
    own elements), :attr:`exact` turns false and the caller indexes the written site
    as before. Memory: a digest per playbill; the copies are files.
    """

    def __init__(self, output: str | Path,
                 bodies: dict[str, tuple[str, Callable[[], Parts]]], *,
                 shard: int | None = None) -> None:
        """``bodies``: source URI -> (the page's path under the site, a function giving its
        body as :data:`Parts`, compressed as the build holds it), for every playbill;
        ``output``: where the bundle goes (``site/pagefind``). Each function is called
        once, in :meth:`start`, and must give a value that nothing changes any more."""
        self.output = Path(output)
        self.shard = shard
        self._pending: dict[str, tuple[str, Callable[[], Parts]]] | None = bodies
        self._expected: set[str] = set(bodies)
        self._digests_file: Path | None = None
        """Where the Pagefind child writes the digests of the copies' bodies."""
        self._confirmed: dict[str, bytes] = {}
        """Source URI -> digest of the body its written page holds (see :meth:`confirm`)."""
        self._html_tag: str | None = None
        self.run: PagefindRun | None = None
        self.exact = True

    @staticmethod
    def digest(body: str) -> bytes:
        """A playbill body's digest (BLAKE2b, 16 bytes), to tell copy and page apart."""
        return hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def start(self, html_tag: str) -> None:
        """Start Pagefind on copies of the playbills (each as the page would be, with
        ``html_tag``) in a temporary folder. Called once, with the first written page's
        tag.

        The build's thread only writes one file: the bodies as it holds them (compressed)
        with the tag. The Pagefind child decompresses and writes the copies itself
        (:func:`write_copies`), on the other core, then runs Pagefind: written here, 2,000
        files took the build's thread 0.6 s or more; on a thread, with the GIL shared,
        Pagefind began 3 s after the first page was written."""
        bodies, self._pending = self._pending, None
        if bodies is None:
            return
        self._html_tag = html_tag
        folder: Path | None = None
        try:
            # On disk (not copies_home): this path is the fallback, which a failing
            # Pagefind child does not fall back from.
            folder = Path(tempfile.mkdtemp(prefix=COPIES_PREFIX))
            entries = [(src_uri, dest_path, parts())
                       for src_uri, (dest_path, parts) in bodies.items()]
            copies = folder / "copies.pickle"
            with copies.open("wb") as stream:
                pickle.dump((html_tag, entries), stream, protocol=pickle.HIGHEST_PROTOCOL)
            del entries
            handle, name = tempfile.mkstemp(prefix=COPIES_PREFIX, suffix=".json")
            os.close(handle)
            os.unlink(name)  # the child makes it whole, or it is missing: never half
            self._digests_file = Path(name)
        except Exception as exc:  # disk full, a body that cannot be read: the slow path
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            self.exact = False
            self.run = PagefindRun(self.output, None,
                                   error=f"Pagefind could not index the site: {exc}")
            return
        self.run = start_index(folder, self.output, cleanup=True,
                               copies=(copies, self._digests_file), shard=self.shard)

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called."""
        return self._pending is None

    def confirm(self, src_uri: str, body: str, page: str) -> None:
        """Check a written playbill (``page``, with ``body`` inside) against its copy (its
        body's digest is compared with the copy's in :meth:`finish`, once Pagefind is
        done)."""
        if not self.exact:
            return
        # One search for the body (``in`` then ``replace`` searched the page twice).
        at = page.find(body)
        if (at < 0 or html_start_tag(page) != self._html_tag
                or _marks_for_pagefind(page[:at] + page[at + len(body):])):
            self.exact = False
        self._confirmed[src_uri] = self.digest(body)

    def _copies_digests(self) -> dict[str, bytes] | None:
        """The digests the child wrote, or None (missing or not ours: the slow path)."""
        if self._digests_file is None:
            return None
        try:
            found = json.loads(self._digests_file.read_text(encoding="utf-8"))
            return {str(k): bytes.fromhex(v) for k, v in found.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            return None
        finally:
            with contextlib.suppress(OSError):
                self._digests_file.unlink()

    def finish(self) -> IndexReport | None:
        """Pagefind's report once it is done, or ``None`` when the copies may not make
        the bundle the written site would (then the caller indexes the written site):
        a playbill did not match its copy, or was not written and confirmed."""
        if (self.run is None or not self.exact
                or self._confirmed.keys() != self._expected):
            self.cancel()
            return None
        report = self.run.wait()
        digests = self._copies_digests()
        if report.error is None and digests != self._confirmed:
            return None  # the bundle is replaced by the written site's
        return report

    def cancel(self) -> None:
        """Stop Pagefind if it runs, and remove the copies."""
        self._pending = None
        if self.run is not None:
            self.run.cancel()
        if self._digests_file is not None:
            with contextlib.suppress(OSError):
                self._digests_file.unlink()


class _HtmlLanguage(HTMLParser):
    """Reads the ``lang`` of an ``<html>`` start tag (``None``: no such attribute)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.languages: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":  # the first ``lang``, as an HTML parser keeps it (not dict's last)
            self.languages.append(next((v for k, v in attrs if k == "lang"), None))


def html_language(tag: str) -> str | None:
    """The ``lang`` attribute of an ``<html ...>`` start tag (as :func:`html_start_tag`
    gives it), or ``None``."""
    parser = _HtmlLanguage()
    parser.feed(tag)
    parser.close()
    return parser.languages[0] if len(parser.languages) == 1 else None


class StreamedCopies:
    """Pagefind's copies of the playbills sent to its child as the build converts them,
    so that writing them is done before every page is converted and Pagefind starts as
    soon as they are (at ``on_env``), instead of once the first page is written and the
    copies then written (:class:`PlaybillCopies`, which stays the fallback).

    Why not index each playbill at once with Pagefind's Python API (its service)?
    Pagefind numbers pages in the order they are added, and its command reads a folder
    in the file system's order (ext4: a hash of the names), not the order MkDocs
    converts pages: a bundle made by adding pages as they come has other page numbers
    in every index chunk than the one the written site gives. The command on a folder
    of copies named like the pages gives that bundle.

    A copy is the page's body with its "Referenced by" slot empty (filled only once
    every page is converted, see :meth:`seal`) under ``<html lang>`` of the theme's
    language, which the first written page must have (:meth:`matches`); each written
    playbill is checked as by :class:`PlaybillCopies`: its body's digest must be the
    copy's (the child's, :func:`receive_copies`), and the theme adds no
    ``data-pagefind-`` attribute. Any doubt: :attr:`exact` turns false, and the caller
    uses the other paths. Memory: references to the packed bodies the build holds
    anyway, and a digest per playbill.
    """

    def __init__(self, output: str | Path, language: str, *, cut: bool = False,
                 shard: int | None = None) -> None:
        """``output``: where the bundle goes (``site/pagefind``); ``language``: the
        theme's, which the pages' ``<html lang>`` is expected to be; ``cut``: the bodies
        are the packaged templates' well-formed markup, so the copies may leave out what
        Pagefind ignores whole (:func:`pagefind_cut`)."""
        self.output = Path(output)
        self.shard = shard
        self.playbills = 0
        """How many playbills the build will send (set once known): the room the copies
        need (:func:`copies_home`)."""
        self.language = language
        self.cut = cut
        self.exact = True
        self.run: PagefindRun | None = None
        self._sent: dict[str, Parts] = {}
        self._digests_file: Path | None = None
        self._sealed: set[str] | None = None
        self._confirmed: dict[str, bytes] = {}
        self._pipe: IO[bytes] | None = None

    def _start(self) -> None:
        folder: Path | None = None
        try:
            home = copies_home(self.playbills)
            # In memory, the copies keep to the room asked (receive_copies): past it, the
            # child stops and the build goes another way.
            room = MEMORY_COPY_BYTES * max(1, self.playbills) if home is not None else 0
            folder = Path(tempfile.mkdtemp(prefix=COPIES_PREFIX, dir=home))
            handle, name = tempfile.mkstemp(prefix=COPIES_PREFIX, suffix=".json")
            os.close(handle)
            os.unlink(name)  # the child makes it whole, or it is missing: never half
            self._digests_file = Path(name)
        except OSError:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            self.exact = False
            return
        self.run = start_index(folder, self.output, cleanup=True,
                               stream=(self._digests_file, self.language, room),
                               shard=self.shard)
        stdin = self.run.stdin
        if stdin is None:  # Pagefind missing, or the child did not start
            self.exact = False
            return
        self._pipe = stdin

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._pipe is None and self.exact and self.run is None:
            self._start()
        if not self.exact or self._pipe is None:
            return
        try:
            # One whole pickle per message (a Pickler kept across messages would keep a
            # reference to every body sent, in its memo).
            self._pipe.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            self._pipe.flush()  # now: the child writes the copy while the next is converted
        except (OSError, ValueError, pickle.PicklingError):  # the child ended: fall back
            self.exact = False

    def add(self, src_uri: str, dest_path: str, parts: Parts, *, ours: bool = False) -> None:
        """Send a converted playbill's body (as :data:`Parts`, the values as held: sent
        once, kept by reference to know it again in :meth:`seal`) to the child.
        ``ours``: the body is still the one the plugin rendered (no other plugin changed
        it): with :attr:`cut`, its copy leaves out what Pagefind ignores whole."""
        if not self.exact:
            return
        self._sent[src_uri] = parts
        self._send(("page", src_uri, dest_path, parts, ours and self.cut))

    def seal(self, final: dict[str, tuple[str, Parts]]) -> bool:
        """Every page is converted: ``final`` is each playbill to index (source URI ->
        (its path under the site, its body now, "Referenced by" filled in)). A body that
        is the one sent with only its slot filled (the same compressed runs, by
        identity) is known by its block; any other is sent again. Then the child writes
        what is left and starts Pagefind. Returns :attr:`exact` (False: use another
        path; :meth:`cancel` then)."""
        if not self.exact:
            return False
        blocks: dict[str, str | None] = {}
        for src_uri, (dest_path, parts) in final.items():
            sent = self._sent.get(src_uri)
            if sent is not None and len(sent) == len(parts) and all(
                    a is b for a, b in zip(sent, parts, strict=True)):
                blocks[src_uri] = None  # as sent
            elif (sent is not None and len(sent) == len(parts) == 3 and sent[1] == SLOT
                  and sent[0] is parts[0] and sent[2] is parts[2]
                  and isinstance(parts[1], str)):
                blocks[src_uri] = parts[1]  # the slot filled in place
            else:
                self._send(("page", src_uri, dest_path, parts))
                blocks[src_uri] = None
        self._send(("end", blocks))
        self._sent.clear()
        stdin = self.run.stdin if self.run is not None else None
        if stdin is not None:
            try:
                stdin.close()
            except OSError:
                self.exact = False
        self._sealed = set(blocks)
        return self.exact

    def matches(self, html_tag: str) -> bool:
        """Whether a written page's ``<html>`` tag gives Pagefind the copies' language."""
        return html_language(html_tag) == self.language

    def confirm(self, src_uri: str, body: str, page: str) -> None:
        """Check a written playbill (``page``, with ``body`` inside) as
        :meth:`PlaybillCopies.confirm` does; the digests are compared in :meth:`finish`."""
        if not self.exact:
            return
        at = page.find(body)
        tag = html_start_tag(page)
        if (at < 0 or tag is None or not self.matches(tag)
                or _marks_for_pagefind(page[:at] + page[at + len(body):])):
            self.exact = False
        self._confirmed[src_uri] = PlaybillCopies.digest(body)

    def finish(self) -> IndexReport | None:
        """Pagefind's report, or ``None`` when the copies may not make the bundle the
        written site would (then the caller indexes the written site)."""
        if (self.run is None or not self.exact or self._sealed is None
                or self._confirmed.keys() != self._sealed):
            self.cancel()
            return None
        report = self.run.wait()
        digests = _read_digests(self._digests_file)
        if report.error is not None or digests != self._confirmed:
            return None  # the written site is indexed (and says why, if it fails too)
        return report

    def cancel(self) -> None:
        """Stop the child and Pagefind if they run, and remove the copies."""
        self.exact = False
        self._sent.clear()
        if self.run is not None:
            self.run.cancel()
        if self._digests_file is not None:
            with contextlib.suppress(OSError):
                self._digests_file.unlink()


def _read_digests(path: Path | None) -> dict[str, bytes] | None:
    """The digests a Pagefind child wrote (and the file removed), or None (missing or not
    ours: the slow path)."""
    if path is None:
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): bytes.fromhex(v) for k, v in found.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


SIGNATURE = b"pagefind_dcd"
"""What every Pagefind 1.x data file starts with, once gunzipped, before its CBOR."""


INDEX_CHUNK_BYTES = 16_000
"""What an index chunk holds at most, in bytes of its words' CBOR, unless one word alone
is bigger (then that word is a chunk of its own): see :func:`split_index_chunks`."""


def split_index_chunks(bundle: str | Path, target: int = INDEX_CHUNK_BYTES) -> int:
    """Cut Pagefind's word index into chunks of at most ``target`` bytes, a word bigger
    than that in a chunk of its own, so that a query fetches little more than its words.
    Returns how many chunk files were written (0 when nothing changed, or when the
    bundle is not the Pagefind 1.x format this reads: it is then left as it is). Never
    raises.

    Why: Pagefind 1.x closes a chunk once it holds 20,000 word positions, after the word
    that brought it there; a word found on most playbills then shares its chunk with the
    words before it, which a query for it fetches too. On the benchmark's 10,000
    playbills, a common word was 35 to 43 % of the chunk fetched for it; with the index
    in five parts (:mod:`.shards`), each part's chunk was fetched, and a query of two
    common words fetched 301 KiB of chunks. Here each chunk closes before the word that
    would take it over ``target``.

    The words are kept in the same order, each with its pages and positions; only the
    files they are in change. Each chunk's bounds in the metadata are made as Pagefind
    makes them (the first and last word, then, between neighbours, the shortest
    prefixes that tell them apart); the files are named by their language and the first
    7 hex digits of the SHA-256 of their CBOR, as :func:`order_filters` names filters
    (:func:`name_in_sequence` then names them by their place). Run before
    :func:`tighten_chunk_bounds`.

    Also here, since it reads every chunk anyway: the pages are numbered in the order of
    their URLs (:func:`_page_order`), in the metadata, the word index and the filters.
    Pagefind numbers them in the order it read their files, which is the file system's
    (a hash of the names on ext4, the order they were made in memory), so the copies of
    the playbills, the written site, a folder in memory or on disk gave the same pages
    other numbers, hence other bytes. Now the same sources give the same bundle whatever
    folder Pagefind read. Every file is written before the metadata that names it, and
    files no longer named are removed after: a failure half way leaves the bundle as it
    was, never pages numbered one way here and another there.
    """
    if not _reads_bundles():
        return 0
    import cbor2

    bundle = Path(bundle)
    written = 0
    try:
        found = _metadata(bundle)
        for _language, path, meta in found[1] if found else ():
            chunks = _chunk_list(meta)
            if not chunks:
                continue
            # Pages already in URL order (Pagefind read a folder of links made for it,
            # index_in_parts): each word's bytes are kept as Pagefind wrote them, and read
            # without decoding its pages (a third of the time of decoding them all).
            order = _page_order(bundle, meta)
            filters = _renumbered_filters(bundle, meta, order) if order else []
            if filters is None:
                continue  # a filter file not laid out as expected: left alone
            entries: list[tuple[str, bytes]] = []
            lasts = []
            for chunk in chunks:
                path_of_chunk = bundle / "index" / f"{chunk[2]}.pf_index"
                if order:
                    decoded = _chunk_entries(path_of_chunk)
                    words = decoded and [(word[0], cbor2.dumps(_renumbered(word, order)))
                                         for word in decoded]
                else:
                    words = _chunk_words(path_of_chunk)
                if not words:
                    break
                entries.extend(words)
                lasts.append(words[-1][0])
            else:
                if not all(a[0] < b[0] for a, b in itertools.pairwise(entries)):
                    continue  # not in the order Pagefind's lookup needs: left alone
                groups: list[list[tuple[str, bytes]]] = []
                size = 0
                for entry in entries:
                    if groups and groups[-1] and size + len(entry[1]) <= target:
                        groups[-1].append(entry)
                        size += len(entry[1])
                    else:
                        groups.append([entry])
                        size = len(entry[1])
                if not order and [g[-1][0] for g in groups] == lasts and all(
                        _IN_SEQUENCE.fullmatch(chunk[2])
                        or chunk[2] == _name_for(chunks[0][2], _chunk_data(group))
                        for chunk, group in zip(chunks, groups, strict=True)):
                    continue  # done already: these chunks, our numbers, our names (by
                    # content, or in sequence: name_in_sequence, run after this)
                # (Pagefind's names are not ours: a small index, one chunk as Pagefind
                # cut it, keeping them would name it otherwise than when renumbered.)
                if order:
                    meta[1] = [meta[1][old] for old in _inverse(order)]
                written += _write_index_chunks(bundle, path, meta, groups, chunks[0][2],
                                               filters or [])
    except Exception:  # an unexpected bundle is left as it is, or as far as it was done
        return written
    return written


def _chunk_words(path: Path) -> list[tuple[str, bytes]] | None:
    """The words of one index chunk (``[[word entry, ...]]``, each entry ``[word, pages]``)
    with the CBOR bytes of each entry as written; None if it is not laid out so."""
    import io

    import cbor2

    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        return None
    body = memoryview(raw)[len(SIGNATURE):]
    major, count, at = _cbor_head(body, 0)
    if (major, count) != (4, 1):
        return None
    major, count, at = _cbor_head(body, at)
    if major != 4:
        return None
    stream = io.BytesIO(body)
    decoder = cbor2.CBORDecoder(stream)
    words = []
    for _ in range(count):
        start = at
        major, length, first = _cbor_head(body, start)
        if major != 4 or length < 1:
            return None
        stream.seek(first)
        word = decoder.decode()
        stream.seek(start)
        entry = decoder.decode()  # the whole entry, to know where it ends
        at = stream.tell()
        if not isinstance(word, str):
            return None
        variants = entry[2] if len(entry) > 2 and isinstance(entry[2], list) else []
        if len(variants) > 1 and _variants_sorted(variants) != variants:
            # Pagefind lists a word's variants in the order it met them, so in the
            # order it read the pages: listed by name, as when renumbered.
            words.append((word, cbor2.dumps([*entry[:2], _variants_sorted(variants),
                                             *entry[3:]])))
        else:
            words.append((word, bytes(body[start:at])))
    return words if at == len(body) else None


def _variants_sorted(variants: list[Any]) -> list[Any]:
    """A word's variants (``[[variant, pages], ...]``) in the order of their words."""
    return sorted(variants, key=lambda v: v[0] if isinstance(v, list) and v
                  and isinstance(v[0], str) else "")


def _cbor_head(body: memoryview, at: int) -> tuple[int, int, int]:
    """A CBOR data item's head at ``body[at]`` (RFC 8949, section 3): its major type, its
    argument (a length, for an array), and where what follows the head starts. Raises
    ValueError on an indefinite length, which Pagefind does not write."""
    first = body[at]
    major, info = first >> 5, first & 31
    if info < 24:
        return major, info, at + 1
    if info > 27:
        raise ValueError("not a definite-length CBOR head")
    size = 1 << (info - 24)
    return major, int.from_bytes(body[at + 1:at + 1 + size], "big"), at + 1 + size


def _chunk_entries(path: Path) -> list[list[Any]] | None:
    """The word entries of one index chunk (``[[entry, ...]]``), decoded; None if it is
    not laid out as Pagefind 1.5 writes it: each entry ``[word, pages, variants]``, the
    variants (the word with its diacritics, ``café`` for ``cafe``) ``[[variant, pages],
    ...]``, each page ``[number, positions, ...]``, the numbers as steps from the page
    before."""
    chunk = _read_bundle_file(path)
    words = chunk[0] if isinstance(chunk, list) and len(chunk) == 1 else None
    if not (isinstance(words, list) and all(
            isinstance(w, list) and len(w) == 3 and isinstance(w[0], str)
            and _pages_listed(w[1]) and isinstance(w[2], list) and all(
                isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                and _pages_listed(v[1]) for v in w[2])
            for w in words)):
        return None
    return words


def _pages_listed(pages: Any) -> bool:
    """Whether ``pages`` is a word's list of pages as :func:`_chunk_entries` reads it."""
    return isinstance(pages, list) and all(
        isinstance(p, list) and p and type(p[0]) is int and p[0] >= 0 for p in pages)


def _page_order(bundle: Path, meta: Any) -> list[int] | None:
    """Each page's number in the order of the pages' URLs (``result[old] = new``; ties,
    which two files cannot make, by fragment name), or None when the numbers already
    are these, when the bundle has sort keys (``data-pagefind-sort``: their lists of
    pages keep Pagefind's order among equal keys, which only Pagefind knows), or when
    a page's fragment cannot be read. Reads every fragment's URL (a few KB each)."""
    pages = meta[1] if isinstance(meta, list) and len(meta) > 4 else None
    if not (isinstance(pages, list) and meta[4] == [] and all(
            isinstance(p, list) and p and isinstance(p[0], str) for p in pages)):
        return None
    urls = []
    for page in pages:
        raw = gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment").read_bytes())
        if not raw.startswith(SIGNATURE):
            return None
        url = json.loads(raw[len(SIGNATURE):]).get("url")
        if not isinstance(url, str):
            return None
        urls.append((url, page[0]))
    by_url = sorted(range(len(pages)), key=urls.__getitem__)
    if by_url == list(range(len(pages))):
        return None
    return _inverse(by_url)


def _inverse(order: list[int]) -> list[int]:
    """The permutation that undoes ``order`` (``result[order[i]] = i``)."""
    result = [0] * len(order)
    for position, value in enumerate(order):
        result[value] = position
    return result


def _renumbered(word: list[Any], order: list[int]) -> list[Any]:
    """A word entry (see :func:`_chunk_entries`) with its pages, and its variants'
    pages, numbered by ``order`` (``order[old] = new``); the variants listed by name
    (Pagefind lists them in the order it met them: the order it read the pages)."""
    return [word[0], _renumbered_pages(word[1], order),
            [[variant, _renumbered_pages(pages, order)]
             for variant, pages in _variants_sorted(word[2])]]


def _renumbered_pages(pages: list[list[Any]], order: list[int]) -> list[list[Any]]:
    """A word's pages (``[[step, positions, ...], ...]``, the numbers as steps) numbered
    by ``order``, in the new order, as steps again."""
    number, moved = 0, []
    for page in pages:
        number += page[0]
        moved.append((order[number], page[1:]))
    moved.sort(key=lambda item: item[0])
    renumbered, last = [], 0
    for number, rest in moved:
        renumbered.append([number - last, *rest])
        last = number
    return renumbered


def _renumbered_filters(bundle: Path, meta: Any, order: list[int]
                        ) -> list[tuple[int, Path, bytes]] | None:
    """The filter files with their pages numbered by ``order``: for each filter the
    metadata lists (``meta[3]``, ``[[name, file], ...]``), its place in that list, its
    new file (named by content, as :func:`order_filters` names it) and bytes; None when
    one is not laid out as Pagefind 1.5 writes it (``[name, [[value, [page, ...]],
    ...]]``)."""
    listed = meta[3] if len(meta) > 3 and isinstance(meta[3], list) else None
    if listed is None:
        return None
    found = []
    for place, item in enumerate(listed):
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)):
            return None
        values = _read_bundle_file(bundle / "filter" / f"{item[1]}.pf_filter")
        if not (isinstance(values, list) and len(values) == 2
                and isinstance(values[1], list) and all(
                    isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)
                    and all(type(n) is int for n in v[1]) for v in values[1])):
            return None
        for value in values[1]:
            value[1] = sorted(order[n] for n in value[1])
        name = _content_name(item[1], values)
        found.append((place, bundle / "filter" / f"{name}.pf_filter", _packed(values)))
    return found


def _cbor_array_head(count: int) -> bytes:
    """The head of a CBOR array of ``count`` items (RFC 8949, section 3.1, major type 4)."""
    if count < 24:
        return bytes([0x80 | count])
    for info, size in ((24, 1), (25, 2), (26, 4)):
        if count < 1 << (8 * size):
            return bytes([0x80 | info]) + count.to_bytes(size, "big")
    return bytes([0x9B]) + count.to_bytes(8, "big")


def _chunk_data(group: list[tuple[str, bytes]]) -> bytes:
    """An index chunk's CBOR (``[[entry, ...]]``) from its words' CBOR bytes."""
    return _cbor_array_head(1) + _cbor_array_head(len(group)) + b"".join(
        raw for _, raw in group)


def _shortest_prefixes(last: str, first: str) -> tuple[str, str]:
    """The bounds between two neighbouring chunks, as Pagefind 1.x computes them: each
    word cut one character after their common prefix."""
    common = 0
    for a, b in zip(first, last, strict=False):
        if a != b:
            break
        common += 1
    return last[:common + 1], first[:common + 1]


def _write_index_chunks(bundle: Path, path: Path, meta: list[Any],
                        groups: list[list[tuple[str, bytes]]], sample: str,
                        filters: list[tuple[int, Path, bytes]]) -> int:
    """Write ``groups`` as the index's chunk files, ``filters`` (see
    :func:`_renumbered_filters`) and then the metadata naming them (at ``path``); remove
    the files no longer named. Returns the files written."""
    bounds = [[group[0][0], group[-1][0], ""] for group in groups]
    for before, after in itertools.pairwise(bounds):
        before[1], after[0] = _shortest_prefixes(before[1], after[0])
    old = {bundle / "index" / f"{chunk[2]}.pf_index" for chunk in meta[2]}
    new = set()
    for bound, group in zip(bounds, groups, strict=True):
        data = _chunk_data(group)
        bound[2] = _name_for(sample, data)
        target = bundle / "index" / f"{bound[2]}.pf_index"
        _replace(target, _gzipped(SIGNATURE + data, CHUNK_GZIP_LEVEL))
        new.add(target)
    for place, target, data in filters:
        old.add(bundle / "filter" / f"{meta[3][place][1]}.pf_filter")
        _replace(target, data)
        new.add(target)
        meta[3][place][1] = target.name[:-len(".pf_filter")]
    meta[2] = bounds
    _replace(path, _packed(meta))
    for stale in old - new:
        stale.unlink(missing_ok=True)
    return len(new)


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
    ``cbor2`` (Pagefind's encoding is CBOR, RFC 8949); it keeps its name here
    (:func:`order_filters`, run after, names it after its content). Never raises: a
    bundle it cannot read is left untouched.
    """
    if not _reads_bundles():
        return 0
    changed = 0
    try:
        found = _metadata(Path(bundle))
        for _language, path, meta in found[1] if found else ():
            chunks = _chunk_list(meta)
            if chunks is None:
                continue
            here = 0
            for chunk, following in itertools.pairwise(chunks):
                upper, lower = chunk[1], following[0]
                if (len(upper) < len(lower) and lower.startswith(upper)
                        and _last_word(path.parent / "index" / f"{chunk[2]}.pf_index") == upper):
                    chunk[1] = upper + "\0"
                    here += 1
            if here:
                _replace(path, _packed(meta))
                changed += here
    except Exception:  # an unexpected bundle is left as Pagefind wrote it
        return changed
    return changed


def order_filters(bundle: str | Path) -> int:
    """Give Pagefind's filter files the same bytes and names on every run of the same
    pages. Returns how many filter files were written again (0 when the bundle is not
    the Pagefind 1.x format this reads: it is then left as it is). Never raises.

    Why: Pagefind 1.5 writes each filter's values (``filter/<name>.pf_filter``: the
    filter's name, then each value with the numbers of its pages) and the list of
    filters in the metadata in the order of a hash map, which changes from run to run;
    the files' names are hashes of their bytes, and the metadata's name of its own. The
    same sources then gave a different bundle on every build (the fragments and word
    index were already the same). Here the values are sorted, the filters listed by name,
    and each rewritten file is named by its language and the first hex digits of the
    SHA-256 of its content, as many as Pagefind's name had (7 for a filter, 10 for the
    metadata), then ``pagefind-entry.json`` names the metadata, its languages listed by
    name (Pagefind lists them in a hash map's order too). What a search finds is
    unchanged: Pagefind reads a filter's values into a map.
    """
    if not _reads_bundles():
        return 0
    bundle = Path(bundle)
    written = 0
    # Files replaced are removed last, once the entry names the new metadata: a failure
    # half way leaves every file the metadata and entry name (never one removed).
    kept: set[Path] = set()
    stale: list[Path] = []
    try:
        found = _metadata(bundle)
        for language, path, meta in found[1] if found else ():
            listed = meta[3] if isinstance(meta, list) and len(meta) > 3 else None
            if not (isinstance(listed, list) and all(
                    isinstance(f, list) and len(f) == 2 and all(isinstance(v, str) for v in f)
                    for f in listed)):
                continue
            renamed: list[tuple[Path, Path, bytes]] = []
            for item in listed:
                old = bundle / "filter" / f"{item[1]}.pf_filter"
                values = _read_bundle_file(old)
                if not (isinstance(values, list) and len(values) == 2
                        and isinstance(values[1], list)
                        and all(isinstance(v, list) and v and isinstance(v[0], str)
                                for v in values[1])):
                    break
                values[1].sort(key=lambda v: v[0])
                item[1] = _content_name(item[1], values)
                data = _packed(values)
                renamed.append((old, old.with_name(f"{item[1]}.pf_filter"), data))
            else:  # every filter file read: write them, then the metadata that names them
                listed.sort(key=lambda f: f[0])
                language["hash"] = _content_name(language["hash"], meta)
                data = _packed(meta)
                renamed.append((path, path.with_name(f"pagefind.{language['hash']}.pf_meta"),
                                data))
                for _old, new, data in renamed:
                    _replace(new, data)
                    kept.add(new)
                stale.extend(old for old, _, _ in renamed)
                written += len(renamed) - 1
        languages = found[0].get("languages") if found else None
        shuffled = isinstance(languages, dict) and list(languages) != sorted(languages)
        if shuffled:  # several languages: Pagefind lists them in a hash map's order,
            # another on each run (and its script, on a page of none of them, falls
            # back to the first of those with the most pages): listed by name
            found[0]["languages"] = dict(sorted(languages.items()))
        if (stale or shuffled) and found:  # a metadata renamed (even with no filter)
            _replace(bundle / "pagefind-entry.json", json.dumps(
                found[0], ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        for old in stale:
            if old not in kept:
                old.unlink(missing_ok=True)
    except Exception:  # an unexpected bundle is left as it is, or as far as it was done
        return written
    return written


GZIP_LEVEL = 10
"""libdeflate's compression level (1 to 12) for the metadata, filters and WebAssembly:
small files every first query fetches."""

CHUNK_GZIP_LEVEL = 9
"""libdeflate's compression level for index chunks: most of the bytes the build writes
(about 8 MB per 2,000 playbills), where level 10 would cost 0.15 s more per 2,000
playbills for 2.3 % fewer bytes."""

SALT_DIGITS = 10
"""Hex digits of the SHA-256 that starts the names :func:`name_in_sequence` gives (40
bits, as many as Pagefind gives its metadata's name)."""


_IN_SEQUENCE = re.compile(rf"[0-9a-f]{{{SALT_DIGITS}}}-[0-9a-f]+")
"""A name :func:`name_in_sequence` gives (Pagefind's start with a language and ``_``)."""


def name_in_sequence(bundle: str | Path) -> int:
    """Name each page's fragment and each index chunk by its place in the metadata
    (``<salt>-<n>``, ``n`` in hex from 0), where Pagefind names a fragment, and
    :func:`split_index_chunks` a chunk, by a hash of its own content. Returns how many
    files were renamed (0 when nothing changed, or when the bundle is not the Pagefind
    1.x format this reads: it is then left as it is). Never raises.

    Why: the metadata lists every page's fragment name and every chunk's, and every
    visitor's first query fetches it whole. Hashes do not compress; numbers in sequence
    after one repeated salt do: on the benchmark's 10,000 playbills the five parts'
    metadata fell from 85.7 to 43.0 KiB (with :func:`_gzipped`), which is most of what
    keeps a first query with facets within 300 KB.

    The salt is the first :data:`SALT_DIGITS` hex digits of the SHA-256 of the metadata
    without its names (Pagefind's version, the pages' word counts, the chunks' bounds)
    and of every fragment's and chunk's bytes, gunzipped (gzip's bytes may change with
    the compressor's version), each after its length. So a name is never given to other
    content (but to other gzip bytes of the same content, from one build with libdeflate
    and one without: :func:`_gzipped`), short of two parts' contents sharing 40 bits of
    SHA-256: any change to any page of the part renames every file of it, and a browser
    or CDN that keeps files by name never serves a stale one (the cost: after such a
    change, nothing of the part is reused from a cache; its metadata was not, either).
    The same pages give the same names, and a bundle already named so is left as it
    is. New names are links made before the metadata that names them, and the old names
    are removed after: a failure half way leaves each language's files as they were, or
    all renamed (a language done before the failure stays done).
    """
    if not _reads_bundles():
        return 0
    import cbor2

    bundle = Path(bundle)
    renamed = 0
    try:
        found = _metadata(bundle)
        for _language, path, meta in found[1] if found else ():
            chunks = _chunk_list(meta)
            pages = meta[1] if chunks is not None else None
            if not (isinstance(pages, list) and all(
                    isinstance(p, list) and p and isinstance(p[0], str) for p in pages)):
                continue
            named = (("fragment", ".pf_fragment", pages, 0), ("index", ".pf_index", chunks, 2))
            digest = hashlib.sha256(cbor2.dumps(
                [meta[0], [page[1:] for page in pages], [chunk[:2] for chunk in chunks]]))
            for folder, suffix, items, at in named:
                for item in items:
                    data = gzip.decompress((bundle / folder / f"{item[at]}{suffix}").read_bytes())
                    digest.update(len(data).to_bytes(8, "big"))
                    digest.update(data)
            salt = digest.hexdigest()[:SALT_DIGITS]
            moves = []
            for folder, suffix, items, at in named:
                for number, item in enumerate(items):
                    name = f"{salt}-{number:x}"
                    if item[at] != name:
                        moves.append((bundle / folder / f"{item[at]}{suffix}",
                                      bundle / folder / f"{name}{suffix}"))
                        item[at] = name
            if not moves:
                continue
            made: list[Path] = []
            try:
                for old, new in moves:
                    _link(old, new)
                    made.append(new)
                _replace(path, _packed(meta))
            except BaseException:  # no new name left behind: the bundle as it was
                for new in made:
                    new.unlink(missing_ok=True)
                raise
            for old, _new in moves:
                old.unlink(missing_ok=True)
            renamed += len(moves)
    except Exception:  # an unexpected bundle is left as it is, or as far as it was done
        return renamed
    return renamed


def _link(old: Path, new: Path) -> None:
    """Make ``new`` the file ``old`` is (a hard link, else a copy), replacing any file
    there, whole or not at all. Raises OSError (then no temporary file is left: one in
    ``fragment/`` would be published, and counted as a page by ``count_pages``)."""
    temporary = new.with_name(new.name + ".tmp")
    try:
        temporary.unlink(missing_ok=True)
        try:
            os.link(old, temporary)
        except OSError:  # a file system without hard links
            shutil.copyfile(old, temporary)
        os.replace(temporary, new)
    finally:  # also when it is done: POSIX rename does nothing (and keeps the temporary
        # name) when both names are links to one file, as a run killed half way leaves
        # them for the next
        temporary.unlink(missing_ok=True)


def pack_webassembly(bundle: str | Path) -> int:
    """Compress Pagefind's WebAssembly files (``wasm.<language>.pagefind``: gzip of
    Pagefind's signature and the module) again with :func:`_gzipped`, as every visitor's
    first query fetches one of them: 72.2 KB become 69.7 KB, in 11 ms. Returns how many
    files were written (a file is kept when it would not shrink). Never raises: a file
    it cannot read is left as it is."""
    written = 0
    for path in sorted(Path(bundle).glob("wasm.*.pagefind")):
        try:
            packed = path.read_bytes()
            data = gzip.decompress(packed)
            if not data.startswith(SIGNATURE):
                continue
            smaller = _gzipped(data)
            if len(smaller) < len(packed):
                _replace(path, smaller)
                written += 1
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error):
            continue
    return written


PACKED_SCRIPT = "pagefind-js.pagefind"
"""The gzipped copy of ``pagefind.js`` that :func:`pack_script` writes beside it."""


def pack_script(bundle: str | Path) -> bool:
    """Write :data:`PACKED_SCRIPT` beside the bundle's ``pagefind.js``: that script as a
    gzip member (RFC 1952, :func:`_gzipped`), 44.5 KiB become about 12.

    Why: every visitor's first search fetches ``pagefind.js``, and a server that does not
    compress scripts (Python's ``http.server``, many intranet servers) sends it whole,
    where Pagefind's own files (metadata, WebAssembly, chunks, fragments) are gzipped on
    disk whatever the server. The index page's worker (``pmtheater-search.js``) fetches
    this copy, inflates it with the browser's ``DecompressionStream`` and imports it from
    a ``blob:`` address, and imports ``pagefind.js`` itself when any of that fails (a
    browser without ``DecompressionStream``, a Content Security Policy that refuses
    ``blob:`` scripts, a bundle without the copy, or a copy of another Pagefind version
    than the entry's: Pagefind never empties its output folder, so a copy from an
    earlier build outlives a re-index by ``python -m pagefind``). The ``.pagefind``
    ending, as Pagefind's WebAssembly has, keeps servers from labelling it
    ``Content-Encoding: gzip``; one that does anyway sends the script, which the worker
    then imports as it is.

    Returns whether the copy was written; never raises (a bundle whose script cannot
    be read or the copy written has none, and the worker imports ``pagefind.js``)."""
    bundle = Path(bundle)
    try:
        _replace(bundle / PACKED_SCRIPT, _gzipped((bundle / "pagefind.js").read_bytes()))
    except OSError:
        return False
    return True


def _chunk_list(meta: Any) -> list[list[str]] | None:
    """The index chunks a Pagefind 1.x metadata file lists (``[[from, to, name], ...]``,
    the third of its fields), or None when it is not laid out so."""
    chunks = meta[2] if isinstance(meta, list) and len(meta) > 2 else None
    if isinstance(chunks, list) and all(
            isinstance(c, list) and len(c) == 3 and all(isinstance(v, str) for v in c)
            for c in chunks):
        return chunks
    return None


def _reads_bundles() -> bool:
    """Whether ``cbor2`` is installed (it comes with the "search" extra): without it, the
    bundle stays as Pagefind wrote it."""
    return importlib.util.find_spec("cbor2") is not None


def _metadata(bundle: Path) -> tuple[dict[str, Any], list[tuple[dict[str, Any], Path, Any]]] | None:
    """A Pagefind 1.x bundle's entry (``pagefind-entry.json``) and, for each of its
    languages, the entry's record of it, its metadata file and that file decoded; None
    for a bundle of another version. Raises OSError, ValueError on a damaged bundle."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    if not str(entry.get("version", "")).startswith("1."):
        return None
    found = []
    for language in entry.get("languages", {}).values():
        path = bundle / f"pagefind.{language['hash']}.pf_meta"
        meta = _read_bundle_file(path)
        if meta is not None:
            found.append((language, path, meta))
    return entry, found


def _read_bundle_file(path: Path) -> Any:
    """One of Pagefind's files (gzip of its signature and CBOR, RFC 8949), decoded; None
    when it does not start with the signature."""
    import cbor2

    raw = gzip.decompress(path.read_bytes())
    return cbor2.loads(raw[len(SIGNATURE):]) if raw.startswith(SIGNATURE) else None


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (through a temporary file beside it, removed
    if the writing fails: a full disk leaves no half-written file in the bundle)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _content_name(pagefind_name: str, value: Any) -> str:
    """``en_1a2b3c4``: the SHA-256 of ``value``'s CBOR encoding (not of the gzip, whose
    bytes may change with the zlib version), as many hex digits as the name Pagefind
    gave it (``en_<digits>``) had."""
    import cbor2

    return _name_for(pagefind_name, cbor2.dumps(value))


def _name_for(pagefind_name: str, data: bytes) -> str:
    """What :func:`_content_name` gives for the CBOR bytes ``data``."""
    language, _, digits = pagefind_name.rpartition("_")
    digest = hashlib.sha256(data).hexdigest()
    return f"{language}_{digest[:max(len(digits), 7)]}"


def _packed(value: Any) -> bytes:
    """A bundle file's bytes for ``value``: Pagefind's signature and the CBOR,
    :func:`_gzipped`."""
    import cbor2

    return _gzipped(SIGNATURE + cbor2.dumps(value))


def _gzipped(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """``data`` as a gzip member (RFC 1952) with no time in its header, so the same data
    make the same file with the same compressor: from libdeflate at ``level`` (1 to 12;
    the ``deflate`` package, in the "search" extra), else (not installed, or failing)
    from zlib at level 9, whose bytes are not libdeflate's.

    Why libdeflate: every visitor's first query fetches each part's metadata and
    Pagefind's WebAssembly, and a query its index chunks. On the benchmark's bundle,
    libdeflate's level 10 makes the metadata 14 % smaller than zlib's level 9 and the
    WebAssembly 3.5 % smaller than Pagefind's own, in milliseconds; its level 9 makes
    the chunks of the common words 3.5 % smaller than zlib's level 6 (what chunks had
    before), for about 0.1 s more CPU per 2,000 playbills (in Pagefind's process,
    beside the build). Levels 11 and 12 take up to twice as long for less than 1 %
    more; Zopfli, a hundred times as long. Pagefind's script inflates any standard gzip
    member."""
    try:
        import deflate

        return deflate.gzip_compress(data, level)
    except Exception:  # not installed, or failing (another version's API, a broken
        # build): zlib's member of the same data, never an error that would drop the
        # whole index (index_in_parts removes a bundle whose finishing raised)
        return gzip.compress(data, compresslevel=9, mtime=0)


def _last_word(path: Path) -> str | None:
    """The last (greatest) word of one index chunk (``index/<hash>.pf_index``: the words in
    order, each ``[word, pages, ...]``), or None if the file is not laid out so. Checked
    before a bound changes, so that a Pagefind that chose its bounds otherwise is left
    alone."""
    chunk = _read_bundle_file(path)
    words = chunk[0] if isinstance(chunk, list) and chunk else None
    if not (isinstance(words, list) and words and isinstance(words[-1], list)
            and words[-1] and isinstance(words[-1][0], str)):
        return None
    return words[-1][0]


def main(argv: list[str] | None = None) -> int:
    """``python -m mkdocs_pmtheater.publish.fulltext SITE [--prefix incidents]
    [--shard-size N]``: index a built site's playbills as the MkDocs build does
    (Pagefind, in parts on a big site, then index chunks cut to size and exact bounds),
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
    parser.add_argument("--shard-size", type=int, default=None, metavar="N",
                        help="playbills per Pagefind run (the plugin's "
                             "'pagefind_shard_size'; default: automatic)")
    args = parser.parse_args(argv)
    if args.shard_size is not None and args.shard_size < 1:
        parser.error("--shard-size must be at least 1")
    report = index_site(args.site, prefix=args.prefix, shard=args.shard_size)
    if report.error:
        print(report.error, file=sys.stderr)
        return 1
    plural = "" if report.pages == 1 else "s"
    print(f"Pagefind indexed {report.pages} playbill{plural} into "
          f"{Path(args.site) / BUNDLE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
