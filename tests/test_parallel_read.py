"""Reading incident files on two cores (``load/parallel.py``, issue #12 item 5).

A forked child reads the last part of the files; the results must be exactly those of
reading every file in one process, and anything that goes wrong in the child must cost
only time. The site test builds a real generated site both ways, a broken file and a
duplicate id among the files the child reads, and compares every published byte.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import assert_reaped, build_site
from test_build_speed import _site_files, write_site

from mkdocs_pmtheater.load import parallel


def _square_with_pid(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def test_the_child_does_its_share_and_the_order_is_kept(forking: list[int]) -> None:
    items = list(range(500))
    results = parallel.map_in_two(_square_with_pid, items)
    assert [value for value, _pid in results] == [i * i for i in items]
    pids = [pid for _value, pid in results]
    child_share = int(len(items) * parallel.CHILD_SHARE)
    assert set(pids[:-child_share]) == {os.getpid()}
    [child] = set(pids[-child_share:])
    assert child != os.getpid()


def test_few_items_are_read_in_this_process(forking: list[int]) -> None:
    results = parallel.map_in_two(_square_with_pid, list(range(parallel.MIN_ITEMS - 1)))
    assert {pid for _value, pid in results} == {os.getpid()}


@pytest.mark.parametrize("failure", ["raises", "killed", "exits without answer"])
def test_a_failing_child_costs_only_time(forking: list[int], failure: str) -> None:
    parent = os.getpid()

    def work(item: int) -> tuple[int, int]:
        if os.getpid() != parent and item == 400:
            if failure == "raises":
                raise ValueError("in the child only")
            if failure == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(0)
        return _square_with_pid(item)

    results = parallel.map_in_two(work, list(range(500)))
    assert results == [(i * i, parent) for i in range(500)]
    assert_reaped(forking)


def test_an_error_in_this_process_stops_the_child(forking: list[int]) -> None:
    parent = os.getpid()

    def work(item: int) -> int:
        if os.getpid() == parent and item == 3:
            raise KeyError(item)
        return item

    with pytest.raises(KeyError):
        parallel.map_in_two(work, list(range(500)))
    assert_reaped(forking)


def test_a_generated_site_is_the_same_read_on_two_cores(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    root = write_site(tmp_path / "generated", 240)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - pmtheater\n",
                                                 "  - pmtheater:\n      pagefind: false\n"))
    # Bytes of this test's own: MkDocs keeps the plugin (its loader's content cache) for
    # the whole process, so files another test built would not be read again.
    for path in (root / "docs" / "incidents").rglob("*.yaml"):
        path.write_text(path.read_text() + "# read on two cores\n")
    last_year = sorted((root / "docs" / "incidents").iterdir())[-1]
    # Among the last files, which the child reads: a broken file and a duplicate id of a
    # file the parent reads (both files must be named).
    (last_year / "zz-broken.yaml").write_text("id: INC-BROKEN\ntitle: [unclosed\n")
    first = sorted(sorted((root / "docs" / "incidents").iterdir())[0].glob("*.yaml"))[0]
    shutil.copyfile(first, last_year / "zz-twin.yaml")
    unpickled: list[int] = []
    original = parallel._unpickle

    def counting(data: bytes, count: int) -> list | None:
        results = original(data, count)
        unpickled.append(len(results) if results is not None else -1)
        return results

    monkeypatch.setattr(parallel, "_unpickle", counting)
    two = build_site(root, site_dir=tmp_path / "two")
    assert unpickled == [int(242 * parallel.CHILD_SHARE)]
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
    one = build_site(root, site_dir=tmp_path / "one")
    assert unpickled == [int(242 * parallel.CHILD_SHARE)]  # no child the second time
    assert two.warnings == one.warnings
    assert any("zz-broken.yaml" in w for w in two.warnings)
    assert any("zz-twin.yaml" in w and first.name in w for w in two.warnings)
    two_files, one_files = _site_files(two.site_dir), _site_files(one.site_dir)
    assert two_files.keys() == one_files.keys()
    assert [name for name in two_files if two_files[name] != one_files[name]] == []


def test_an_ignored_sigchld_costs_nothing(forking: list[int]) -> None:
    """SIGCHLD set to SIG_IGN (inherited across exec from a parent that ignores it, or
    set by another plugin): the system reaps the child itself and ``waitpid`` fails."""
    parent = os.getpid()
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        results = parallel.map_in_two(_square_with_pid, list(range(500)))
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert [value for value, _pid in results] == [i * i for i in range(500)]
    assert {pid for _value, pid in results} - {parent}  # the child's answer was used


def test_a_hung_child_costs_only_time(forking: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that never answers (a lock copied at the fork, a stopped process) is
    killed once the parent has waited long enough; the parent reads its share."""
    monkeypatch.setattr(parallel, "WAIT_GRACE", 1.0)
    parent = os.getpid()

    def work(item: int) -> tuple[int, int]:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGSTOP)
        return _square_with_pid(item)

    started = time.monotonic()
    results = parallel.map_in_two(work, list(range(500)))
    assert time.monotonic() - started < 30
    assert results == [(i * i, parent) for i in range(500)]
    assert_reaped(forking)  # the child was killed and waited for


def test_a_thread_that_threading_does_not_know_stops_the_fork() -> None:
    """A host written in another language (Zensical's Rust runtime) runs our Markdown
    extension, and so the loader, on a thread of its own while other threads of the
    process live: ``threading.active_count()`` sees one thread. Forking there can copy a
    lock another thread holds. A thread started with ``_thread`` is such a thread."""
    script = textwrap.dedent("""\
        import _thread, os, threading, time
        from mkdocs_pmtheater.load import parallel
        before = parallel.fork_usable()
        held = _thread.allocate_lock()
        held.acquire()
        _thread.start_new_thread(held.acquire, ())
        while len(os.listdir("/proc/self/task")) < 2:
            time.sleep(0.01)
        print(before, threading.active_count(), parallel.fork_usable())
        """)
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=60, check=True).stdout.split()
    assert shown == [str(len(os.sched_getaffinity(0)) >= 2), "1", "False"]


def test_many_open_files_do_not_stop_the_answer(forking: list[int]) -> None:
    """The pipe's descriptors come after every file the process holds open (a large
    build, a server): past 1023, where ``select.select`` refuses them."""
    parent = os.getpid()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 1200) if hard != resource.RLIM_INFINITY else 1200
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert max(held) > 1024
        results = parallel.map_in_two(_square_with_pid, list(range(500)))
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert [value for value, _pid in results] == [i * i for i in range(500)]
    assert {pid for _value, pid in results} - {parent}  # the child's answer was used
