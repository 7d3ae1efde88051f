"""Link previews: Open Graph and Twitter card tags on playbills, read back by a parser."""

from __future__ import annotations

from conftest import SiteFactory


def meta_tags(built, path: str) -> dict[str, str]:
    soup = built.html(path)
    found = {}
    for tag in soup.head.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        if key and (key.startswith(("og:", "twitter:", "article:"))):
            found[key] = tag.get("content")
    return found


def test_playbill_carries_open_graph_and_twitter_tags(site: SiteFactory) -> None:
    site.incident("2024/cache.yaml", """
        id: INC-2024-031
        title: Checkout "errors" <after> the cache & keys expired
        severity: SEV2
        started_at: 2024-03-14T14:02:00Z
        review_date: 2024-03-20
        summary: |
          A **million** cache keys expired together and checkout failed for one request
          in four.
        """)
    built = site.build(strict=True)
    tags = meta_tags(built, "incidents/inc-2024-031/")
    title = 'INC-2024-031: Checkout "errors" <after> the cache & keys expired'
    assert tags["og:type"] == "article"
    assert tags["og:title"] == title
    assert tags["twitter:title"] == title
    assert tags["twitter:card"] == "summary"
    description = ("A million cache keys expired together and checkout failed for one "
                   "request in four.")
    assert tags["og:description"] == description
    assert tags["twitter:description"] == description
    assert tags["article:published_time"] == "2024-03-20"
    assert tags["og:site_name"] == "Test site"
    assert tags["og:url"] == "https://docs.example.test/incidents/inc-2024-031/"
    # Other pages are not playbills and get none of them.
    assert meta_tags(built, "") == {}


def test_without_a_review_the_start_day_is_the_published_date_and_no_url(
        site: SiteFactory) -> None:
    del site.config["site_url"]
    site.incident("b.yaml", """
        id: OUTAGE-7
        title: Queue backlog
        severity: SEV3
        started_at: 2025-01-02T23:30:00-05:00
        summary: The queue backed up.
        """)
    built = site.build(strict=True)
    tags = meta_tags(built, "incidents/outage-7/")
    assert tags["article:published_time"] == "2025-01-02"
    assert "og:url" not in tags
    assert tags["og:title"] == "OUTAGE-7: Queue backlog"
