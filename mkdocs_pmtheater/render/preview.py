"""Link previews: the Open Graph and Twitter card tags of a playbill.

A playbill pasted into a chat shows its title and summary when the page's
``<head>`` carries Open Graph tags (https://ogp.me: ``og:title``,
``og:description``, ``og:type`` ``article``, ``article:published_time``,
``og:site_name``, ``og:url`` when the site's address is known) and the
Twitter card (``twitter:card`` ``summary``). Values are plain text, escaped
for an attribute.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from ..model.incident import Incident


def published_on(incident: Incident) -> date:
    """The day the post-mortem counts as published: its review, else the incident's start
    (as written, in the incident's own offset)."""
    return incident.review_date or incident.started_at.date()


def link_preview(incident: Incident, *, description: str, site_name: str,
                 url: str | None) -> Markup:
    """The ``<meta>`` tags for the playbill of ``incident``, one per line.

    ``description`` is plain text (the summary as a reader sees it); ``url`` the
    playbill's absolute address, or None when the site has no ``site_url``.
    The published time is an ISO 8601 date (RFC 3339 full-date).
    """
    title = f"{incident.id}: {incident.title}"
    tags: list[tuple[str, str, str]] = [
        ("property", "og:type", "article"),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "article:published_time", published_on(incident).isoformat()),
    ]
    if site_name:
        tags.append(("property", "og:site_name", site_name))
    if url:
        tags.append(("property", "og:url", url))
    tags += [("name", "twitter:card", "summary"), ("name", "twitter:title", title),
             ("name", "twitter:description", description)]
    # kind and key are the constants above (nothing to escape); Markup.format's
    # formatter machinery cost three times this, once per page.
    return Markup("\n".join(
        f'<meta {kind}="{key}" content="{escape(" ".join(value.split()))}">'
        for kind, key, value in tags))

