"""What one render of a site produces, independent of any site generator."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One file to publish.

    ``path`` is POSIX, relative to ``docs_dir`` (``incidents/inc-2024-031.md``,
    ``incidents/feed.xml``); ``content`` is the file's exact bytes (UTF-8 for text).
    """

    path: str
    content: bytes
