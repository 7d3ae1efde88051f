"""The plugin under ProperDocs, the maintained fork of MkDocs 1.6."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import SiteFactory, minimal_incident


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_properdocs_builds_playbills_and_strict_counts_problems(site: SiteFactory, theme) -> None:
    site.config["theme"] = {"name": theme}
    site.incident("good.yaml", minimal_incident("INC-1", "Cache stampede"))
    site.build()  # writes mkdocs.yml (and proves MkDocs itself is fine with it)
    out = site.root / "properdocs-site"
    command = [sys.executable, "-m", "properdocs", "build", "-f", "mkdocs.yml", "-d", str(out)]
    ok = subprocess.run([*command, "--strict"], cwd=site.root, capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "Cache stampede" in (out / "incidents" / "inc-1" / "index.html").read_text()

    site.incident("bad.yaml", minimal_incident("INC-2") + "sumary: typo\n")
    bad = subprocess.run([*command, "--strict"], cwd=site.root, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode != 0
    assert "docs/incidents/bad.yaml:6:1: sumary: Unknown key 'sumary'" in bad.stderr
    assert "Traceback" not in bad.stderr
