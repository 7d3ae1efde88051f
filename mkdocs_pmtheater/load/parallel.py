"""Work on two cores: a forked child does part of it (reading files, rendering pages).

:func:`map_in_two` reads incident files. Reading and checking a file
(``IncidentLoader.read_file``) depends on nothing but the file's bytes, its names and
the loader's settings, and it is the longest step of a build that the build does alone:
1.6 ms of CPU a file, 3.2 s at 2,000 incidents, while the machine's other cores wait. A
child forked at that moment already holds everything reading needs (the loader, the
schema, the imports), so it reads its share at once, returns the results pickled
through a pipe (0.3 ms a file to unpickle) and exits.

:class:`AheadInChild` renders pages (``plugin/ahead.py``): a child does the keys from
the last one backwards while this process asks for them from the first, so each is
done by whichever gets there first, with no guess of how long each takes.

Only where forking is safe and worth it: Linux (``fork`` is the default start there;
macOS frameworks are not fork-safe), at least two usable cores, a process with a single
thread (forking a threaded process can copy a lock held by another thread: under
``mkdocs serve`` the rebuilds read one changed file anyway), and enough items to
cover the cost of the fork and the pickles. Anything that goes wrong in the child, or
with its answer, leaves the parent to do that work itself: the result is the same
either way, only slower.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")

MIN_ITEMS = 200
"""Fewer items than this are read in one process: forking (about 10 ms for a build's
process) and pickling would cost more than half of the reading saves."""

CHILD_SHARE = 0.48
"""The child's share of the items: a little less than half, because the parent, once
done with its own share, still unpickles the child's (about a fifth of reading them)."""


WAIT_GRACE = 10.0
"""Seconds the parent waits for the child's answer beyond :data:`WAIT_FACTOR` times the
time its own (larger) share took: a child that has not answered by then is hung (a
lock copied at the fork, a stopped process) and is killed; the parent reads its share."""

WAIT_FACTOR = 4.0


def fork_usable() -> bool:
    """Whether :func:`map_in_two` may fork here: Linux, two or more usable CPUs (the
    process's affinity, not the machine's count), and no other thread in this process."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
        # The system's count of this process's threads: ``threading`` knows only the
        # threads it started, not those of a host written in another language that
        # calls in (Zensical runs its Markdown extensions, our loader among them, on a
        # thread of its own Rust runtime, while its main thread waits).
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return False
    return cores >= 2 and threads == 1 and threading.active_count() == 1


def map_in_two(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[work(item) for item in items]``, in that order, with a forked child doing the
    last :data:`CHILD_SHARE` of the items when :func:`fork_usable` and there are at least
    :data:`MIN_ITEMS`. ``work`` must depend only on its item and on state the parent
    already holds (the child's side effects are lost), and its results must pickle.

    Never raises for the child's sake: a child that cannot start, fails, is killed or
    answers with something unreadable costs only time, as the parent then does its
    share itself. An exception raised by ``work`` in the parent propagates as it would
    from the list comprehension (the child is stopped first).
    """
    if len(items) < MIN_ITEMS or not fork_usable():
        return [work(item) for item in items]
    split = len(items) - int(len(items) * CHILD_SHARE)
    mine, theirs = items[:split], items[split:]
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return [work(item) for item in items]
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return [work(item) for item in items]
    if pid == 0:  # pragma: no cover - the child: measured through the parent's results
        _child(work, theirs, read_end, write_end)
    os.close(write_end)
    answer: list[R] | None = None
    try:
        started = time.monotonic()
        ours = [work(item) for item in mine]
        deadline = time.monotonic() + WAIT_GRACE + WAIT_FACTOR * (time.monotonic() - started)
        data = _read_until(read_end, deadline)
        if data is not None:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                # SIGCHLD ignored (a disposition inherited across exec): the system reaped
                # the child, its status is lost; a complete answer unpickles, a cut one
                # does not (a pickle ends with STOP).
                status = 0
            pid = 0
            if status == 0 and data:
                answer = _unpickle(data, len(theirs))
    finally:
        if read_end >= 0:
            os.close(read_end)
        if pid:  # interrupted (Ctrl-C), work raised or the child hung: not needed any more
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    if answer is None:
        answer = [work(item) for item in theirs]
    return ours + answer


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until its end, or None when ``deadline``
    (``time.monotonic``) comes first. The child writes its answer only once it has all
    of it, so waiting here is waiting for the child."""
    chunks: list[bytes] = []
    waiting = select.poll()  # not select.select: it refuses descriptors past 1023
    waiting.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if not waiting.poll(max(1, int(left * 1000))):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _child(work: Callable[[T], R], items: Sequence[T], read_end: int, write_end: int) -> None:
    """In the forked child: do the work, write the pickled results, and leave at once.
    ``os._exit`` skips the parent's exit handlers and buffered output, which belong to
    the parent; any failure is an empty answer and a non-zero status."""
    status = 1
    try:
        os.close(read_end)
        # Ctrl-C reaches the whole process group: the parent stops this child itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        data = pickle.dumps([work(item) for item in items], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as stream:
            stream.write(data)
        status = 0
    except BaseException:  # the parent reads these items itself
        pass
    finally:
        os._exit(status)


def _unpickle(data: bytes, count: int) -> list[R] | None:
    """The child's results, or None when they are not ``count`` results. The bytes come
    from this process's own fork, through a pipe nobody else holds."""
    enabled = gc.isenabled()
    gc.disable()  # thousands of new containers at once: no cycle can be among them yet
    try:
        results = pickle.loads(data)  # written by our own forked child
    except Exception:  # a truncated answer: read these items here
        return None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(results, list) or len(results) != count:
        return None
    return results


