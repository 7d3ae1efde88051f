"""Full cycle collections between ``mkdocs serve`` rebuilds (plugin/idlegc.py), with
Python's real collector: frozen cyclic garbage of an earlier build is freed once the
server is idle, a rebuild that starts first cancels the collection, and a permanent
generation that keeps growing is unfrozen by the rebuild (memory stays bounded)."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SiteFactory, minimal_incident

from mkdocs_pmtheater.plugin.idlegc import GROWTH, IdleCollector


class Node:
    """A cyclic object: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # leave the test process as it was


def frozen_garbage() -> weakref.ref[Node]:
    node = Node()
    gone = weakref.ref(node)
    gc.freeze()  # as a build's on_files does, with this cycle still alive
    del node
    return gone


def wait_until(check: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_idle_collection_frees_frozen_cycles_and_freezes_survivors() -> None:
    collector = IdleCollector(delay=0.05)
    gone = frozen_garbage()
    gc.collect()
    assert gone() is not None  # frozen: no collection reaches it
    collector.build_ended()
    assert wait_until(lambda: collector.collections == 1)
    assert gone() is None
    assert gc.get_freeze_count() > 0  # the survivors are frozen again for the next build


def test_a_rebuild_that_starts_first_cancels_the_collection() -> None:
    collector = IdleCollector(delay=0.3)
    collector.build_ended()
    gone = frozen_garbage()
    collector._baseline = gc.get_freeze_count()  # no growth: no fallback either
    collector.build_starts()
    time.sleep(0.6)
    assert collector.collections == 0
    assert gone() is not None  # still frozen: the rebuild did not pay for a collection
    collector.stop()


def test_a_growing_permanent_generation_is_unfrozen_by_the_rebuild() -> None:
    collector = IdleCollector(delay=60.0)  # saves faster than the server is ever idle
    collector._baseline = 1
    gone = frozen_garbage()
    assert gc.get_freeze_count() > GROWTH
    collector.build_starts()  # the first since an idle collection: frozen objects not counted
    assert collector.fallbacks == 0 and gone() is not None
    collector.build_starts()  # saved again before the server was idle
    assert collector.fallbacks == 1
    assert gc.get_freeze_count() == 0
    assert gone() is None  # collected by the rebuild, before on_files freezes again
    collector.stop()


def test_serve_builds_collect_once_idle_and_keep_memory_flat(site: SiteFactory) -> None:
    """The plugin under ``mkdocs serve --dirty`` (MkDocs' build function called as serve
    calls it, in this process): once a build ends and the server is idle, the garbage
    cycles of earlier builds are freed, and the frozen objects do not grow build after
    build."""
    import os

    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site.incident("a.yaml", minimal_incident("INC-A", "First title"))
    site.incident("b.yaml", minimal_incident("INC-B", "Second outage"))
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    here = os.getcwd()
    os.chdir(site.root)
    try:
        def config() -> Any:
            return load_config(str(site.root / "mkdocs.yml"),
                               site_dir=str(site.root / "site"))

        first = config()
        first.plugins.on_startup(command="serve", dirty=True)
        plugin = first.plugins["pmtheater"]
        collector = plugin._idle_gc
        assert collector is not None
        collector.delay = 0.05
        build(first, dirty=True)
        frozen = []
        for n in range(4):
            assert wait_until(lambda n=n: collector.collections == n + 1)
            frozen.append(gc.get_freeze_count())
            gone = frozen_garbage()  # what a build leaves: cycles frozen with the rest
            site.incident("a.yaml", minimal_incident("INC-A", f"Title {n}"))
            build(config(), dirty=True)
            assert wait_until(lambda n=n: collector.collections == n + 2)
            assert gone() is None
        # The same site rebuilt: the permanent generation holds the same objects, give
        # or take a few per cent (it grew by a whole build's garbage each time before).
        assert max(frozen) < 1.1 * min(frozen)
        assert collector.fallbacks == 0
    finally:
        plugin.on_shutdown()
        os.chdir(here)
