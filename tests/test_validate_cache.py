"""``pmtheater validate FILE`` with the summary cache (``.pmtheater-cache/``) answers exactly
what the full check answers (``--no-cache``), whatever state the cache is in.

Each test runs the real command in-process on a 300-file repository, once with the cache
and once without, and compares the whole JSON answer; a counting spy on
``load.cache.restore`` shows whether the other files really came from the cache.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

from mkdocs_pmtheater.cli.main import main
from mkdocs_pmtheater.load import cache, parallel

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import write_site

COUNT = 300
BROKEN = "docs/incidents/2021/broken.yaml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site of 300 realistic incidents (12 generated ones, copied with new ids) and one
    broken file."""
    root = tmp_path_factory.mktemp("template") / "site"
    write_site(root, 12, seed=7)
    generated = sorted((root / "docs" / "incidents").rglob("*.yaml"))
    for number in range(len(generated), COUNT):
        source = generated[number % len(generated)]
        text = re.sub(r"(?m)^id: .*$", f"id: INC-CACHE-{number:04d}", source.read_text(),
                      count=1)
        (source.parent / f"copy-{number:04d}.yaml").write_text(text)
    (root / BROKEN).write_text("id: INC-BROKEN\ntitle: Broken\nseverity: SEV9\n")
    return root


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "site"
    shutil.copytree(template, root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    yield root


class Restores:
    """Counts the files whose summary came from the cache."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = cache.restore

        def counting(*args: object) -> object:
            self.count += 1
            return original(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(cache, "restore", counting)


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> Restores:
    return Restores(monkeypatch)


def validate(*args: str) -> tuple[int, dict]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["validate", "--format", "json", *args], out, err)
    return status, json.loads(out.getvalue())


def same_answer(*paths: str, restores: Restores) -> tuple[int, dict, int]:
    """The cached answer, checked against the full one; returns it and how many files came
    from the cache."""
    before = restores.count
    cached = validate(*paths)
    from_cache = restores.count - before
    full = validate("--no-cache", *paths)
    assert restores.count - before == from_cache, "--no-cache must not read the cache"
    assert cached == full
    return cached[0], cached[1], from_cache


def one_file(site: Path) -> str:
    return sorted(str(p.relative_to(site)) for p in (site / "docs/incidents").rglob("*.yaml")
                  if "copy-" in p.name)[100]


def copy(site: Path, name: str) -> Path:
    return next((site / "docs/incidents").rglob(name))


def cache_file(site: Path) -> Path:
    return site / cache.CACHE_DIR / cache.CACHE_FILE


def test_cold_then_warm(site: Path, restores: Restores) -> None:
    given = one_file(site)
    status, answer, from_cache = same_answer(given, restores=restores)
    assert (status, answer["checked"], answer["problems"]) == (0, 1, [])
    assert from_cache == 0
    assert cache_file(site).is_file()
    assert (site / cache.CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    status, answer, from_cache = same_answer(given, restores=restores)
    assert status == 0
    assert from_cache == COUNT  # every other file (299 and the broken one) from its summary


def test_a_cache_written_on_two_cores_is_the_one_written_in_one(
        site: Path, restores: Restores, monkeypatch: pytest.MonkeyPatch) -> None:
    # A cold run reads every file; a forked child reads part of them (load/parallel.py),
    # here even where this machine would not fork.
    monkeypatch.setattr(parallel, "fork_usable", lambda: True)
    children: list[int] = []
    original = parallel._unpickle

    def counting(data: bytes, count: int) -> list | None:
        children.append(count)
        return original(data, count)

    monkeypatch.setattr(parallel, "_unpickle", counting)
    given = one_file(site)
    two_cores = same_answer(given, restores=restores)
    assert children == [int((COUNT + 1) * parallel.CHILD_SHARE)] * 2  # cached, then full
    written = cache_file(site).read_bytes()
    cache_file(site).unlink()
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
    assert same_answer(given, restores=restores) == two_cores
    assert len(children) == 2
    assert cache_file(site).read_bytes() == written


@pytest.mark.parametrize("position", ["later", "earlier"])
def test_duplicate_id_against_a_cached_file_names_both(site: Path, restores: Restores,
                                                       position: str) -> None:
    validate(one_file(site))  # warm the cache with every file
    other = copy(site, "copy-0150.yaml")
    assert "id: INC-CACHE-0150\n" in other.read_text()
    # Files are checked in path order; the later file of a duplicate carries the problem.
    name = "zz-new.yaml" if position == "later" else "aa-new.yaml"
    new = other.parent / name
    new.write_text(other.read_text().replace("INC-CACHE-0150", "inc-cache-0150"))
    status, answer, from_cache = same_answer(str(new.relative_to(site)), restores=restores)
    assert status == 1
    assert from_cache == COUNT + 1  # the 300 others and the broken file
    problems = [(p["file"], p["field"]) for p in answer["problems"]]
    later, earlier = ((new, other) if position == "later" else (other, new))
    assert problems == [(str(later.relative_to(site)), "id")]
    message = answer["problems"][0]["message"]
    assert str(earlier.relative_to(site)) in message and "without case" in message


def test_corrupt_cache_is_ignored_and_rebuilt(site: Path, restores: Restores) -> None:
    given = one_file(site)
    validate(given)
    for damage in (b"", b"{not json", b"\x00\xff" * 50, cache_file(site).read_bytes()[:-500]):
        cache_file(site).write_bytes(damage)
        status, _, from_cache = same_answer(given, restores=restores)
        assert (status, from_cache) == (0, 0)
        assert same_answer(given, restores=restores)[2] == COUNT  # rebuilt


def test_a_forged_or_foreign_cache_is_ignored(site: Path, restores: Restores,
                                              monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """A cache that gives a file another id (as one added by a pull request could) must not
    hide a duplicate: without this user's signature, it is not read."""
    given = one_file(site)
    given_id = re.search(r"(?m)^id: (.*)$", (site / given).read_text())[1]
    dup = site / "docs/incidents/2025/dup.yaml"
    dup.write_text((site / given).read_text())
    status, answer, _ = same_answer(given, restores=restores)
    assert status == 1
    header, body = cache_file(site).read_bytes().split(b"\n", 1)
    forged = body.replace(f'"id":"{given_id}"'.encode(), b'"id":"FORGED-1"')
    assert forged != body
    cache_file(site).write_bytes(header + b"\n" + forged)  # the old signature: foreign
    status, forged_answer, from_cache = same_answer(given, restores=restores)
    assert (status, from_cache) == (1, 0)
    assert forged_answer == answer
    text = json.dumps(answer["problems"])
    assert given in text and "docs/incidents/2025/dup.yaml" in text
    # Signed by another user or machine: foreign too.
    assert same_answer(given, restores=restores)[2] == COUNT + 1
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    assert same_answer(given, restores=restores)[2] == 0


def test_cache_of_another_version_or_other_options_is_ignored(
        site: Path, restores: Restores, monkeypatch: pytest.MonkeyPatch) -> None:
    given = one_file(site)
    validate(given)
    assert same_answer(given, restores=restores)[2] == COUNT
    version = cache.__version__
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert same_answer(given, restores=restores)[2] == 0
    monkeypatch.setattr(cache, "__version__", version)
    assert same_answer(given, restores=restores)[2] == 0  # rewritten for 99.0 just now
    assert same_answer(given, restores=restores)[2] == COUNT
    # Severities that make the broken file's SEV9 valid: the options change the answers.
    config = site / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "  - pmtheater\n", "  - pmtheater:\n      severities: [SEV1, SEV2, SEV3, SEV4, SEV9]\n"))
    assert same_answer(given, restores=restores)[2] == 0


