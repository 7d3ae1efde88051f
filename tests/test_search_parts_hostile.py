"""Pagefind in parts, attacked: reruns over an earlier bundle, runs stopped half way.

Real builds (the ``site`` fixture) and real bundles, read as the browser gets them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SiteFactory
from test_search import (
    EARLY,
    INCIDENT,
    OTHER,
    SCENE_WORD,
    fragments,
    pagefind_until_its_second_run,
)


def test_a_rerun_in_fewer_parts_leaves_no_earlier_part(site: SiteFactory) -> None:
    """The Zensical route indexes a built site again (a later run of ``python -m
    mkdocs_pmtheater.publish.fulltext SITE``, here in one part): the parts of the earlier
    run in three parts must not stay published beside the new bundle (they hold the text
    of playbills as they were, a removed one's too), and no fragment is counted twice."""
    from mkdocs_pmtheater.publish.fulltext import index_site

    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": 1}}]
    site.incident("2023/early.yaml", EARLY)
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    bundle = built.site_dir / "pagefind"
    assert (bundle / "shard-3").is_dir()
    report = index_site(built.site_dir, shard=10)
    assert report.error is None and report.pages == 3
    assert "pmtheater_parts" not in json.loads((bundle / "pagefind-entry.json").read_text())
    assert not list(bundle.glob("shard-*"))
    assert len(fragments(built.site_dir)) == 3


def test_a_pagefind_stopped_on_a_later_part_leaves_no_part(
        site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind stalls on its second run and is stopped at the time limit: the build
    warns, and no bundle is left (part 1 alone, without its list, would be read as the
    whole index by the page, which would then find only some playbills), nor any folder
    of parts beside the site."""
    from mkdocs_pmtheater.publish import fulltext

    monkeypatch.setenv("PAGEFIND_BINARY_PATH",
                       str(pagefind_until_its_second_run(tmp_path, "sleep 60")))
    monkeypatch.setattr(fulltext, "INDEX_TIMEOUT", 6)
    site.config["plugins"] = ["search", {"pmtheater": {"pagefind_shard_size": 1}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build()
    (warning,) = built.warnings_about("Pagefind")
    assert "within 6 s" in warning
    assert built.exists("incidents/inc-2024-031/")
    assert not (built.site_dir / "pagefind").exists()
    assert not list(built.site_dir.parent.glob(".pmtheater-shards-*"))


def test_a_part_that_raises_half_way_leaves_no_bundle(site: SiteFactory,
                                                       tmp_path: Path) -> None:
    """The second part's folder cannot be made (a file stands in its way) after the
    first part is written: the error is raised, and the first part is not left as a
    bundle on its own (without its list the page would read it as the whole index)."""
    from mkdocs_pmtheater.publish.fulltext import index_in_parts

    site.config["plugins"] = ["search", {"pmtheater": {"pagefind": False}}]
    site.incident("2024/checkout.yaml", INCIDENT.format(word=SCENE_WORD))
    site.incident("2025/payments.yaml", OTHER)
    built = site.build(strict=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "2").write_text("in the way")
    bundle = tmp_path / "bundle"
    with pytest.raises(OSError):
        index_in_parts(built.site_dir, "incidents/**/*.html", bundle, 1, work=work)
    assert not bundle.exists()
    assert not work.exists()  # removed, as by the build when the child is stopped
    # The same with room for the parts: both playbills, in two parts.
    work.mkdir()
    assert index_in_parts(built.site_dir, "incidents/**/*.html", bundle, 1, work=work) == 0
    assert json.loads((bundle / "pagefind-entry.json").read_text())["pmtheater_parts"] == [
        "shard-2/"]
