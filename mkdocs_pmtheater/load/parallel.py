"""Reading many incident files on two cores: a forked child reads part of them.

Reading and checking a file (``IncidentLoader.read_file``) depends on nothing but the
file's bytes, its names and the loader's settings, and it is the longest step of a build
that the build does alone: 1.6 ms of CPU a file, 3.2 s at 2,000 incidents, while the
machine's other cores wait. A child forked at that moment already holds everything
reading needs (the loader, the schema, the imports), so it reads its share at once,
returns the results pickled through a pipe (0.3 ms a file to unpickle) and exits.

Only where forking is safe and worth it: Linux (``fork`` is the default start there;
macOS frameworks are not fork-safe), at least two usable cores, a process with a single
thread (forking a threaded process can copy a lock held by another thread: under
``mkdocs serve`` the rebuilds read one changed file anyway), and enough files to
cover the cost of the fork and the pickles. Anything that goes wrong in the child, or
with its answer, leaves the parent to read those files itself: the result is the same
either way, only slower.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

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
