"""Hostile review of the copies for Pagefind in memory (``/dev/shm``, commit 20483ce).

Each test is a defect found (fixed), a limit stated, or an attack that must keep failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO, build_site

sys.path.insert(0, str(REPO / "benchmarks"))


def _bundle(site_dir: Path) -> dict[str, bytes]:
    """Every file of a site's Pagefind bundle: path -> bytes."""
    bundle = site_dir / "pagefind"
    return {path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*")) if path.is_file()}


def _real_memory_folder() -> Path:
    from mkdocs_pmtheater.publish import fulltext

    folder = fulltext.MEMORY_FOLDER
    try:
        room = os.statvfs(folder)
    except OSError:
        pytest.skip("no /dev/shm here")
    if room.f_bavail * room.f_frsize < fulltext.MEMORY_SPARE_BYTES + 2**26:
        pytest.skip("no room in /dev/shm")
    with open("/proc/mounts", encoding="utf-8") as mounts:
        if not any(line.split()[1:3] == [str(folder), "tmpfs"] for line in mounts):
            pytest.skip("/dev/shm is not a tmpfs here")
    return folder


def test_the_bundle_does_not_depend_on_where_the_copies_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same sources, same bytes: a build whose copies went to /dev/shm (room there,
    TMPDIR unset), one whose copies went to disk (/dev/shm short of room because another
    user filled it, or TMPDIR set) and the written site's index (the fallback when the
    child fails) publish the same Pagefind bundle.

    Failed on 20483ce: Pagefind numbers pages in the order it reads the copies' folder,
    which is the file system's (tmpfs: creation order; ext4: a hash of the names), so
    every chunk, the metadata and the filters differed. The build now numbers the pages
    in the order of their URLs (``split_index_chunks``)."""
    from generate import write_site

    from mkdocs_pmtheater.publish import fulltext
    from mkdocs_pmtheater.publish.fulltext import index_site

    _real_memory_folder()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795651200")
    root = write_site(tmp_path / "generated", 40)
    monkeypatch.delenv("TMPDIR", raising=False)
    in_memory = build_site(root, site_dir=tmp_path / "in-memory")
    # Another user's files now fill /dev/shm beyond the spare room: the copies go to
    # the system's temporary folder (as with TMPDIR set).
    room = os.statvfs(fulltext.MEMORY_FOLDER)
    monkeypatch.setattr(fulltext, "MEMORY_SPARE_BYTES", room.f_bavail * room.f_frsize + 1)
    on_disk = build_site(root, site_dir=tmp_path / "on-disk")
    assert in_memory.warnings == on_disk.warnings == []
    written = _bundle(on_disk.site_dir)
    assert len([name for name in written if name.startswith("fragment/")]) == 40
    assert index_site(on_disk.site_dir, prefix="incidents").error is None
    assert _bundle(on_disk.site_dir) == written  # the fallback gives the disk's bundle
    assert _bundle(in_memory.site_dir) == written


HOOK = """
import os
from mkdocs.plugins import event_priority


@event_priority(100)  # before the plugin's: the copies are sealed, Pagefind runs
def on_post_build(config, **kwargs):
    raise KeyboardInterrupt  # as Ctrl-C while MkDocs finishes the build