def test_a_changed_other_file_is_read_again(site: Path, restores: Restores) -> None:
    given = one_file(site)
    given_id = re.search(r"(?m)^id: (.*)$", (site / given).read_text())[1]
    validate(given)
    other = copy(site, "copy-0299.yaml")
    other.write_text(re.sub(r"(?m)^id: .*$", f"id: {given_id}", other.read_text(), count=1))
    status, answer, from_cache = same_answer(given, restores=restores)
    assert status == 1 and from_cache == COUNT - 1
    assert {p["file"] for p in answer["problems"]} == {str(other.relative_to(site))}
    assert given in answer["problems"][0]["message"]


def test_a_deleted_other_file_drops_out(site: Path, restores: Restores) -> None:
    given = one_file(site)
    dup = site / "docs/incidents/2025/dup.yaml"
    dup.write_text((site / given).read_text())
    status, answer, _ = same_answer(given, restores=restores)
    assert status == 1 and len(answer["problems"]) == 1
    dup.unlink()
    status, answer, from_cache = same_answer(given, restores=restores)
    assert (status, answer["problems"], from_cache) == (0, [], COUNT)
    entries = json.loads(cache_file(site).read_bytes().split(b"\n", 1)[1])
    assert not any(key.endswith(" incidents/2025/dup.yaml") for key in entries)