PIPE_BYTES = 1 << 20
"""The pipe's buffer asked for (Linux allows 1 MiB to anyone by default): room for about
a hundred compressed results, so a child that runs ahead seldom waits for the parent to
read."""

_FRAME = struct.Struct("<I")


def widen_pipe(fd: int, size: int = PIPE_BYTES) -> None:
    """Ask for a pipe buffer of ``size`` bytes for ``fd`` (Linux ``F_SETPIPE_SZ``; the
    default is 64 KiB), so that a writer ahead of its reader seldom waits; silently
    nothing where that is not possible (another system, a lower limit)."""
    try:
        import fcntl  # not on Windows
    except ImportError:
        return
    with contextlib.suppress(OSError, AttributeError):  # Linux 2.6.35 and later
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)


class AheadInChild(Generic[K, R]):
    """A forked child doing ``work(key)`` for ``keys`` from the last one backwards, while
    this process asks for them from the first one on (:meth:`take`): each key is done by
    whichever of the two gets to it first, so neither waits for the other and the split
    needs no guess of how long each key takes.

    Made by :meth:`start`. The child sends each result as it is done, pickled and
    compressed (level 1: the child's core is the idle one); they wait here, compressed,
    until taken. Once this process takes a result, the child has done every later key
    and is working on keys this process already did: it is stopped then, and by
    :meth:`close`, which every user calls when done.

    ``work`` must depend only on its key and on state this process held at the fork;
    whatever it changes besides its result is lost, so results must carry it. Anything
    that goes wrong in the child (an exception, a result that does not pickle, a crash)
    costs only time: the key is then done here.
    """

    def __init__(self, pid: int, read_end: int, keys: Sequence[K]) -> None:
        self._pid = pid
        self._fd = read_end
        self._place = {key: place for place, key in enumerate(keys)}
        self._results: dict[int, bytes] = {}
        self._buffer = bytearray()
        self.taken = 0
        """Results taken from the child (for tests and benchmarks)."""

    @classmethod
    def start(cls, work: Callable[[K], R], keys: Sequence[K], *,
              in_child: Callable[[], None] | None = None) -> AheadInChild[K, R] | None:
        """Fork the child for ``keys`` (``in_child`` runs first in it), or None where
        forking is not usable (:func:`fork_usable`), there are fewer than
        :data:`MIN_ITEMS` keys, or the fork fails."""
        if len(keys) < MIN_ITEMS or not fork_usable():
            return None
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        widen_pipe(write_end)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # pragma: no cover - the child: measured through the parent's results
            _ahead_child(work, keys, in_child, read_end, write_end)
        os.close(write_end)
        os.set_blocking(read_end, False)
        return cls(pid, read_end, keys)

    def take(self, key: K) -> R | None:
        """The child's result for ``key``, or None: the child has not done it (yet), it
        failed or gave None (``work`` may leave a key to this process so), or ``key`` is
        not one of its keys. Never waits for the child."""
        place = self._place.get(key)
        if place is None or self._fd < 0:
            return None
        self._read()
        data = self._results.pop(place, None)
        if data is None:
            return None
        if self._pid:
            # The child works backwards: every later key is done, it is now doing keys
            # this process did. Stop it, and keep what it sent before it stopped.
            self._stop()
        try:
            result = pickle.loads(zlib.decompress(data))  # from our own forked child
        except Exception:
            return None
        if result is None or result[1] is None:
            return None  # work raised in the child, or left the key: done here
        self.taken += 1
        return result[1]

    def close(self) -> None:
        """Stop the child and forget its results (safe to call more than once)."""
        if self._pid:
            self._stop(keep=False)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._results.clear()

    def _stop(self, keep: bool = True) -> None:
        with contextlib.suppress(OSError):
            os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(OSError):  # ChildProcessError with SIGCHLD ignored
            os.waitpid(self._pid, 0)
        self._pid = 0
        if keep:
            # The child is gone: every frame it wrote is in the pipe (a frame cut short
            # by the kill is left out), and nothing more will come.
            self._read()

    def __del__(self) -> None:
        # A build that ended without close() (an interrupt MkDocs does not report to
        # plugins): the child must not wait on a full pipe for as long as this process.
        with contextlib.suppress(Exception):
            self.close()

    def _read(self) -> None:
        """Take what the pipe holds now into :attr:`_results` (never waits)."""
        while True:
            try:
                chunk = os.read(self._fd, PIPE_BYTES)
            except OSError:  # BlockingIOError: nothing more for now
                break
            if not chunk:
                break
            self._buffer += chunk
        self._frames()

    def _frames(self) -> None:
        buffer = self._buffer
        start = 0
        while len(buffer) - start >= _FRAME.size + 4:
            (size,) = _FRAME.unpack_from(buffer, start)
            end = start + _FRAME.size + 4 + size
            if end > len(buffer):
                break
            (place,) = _FRAME.unpack_from(buffer, start + _FRAME.size)
            self._results[place] = bytes(buffer[start + _FRAME.size + 4:end])
            start = end
        del buffer[:start]


def _ahead_child(work: Callable[[K], R], keys: Sequence[K],
                 in_child: Callable[[], None] | None, read_end: int,
                 write_end: int) -> None:  # pragma: no cover - runs in the forked child
    """In the forked child: do the keys from the last one, send each result as a frame
    (its size, its place among the keys, then the compressed pickle of ``(place,
    result)``, or of None when ``work`` raised), and leave at once with ``os._exit``
    (the parent's exit handlers and buffered output belong to the parent)."""
    status = 1
    try:
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops this child itself
        # What the parent allocated stays as it is: the cycle collector then walks only
        # this child's own objects, instead of writing to (so copying) every shared page.
        gc.freeze()
        if in_child is not None:
            in_child()
        with os.fdopen(write_end, "wb", buffering=0) as stream:
            for place in range(len(keys) - 1, -1, -1):
                try:
                    data = pickle.dumps((place, work(keys[place])),
                                        protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:
                    data = pickle.dumps(None)
                packed = zlib.compress(data, 1)
                stream.write(_FRAME.pack(len(packed)) + _FRAME.pack(place) + packed)
        status = 0
    except BaseException:  # the parent does the keys not sent
        pass
    finally:
        os._exit(status)
