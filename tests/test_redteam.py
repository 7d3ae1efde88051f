"""Hostile incident files found by a red-team pass: each case is a real build."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import BUILD_EPOCH, SiteFactory, minimal_incident

HEAD = """\
id: {id}
title: A small outage
severity: SEV3
started_at: 2024-03-14T14:02:00Z
"""


def test_script_link_targets_are_reported_not_dropped_silently(site: SiteFactory) -> None:
    """The sanitiser drops javascript:/data: targets; the author must be told which, where."""
    site.incident("js.yaml", HEAD.format(id="JS-1") + (
        "summary: |\n"
        "  A [plain](javascript:alert(1)) B [encoded](jav&#x61;script:alert(1))\n"
        "  C [ref][r] D ![img](data:image/svg+xml,x)\n"
        "\n"
        "  [r]: JavaScript:alert(2)\n"))
    site.incident("ok.yaml", minimal_incident("OK-1"))
    built = site.build()
    about = [w for w in built.warnings if "js.yaml" in w and "can run script" in w]
    assert {w.split(": link '")[1].split("'")[0] for w in about} == {
        "javascript:alert", "jav&#x61;script:alert", "JavaScript:alert(2)",
        "data:image/svg+xml,x"}, built.warnings
    assert any("js.yaml:9:8:" in w for w in about), about  # the definition, at its line
    summary = built.html("incidents/js-1/").select_one(".pmt-summary")
    assert summary is not None
    assert not [a for a in summary.find_all("a") if a.get("href")], summary
    assert built.exists("incidents/ok-1/")


ZENSICAL_TOML = '''[project]
site_name = "Red team"
site_url = "https://docs.example.test/"
docs_dir = "docs"
exclude_docs = """
incidents/**/*.yaml
"""
[project.markdown_extensions]
attr_list = {}
md_in_html = {}
pmtheater = {}
'''
RAW_LINKS = ('# Runbook\n\nA <a href="incident:NOPE-1">raw</a>, <a href="INCIDENT:OK-1">caps</a>, '
             '<a href="&#105;ncident:NOPE-4">encoded</a> and <a href="incident:OK-1">good</a>.\n')


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": BUILD_EPOCH, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_zensical_raw_html_incident_links_are_rewritten_and_reported(tmp_path: Path) -> None:
    """Issue 9 item 8 for the Zensical route: ``render`` reports a raw ``<a href="incident:">``
    that leads nowhere, and the ``pmtheater`` extension rewrites raw links as the plugin does."""
    root = tmp_path / "site"
    (root / "docs" / "incidents").mkdir(parents=True)
    (root / "zensical.toml").write_text(ZENSICAL_TOML, encoding="utf-8")
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "docs" / "runbook.md").write_text(RAW_LINKS, encoding="utf-8")
    (root / "docs" / "incidents" / "ok.yaml").write_text(
        minimal_incident("OK-1").lstrip(), encoding="utf-8")
    rendered = _run(["mkdocs_pmtheater.cli", "render"], root)
    assert rendered.returncode == 1, rendered.stdout + rendered.stderr
    out = rendered.stdout + rendered.stderr
    assert "docs/runbook.md:3:12: link 'incident:NOPE-1'" in out, out
    assert "link 'incident:NOPE-4'" in out, out
    assert "OK-1" not in out.replace("Did you mean 'OK-1'", ""), out
    # "Referenced by" on the playbill counts raw links too.
    playbill = (root / "docs" / "incidents" / "ok-1.md").read_text(encoding="utf-8")
    assert 'href="../runbook.md"' in playbill
    built = _run(["zensical", "build", "--clean"], root)
    assert built.returncode == 0, built.stdout + built.stderr
    page = BeautifulSoup((root / "site" / "runbook" / "index.html").read_text(encoding="utf-8"),
                         "html.parser").select_one("article")
    assert page is not None
    links = {a.get_text(): a.get("href") for a in page.find_all("a") if a.get_text()}
    assert links["good"] == links["caps"] == "../incidents/ok-1/", links
    assert links["raw"] is None and links["encoded"] is None, links


def test_many_fields_each_just_within_the_markup_budget_do_not_stall_the_build(
        site: SiteFactory) -> None:
    """Each field of unclosed links ``[a](`` is within the one-field budget (about 0.15 s of
    Markdown), but a file of hundreds of them took minutes (290 of them, 1 MB: 100 s).
    The fields of one incident share a budget; the rest are shown as written, with a
    warning at their line, on the playbill and on the hall of fame."""
    bomb = "[a](" * 850
    went_well = "".join(f'    - "{i} {bomb}"\n' for i in range(120))
    awards = "".join(f'  - award: A{i}\n    recipient: R\n    citation: "c{i} {bomb}"\n'
                     for i in range(40))
    site.incident("slow.yaml", HEAD.format(id="SLOW-1") + "summary: s\nreview:\n  went_well:\n"
                  + went_well + "awards:\n" + awards)
    site.incident("ok.yaml", minimal_incident("OK-1"))
    started = time.monotonic()
    built = site.build()
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"the build took {elapsed:.0f} s"
    budget = [w for w in built.warnings if "together have so much markup" in w]
    assert budget and all("slow.yaml:" in w for w in budget), built.warnings
    assert any("slow.yaml:127:7: review.went_well[119]" in w for w in budget), budget
    playbill = built.html("incidents/slow-1/").get_text()
    hall = built.html("incidents/hall-of-fame/").get_text()
    assert f"119 {bomb}" in playbill and f"c39 {bomb}" in playbill
    assert f"c39 {bomb}" in hall
    assert built.exists("incidents/ok-1/")
