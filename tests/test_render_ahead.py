"""Playbills rendered ahead by a forked child (``load/parallel.py``'s ``AheadInChild``,
``plugin/ahead.py``; issue #12 item 5).

The child does the keys from the last one backwards while this process asks for them
from the first; each key is done by whichever gets to it first. The results must be
those of doing every key here, nothing may wait for a child that is slow, hung or
gone, and no child is left behind. The site test builds a real generated site with
and without the child, with links between incidents, broken links and "Referenced
by" among the playbills the child renders, and compares every published byte and
every warning.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import assert_reaped, build_site
from test_build_speed import _site_files, write_site

from mkdocs_pmtheater.load import parallel
from mkdocs_pmtheater.load.parallel import AheadInChild
from mkdocs_pmtheater.plugin import ahead as ahead_module

KEYS = [f"key-{n:03d}" for n in range(400)]


def _slow_square(key: str) -> tuple[int, int]:
    """The key's number squared and the pid that worked it out, in about a millisecond
    (so that both processes do some of the keys)."""
    time.sleep(0.001)
    number = int(key.split("-")[1])
    return number * number, os.getpid()


def _do_all(ahead: AheadInChild | None, work=_slow_square) -> list[tuple[int, int]]:
    """What a user does: take each key's result from the child, or work it out here."""
    results = []
    for key in KEYS:
        taken = ahead.take(key) if ahead is not None else None
        results.append(taken if taken is not None else work(key))
    return results


def test_each_key_is_done_once_by_whichever_gets_there_first(forking: list[int]) -> None:
    ahead = AheadInChild.start(_slow_square, KEYS)
    assert ahead is not None
    results = _do_all(ahead)
    ahead.close()
    assert [value for value, _pid in results] == [n * n for n in range(len(KEYS))]
    pids = [pid for _value, pid in results]
    # This process did a first part, the child all the rest, from the last key back.
    mine = pids.index(next(pid for pid in pids if pid != os.getpid()))
    assert 0 < mine < len(KEYS)
    assert set(pids[:mine]) == {os.getpid()}
    assert set(pids[mine:]) == {forking[0]}
    assert ahead.taken == len(KEYS) - mine
    assert_reaped(forking)


def test_few_keys_or_no_fork_start_no_child(forking: list[int],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert AheadInChild.start(_slow_square, KEYS[:parallel.MIN_ITEMS - 1]) is None
    monkeypatch.setattr(parallel, "fork_usable", lambda: False)
    assert AheadInChild.start(_slow_square, KEYS) is None
    assert forking == []


@pytest.mark.parametrize("failure", ["raises", "does not pickle", "killed", "hangs"])
def test_a_failing_child_costs_only_time(forking: list[int], failure: str) -> None:
    parent = os.getpid()

    def work(key: str) -> object:
        if os.getpid() != parent and key == KEYS[-40]:
            if failure == "raises":
                raise ValueError("in the child only")
            if failure == "does not pickle":
                return lambda: None
            if failure == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGSTOP)
        return _slow_square(key)

    ahead = AheadInChild.start(work, KEYS)
    assert ahead is not None
    # Let the child reach the failing key before this process starts.
    time.sleep(0.5)
    started = time.monotonic()
    results = _do_all(ahead, work)
    ahead.close()
    assert [value for value, _pid in results] == [n * n for n in range(len(KEYS))]
    pids = [pid for _value, pid in results]
    # The failing key was done here; with a child that raised or sent what does not
    # pickle, the keys after it came from the child.
    assert pids[-40] == parent
    if failure in ("raises", "does not pickle"):
        assert set(pids[-39:]) == set(forking)
    # A child that is gone or stopped is never waited for: this process did every key
    # the child had not sent, at about its own pace.
    assert time.monotonic() - started < 5 + 0.002 * len(KEYS) * 4
    assert_reaped(forking)


def test_closing_early_leaves_no_child_and_no_descriptor(forking: list[int]) -> None:
    before = len(os.listdir("/proc/self/fd"))
    ahead = AheadInChild.start(_slow_square, KEYS)
    assert ahead is not None
    assert ahead.take(KEYS[0]) is None  # not done by the child (yet): done here
    ahead.close()
    ahead.close()
    assert ahead.take(KEYS[-1]) is None
    assert len(os.listdir("/proc/self/fd")) == before
    assert_reaped(forking)


