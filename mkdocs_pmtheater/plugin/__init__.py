"""The MkDocs adapter (MkDocs 1.6 and ProperDocs): the plugin and what only a MkDocs build needs."""

from .plugin import PmTheaterPlugin

__all__ = ["PmTheaterPlugin"]
