"""Python's cycle collector under ``mkdocs serve``: the full collection done while the
server waits for the next edit, not at the start of the rebuild the author waits for.

A build freezes what it keeps (``gc.freeze()`` in ``on_files``: the incidents, the
caches), so that the collector's many full passes during the build do not walk those
objects again and again. The next build used to unfreeze them first, and its first
full pass then walked everything kept across rebuilds: about 0.35 s of CPU time of
each 2,000-incident ``--dirty`` rebuild. Now the unfreeze, a full collection and a
freeze run on a timer thread once the server has been idle for :data:`IDLE_DELAY`
seconds; a rebuild that starts first cancels it. The cycles of a previous build
(garbage that only a full pass frees) then wait in the permanent generation until the
server is idle; should the permanent generation grow past :data:`GROWTH` times its
size after the last idle collection (saves faster than the delay, build after build),
the rebuild unfreezes it and collects, so memory stays bounded. Counting the frozen
objects walks all of them (about 30 ms at 2,000 incidents), so a rebuild counts them
only when it is not the first since an idle collection: the usual save, after the
author has read the page, pays nothing.

Before, each rebuild unfroze and ``on_files`` froze again, usually before the
collector's thresholds called for a full pass: the previous build's cycles were frozen
again, never freed, and a long session grew (2,000 incidents: 395 to 738 MiB over 20
title edits, the permanent generation 28,000 objects larger per rebuild).
"""

from __future__ import annotations

import gc
import threading

IDLE_DELAY = 1.0
"""Seconds after a build ends before collecting: the browser's reload (the page, then
its assets) is served first, and a save seconds later finds the collection done."""
GROWTH = 1.5
"""Past this many times the permanent generation's size after the last idle collection,
a rebuild unfreezes it and collects (the collection then runs in the build)."""


class IdleCollector:
    """Full cycle collections of a ``mkdocs serve`` session, run between rebuilds.

    :meth:`build_starts` in ``on_config``, :meth:`build_ended` in ``on_post_build``;
    both hold a lock that the collection holds too, so a collection never overlaps a
    build's own work (at worst a rebuild waits for one that has begun).
    """

    def __init__(self, delay: float = IDLE_DELAY) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._baseline = 0
        """Objects in the permanent generation after the last idle collection."""
        self._builds_since = 0
        """Builds started since the last idle collection."""
        self.collections = 0
        """Idle collections done (for tests)."""
        self.fallbacks = 0
        """Rebuilds that unfroze because the permanent generation had grown (for tests)."""

    def build_starts(self) -> None:
        """Cancel a pending collection; unfreeze if the frozen objects grew too many."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._builds_since += 1
            if self._builds_since > 1 and gc.get_freeze_count() > GROWTH * self._baseline:
                # Collected here, not left to the collector's thresholds: on_files freezes
                # again, often before a full pass, and frozen cycles were never freed
                # (before this module, RSS grew 17 MiB per 2,000-incident rebuild).
                gc.unfreeze()
                gc.collect()
                self.fallbacks += 1

    def build_ended(self) -> None:
        """Collect once the server has been idle for :attr:`delay` seconds."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            timer = threading.Timer(self.delay, self._collect)
            timer.daemon = True  # never keeps `mkdocs serve` from exiting
            self._timer = timer
            timer.start()

    def _collect(self) -> None:
        with self._lock:
            if self._timer is not threading.current_thread():
                return  # a rebuild started (or ended) since: that one's timer counts
            self._timer = None
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self._baseline = gc.get_freeze_count()
            self._builds_since = 0
            self.collections += 1

    def stop(self) -> None:
        """Cancel a pending collection (the server is shutting down)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