def count_taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many playbills each build took from its child (one count per child, as it is
    closed)."""
    taken: list[int] = []
    close = ahead_module.PlaybillsAhead.close

    def counting(self: ahead_module.PlaybillsAhead) -> None:
        taken.append(self.taken)
        close(self)

    monkeypatch.setattr(ahead_module.PlaybillsAhead, "close", counting)
    return taken


def _links_among_the_last(root: Path, count: int) -> tuple[list[Path], str]:
    """Links in the Markdown of the last ``count`` incidents (those the child renders):
    to the first incident, to one that does not exist, and to a runbook; and a runbook
    that links to one of them ("Referenced by"). Returns those files and the first id."""
    files = sorted((root / "docs" / "incidents").rglob("*.yaml"))
    first_id = files[0].read_text().split("\n", 1)[0].removeprefix("id: ")
    (root / "docs" / "runbooks").mkdir(exist_ok=True)
    changed = files[-count:]
    last_id = changed[-1].read_text().split("\n", 1)[0].removeprefix("id: ")
    (root / "docs" / "runbooks" / "ahead.md").write_text(
        f"# Ahead\n\nSee [the last one](incident:{last_id}).\n")
    for number, path in enumerate(changed):
        text = path.read_text()
        assert "\nsummary: " in text
        path.write_text(text.replace(
            "\nsummary: ",
            f"\nsummary: Like [the first](incident:{first_id}), [a lost one "
            f"{number}](incident:INC-GONE-{number % 3}) and [the runbook]"
            f"(../../runbooks/ahead.md). ", 1))
    return changed, first_id


def test_a_generated_site_is_the_same_rendered_ahead(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str) -> None:
    root = write_site(tmp_path / "generated", 240)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - pmtheater\n",
                                                 "  - pmtheater:\n      pagefind: false\n"))
    changed, first_id = _links_among_the_last(root, 30)
    taken = count_taken(monkeypatch)
    capfd.readouterr()
    two = build_site(root, site_dir=tmp_path / "two")
    two_err = capfd.readouterr().err
    # The rendering child (and the reading one, unless the files were read before: MkDocs
    # keeps the plugin, and its loader's content cache, for the whole process).
    forked = len(forking)
    assert forked >= 1
    assert len(taken) == 1 and taken[0] >= 30
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
    one = build_site(root, site_dir=tmp_path / "one")
    one_err = capfd.readouterr().err
    assert len(forking) == forked and len(taken) == 1  # no child the second time
    assert_reaped(forking)
    assert two.warnings == one.warnings
    # The child printed nothing itself: its records were emitted here, once each.
    assert two_err == one_err
    assert any("INC-GONE-1" in w for w in two.warnings)
    two_files, one_files = _site_files(two.site_dir), _site_files(one.site_dir)
    assert two_files.keys() == one_files.keys()
    assert [name for name in two_files if two_files[name] != one_files[name]] == []
    # Links written in the incidents the child rendered: the runbook's and the first
    # incident's "Referenced by" list them (as they do when rendered here).
    runbook = two_files["runbooks/ahead/index.html"].decode()
    first = next(name for name in two_files
                 if name.endswith(f"{first_id.lower()}/index.html"))
    referenced = two_files[first].decode()
    assert changed[-1].stem in runbook
    assert changed[-1].stem in referenced and changed[0].stem in referenced


def test_log_records_of_the_child_are_emitted_here_once(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    """A record logged while the child renders (by another plugin's hook, a template
    filter, anything) is not lost and not doubled."""
    root = write_site(tmp_path / "generated", 230)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - pmtheater\n",
                                                 "  - pmtheater:\n      pagefind: false\n"))
    from mkdocs_pmtheater.publish import production

    playbill = production.Production.playbill
    logger = logging.getLogger("mkdocs.plugins.elsewhere")

    def noisy(self: production.Production, page: str, *args: object, **kwargs: object):
        logger.warning("rendering %s in %s", page,
                       "the build" if os.getpid() == parent else "a child")
        return playbill(self, page, *args, **kwargs)

    parent = os.getpid()
    monkeypatch.setattr(production.Production, "playbill", noisy)
    built = build_site(root, site_dir=tmp_path / "site")
    rendering = [w for w in built.warnings if w.startswith("rendering incidents/inc-")]
    pages = [w.split()[1] for w in rendering]
    assert len(pages) == len(set(pages)) == 230
    assert any(w.endswith("in a child") for w in rendering)
    assert any(w.endswith("in the build") for w in rendering)
    assert_reaped(forking)
