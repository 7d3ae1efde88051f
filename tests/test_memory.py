"""Peak memory (issue #12, item 5): what the build no longer keeps, and that nothing changes.

The figures are a benchmark (``benchmarks/build.py``), not a timed test; these tests check
the mechanisms: a loaded incident file does not keep the reader's source map, yet
locates every value as the first reading did; playbill and catalogue bodies and the data
files are held compressed while MkDocs does not use them, yet every reader of
``page.content`` (another plugin's hook, the template) gets exactly the same text.
"""

from __future__ import annotations

import json
import textwrap
from datetime import timezone
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from conftest import EXAMPLE_SITE, minimal_incident
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

from mkdocs_pmtheater.load.loader import IncidentLoader
from mkdocs_pmtheater.load.yamlsource import read_incident_yaml
from mkdocs_pmtheater.model.incident import SEVERITY_DEFAULT
from mkdocs_pmtheater.plugin.packed import (
    PackedFile,
    PackedPage,
    WrittenFile,
    generated_file,
    make_packed,
)

TEXTS = [
    "plain ASCII <p>text</p>",
    "typographic … — “quotes” make Python store two bytes a character",
    "astral 😀 and CJK 障害 and a lone surrogate \ud800 from a YAML escape",
    "",
]


def test_a_loaded_file_locates_every_value_as_the_first_reading_did() -> None:
    loader = IncidentLoader(SEVERITY_DEFAULT, timezone.utc)
    files = sorted((EXAMPLE_SITE / "docs" / "incidents").rglob("*.yaml"))
    assert len(files) >= 5
    checked = 0
    for path in files:
        raw = path.read_bytes()
        display = f"docs/{path.relative_to(EXAMPLE_SITE / 'docs').as_posix()}"
        first = read_incident_yaml(raw, display).source
        loaded = loader.read_file(raw, path.name, display)
        assert loaded.incident is not None, loaded.problems
        # The map (tens of KB per incident) is not kept once the file is checked...
        assert loaded._source is None
        assert loaded.raw == raw and loaded.text == raw.decode("utf-8")
        assert len(loaded._raw) < len(raw)  # held compressed
        # ... and the places asked for later are the ones the first reading gave.
        for field_path in [*first.values, *first.keys, ("no", "such", 3)]:
            assert loaded.locate(field_path) == first.locate(field_path), field_path
            checked += 1
        assert loaded.source.values == first.values
        assert loaded.source.keys == first.keys
        assert loaded.source.texts == first.texts
    assert checked > 500


def test_the_id_place_of_every_file_is_kept_without_the_map() -> None:
    loader = IncidentLoader(SEVERITY_DEFAULT, timezone.utc)
    raw = ("# a comment\n\n" + textwrap.dedent(minimal_incident("INC-7")).lstrip()).encode()
    loaded = loader.read_file(raw, "inc-7.yaml", "docs/incidents/inc-7.yaml")
    assert loaded.kept == {("id",): (3, 5)}
    assert loaded.locate(("id",)) == (3, 5)
    assert loaded._source is None  # answered from what was kept: nothing read again


@pytest.mark.parametrize("raw", [
    b"", b"\xff\xfe" + "id: INC-1\n".encode("utf-16-le"), b"id: \xc3\x28 broken UTF-8\n",
    "title: \u2028 \U0001f600\n".encode(), bytes(range(256)) * 40,
])
def test_the_bytes_of_any_file_come_back_whole(raw: bytes) -> None:
    loaded = IncidentLoader(SEVERITY_DEFAULT, timezone.utc).read_file(raw, "x.yaml", "x.yaml")
    assert loaded.incident is None and loaded.problems
    assert loaded.raw == raw
    assert loaded.source.values == read_incident_yaml(raw, "x.yaml").source.values


@pytest.mark.parametrize("text", TEXTS)
def test_a_packed_page_gives_back_exactly_what_was_assigned(text: str) -> None:
    page = Page(None, File("p.md", "/docs", "/site", True), MkDocsConfig())
    page.content = text
    packed = make_packed(page)
    assert packed is page and isinstance(page, PackedPage)
    assert page.content == text  # kept across the change of class
    packed.pack()
    assert page.__dict__["_plain"] is None and isinstance(page.__dict__["_packed"], bytes)
    assert page.content == text
    packed.unpack()
    assert page.__dict__["_plain"] == text
    page.content = text + "<p>filled</p>"  # as backlinks fill their slot
    packed.pack()
    assert page.content == text + "<p>filled</p>"
    page.content = None
    packed.pack()
    assert page.content is None


@pytest.mark.parametrize("content", [*TEXTS, "x" * 20_000, b"\x00\xff binary \x80" * 2000])
def test_a_packed_file_gives_back_exactly_what_was_assigned(content: str | bytes) -> None:
    # What File.generated reads of the configuration (a whole one needs a project).
    config = SimpleNamespace(site_dir="/site", use_directory_urls=True,
                             plugins=SimpleNamespace(_current_plugin="pmtheater"))
    made = generated_file(config, "incidents/data.bin", content)  # type: ignore[arg-type]
    assert isinstance(made, PackedFile) == (len(content) >= 16 * 1024)
    assert made._content == content
    if isinstance(content, bytes) or "\ud800" not in content:  # MkDocs encodes strictly
        expected = content.encode() if isinstance(content, str) else content
        assert made.content_bytes == expected
    if isinstance(content, bytes):
        assert type(made._content) is bytes
    else:
        assert type(made._content) is str


