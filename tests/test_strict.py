"""``--strict`` fails on incident problems at every log level, under MkDocs and ProperDocs.

MkDocs counts for ``--strict`` only the warnings it prints, and ``-q`` prints
none: ``mkdocs build -q --strict``, a common CI line, used to pass with a
broken incident file. The commands run as subprocesses from this Python's
environment, exactly as CI runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SiteFactory, minimal_incident

PROBLEM = "docs/incidents/bad.yaml:6:1: sumary: Unknown key 'sumary'"
LINK = "docs/runbook.md:3:10: link 'incident:INC-404': No incident has the id 'INC-404'"


def run(tool: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", tool, "build", "-f", "mkdocs.yml", "-d", str(root / "out"),
         *args],
        cwd=root, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def broken(site: SiteFactory) -> SiteFactory:
    """A site with one good incident, one broken file and a page with a dead incident link."""
    site.incident("good.yaml", minimal_incident("INC-1", "Cache stampede"))
    site.incident("bad.yaml", minimal_incident("INC-2") + "sumary: typo\n")
    site.page("runbook.md", "# Runbook\n\nSee [it](incident:INC-404).\n")
    site.build()  # writes mkdocs.yml
    return site


@pytest.mark.parametrize("tool", ["mkdocs", "properdocs"])
def test_quiet_strict_build_fails_and_says_why(broken: SiteFactory, tool: str) -> None:
    done = run(tool, broken.root, "-q", "--strict")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert "Aborted with 2 incident problems in strict mode (see the errors above)" in (
        done.stdout)
    # -q hides warnings: the problems that fail the build are shown as errors instead.
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, done.stderr
    assert PROBLEM in errors[0] or PROBLEM in errors[1]
    assert any(LINK in e for e in errors), errors
    assert "WARNING" not in done.stderr
    assert "Cache stampede" in (broken.root / "out/incidents/inc-1/index.html").read_text()


@pytest.mark.parametrize("tool", ["mkdocs", "properdocs"])
def test_strict_build_counts_the_warnings_it_printed(broken: SiteFactory, tool: str) -> None:
    done = run(tool, broken.root, "--strict")
    assert done.returncode == 1
    assert "Aborted with 2 incident problems in strict mode (see the warnings above)" in (
        done.stdout)
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert any(PROBLEM in w for w in warnings) and any(LINK in w for w in warnings), warnings
    assert "ERROR" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("tool", ["mkdocs", "properdocs"])
def test_without_strict_problems_are_warnings_only(broken: SiteFactory, tool: str) -> None:
    quiet = run(tool, broken.root, "-q")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert quiet.stderr == "" and "Aborted" not in quiet.stdout
    loud = run(tool, broken.root)
    assert loud.returncode == 0
    assert sum(PROBLEM in line or LINK in line for line in loud.stderr.splitlines()) == 2


def test_a_clean_quiet_strict_build_passes(site: SiteFactory) -> None:
    site.incident("good.yaml", minimal_incident("INC-1", "Cache stampede"))
    site.page("runbook.md", "# Runbook\n\nSee [it](incident:INC-1).\n")
    site.build()
    done = run("mkdocs", site.root, "-q", "--strict")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == done.stderr == ""
