"""Addresses of a docs site without MkDocs: where a source file is published, and links.

A site generator in the MkDocs family (MkDocs 1.6, ProperDocs, Zensical)
publishes ``docs_dir/a/b.md`` at ``a/b/`` (``a/b.html`` without directory
URLs), ``a/index.md`` and ``a/README.md`` at ``a/``, and any other file at its
own path. The core uses these rules to write links between the pages it
generates when no MkDocs ``Files`` collection is at hand (``pmtheater render``
for Zensical); the MkDocs adapter answers the same questions from MkDocs'
own files, so both routes give the same HTML.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from typing import Protocol
from urllib.parse import quote

PAGE_SUFFIXES = (".md", ".markdown")


class SiteFiles(Protocol):
    """What the core asks about the site's files (paths are POSIX, relative to docs_dir)."""

    def exists(self, src_uri: str) -> bool:
        """True when the site has a file (page or other) at ``src_uri``."""

    def url(self, target: str, page: str) -> str | None:
        """The URL of file ``target`` relative to page ``page``; None when there is no target."""


def dest_path(src_uri: str, *, directory_urls: bool) -> str:
    """The path a file is written to under site_dir (``a/b.md`` → ``a/b/index.html``)."""
    stem, suffix = posixpath.splitext(src_uri)
    if suffix.lower() not in PAGE_SUFFIXES:
        return src_uri
    folder, name = posixpath.split(stem)
    if name.lower() in ("index", "readme"):
        name = "index"
    elif directory_urls:
        return posixpath.join(folder, name, "index.html")
    return posixpath.join(folder, name + ".html")


def page_url(src_uri: str, *, directory_urls: bool) -> str:
    """The file's URL from the site's root: ``a/b/`` (or ``a/b.html``), ``./`` for the home."""
    dest = dest_path(src_uri, directory_urls=directory_urls)
    folder, name = posixpath.split(dest)
    if directory_urls and name == "index.html":
        return quote((folder or ".") + "/")
    return quote(dest)


def relative_url(url: str, from_url: str) -> str:
    """``url`` (from the site's root) as a link on the page at ``from_url``."""
    base = from_url if from_url.endswith("/") else posixpath.dirname(from_url)
    target = posixpath.normpath("/" + url)
    path = posixpath.relpath(target, posixpath.normpath("/" + base))
    return path + "/" if url.endswith("/") and path != "." else ("./" if path == "." else path)


def relative_link_resolver(folder: str, page: str, site: SiteFiles
                           ) -> Callable[[str], str | None]:
    """A resolver for relative links written in a file of ``folder`` (an incident's) and
    shown on ``page``: ``href -> URL``, None for links it leaves alone (external, anchors,
    from the site's root, ``incident:``) or that lead to no file of the site."""

    def resolve(href: str) -> str | None:
        if "://" in href or href.startswith(("#", "/", "mailto:", "tel:", "incident:")):
            return None
        path, _, fragment = href.partition("#")
        url = site.url(posixpath.normpath(posixpath.join(folder, path)), page)
        if url is None:
            return None
        return f"{url}#{fragment}" if fragment else url

    return resolve


class DocsTree:
    """:class:`SiteFiles` from a list of source paths and the site's URL style."""

    def __init__(self, src_uris: Iterable[str], *, directory_urls: bool = True) -> None:
        self.directory_urls = directory_urls
        self._urls = {s: page_url(s, directory_urls=directory_urls) for s in src_uris}

    def add(self, src_uri: str) -> None:
        """A file the generator will publish too (a generated page, a data file)."""
        self._urls[src_uri] = page_url(src_uri, directory_urls=self.directory_urls)

    def exists(self, src_uri: str) -> bool:
        return src_uri in self._urls

    def url(self, target: str, page: str) -> str | None:
        found = self._urls.get(target)
        if found is None:
            return None
        return relative_url(found, self._urls.get(page) or page_url(
            page, directory_urls=self.directory_urls))

    def __iter__(self):
        return iter(self._urls)


class SourceTree(DocsTree):
    """:class:`SiteFiles` for generators that resolve every relative link in a page from
    the page's source folder, raw HTML included (Zensical: ``../x.md`` and ``../x/``
    written in ``a/b.md`` both mean ``docs/x``): links are source paths, and the
    generator turns them into URLs (and checks them)."""

    def url(self, target: str, page: str) -> str | None:
        if not self.exists(target):
            return None
        return posixpath.relpath(target, posixpath.dirname(page) or ".")
