"""The plugin's options in ``mkdocs.yml`` (``plugins: - pmtheater: {...}``)."""

from __future__ import annotations

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from ..model.incident import SEVERITY_DEFAULT
from ..model.options import CATALOGUE_PAGES, DRAFT_MODES


class CatalogueConfig(Config):
    """``catalogue:``: the pages built from all incidents, and their place in the nav."""

    pages = c.ListOfItems(c.Choice(CATALOGUE_PAGES), default=list(CATALOGUE_PAGES))
    """Which catalogue pages to build, in navigation order; ``[]`` builds none."""

    nav_title = c.Type(str, default="Post-mortems")
    """Title of the navigation section that holds the catalogue pages."""

    nav_position = c.Optional(c.Type(int))
    """Index of that section among the top-level nav entries (0 = first, -1 = before the
    last); unset = at the end. Ignored when mkdocs.yml has an explicit ``nav``."""


class ThemesConfig(Config):
    """``themes:``: how the Themes page groups contributing factors."""

    categories = c.DictOfItems(c.ListOfItems(c.Type(str)), default={})
    """Category -> words or phrases that put a factor in it, e.g.
    ``{technical: [cache, config], human: [fatigue], process: [review], external: [vendor]}``;
    empty: the page shows the words and phrases themselves."""


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

    drafts = c.Choice(DRAFT_MODES, default="publish")
    """``publish``: drafts are published with a banner; ``hide``: left out everywhere."""

    allow_html = c.Type(bool, default=False)
    """Interpret raw HTML in incident Markdown. Off: it is shown as text."""

    catalogue = c.SubConfig(CatalogueConfig)
    """The post-mortem index, action-item board, hall of fame and metrics pages."""

    people = c.DictOfItems(c.ListOfItems(c.Type(str)), default={})
    """Names that mean the same person: ``{"@priya": ["Priya Raman"]}`` (shown as the key)."""

    pagefind = c.Optional(c.Type(bool))
    """Index every word of every playbill with Pagefind after ``mkdocs build`` (into
    ``site_dir/pagefind/``) for the post-mortem index's full-text search. Unset: on when
    ``pagefind[bin]`` is installed (``mkdocs-pmtheater[search]``), else off with a note;
    ``true`` without it is a warning. Not run under ``mkdocs serve``."""

    pagefind_shard_size = c.Optional(c.Type(int))
    """Playbills per Pagefind run, at least 1: a bigger site is indexed in parts, one
    after another, which the index page's search merges (Pagefind's peak memory is about
    0.32 MiB per playbill of a part). Unset: automatic, at most five parts of at least
    400 playbills (one part up to 400)."""

    labels = c.DictOfItems(c.Type(str), default={})
    """Replace any label the plugin writes, keyed by its English text (the message
    catalogue's msgid): ``{"Call Sheet": "Follow-ups"}``. Wins over the translation of the
    site's language; a label with placeholders (``%(num)d``) keeps them."""

    backlinks = c.Type(bool, default=True)
    """End each page named in a prop's ``page`` (a runbook, say) with the incidents that
    used it (template ``pmtheater/used-in.html``)."""

    related = c.Type(bool, default=True)
    """End each playbill with "Previously on…": up to five related incidents."""

    themes = c.SubConfig(ThemesConfig)
    """The Themes catalogue page: optional categories for contributing factors."""
