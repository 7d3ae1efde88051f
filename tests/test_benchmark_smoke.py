"""The build benchmark runs end to end on a small site (exercised, not timed).

benchmarks/build.py is a script for people, run by hand at 1,000 to 5,000
incidents; this keeps it working: a 30-incident run builds both sites, reports
every figure, and the Markdown baseline has the sections a playbill has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "benchmarks" / "build.py"


def test_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "30", "--out", str(out),
         "--json", str(tmp_path / "figures.json")],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| 30 |" in done.stdout
    (row,) = json.loads((tmp_path / "figures.json").read_text())
    for kind in ("plugin", "markdown"):
        figures = row[kind]
        assert figures["warning_count"] == 0, figures["warnings"]
        assert figures["build_seconds"] > 0 and figures["peak_mib"] > 0
    assert row["plugin"]["index_gzip_kib"] > 0
    # The baseline is the incidents as Markdown pages only (issue #12): no hand-kept lists.
    assert row["markdown"]["index_gzip_kib"] is None
    assert row["memory_ratio"] > 0
    assert "peak memory" in done.stdout and "against 0.80" in done.stdout
    assert row["plugin"]["plugin_seconds"] > 0
    assert row["markdown"]["plugin_seconds"] == 0
    # Pagefind (installed in the test environment) runs as a process of its own: its CPU
    # time counts as the build's, and the report says how long the build waited for it.
    plugin = row["plugin"]
    assert plugin["pagefind_cpu_seconds"] > 0
    parts = plugin["python_cpu_seconds"] + plugin["pagefind_cpu_seconds"]
    assert abs(plugin["cpu_seconds"] - parts) < 1e-6  # one build: its two parts
    assert row["markdown"]["pagefind_cpu_seconds"] == 0
    assert row["median_ratio"] > 0 and row["median_cpu_ratio"] > 0
    assert "Pagefind CPU s / build waited s" in done.stdout

    # Both sites publish the same pages for the incidents.
    plugin_pages = {p.parent.name for p in (out / "plugin-30" / "site" / "incidents").glob(
        "inc-*/index.html")}
    markdown_pages = {p.parent.name for p in (out / "markdown-30" / "site" / "incidents").glob(
        "inc-*/index.html")}
    assert len(plugin_pages) == 30
    assert plugin_pages == markdown_pages
    page = next((out / "markdown-30" / "docs" / "incidents").glob("inc-*.md")).read_text()
    for section in ("The story", "Cast of Characters", "Stage Directions & Setting",
                    "The Screenplay", "Plot Points", "The Critique", "5 Whys", "Call Sheet",
                    "Awards Ceremony"):
        assert f"## {section}" in page or f"### {section}" in page, section
