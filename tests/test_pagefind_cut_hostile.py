"""Pagefind's cut copies (``fulltext.pagefind_cut``) against the written site, on the
example site made hostile: a theme in another language, runbooks whose titles (HTML text
to MkDocs, put in "Referenced by" as they are) hold markup-like text, and incident text
next to every ignored element of the packaged partials."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, REPO, build_site
from test_build_speed import _bundle, _count_site_indexing

from mkdocs_pmtheater.plugin import plugin as plugin_module
from mkdocs_pmtheater.publish import fulltext

RUNBOOK_TITLES = ["x <section foo", "y </section z", "a < b > c data-pagefind-ignore",
                  "&lt;div data-pagefind-ignore&gt; d"]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_hostile_example_site_gives_the_written_sites_bundle_cut(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build_epoch: str,
        language: str) -> None:
    root = tmp_path / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("site", ".cache"))
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  name: material\n",
                                   f"  name: material\n  language: {language}\n", 1),
                      encoding="utf-8")
    for number, title in enumerate(RUNBOOK_TITLES):
        (root / "docs" / "runbooks" / f"odd-{number}.md").write_text(
            f"---\ntitle: '{title}'\n---\n\n[it](incident:INC-2024-031) "
            f"[that](incident:INC-2025-034)\n", encoding="utf-8")
    hostile = "glued</td>zz<span data-pagefind-ignore>q</span>zz `</p>` data-pagefind-ignore"
    for path in (root / "docs" / "incidents").rglob("*.yaml"):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"^director: .*$", 'director: "@sam <section data-pagefind-ignore>"',
                        source, flags=re.M)
        source = re.sub(r"^(    observation: )([^\"'|>].*)$",
                        lambda m: f"{m.group(1)}{m.group(2).rstrip()} zz", source, flags=re.M)
        source = re.sub(r"^(    belief: )([^\"'|>].*)$",
                        lambda m: f"{m.group(1)}{hostile} {m.group(2)}", source, flags=re.M)
        path.write_text(source, encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(fulltext.tempfile, "tempdir", str(tmp_path / "tmp"))
    cut: list[bool] = []
    add = fulltext.StreamedCopies.add

    def spy(self: fulltext.StreamedCopies, *args: object, ours: bool = False) -> None:
        cut.append(ours and self.cut)
        add(self, *args, ours=ours)  # type: ignore[arg-type]

    monkeypatch.setattr(fulltext.StreamedCopies, "add", spy)
    calls = _count_site_indexing(monkeypatch)
    streamed = build_site(root, site_dir=tmp_path / "streamed")
    assert cut and all(cut) and calls == []
    monkeypatch.setattr(fulltext.StreamedCopies, "seal", lambda self, final: False)
    monkeypatch.setattr(plugin_module.PmTheaterPlugin, "_playbill_copies",
                        lambda self, files, config: None)
    written = build_site(root, site_dir=tmp_path / "written")
    assert len(calls) == 1
    assert streamed.warnings == written.warnings
    assert _bundle(streamed.site_dir) == _bundle(written.site_dir)
    playbill = (written.site_dir / "incidents/inc-2024-031/index.html").read_text("utf-8")
    assert "x <section foo" in playbill  # "Referenced by" holds the titles as they are