"""


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_ctrl_c_after_the_copies_are_sealed_leaves_nothing_in_memory(
        tmp_path: Path) -> None:
    """Ctrl-C (KeyboardInterrupt: MkDocs calls no on_build_error) once every page is
    converted: the Pagefind child, in a session of its own, goes on; once it is done,
    no copy may stay in the memory folder (RAM until the machine restarts, or until a
    build an hour later sweeps it).

    Fails on 20483ce: the child indexes, then exits leaving the whole folder of copies;
    only the parent's PagefindRun.wait removed it, and the parent is gone."""
    from generate import write_site

    memory = tmp_path / "shm"
    memory.mkdir()
    root = write_site(tmp_path / "generated", 12)
    (root / "hooks.py").write_text(HOOK)
    with (root / "mkdocs.yml").open("a") as config:
        config.write("hooks:\n  - hooks.py\n")
    program = textwrap.dedent(f"""
        import os, sys
        os.environ.pop("TMPDIR", None)
        sys.path.insert(0, {str(REPO)!r})
        from mkdocs_pmtheater.publish import fulltext
        fulltext.MEMORY_FOLDER = fulltext.Path({str(memory)!r})
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        os.chdir({str(root)!r})
        build(load_config("mkdocs.yml", site_dir={str(tmp_path / "site")!r}))
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=300, check=False, cwd=tmp_path,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert "KeyboardInterrupt" in done.stderr
    deadline = time.monotonic() + 120
    while _processes_mentioning(str(memory)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(memory)) == []
    assert list(memory.iterdir()) == []


PLAIN_PYTHON = "/usr/bin/python3"
"""A Python another user may run (the project's may be in a home folder only its owner reads)."""


@pytest.mark.skipif(not Path(PLAIN_PYTHON).exists(), reason="no system Python")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="plays another user: needs root to become nobody")
def test_another_users_planted_folders_and_links_are_not_swept(tmp_path: Path) -> None:
    """Attack that holds: in a shared sticky folder (as /dev/shm), another user plants
    a symlink named like a folder of copies to one of this user's folders, and a folder
    of their own, both untouched for hours: the sweep removes neither, nor what the link
    points to."""
    import tempfile

    from mkdocs_pmtheater.publish.fulltext import sweep_copies

    shared = Path(tempfile.mkdtemp(prefix="r9-shared-", dir="/tmp"))
    try:
        shared.chmod(0o1777)
        victim = tmp_path / "victim"
        victim.mkdir()
        (victim / "keep.txt").write_text("mine")
        plant = textwrap.dedent(f"""
            import os, time
            shared = {str(shared)!r}
            old = time.time() - 10 * 3600
            link = os.path.join(shared, "pmtheater-pagefind-link")
            os.symlink({str(victim)!r}, link)
            os.utime(link, (old, old), follow_symlinks=False)
            theirs = os.path.join(shared, "pmtheater-pagefind-theirs")
            os.mkdir(theirs)
            open(os.path.join(theirs, "x.html"), "w").close()
            os.utime(theirs, (old, old))
        """)
        subprocess.run([PLAIN_PYTHON, "-c", plant], check=True, user=65534, group=65534,
                       timeout=60, cwd="/")
        assert sweep_copies(shared) == 0
        assert sorted(p.name for p in shared.iterdir()) == [
            "pmtheater-pagefind-link", "pmtheater-pagefind-theirs"]
        assert (victim / "keep.txt").read_text() == "mine"
        assert (shared / "pmtheater-pagefind-theirs" / "x.html").exists()
    finally:
        subprocess.run(["rm", "-rf", "--", str(shared)], check=False)


FAILING_WRITES = """
import errno, os, pathlib
_at = int(os.environ.get("R9_FAIL_WRITE_AT", "0"))
_under = os.environ.get("R9_FAIL_UNDER", "/nowhere/")
_real = pathlib.Path.write_bytes
_count = [0]


def _write_bytes(self, *args, **kwargs):
    if str(self).startswith(_under):  # the memory folder's writes only
        _count[0] += 1
    if _count[0] >= _at and str(self).startswith(_under):  # full from then on
        raise OSError(errno.ENOSPC, "No space left on device (test)", str(self))
    return _real(self, *args, **kwargs)


pathlib.Path.write_bytes = _write_bytes
"""


@pytest.mark.parametrize("at", [1, 3, 6, 7])
def test_memory_full_at_any_write_of_the_child_leaves_search_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    """Attack that holds: the memory folder fills up at the child's ``at``-th write there
    (6 copies, then the rewritten ones): a strict build still publishes
    every playbill in the bundle, without a warning, and leaves nothing in memory."""
    from generate import write_site

    from mkdocs_pmtheater.publish import fulltext

    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(fulltext, "MEMORY_FOLDER", memory)
    monkeypatch.delenv("TMPDIR", raising=False)
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(FAILING_WRITES)  # the child's only
    monkeypatch.setenv("PYTHONPATH", str(inject))
    monkeypatch.setenv("R9_FAIL_WRITE_AT", str(at))
    monkeypatch.setenv("R9_FAIL_UNDER", str(memory) + os.sep)
    root = write_site(tmp_path / "generated", 6)
    built = build_site(root, site_dir=tmp_path / "site", strict=True)
    assert built.warnings == []
    assert len(list((built.site_dir / "pagefind" / "fragment").iterdir())) == 6
    assert list(memory.iterdir()) == []


def test_copies_in_memory_stay_within_the_room_asked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """copies_home asks /dev/shm for MEMORY_COPY_BYTES per playbill and keeps
    MEMORY_SPARE_BYTES free for the machine's other users. A pull request's incident
    file may hold up to 1 MiB of text (yamlsource.MAX_BYTES), and its copy is then about
    20 times the room asked: a few hundred such files eat the spare room other users'
    programs need. The copies in memory must stay within the room asked (or the build
    must go elsewhere).

    Fails on 20483ce: one 0.85 MB incident gives a copy of over 1 MB in memory, where
    64 KB was asked."""
    import random

    import yaml
    from pagefind.service import get_executable

    from mkdocs_pmtheater.publish import fulltext

    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(fulltext, "MEMORY_FOLDER", memory)
    monkeypatch.delenv("TMPDIR", raising=False)
    seen = tmp_path / "seen"
    binary = tmp_path / "pagefind-measuring"
    binary.write_text(
        "#!/bin/sh\n"
        'site=""; previous=""\n'
        'for argument in "$@"; do [ "$previous" = "--site" ] && site="$argument"; '
        'previous="$argument"; done\n'
        f'case "$site" in {memory}/*) du -sb "$site" | cut -f1 >> {seen};; esac\n'
        f'exec {get_executable()} "$@"\n')
    binary.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    words = ["cache", "node", "error", "flush", "queue", "retry", "shard", "pool"]
    rng = random.Random(1)
    scenes = [{"at": f"2024-03-14T{i // 60 % 24:02d}:{i % 60:02d}:00Z",
               "character": "On-Call Engineer",
               "action": " ".join(rng.choice(words) for _ in range(70)),
               "observation": " ".join(rng.choice(words) for _ in range(60))}
              for i in range(900)]
    incident = {"id": "INC-2024-999", "title": "Big", "severity": "SEV2",
                "started_at": "2024-03-14T00:00:00Z", "resolved_at": "2024-03-15T00:00:00Z",
                "summary": "Big.", "services": ["a"],
                "cast": [{"role": "On-Call Engineer", "actor": "@p"}], "timeline": scenes}
    root = tmp_path / "project"
    (root / "docs" / "incidents").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n")
    source = yaml.safe_dump(incident, sort_keys=False)
    assert len(source.encode()) < 1024 * 1024
    (root / "docs" / "incidents" / "big.yaml").write_text(source)
    (root / "mkdocs.yml").write_text("site_name: t\nsite_url: https://x.test/\n"
                                     "theme:\n  name: material\n"
                                     "plugins:\n  - search\n  - pmtheater\n")
    built = build_site(root, strict=True)
    assert built.warnings == []
    assert len(list((built.site_dir / "pagefind" / "fragment").iterdir())) == 1
    in_memory = [int(line) for line in seen.read_text().split()] if seen.exists() else []
    assert all(size <= fulltext.MEMORY_COPY_BYTES for size in in_memory), in_memory


def test_indexing_the_written_site_in_parts_removes_none_of_its_files(
        tmp_path: Path) -> None:
    """Attack that holds: the Zensical route (``python -m
    mkdocs_pmtheater.publish.fulltext SITE``) indexes the written site itself, in parts
    of one playbill: no file of the site is removed (only copies are freed once read),
    and every playbill is in the bundle."""
    from generate import write_site

    root = write_site(tmp_path / "generated", 5)
    built = build_site(root, site_dir=tmp_path / "site")
    before = sorted(p.relative_to(built.site_dir).as_posix()
                    for p in built.site_dir.rglob("*")
                    if p.is_file() and not p.relative_to(built.site_dir).as_posix()
                    .startswith("pagefind/"))
    done = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.publish.fulltext",
                           str(built.site_dir), "--shard-size", "1"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    after = sorted(p.relative_to(built.site_dir).as_posix()
                   for p in built.site_dir.rglob("*")
                   if p.is_file() and not p.relative_to(built.site_dir).as_posix()
                   .startswith("pagefind/"))
    assert after == before
    assert (built.site_dir / "pagefind" / "shard-5").is_dir()
    assert [p.name for p in built.site_dir.parent.iterdir()
            if p.name.startswith(".pmtheater-shards-")] == []