def test_links_and_props_that_need_other_files(site: Path, restores: Restores) -> None:
    """A prop naming another incident file: its status comes from the summary."""
    given = site / one_file(site)
    validate(str(given.relative_to(site)))
    target = copy(site, "copy-0200.yaml")
    target.write_text(target.read_text().replace("status: published", "status: draft", 1))
    config = site / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - pmtheater\n",
                                                 "  - pmtheater:\n      drafts: hide\n"))
    validate(str(given.relative_to(site)))  # cache for the new options
    text = given.read_text()
    assert "page: runbooks/api-latency.md" in text
    given.write_text(text.replace("page: runbooks/api-latency.md",
                                  f"page: {target.relative_to(site / 'docs')}", 1))
    status, answer, from_cache = same_answer(str(given.relative_to(site)), restores=restores)
    assert status == 1 and from_cache == COUNT
    assert answer["problems"][0]["field"].startswith("setting.props[")
    assert "draft" in answer["problems"][0]["message"]
    # A page deleted since the cache was written is missed by the summary of nobody:
    (site / "docs/runbooks/api-latency.md").unlink()
    assert same_answer(str(given.relative_to(site)), restores=restores)[2] == COUNT


def test_links_to_a_cached_incident(site: Path, restores: Restores) -> None:
    """Links in the given file to another incident's action item, scene number and scene id
    resolve against its summary; links to what it does not have are reported as a full
    check reports them."""
    other = copy(site, "copy-0150.yaml")
    text = other.read_text()
    other.write_text(text.replace("timeline:\n- at:", "timeline:\n- id: rollback\n  at:", 1))
    given = site / one_file(site)
    validate(str(given.relative_to(site)))  # the cache now holds copy-0150's summary
    links = ("[item](incident:INC-CACHE-0150#AI-2) [scene](incident:INC-CACHE-0150#scene-3) "
             "[named](incident:INC-CACHE-0150#scene-rollback) "
             "[no item](incident:INC-CACHE-0150#AI-99) "
             "[no scene](incident:INC-CACHE-0150#scene-999) "
             "[no id](incident:INC-CACHE-0150#scene-rollout) [nobody](incident:INC-NOPE)")
    lines = given.read_text().splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if line.startswith("summary:"))
    lines[start] = f"summary: {json.dumps(links)}\n"
    while lines[start + 1].startswith("  "):  # the rest of the folded summary
        del lines[start + 1]
    given.write_text("".join(lines))
    status, answer, from_cache = same_answer(str(given.relative_to(site)), restores=restores)
    assert (status, from_cache) == (1, COUNT)
    broken = sorted(p["field"].split("'")[1] for p in answer["problems"])
    assert broken == ["incident:INC-CACHE-0150#AI-99", "incident:INC-CACHE-0150#scene-999",
                      "incident:INC-CACHE-0150#scene-rollout", "incident:INC-NOPE"]
    rollout = next(p for p in answer["problems"] if "rollout" in p["field"])
    assert "scene-rollback" in rollout["hint"]
