"""Fast paths of the build (issue #12, item 5) against the slow code they replace.

Each fast path must give exactly what the straightforward code gives, for any input,
hostile incident text included: checked here with generated inputs against the
reference (the regular expression, the formatter) kept in the test.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import textwrap
import time
import zlib
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File
from mkdocs.structure.pages import Page

from mkdocs_pmtheater.load.yamlsource import _REFUSED, invisible_characters
from mkdocs_pmtheater.plugin.packed import PackedPage, anchor_ids, make_packed
from mkdocs_pmtheater.publish.fulltext import (
    StreamedCopies,
    html_language,
    join_parts,
    pagefind_available,
    start_index,
)
from mkdocs_pmtheater.render.preview import link_preview

_ID = re.compile(r'\bid="([^"]+)"')
"""What register_anchors used before anchor_ids."""

# Few characters, so that generated text often holds id=", near misses (aid=, id="")
# and non-ASCII word characters (é, Arabic-Indic digits), which \b treats as letters.
_HTML_PIECES = st.lists(st.sampled_from(
    ['id="', 'id=""', "id=", '"', "a", "_", "-", " ", "<p ", ">", "é", "\u0663", "\u00a0",
     "x1", "\n", "data-", "\ud800"]), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_HTML_PIECES)
@example('<h2 id="a">x</h2><p data-id="b" aid="c" _id="d" éid="e" id="">id="f"')
@example('id="unclosed')
def test_anchor_ids_finds_what_the_expression_finds(html: str) -> None:
    assert anchor_ids(html) == set(_ID.findall(html))


def _refused_slowly(text: str, limit: int | None) -> list[int]:
    found = [match.start() for match in _REFUSED.finditer(text)]
    return found if limit is None else found[:limit]


# The characters the expression looks at, and their neighbours: ASCII, letters of
# scripts that need joiners, emoji, keycap digits.
_TEXT = st.lists(st.sampled_from(
    ["a", "1", "#", " ", "\n", "\u200b", "\u200c", "\u200d", "\ufe0f", "\ufe0e", "\u20e3",
     "\u202e", "\u00ad", "\U000e0041", "\U000e0100", "\u0628", "👩", "💻", "❤", "…"]),
    max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_TEXT, st.sampled_from([None, 0, 1, 3, 11]))
@example("plain ASCII text", None)
@example("an ellipsis … and a dash —", 11)
def test_invisible_characters_are_those_the_expression_refuses(
        text: str, limit: int | None) -> None:
    assert invisible_characters(text, limit) == _refused_slowly(text, limit)


def _page(text: str) -> PackedPage:
    page = Page(None, File("p.md", "/docs", "/site", True), MkDocsConfig())
    page.content = text
    return make_packed(page)


def test_a_body_put_back_after_a_slim_one_is_not_compressed_again() -> None:
    page = _page("<p>full … body</p>" * 50)
    page.pack()
    packed = page.__dict__["_packed"]
    page.unpack()
    full = page.content
    page.content = "<p>slim</p>"  # as the search input is swapped in, then back
    assert page.content == "<p>slim</p>"
    page.content = full
    page.pack()
    assert page.__dict__["_packed"] is packed  # the same bytes: no second compression
    assert page.content == "<p>full … body</p>" * 50


def test_an_equal_but_new_body_is_compressed_again_and_read_back_exactly() -> None:
    page = _page("<p>body</p>")
    page.pack()
    packed = page.__dict__["_packed"]
    page.unpack()
    page.content = "".join(["<p>bo", "dy</p>"])  # equal text, another object
    page.pack()
    assert page.__dict__["_packed"] is not packed
    assert page.content == "<p>body</p>"
    page.unpack()
    page.content = "<p>changed</p>"
    page.pack()
    assert page.content == "<p>changed</p>"
    page.content = None
    page.pack()
    assert page.content is None


def _preview_slowly(incident: SimpleNamespace, description: str, site_name: str,
                    url: str | None) -> Markup:
    """link_preview as it was written before: Markup.format for each tag."""
    title = f"{incident.id}: {incident.title}"
    tags = [("property", "og:type", "article"), ("property", "og:title", title),
            ("property", "og:description", description),
            ("property", "article:published_time",
             (incident.review_date or incident.started_at.date()).isoformat())]
    if site_name:
        tags.append(("property", "og:site_name", site_name))
    if url:
        tags.append(("property", "og:url", url))
    tags += [("name", "twitter:card", "summary"), ("name", "twitter:title", title),
             ("name", "twitter:description", description)]
    return Markup("\n").join(
        Markup('<meta {}="{}" content="{}">').format(kind, key, " ".join(value.split()))
        for kind, key, value in tags)


_VALUE = st.lists(st.sampled_from([*"a <>&\"'\n\t\u2028é{}%", "&amp;", "\ud800"]),
                  max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(_VALUE, _VALUE, _VALUE, st.one_of(st.none(), _VALUE), st.booleans())
def test_link_previews_are_those_markup_format_wrote(
        title: str, description: str, site_name: str, url: str | None, reviewed: bool) -> None:
    incident = SimpleNamespace(id="INC-1", title=title,
                               review_date=date(2026, 1, 2) if reviewed else None,
                               started_at=datetime(2025, 12, 31, 23, tzinfo=timezone.utc))
    made = link_preview(incident, description=description,  # type: ignore[arg-type]
                        site_name=site_name, url=url)
    assert isinstance(made, Markup)
    assert made == _preview_slowly(incident, description, site_name, url)


def test_content_parts_give_the_content_of_their_time() -> None:
    # The Pagefind child writes the copies from these parts, while the build thread
    # unpacks the page and swaps a slim body in for the search plugin.
    page = _page("<p>filled … body</p>")
    page.pack()
    parts = page.content_parts()
    assert all(isinstance(part, bytes) for part in parts)  # handed over compressed
    page.unpack()
    page.content = "<p>slim</p>"
    assert join_parts(parts) == "<p>filled … body</p>"
    page.pack()
    assert join_parts(parts) == "<p>filled … body</p>"
    assert join_parts(_page("<p>plain</p>").content_parts()) == "<p>plain</p>"


def _processes_naming(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile
        if any(text.encode() in word for word in words):
            found.append(cmdline.parent.name)
    return found


def test_cancelling_pagefind_stops_the_child_and_pagefind_under_it(tmp_path: Path) -> None:
    # Pagefind runs under a Python child that then makes the chunk bounds exact: a
    # cancelled build must leave neither running. (Processes are read from /proc.)
    assert pagefind_available()  # part of the test environment (the search extra)
    site = tmp_path / "site-to-cancel"
    for n in range(300):
        page = site / "incidents" / f"p{n}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<html lang=en><body data-pagefind-body><p>word{n} text</p>"
                        "</body></html>", encoding="utf-8")
    run = start_index(site, tmp_path / "bundle")
    deadline = time.monotonic() + 30
    while not _processes_naming("site-to-cancel") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _processes_naming("site-to-cancel")  # the child started
    run.cancel()
    deadline = time.monotonic() + 10
    while _processes_naming("site-to-cancel") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_naming("site-to-cancel") == []
    assert run.wait().error == "Pagefind was stopped"


def test_cancelling_the_stream_of_copies_stops_its_child_and_leaves_no_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The child that receives playbills as they are converted waits for more: a build
    # that fails meanwhile (on_build_error cancels) must leave it neither running nor
    # its copies on disk.
    temporary = tmp_path / "own-temp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))  # not in memory (copies_home)
    stream = StreamedCopies(tmp_path / "bundle", "en")
    stream.add("incidents/a.yaml", "incidents/a/index.html",
               (zlib.compress(b"<article data-pagefind-body>one</article>"),))
    assert stream.exact and stream.run is not None
    folder = next(temporary.glob("pmtheater-pagefind-*"))
    deadline = time.monotonic() + 30
    while (not (folder / "incidents/a/index.html").exists()
           and time.monotonic() < deadline):
        time.sleep(0.01)
    assert "one" in (folder / "incidents/a/index.html").read_text()  # written at once
    assert _processes_naming(str(folder))  # and the child waits for more
    stream.cancel()
    deadline = time.monotonic() + 10
    while _processes_naming(str(folder)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_naming(str(folder)) == []
    assert list(temporary.iterdir()) == []
    assert stream.finish() is None  # the build then indexes the written site


def test_a_build_that_ends_while_streaming_leaves_no_pagefind_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Some playbills are streamed, then the process that sent them ends without a word
    # (Ctrl-C skips on_build_error): the child sees its input end, starts no Pagefind
    # and removes its copies itself.
    temporary = tmp_path / "own-temp"
    temporary.mkdir()
    sender = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import os, tempfile, zlib
            tempfile.tempdir = os.environ["TMPDIR"] = {str(temporary)!r}
            from mkdocs_pmtheater.publish.fulltext import StreamedCopies
            stream = StreamedCopies({str(tmp_path / "bundle")!r}, "en")
            stream.add("incidents/a.yaml", "incidents/a/index.html",
                       (zlib.compress(b"<article data-pagefind-body>one</article>"),))
            assert stream.exact and stream.run is not None
            print(stream.run._process.pid)
            """)], capture_output=True, text=True, timeout=60, check=True)
    assert sender.stdout.strip().isdigit()  # it started a child, then ended
    deadline = time.monotonic() + 30
    while list(temporary.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(temporary.iterdir()) == []
    assert _processes_naming(str(temporary)) == []
    assert not (tmp_path / "bundle").exists()



_SLOT = "<!-- slot -->"
_PIECES = st.lists(st.sampled_from(["<p>", "a", "…", "😀", "\ud800", _SLOT, "<!--", " -->", "\n"]),
                   max_size=25).map("".join)


@settings(max_examples=500, deadline=None)
@given(_PIECES, _PIECES)
@example("<p>before</p><!-- slot --><p>after <!-- slot --></p>", "<p>filled</p>")
@example("<p>no slot</p>", "<p>filled</p>")
def test_a_page_packed_around_its_slot_reads_as_the_text_filled_in(
        text: str, block: str) -> None:
    # "Referenced by" is filled in on_env without unpacking the playbill: what every
    # reader gets must be str.replace's first replacement, before and after filling.
    page = _page(text)
    page.pack(split_at=_SLOT)
    assert page.content == text
    assert page.packed_around(_SLOT) == (_SLOT in text)
    parts = page.content_parts()
    if page.packed_around(_SLOT):
        page.replace_packed(_SLOT, block)
    else:
        page.content = text.replace(_SLOT, block, 1)
        page.pack(split_at=_SLOT)
    assert page.content == text.replace(_SLOT, block, 1)
    assert join_parts(parts) == text  # parts taken before keep their time's text
    page.unpack()
    assert page.content == text.replace(_SLOT, block, 1)
    page.pack()
    assert page.content == text.replace(_SLOT, block, 1)


@pytest.mark.parametrize(("tag", "language"), [
    ('<html lang="en" class="no-js">', "en"),
    ("<HTML LANG=de>", "de"),
    ('<html class="x" lang="fr" lang="en">', "fr"),  # an HTML parser keeps the first
    ("<html>", None),
    ('<html data-lang="en">', None),
])
def test_the_language_pagefind_reads_from_a_written_pages_html_tag(
        tag: str, language: str | None) -> None:
    # The streamed copies carry <html lang> of the theme's language; a written page must
    # give Pagefind the same one, else the copies made from its own tag are used.
    assert html_language(tag) == language
    assert StreamedCopies("bundle", "en").matches(tag) == (language == "en")
