"""The MkDocs adapter (MkDocs 1.6 and ProperDocs): the plugin and what only a MkDocs build needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plugin import PmTheaterPlugin

__all__ = ["PmTheaterPlugin"]


def __getattr__(name: str) -> Any:
    # Imported on first use (PEP 562): `pmtheater validate`, a pre-commit hook run on every
    # commit, reads the plugin's options (plugin.config) but never builds, and the plugin
    # module pulls in most of MkDocs and the renderers.
    if name == "PmTheaterPlugin":
        from .plugin import PmTheaterPlugin

        return PmTheaterPlugin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
