"""The ``pmtheater`` command (an adapter over the core)."""

from .main import main

__all__ = ["main"]
