"""Discover and fetch days of the local wire site; graded by the site's answer key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wire_ingest.discover.listings import listing_reader
from wire_ingest.discover.walker import DiscoveryResult, walk_listing
from wire_ingest.http.fetch import fetch_all, make_session
from wire_ingest.http.ratelimit import RateLimiter
from wire_ingest.landing import LandingWriter, iter_landed, landed_files, read_landed
from wire_ingest.settings import FetchSettings
from wire_ingest.sources import get_source
from wiresim.server import RunningSite

DEFAULT_LISTING_PATH = "/world/node_7075238.htm"

LOCAL = FetchSettings(max_requests_per_second=0.0, concurrency=4, max_attempts=2)
MIDDLE_DAY = dt.date(2020, 12, 23)  # the site serves 2020-12-22..2020-12-24
FIRST_DAY = dt.date(2020, 12, 22)


def discover(
    site: RunningSite, day: dt.date, writer: LandingWriter | None = None
) -> DiscoveryResult:
    with make_session(LOCAL) as session:
        return walk_listing(
            site.base_url + DEFAULT_LISTING_PATH,
            day,
            read_listing=listing_reader(get_source("china_org_cn")),
            session=session,
            settings=LOCAL,
            limiter=RateLimiter(0),
            writer=writer,
        )


def key_urls(key: list[dict[str, Any]], day: dt.date) -> list[str]:
    return [entry["url"] for entry in key if entry["page_date"] == day.isoformat()]


def test_discover_and_fetch_one_day(
    wire_site: RunningSite, wire_site_key: list[dict[str, Any]], tmp_path: Path
) -> None:
    landing = tmp_path.as_uri()
    with LandingWriter(landing, "china_org_cn", MIDDLE_DAY, "listing", "it") as listing_writer:
        found = discover(wire_site, MIDDLE_DAY, listing_writer)
    expected = key_urls(wire_site_key, MIDDLE_DAY)
    discovered = [item.url for item in found.items]

    assert found.errors == []
    assert len(discovered) == len(set(discovered))
    assert sorted(discovered) == sorted(expected)
    assert {item.page_date for item in found.items} == {MIDDLE_DAY.isoformat()}
    # Walked only as far as the day needs: the oldest listing pages (the day before) stay unread.
    assert 1 < found.pages_fetched < wire_site.site.listing_pages()
    assert len(list(iter_landed(listing_writer.url))) == found.pages_fetched

    log_before = len(wire_site.request_log)
    with LandingWriter(landing, "china_org_cn", MIDDLE_DAY, "articles", "it") as writer:
        results = fetch_all(discovered, settings=LOCAL, writer=writer)
    assert [result.url for result in results] == discovered
    assert [result.error for result in results if not result.ok] == []
    assert all(result.attempts == 1 and result.charset == "utf-8" for result in results)
    served = [path for _method, path, _status in wire_site.request_log[log_before:]]
    assert sorted(served) == sorted(urlsplit(url).path for url in discovered)

    assert landed_files(landing, "china_org_cn", MIDDLE_DAY, "articles") == [writer.url]
    landed = {page.url: page for page in iter_landed(writer.url)}
    assert set(landed) == set(discovered)
    for result in results[:: max(1, len(results) // 20)]:
        rendered = wire_site.site.render(urlsplit(result.url).path, wire_site.base_url)
        assert rendered is not None
        assert read_landed(result.raw_ref or "").body == rendered[2] == landed[result.url].body


def test_discover_the_oldest_day_walks_to_the_last_page(
    wire_site: RunningSite, wire_site_key: list[dict[str, Any]]
) -> None:
    found = discover(wire_site, FIRST_DAY)
    assert found.errors == []
    assert sorted(item.url for item in found.items) == sorted(key_urls(wire_site_key, FIRST_DAY))
    assert found.pages_fetched == wire_site.site.listing_pages()
