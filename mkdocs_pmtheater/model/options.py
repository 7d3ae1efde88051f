"""The site's options for the theater, as the core sees them (no MkDocs types).

The MkDocs adapter validates ``plugins: - pmtheater: {...}`` with MkDocs'
typed options (``plugin/config.py``) and converts them with
:func:`site_options`-style helpers; ``pmtheater render`` reads the same keys
from ``mkdocs.yml`` or ``zensical.toml``. Everything downstream takes a
:class:`SiteOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .incident import SEVERITY_DEFAULT

CATALOGUE_PAGES = ("index", "action-items", "hall-of-fame", "metrics", "themes")
DRAFT_MODES = ("publish", "hide")


@dataclass(frozen=True)
class SiteOptions:
    """Options of one site; defaults are the documented ones (README, "Configuration")."""

    incidents_dir: str = "incidents"
    """Folder inside docs_dir holding the incident files (POSIX, no leading or trailing /)."""
    prefix: str = "incidents"
    """URL path of playbills and catalogue pages ("" for the site's root)."""
    severities: tuple[str, ...] = SEVERITY_DEFAULT
    """Severity levels, worst first."""
    timezone: str = "UTC"
    """IANA zone for offset-less times and for display."""
    drafts: str = "publish"
    """``publish`` or ``hide``."""
    allow_html: bool = False
    backlinks: bool = True
    catalogue_pages: tuple[str, ...] = CATALOGUE_PAGES
    nav_title: str = "Post-mortems"
    nav_position: int | None = None
    people: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    """The site's own text for labels, keyed by the English label (the catalogue's msgid):
    ``{"Call Sheet": "Follow-ups"}``; wins over the language's catalogue."""
    related: bool = True
    """End each playbill with "Previously on…", its most related incidents."""
    theme_categories: dict[str, list[str]] = field(default_factory=dict)
    """``themes.categories``: category -> words that put a contributing factor in it."""

    @classmethod
    def from_config(cls, config: Any) -> SiteOptions:
        """From a validated options object with the plugin's attribute names
        (``PmTheaterConfig``): ``catalogue.pages``, ``catalogue.nav_title``, ..."""
        catalogue = config.catalogue
        return cls(
            incidents_dir=str(config.incidents_dir).strip("/"),
            prefix=str(config.prefix).strip("/"),
            severities=tuple(config.severities),
            timezone=config.timezone,
            drafts=config.drafts,
            allow_html=bool(config.allow_html),
            backlinks=bool(config.backlinks),
            catalogue_pages=tuple(dict.fromkeys(catalogue.pages)),
            nav_title=catalogue.nav_title,
            nav_position=catalogue.nav_position,
            people={str(k): [str(n) for n in v] for k, v in dict(config.people).items()},
            labels={str(k): str(v) for k, v in dict(getattr(config, "labels", {})).items()},
            related=bool(config.related),
            theme_categories={str(k): [str(w) for w in v]
                              for k, v in dict(config.themes.categories).items()},
        )

    @property
    def drafts_hidden(self) -> bool:
        return self.drafts == "hide"
