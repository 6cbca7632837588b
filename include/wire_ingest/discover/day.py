"""One day's discovery for any source: listing memory, robots.txt, the walk, the link guard."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from wire_ingest import urls
from wire_ingest.discover import memory
from wire_ingest.discover.listings import listing_reader
from wire_ingest.discover.walker import DiscoveryResult, walk_listing
from wire_ingest.http.failures import LINK_REFUSED
from wire_ingest.http.fetch import make_session
from wire_ingest.http.guard import LinkGuard, guard_for
from wire_ingest.http.ratelimit import host_limiter
from wire_ingest.http.robots import RobotsRules
from wire_ingest.landing import LandingWriter
from wire_ingest.models import ListingItem, Rejection
from wire_ingest.settings import FetchSettings
from wire_ingest.sources import Source
from wire_ingest.warehouse.engines import write_transaction


@dataclass(frozen=True, slots=True)
class DayDiscovery:
    """The day's article links (guarded), the refused ones as rejects, and how the walk went."""

    items: list[ListingItem]
    refused: list[Rejection]
    pages_fetched: int
    errors: list[str]
    links_seen: int = 0  # article links on the listing pages walked, of any day (site health)


def discover_day(
    engine: Engine,
    source: Source,
    day: dt.date,
    *,
    base_url: str,
    landing_url: str,
    run_key: str,
    settings: FetchSettings,
    listing_paths: tuple[str, ...] | None = None,
    robots_cache: str | None = None,
) -> DayDiscovery:
    """Walk each of the source's listings back to `day` (robots.txt and the shared per-host rate
    limit obeyed) and remember what was seen; a day an earlier walk saw whole needs no network.

    Every request (listing pages, next-page links, redirects, robots.txt) goes through a session
    guarded by the source's link guard; refused links and pages become `link_refused` rejects.

    For node_suffix listings the walk starts at the deepest page known to hold only newer items
    (the listing memory), and walks again from the top when that page misled it.
    """
    guard = guard_for(source, base_url)
    remembered = memory.remembered_day(engine, source.name, day)
    if remembered is not None:
        return _guarded(source, guard, DiscoveryResult(remembered, 0, []))
    read_listing = listing_reader(source)
    limiter = host_limiter(engine, settings)
    items: dict[str, ListingItem] = {}
    pages = 0
    links_seen: list[ListingItem] = []  # every item of every listing page walked (site health)
    errors: list[str] = []
    refused_pages: list[tuple[str, str]] = []
    seen: list[tuple[list[ListingItem], list[dt.date]]] = []
    with (
        make_session(settings, guard) as session,
        LandingWriter(landing_url, source.name, day, "listing", run_key) as writer,
    ):
        robots = (
            RobotsRules(session=session, settings=settings, limiter=limiter, cache_url=robots_cache)
            if settings.obey_robots
            else None
        )
        for path in listing_paths or source.listing_paths:
            first_url = f"{base_url.rstrip('/')}/{path.lstrip('/')}"
            start_page = 1
            if source.paging == "node_suffix":
                start_page = memory.listing_start_page(engine, source.name, day)
            start_url = urls.listing_page_url(first_url, start_page) if start_page > 1 else None

            def walk(
                start_url: str | None, start_page: int, first_url: str = first_url
            ) -> DiscoveryResult:
                return walk_listing(
                    first_url,
                    day,
                    read_listing=read_listing,
                    session=session,
                    settings=settings,
                    limiter=limiter,
                    writer=writer,
                    start_url=start_url,
                    start_page=start_page,
                    refuse=robots.check if robots is not None else None,
                )

            found = walk(start_url, start_page if start_url else 1)
            if start_url is not None and not found.items:  # the memory misled us: from the top
                again = walk(None, 1)
                found = dataclasses.replace(
                    again, pages_fetched=found.pages_fetched + again.pages_fetched
                )
                start_url = None
            walked = (
                memory.days_walked_through(
                    found.seen, target_day=day, from_first_page=start_url is None
                )
                if not found.errors
                else []
            )
            seen.append((found.seen, walked))
            for item in found.items:
                items.setdefault(urls.same_url_key(item.url), item)
            pages += found.pages_fetched
            links_seen.extend(found.seen)
            errors.extend(found.errors)
            refused_pages.extend(found.refused)
    # Remembered only once the listing pages are landed, and in one transaction: a crash before
    # leaves nothing remembered, so the next run walks (and lands) the listing again.
    with write_transaction(engine) as conn:
        for listing_seen, walked in seen:
            memory.remember_listing(conn, source.name, listing_seen)
            memory.remember_days_walked(conn, source.name, walked)
    whole = DiscoveryResult(
        list(items.values()), pages, errors, seen=links_seen, refused=refused_pages
    )
    return _guarded(source, guard, whole)


def _guarded(source: Source, guard: LinkGuard, found: DiscoveryResult) -> DayDiscovery:
    """Links the guard refuses (other hosts, inward addresses, other schemes) become rejects, as
    do the listing pages (next-page links, redirects) the guarded session refused. Item links
    are judged by URL here; their address is checked when they are fetched."""
    kept: list[ListingItem] = []
    refused = [_refused(source, url, reason) for url, reason in found.refused]
    keys: set[str] = set()
    for listed in found.items:
        # The page is fetched once, without the tracking parameters a link may carry.
        item = dataclasses.replace(listed, url=urls.without_tracking(listed.url))
        key = urls.same_url_key(item.url)
        if key in keys:
            continue
        keys.add(key)
        reason = guard.refusal(item.url)
        if reason is None:
            kept.append(item)
        else:
            refused.append(_refused(source, item.url, reason))
    return DayDiscovery(kept, refused, found.pages_fetched, found.errors, len(found.seen))


def _refused(source: Source, url: str, reason: str) -> Rejection:
    return Rejection(
        feed=source.name, url=url, stage="discover", reason=LINK_REFUSED, message=reason
    )