@pytest.mark.parametrize("content", ["x" * 20_000 + "…", b"\x00\xff binary \x80" * 2000])
def test_serve_data_files_are_written_as_made_then_read_from_the_written_file(
    content: str | bytes, tmp_path: Path,
) -> None:
    """Under serve the data files are not packed (each rebuild makes them anew); once
    MkDocs copied one, it holds nothing, and reading it gives what was written."""
    config = SimpleNamespace(site_dir=str(tmp_path), use_directory_urls=True,
                             plugins=SimpleNamespace(_current_plugin="pmtheater"))
    made = generated_file(config, "incidents/data.bin", content,  # type: ignore[arg-type]
                          pack=False)
    assert isinstance(made, WrittenFile) and made._content == content
    expected = content.encode() if isinstance(content, str) else content
    assert made.is_modified()  # `serve --dirty` copies it
    made.copy_file(dirty=True)
    assert (tmp_path / "incidents" / "data.bin").read_bytes() == expected
    assert made._content is None and made.content_bytes == expected
    packed = generated_file(config, "incidents/other.bin", content)  # type: ignore[arg-type]
    assert isinstance(packed, PackedFile) and packed.is_modified()
    packed.copy_file(dirty=True)
    assert (tmp_path / "incidents" / "other.bin").read_bytes() == expected


HOOK = '''
import json
from pathlib import Path

seen = {}


def on_page_context(context, page, config, nav):
    seen[page.file.src_uri] = {"context": page.content}
    return context


def on_post_build(config):
    for src, entry in seen.items():
        page = config._pmtheater_files.get_file_from_path(src).page
        entry["after"] = page.content
        entry["held"] = type(page.__dict__.get("_plain", page.__dict__.get("content"))).__name__
    Path(config.site_dir, "seen.json").write_text(json.dumps(seen))


def on_files(files, config):
    config._pmtheater_files = files
    return files
'''


def test_playbills_are_held_packed_and_every_reader_sees_the_same_text(site) -> None:
    site.incident("inc-1.yaml", minimal_incident("INC-1", "Typographic … title — “quoted”"))
    site.incident("inc-2.yaml", minimal_incident("INC-2", "Astral 😀 title"))
    site.incident("inc-3.yaml", minimal_incident("INC-3", "Plain"))
    (site.root / "hook.py").write_text(HOOK, encoding="utf-8")
    site.config["hooks"] = ["hook.py"]
    built = site.build(strict=True)
    assert built.warnings == []
    seen = json.loads((built.site_dir / "seen.json").read_text(encoding="utf-8"))
    playbills = {src: entry for src, entry in seen.items() if src.startswith("incidents/inc-")}
    assert sorted(playbills) == ["incidents/inc-1.md", "incidents/inc-2.md", "incidents/inc-3.md"]
    catalogue = seen["incidents/index.md"]
    for src, entry in [*playbills.items(), ("incidents/index.md", catalogue)]:
        # What a later hook reads, while the page is built and after the build, is what
        # the page shows; between those, the body is held compressed (no str alive).
        assert entry["context"] and entry["after"] == entry["context"], src
        folder = built.site_dir / src.removesuffix(".md").removesuffix("index")
        written = (folder / "index.html").read_text(encoding="utf-8")
        assert entry["context"] in written, src
        assert entry["held"] == "NoneType", src
    assert "“quoted”" in playbills["incidents/inc-1.md"]["context"]
    assert "😀" in playbills["incidents/inc-2.md"]["context"]
    # A page of the site's own is left as MkDocs keeps it.
    assert seen["index.md"]["held"] == "str"


def test_the_data_files_are_published_whole(site) -> None:
    for number in range(1, 40):
        site.incident(f"inc-{number}.yaml",
                      minimal_incident(f"INC-{number}", f"Outage … number {number}"))
    built = site.build(strict=True)
    assert built.warnings == []
    lines = (built.site_dir / "incidents" / "incidents.json").read_text(encoding="utf-8")
    assert len(lines) >= 16 * 1024  # large enough to be held packed
    data = json.loads(lines)
    assert {i["id"] for i in data["incidents"]} == {f"INC-{n}" for n in range(1, 40)}
    feed = ElementTree.parse(built.site_dir / "incidents" / "feed.xml").getroot()
    titles = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any("Outage … number 39" in title for title in titles)



def test_links_to_a_playbills_anchors_are_checked_as_before(site) -> None:
    """Playbills' ids are held in one string (AnchorIds); MkDocs' anchor check still
    finds the ones that exist and reports the ones that do not."""
    site.incident("inc-1.yaml", minimal_incident("INC-1"))
    site.page("notes.md", """
        # Notes

        [the playbill](incidents/inc-1.md#playbill) and
        [a missing part](incidents/inc-1.md#no-such-part).
        """)
    site.config["validation"] = {"anchors": "warn"}
    built = site.build()
    about_anchors = [w for w in built.warnings if "anchor" in w]
    assert len(about_anchors) == 1, built.warnings
    assert "no-such-part" in about_anchors[0] and "notes.md" in about_anchors[0]
    assert built.html("notes/").find("a", string="the playbill")["href"] == (
        "../incidents/inc-1/#playbill")
