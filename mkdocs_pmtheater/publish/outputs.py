"""Files the core publishes beside the pages: a path under docs_dir and its bytes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """One published file: ``path`` is POSIX and relative to docs_dir
    (``incidents/feed.xml``); ``content`` is exactly the bytes to publish."""

    path: str
    content: bytes
