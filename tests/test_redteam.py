"""Hostile incident files found by a red-team pass: each case is a real build."""

from __future__ import annotations

from conftest import SiteFactory, minimal_incident

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
