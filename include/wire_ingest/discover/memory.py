"""Listing memory: what earlier walks saw, where a day's walk can start, days seen whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wire_ingest.models import ListingItem
from wire_ingest.warehouse.engines import Bind, dialect_insert, write_transaction
from wire_ingest.warehouse.tables import listing_days_walked, listing_items_seen


def remember_listing(
    engine: Bind, feed: str, items: Sequence[ListingItem], *, now: dt.datetime | None = None
) -> int:
    """Keep what a listing walk saw (URL, page date, listing page) for later walks."""
    at = now or dt.datetime.now(dt.UTC)
    latest: dict[str, ListingItem] = {}
    for item in items:
        latest[item.url] = item
    if not latest:
        return 0
    rows = [
        {
            "feed": feed,
            "url": url,
            "page_date": dt.date.fromisoformat(item.page_date),
            "listing_page": item.listing_page,
            "title": item.title,
            "first_seen_at": at,
            "last_seen_at": at,
        }
        for url, item in sorted(latest.items())
    ]
    t = listing_items_seen
    with write_transaction(engine) as conn:
        insert = dialect_insert(conn, t)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "url"],
                set_={
                    "page_date": insert.excluded.page_date,
                    "listing_page": insert.excluded.listing_page,
                    "title": insert.excluded.title,
                    "last_seen_at": insert.excluded.last_seen_at,
                },
            ),
            rows,
        )
    return len(rows)


def listing_start_page(engine: Engine, feed: str, day: dt.date) -> int:
    """The deepest listing page known to hold an item newer than `day` (1 if none is known).

    The listing only grows at the top, so items move to later pages, never earlier ones: every
    page before that one held (and still holds) only items newer than `day`.
    """
    t = listing_items_seen
    query = sa.select(sa.func.max(t.c.listing_page)).where(t.c.feed == feed, t.c.page_date > day)
    with engine.connect() as conn:
        deepest = conn.execute(query).scalar_one_or_none()
    return int(deepest) if deepest else 1


# A day's links are final only some hours after it ended (late pages, listing delays).
WALKED_DAY_GRACE = dt.timedelta(hours=6)


BEIJING = dt.timezone(dt.timedelta(hours=8))


def days_walked_through(
    seen: Sequence[ListingItem],
    *,
    target_day: dt.date,
    from_first_page: bool,
    now: dt.datetime | None = None,
) -> list[dt.date]:
    """Days a finished walk saw completely: it went past them (saw an older day), it began where
    they begin (page 1, or the target day's start page for the target and older days), and the
    day had ended `WALKED_DAY_GRACE` before the walk."""
    if not seen:
        return []
    dates = {dt.date.fromisoformat(item.page_date) for item in seen}
    oldest = min(dates)
    settled = ((now or dt.datetime.now(dt.UTC)).astimezone(BEIJING) - WALKED_DAY_GRACE).date()
    return sorted(d for d in dates if oldest < d < settled and (from_first_page or d <= target_day))


def remember_days_walked(
    engine: Bind, feed: str, days: Sequence[dt.date], *, now: dt.datetime | None = None
) -> None:
    if not days:
        return
    at = now or dt.datetime.now(dt.UTC)
    t = listing_days_walked
    with write_transaction(engine) as conn:
        insert = dialect_insert(conn, t)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "day"], set_={"walked_at": insert.excluded.walked_at}
            ),
            [{"feed": feed, "day": day, "walked_at": at} for day in days],
        )


def remembered_day(engine: Engine, feed: str, day: dt.date) -> list[ListingItem] | None:
    """The day's links when an earlier walk saw the whole day (None: walk the listing)."""
    walked = sa.select(listing_days_walked.c.day).where(
        listing_days_walked.c.feed == feed, listing_days_walked.c.day == day
    )
    t = listing_items_seen
    items = (
        sa.select(t.c.url, t.c.title, t.c.listing_page)
        .where(t.c.feed == feed, t.c.page_date == day)
        .order_by(t.c.listing_page, t.c.url)
    )
    with engine.connect() as conn:
        if conn.execute(walked).first() is None:
            return None
        return [
            ListingItem(
                url=r.url, title=r.title, page_date=day.isoformat(), listing_page=r.listing_page
            )
            for r in conn.execute(items)
        ]
