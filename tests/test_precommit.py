"""The pre-commit hook, run the way a docs repository runs it: ``pre-commit try-repo``.

pre-commit installs the hook from a git repository, so the test commits a copy
of this project (what a release tag would hold: the package, the schema,
pyproject.toml, .pre-commit-hooks.yaml) to a temporary repository and points
``try-repo`` at it from a second temporary repository holding a docs site.
pre-commit builds the package into its own virtualenv, which is how users get
it; the virtualenv may see the system's site-packages only to save downloads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, REPO

GIT = ["git", "-c", "user.name=pmtheater tests", "-c", "user.email=tests@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
HOOK_REPO_FILES = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "mkdocs_pmtheater",
                   "schemas"]


def commit_all(folder: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "snapshot"], cwd=folder, check=True)


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict]]:
    base = tmp_path_factory.mktemp("precommit")
    hook_repo = base / "hook-repo"
    hook_repo.mkdir()
    for name in HOOK_REPO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, hook_repo / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, hook_repo / name)
    commit_all(hook_repo)
    docs_repo = base / "docs-repo"
    shutil.copytree(EXAMPLE_SITE, docs_repo / "site", ignore=shutil.ignore_patterns("site"))
    commit_all(docs_repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
           "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("PRE_COMMIT", None)
    yield hook_repo, docs_repo, env


def try_repo(repos: tuple[Path, Path, dict], *files: str) -> subprocess.CompletedProcess[str]:
    hook_repo, docs_repo, env = repos
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "pmtheater-validate",
         "--files", *files],
        cwd=docs_repo, env=env, capture_output=True, text=True, timeout=900,
    )


def test_hook_passes_good_files_and_fails_bad_ones(repos: tuple[Path, Path, dict]) -> None:
    _, docs_repo, _ = repos
    good = "site/docs/incidents/2024/2024-03-14-checkout-cache-stampede.yaml"
    passed = try_repo(repos, good)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    bad = docs_repo / "site/docs/incidents/2024/2024-12-01-typo.yaml"
    bad.write_text("id: INC-2024-031\ntitle: Typo\nseverity: SEV2\n"
                   "started_at: 2024-12-01T10:00:00Z\nsumary: Oops.\n")
    dup = docs_repo / "site/docs/incidents/2024/2024-12-02-again.yaml"
    dup.write_text("id: INC-2024-031\ntitle: Again\nseverity: SEV2\n"
                   "started_at: 2024-12-02T10:00:00Z\nsummary: Same id.\n")
    failed = try_repo(repos, good, str(bad.relative_to(docs_repo)),
                      str(dup.relative_to(docs_repo)))
    assert failed.returncode == 1
    out = failed.stdout
    assert "Failed" in out
    # Paths relative to the repository root (where pre-commit runs), with line and column.
    assert ("site/docs/incidents/2024/2024-12-01-typo.yaml:5:1: sumary: Unknown key 'sumary'. "
            "Did you mean 'summary'?") in out
    # The checks across files still see the whole folder: the id is taken.
    assert ("site/docs/incidents/2024/2024-12-02-again.yaml:1:5: id: The id 'INC-2024-031' is "
            "already used by site/docs/incidents/2024/2024-03-14-checkout-cache-stampede.yaml:2"
            ) in out


def test_hook_only_receives_incident_files(repos: tuple[Path, Path, dict]) -> None:
    skipped = try_repo(repos, "site/mkdocs.yml", "site/docs/runbooks/api-latency.md")
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "(no files to check)Skipped" in skipped.stdout
