"""Where the build's copies for Pagefind go: in memory (``/dev/shm``) when there is room.

Writing thousands of copies in new folders, then removing them, was most of the
kernel's work in a big build (``copies_home``'s docstring). These tests build real
sites with the memory folder moved to a folder of the test's own, and read the bundle.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from conftest import SiteFactory
from test_build_speed import _count_site_indexing, _paths_taken
from test_search import SCENE_WORD, build_in_parts, fragments


@pytest.fixture
def memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The memory folder, moved to an empty folder of this test (``TMPDIR`` unset)."""
    from mkdocs_pmtheater.publish import fulltext

    folder = tmp_path / "shm"
    folder.mkdir()
    monkeypatch.setattr(fulltext, "MEMORY_FOLDER", folder)
    monkeypatch.delenv("TMPDIR", raising=False)
    return folder


def test_copies_go_to_memory_and_leave_nothing_there(
        site: SiteFactory, memory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build in two parts: the copies' folder is made in the memory folder (Pagefind's
    parts too), the bundle holds every playbill, and nothing is left there after."""
    made: list[Path] = []
    real = tempfile.mkdtemp

    def recording(*args: object, **kwargs: object) -> str:
        path = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    taken, calls = _paths_taken(monkeypatch), _count_site_indexing(monkeypatch)
    built = build_in_parts(site, 2)
    assert (taken, calls) == ({"stream": 1, "copies": 0}, [])  # the streamed copies
    copies = [path for path in made if path.name.startswith("pmtheater-pagefind-")]
    assert copies and all(path.parent == memory for path in copies)
    assert list(memory.iterdir()) == []
    ids = [page["meta"]["id"] for page in fragments(built.site_dir)]
    ids += [page["meta"]["id"] for page in fragments(built.site_dir, "shard-2")]
    assert sorted(ids) == ["INC-2023-001", "INC-2024-031", "INC-2025-002"]
    [scene] = [page for page in fragments(built.site_dir, "shard-2")
               if page["meta"]["id"] == "INC-2024-031"]
    assert SCENE_WORD in scene["content"].lower()


def test_copies_home_asks_for_room_and_leaves_tmpdir_to_the_user(
        memory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_pmtheater.publish import fulltext

    assert fulltext.copies_home(2000) == str(memory)
    # Not enough room for the copies and the spare: the system's temporary folder.
    free = os.statvfs(memory).f_bavail * os.statvfs(memory).f_frsize
    monkeypatch.setattr(fulltext, "MEMORY_SPARE_BYTES", free)
    assert fulltext.copies_home(1) is None
    monkeypatch.setattr(fulltext, "MEMORY_SPARE_BYTES", 0)
    assert fulltext.copies_home(free // fulltext.MEMORY_COPY_BYTES + 1) is None
    assert fulltext.copies_home(1) == str(memory)
    monkeypatch.setenv("TMPDIR", str(memory.parent))
    assert fulltext.copies_home(1) is None
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(fulltext, "MEMORY_FOLDER", memory / "missing")
    assert fulltext.copies_home(1) is None


def test_folders_of_copies_left_by_a_killed_build_are_swept(memory: Path) -> None:
    """Only this user's folders named as copies, untouched for longer than any build."""
    from mkdocs_pmtheater.publish.fulltext import INDEX_TIMEOUT, copies_home, sweep_copies

    old, recent = memory / "pmtheater-pagefind-old", memory / "pmtheater-pagefind-new"
    other, named_file = memory / "someone-else", memory / "pmtheater-pagefind-x.json"
    for folder in (old, recent, other):
        (folder / "incidents" / "inc-1").mkdir(parents=True)
        (folder / "incidents" / "inc-1" / "index.html").write_text("<html></html>")
    named_file.write_text("{}")
    long_ago = time.time() - 2 * INDEX_TIMEOUT - 60
    for path in (old, other, named_file):
        os.utime(path, (long_ago, long_ago))
    assert copies_home(1) == str(memory)  # sweeps as it chooses the folder
    assert sorted(path.name for path in memory.iterdir()) == [
        "pmtheater-pagefind-new", "pmtheater-pagefind-x.json", "someone-else"]
    assert sweep_copies(memory) == 0
    assert sweep_copies(memory / "missing") == 0


def test_each_part_frees_its_copies_once_indexed(
        site: SiteFactory, memory: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Three playbills in three parts: when Pagefind starts on a part, the copies of the
    parts indexed before it are gone (their memory is free), the others still there."""
    from pagefind.service import get_executable

    seen = tmp_path / "seen"
    binary = tmp_path / "pagefind-counting"
    # The part's folder of links is inside the folder of copies: count the copies
    # (outside the parts' folder) each time Pagefind starts.
    binary.write_text(
        "#!/bin/sh\n"
        'site=""; previous=""\n'
        'for argument in "$@"; do [ "$previous" = "--site" ] && site="$argument"; '
        'previous="$argument"; done\n'
        'copies=$(dirname "$(dirname "$site")")\n'
        f"find \"$copies\" -name '*.html' -not -path '*/.pmtheater-shards-*' | wc -l >> {seen}\n"
        f'exec {get_executable()} "$@"\n')
    binary.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    built = build_in_parts(site, 1)
    assert [int(line) for line in seen.read_text().split()] == [3, 2, 1]
    assert len(fragments(built.site_dir, "shard-3")) == 1
    assert list(memory.iterdir()) == []


def test_copies_that_cannot_be_written_in_memory_leave_search_whole(
        site: SiteFactory, memory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The child cannot write a copy in the memory folder (as when it is full: here a
    file stands where the copies' folder of playbills goes): the build still publishes
    every playbill in Pagefind's bundle, without a warning, and leaves nothing there."""
    real = tempfile.mkdtemp
    blocked: list[Path] = []

    def blocking(*args: object, **kwargs: object) -> str:
        path = real(*args, **kwargs)  # type: ignore[call-overload]
        if Path(path).parent == memory:
            (Path(path) / "incidents").write_text("in the way")
            blocked.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", blocking)
    taken, calls = _paths_taken(monkeypatch), _count_site_indexing(monkeypatch)
    built = build_in_parts(site, 10)  # one part
    assert blocked
    # Not the streamed copies: the copies made once the pages are written (on disk), or
    # the written site.
    assert taken["stream"] == 0 and taken["copies"] + len(calls) >= 1
    assert sorted(page["meta"]["id"] for page in fragments(built.site_dir)) == [
        "INC-2023-001", "INC-2024-031", "INC-2025-002"]
    assert list(memory.iterdir()) == []
