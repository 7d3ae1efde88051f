"""The plugin's options in ``mkdocs.yml`` (``plugins: - pmtheater: {...}``)."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from .model import SEVERITY_DEFAULT


class PmTheaterConfig(Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off without removing it, e.g. ``enabled: !ENV [PMTHEATER, true]``."""

    incidents_dir = c.Type(str, default="incidents")
    """Folder inside ``docs_dir`` that holds the incident files (read recursively)."""

    prefix = c.Type(str, default="incidents")
    """URL path under which playbills (and the catalogue pages) are published."""

    severities = c.ListOfItems(c.Type(str), default=list(SEVERITY_DEFAULT))
    """The site's severity levels, worst first."""

    timezone = c.Type(str, default="UTC")
    """IANA zone for times without an offset, and for every time shown."""

    drafts = c.Choice(("publish", "hide"), default="publish")
    """``publish``: drafts are published with a banner; ``hide``: left out everywhere."""

    allow_html = c.Type(bool, default=False)
    """Interpret raw HTML in incident Markdown. Off: it is shown as text."""
