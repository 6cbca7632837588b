"""The listing walk: newest first, only as far back as the target day needs, for every paging style."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from wire_ingest import urls
from wire_ingest.discover.listings import ListingReader
from wire_ingest.http.failures import LINK_REFUSED, classify_failure
from wire_ingest.http.fetch import fetch_page, land_page
from wire_ingest.http.ratelimit import HostLimiter
from wire_ingest.landing import LandingWriter
from wire_ingest.models import ListingItem
from wire_ingest.settings import FetchSettings

NO_ARTICLE_LINKS = "has no article links"  # in the error of a listing page that has none


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    items: list[ListingItem]  # unique by URL, in listing order
    pages_fetched: int
    errors: list[str]
    raw_refs: list[str] = field(default_factory=list)  # landed listing pages
    seen: list[ListingItem] = field(default_factory=list)  # every item of every page walked
    refused: list[tuple[str, str]] = field(
        default_factory=list
    )  # (page URL, why) the guard refused


def walk_listing(
    first_url: str,
    day: dt.date,
    *,
    read_listing: ListingReader,
    session: requests.Session,
    settings: FetchSettings,
    limiter: HostLimiter,
    writer: LandingWriter | None,
    start_url: str | None = None,
    start_page: int = 1,
    refuse: Callable[[str], str | None] | None = None,
) -> DiscoveryResult:
    """Collect `day`'s article links, walking listing pages newest first only as far as needed.

    Stops at the first page whose items are all older than `day`, at the last page, or after
    settings.max_listing_pages (an error: the day may be incomplete). A page that fails to fetch
    or has no article links is an error and ends the walk; the caller decides what that means.
    `read_listing` reads a page's links and next page (discover.listings.listing_reader).
    `start_url` starts the walk at a later listing page, number `start_page` (one known to hold
    only newer items).
    `refuse` says why a listing page may not be fetched (robots.txt), or None: a refused page is
    an error and ends the walk, like a failed one. A page the session's link guard refuses (a
    next-page link or redirect aimed elsewhere) ends the walk too and is listed in `refused`.
    """
    target = day.isoformat()
    found: dict[str, ListingItem] = {}
    errors: list[str] = []
    raw_refs: list[str] = []
    visited: set[str] = set()
    seen: list[ListingItem] = []
    refused: list[tuple[str, str]] = []
    url: str | None = start_url or first_url
    url_is_guess = False
    pages_fetched = 0
    while url is not None:
        if pages_fetched >= settings.max_listing_pages:
            errors.append(
                f"stopped after max_listing_pages={settings.max_listing_pages} before reaching "
                f"items older than {target}; the day may be incomplete"
            )
            break
        visited.add(url)
        refusal = refuse(url) if refuse is not None else None
        if refusal is not None:
            if refusal.startswith("link refused"):  # robots.txt of a host the guard refuses
                refused.append((url, refusal))
            errors.append(f"listing page {pages_fetched + 1} ({url}): {refusal}")
            break
        page = fetch_page(session, url, settings=settings, limiter=limiter)
        if not page.result.ok and classify_failure(page.result).reason == LINK_REFUSED:
            refused.append((url, page.result.error or LINK_REFUSED))
            errors.append(f"listing page {pages_fetched + 1} ({url}): {page.result.error}")
            break  # nothing was sent: no page to land
        pages_fetched += 1
        if writer is not None:
            raw_ref = land_page(writer, page).raw_ref
            if raw_ref is not None:
                raw_refs.append(raw_ref)
        result = page.result
        if not result.ok:
            if url_is_guess and result.status == 404:
                break  # a guessed page past the end of the listing
            errors.append(f"listing page {pages_fetched} ({url}): {result.error}")
            break
        listing = read_listing(page.body, result.final_url, start_page + pages_fetched - 1)
        if not listing.items:
            # The first page's node id may be wrong (it is not confirmed) or its layout changed:
            # name the knob rather than report a day of 0 articles.
            errors.append(
                f"listing {url} {NO_ARTICLE_LINKS}: check `wire_listing_path`"
                if pages_fetched == 1
                else f"listing page {pages_fetched} ({url}) {NO_ARTICLE_LINKS}: layout changed?"
            )
            break
        seen.extend(listing.items)
        for item in listing.items:
            if item.page_date == target:
                found.setdefault(urls.same_url_key(item.url), item)
        if all(item.page_date < target for item in listing.items):
            break
        url, url_is_guess = listing.next_url, listing.next_is_guess
        if url is not None and url in visited:
            errors.append(f"listing pagination loops back to {url}")
            break
    return DiscoveryResult(list(found.values()), pages_fetched, errors, raw_refs, seen, refused)
