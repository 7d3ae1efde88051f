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
    parts = (plugin["python_cpu_seconds"] + plugin["pagefind_cpu_seconds"]
             + plugin["reading_cpu_seconds"]  # 30 files: no reading child (0 s)
             + plugin["ahead_cpu_seconds"])  # nor one rendering ahead
    assert plugin["ahead_taken"] == 0
    assert abs(plugin["cpu_seconds"] - parts) < 1e-6  # one build: its parts
    assert row["markdown"]["pagefind_cpu_seconds"] == 0
    assert row["median_ratio"] > 0 and row["median_cpu_ratio"] > 0
    assert "Pagefind CPU s / build waited s" in done.stdout
    # Every process of a build together (PSS), sampled while it runs.
    for kind in ("plugin", "markdown"):
        assert row[kind]["tree_peak_mib"] >= row[kind]["python_peak_mib"] > 0
    assert "every process of the build together" in done.stdout

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


def test_catalogue_browser_benchmark_runs_with_frames_on_demand(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "catalogue_browser.py"), "--count", "30",
         "--out", str(tmp_path / "catalogue"), "--frames", "on-demand"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "incidents: 30; frames: on-demand" in done.stdout
    # Both sites, both moments: keystroke to frame and the keystroke's own work.
    assert done.stdout.count("keystroke to next frame: median") == 4
    assert done.stdout.count("(target < 16)") == 4


def test_serve_benchmark_follows_the_live_reload_like_a_browser(tmp_path: Path) -> None:
    """benchmarks/serve.py on 30 incidents: each edit is seen both by polling the pages
    and by MkDocs' live-reload request (what a browser waits for), which answers only once
    the rebuild is done, so never before the polled pages show the edit."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "serve.py"), "--count", "30",
         "--modes", "dirty", "--edits", "2", "--out", str(tmp_path / "bench"),
         "--json", str(tmp_path / "serve.json"), "--timeout", "300"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    (result,) = json.loads((tmp_path / "serve.json").read_text())
    assert result["tracebacks"] == 0 and len(result["edits"]) == 2
    for edit in result["edits"]:
        assert edit["browser_s"] > 0 and edit["mkdocs_build_s"] > 0
        # The browser reloads after the build, whose pages the polls may see earlier.
        assert edit["browser_s"] >= min(edit["playbill_s"], edit["index_s"]) - 0.1
    assert "median edit-to-visible (browser)" in done.stdout
