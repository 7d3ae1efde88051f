"""Every path the site will write, so that no two files are ever written to one place.

MkDocs writes each file of a build to ``site_dir/<dest_uri>`` and does not
check that two files have different destinations: the later one silently
replaces the earlier (a playbill replacing a hand-written page), or writing
fails with a traceback when one needs a folder where the other is a file
(a playbill at ``incidents/feed.xml/index.html`` beside the Atom feed at
``incidents/feed.xml``). The plugin therefore claims every address before it
adds a file: the site's own files first (they always win), then what the
theme and MkDocs write, then the plugin's fixed files, then the playbills.

Paths are compared after Unicode normalisation (NFC) and case folding: a site
built or served on a case-insensitive file system (macOS, Windows) would
otherwise lose one of ``incidents/INC-1/`` and ``incidents/inc-1/``. A claim
costs O(depth of the path), so a build stays O(files).
"""

from __future__ import annotations

import posixpath
import unicodedata
from dataclasses import dataclass

from mkdocs.structure.files import File


@dataclass(frozen=True)
class Holder:
    """Who already has an address: the path written and a description for messages."""

    path: str
    """The output path (relative to site_dir) that is taken."""
    owner: str
    """What writes it, for messages: a file of the site (``docs/incidents/2024/index.md``)
    or a description (``the plugin's Atom feed``)."""
    site_file: bool = False
    """True for a file of the site (docs_dir, or added by another plugin)."""


def _key(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


def _parents(key: str) -> list[str]:
    """``a/b/c.html`` -> ``["a/b", "a"]``."""
    out = []
    head = posixpath.dirname(key)
    while head:
        out.append(head)
        head = posixpath.dirname(head)
    return out


class AddressBook:
    """The output paths of one build, each with who writes it."""

    def __init__(self) -> None:
        self._files: dict[str, Holder] = {}
        """Normalised path -> its holder."""
        self._folders: dict[str, Holder] = {}
        """Normalised folder -> the first holder of a path inside it."""

    def holder(self, path: str) -> Holder | None:
        """Who keeps ``path`` from being written: the same path, a file where ``path``
        needs a folder, or files inside a folder at ``path``; None when it is free."""
        key = _key(path)
        found = self._files.get(key) or self._folders.get(key)
        if found is not None:
            return found
        for parent in _parents(key):
            if parent in self._files:
                return self._files[parent]
        return None

    def claim(self, path: str, owner: str, *, site_file: bool = False) -> Holder | None:
        """Take ``path`` for ``owner``; returns the holder instead when it is taken."""
        taken = self.holder(path)
        if taken is not None:
            return taken
        key = _key(path)
        mine = Holder(path, owner, site_file)
        self._files[key] = mine
        for parent in _parents(key):
            self._folders.setdefault(parent, mine)
        return None


def clash(path: str, holder: Holder) -> str:
    """How ``holder`` keeps ``path`` from being written, for messages ("" when it has the
    very same path)."""
    if holder.path == path:
        return ""
    if _key(holder.path) == _key(path):
        return (f" ({holder.path}: paths that differ only in letter case are one path on "
                "case-insensitive hosts such as macOS and Windows)")
    if _key(path).startswith(_key(holder.path) + "/"):
        return f" (it writes {holder.path}, a file where {path} needs a folder)"
    return f" (it writes {holder.path}, which needs a folder where {path} would be a file)"


def page_address(dest_uri: str) -> str:
    """The address readers see for an output path: ``incidents/x/index.html`` ->
    ``incidents/x/``; other paths unchanged."""
    if dest_uri == "index.html":
        return "/"
    if dest_uri.endswith("/index.html"):
        return dest_uri[: -len("index.html")]
    return dest_uri


def dest_of(src_uri: str, *, use_directory_urls: bool) -> str:
    """Where MkDocs writes a file with this ``src_uri`` (its own rule: ``README.md`` is an
    index, ``foo.md`` is ``foo/index.html`` or ``foo.html``)."""
    return File(src_uri, src_dir=None, dest_dir="", use_directory_urls=use_directory_urls).dest_uri
