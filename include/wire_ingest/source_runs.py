"""A declared source's run: discovery by its paging style and adapter, then the shared stages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from wire_ingest import pipeline, settings
from wire_ingest.models import ListingItem, RunContext
from wire_ingest.sources import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListingLinks:
    """Article links of one listing page and the next listing page to read, if any."""

    items: tuple[ListingItem, ...]
    next_url: str | None


ListingReader = Callable[[bytes, str, int], ListingLinks]


def fetch_settings_for(source: Source) -> settings.FetchSettings:
    """The environment's fetch settings, with the source's rate limit and listing depth where
    the environment does not set them (WIRE_MAX_RPS, WIRE_MAX_LISTING_PAGES)."""
    base = settings.FetchSettings.from_env()
    declared: dict[str, Any] = {}
    if not os.environ.get("WIRE_MAX_RPS", "").strip():
        declared["max_requests_per_second"] = source.rate_limit_rps
    if not os.environ.get("WIRE_MAX_LISTING_PAGES", "").strip():
        declared["max_listing_pages"] = source.max_listing_pages
    return dataclasses.replace(base, **declared)


def _news_cn_listing(html: bytes, url: str, number: int) -> ListingLinks:
    from wire_ingest.adapters import news_cn

    page = news_cn.parse_listing(html, url, page_number=number)
    return ListingLinks(page.items, page.next_url)


def _china_org_cn_listing(html: bytes, url: str, number: int) -> ListingLinks:
    from wire_ingest import discover

    page = discover.parse_listing(html, url)
    items = tuple(dataclasses.replace(item, listing_page=number) for item in page.items)
    return ListingLinks(items, page.next_url)


def _generic_listing(source: Source) -> ListingReader:
    """Every link that matches the source's article URL pattern, dated by its URL."""

    def read(html: bytes, url: str, number: int) -> ListingLinks:
        import lxml.html

        from wire_ingest import extract, parse, urls

        document = lxml.html.document_fromstring(parse.decode_html(html))
        found: dict[str, ListingItem] = {}
        for link in document.iter("a"):
            target = urls.canonical_url(urljoin(url, link.get("href") or ""))
            day = extract.url_date(target)
            if day is None or not source.is_article_url(target) or target in found:
                continue
            title = " ".join(link.text_content().split())
            found[target] = ListingItem(target, title, day.isoformat(), number)
        return ListingLinks(tuple(found.values()), None)

    return read


def listing_reader(source: Source) -> ListingReader:
    if source.adapter == "news_cn":
        return _news_cn_listing
    if source.adapter == "china_org_cn":
        return _china_org_cn_listing
    return _generic_listing(source)


def next_listing_url(source: Source, url: str, page: ListingLinks, number: int) -> str | None:
    """The listing page after `url` (page `number`) by the source's paging style."""
    if source.paging == "single":
        return None
    if source.paging == "next_link":
        return page.next_url
    # node_suffix: /x/node_1.htm, /x/node_1_2.htm, /x/node_1_3.htm ...
    match = re.match(r"^(?P<stem>.*?)(?:_\d+)?(?P<ext>\.s?html?)$", url)
    return f"{match['stem']}_{number + 1}{match['ext']}" if match else None


def discover_source_step(
    ctx: RunContext, source: Source, *, fetch_settings: settings.FetchSettings | None = None
) -> dict[str, Any]:
    """Walk each listing of the source newest first; keep the target day's article links.

    Every listing page is asked of the site's robots.txt first (unless `obey_robots` is off).
    """
    from wire_ingest import fetch, fetch_state, load, storage

    fs = fetch_settings or fetch_settings_for(source)
    read_listing = listing_reader(source)
    target = ctx.target_day.isoformat()
    found: dict[str, ListingItem] = {}
    errors: list[str] = []
    pages = 0
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        # the per-host limit every run and task shares through the warehouse, as for articles
        limiter = pipeline._host_limiter(engine, fs)
        with (
            fetch.make_session(fs) as session,
            storage.LandingWriter(
                ctx.landing_url, ctx.feed, ctx.target_day, "listing", pipeline.run_key(ctx.run_id)
            ) as writer,
        ):
            robots = (
                fetch_state.RobotsRules(
                    session=session, settings=fs, limiter=limiter, cache_dir=Path(ctx.work_dir)
                )
                if fs.obey_robots
                else None
            )
            for path in source.listing_paths:
                url: str | None = ctx.base_url + path
                number = 1
                while url is not None and number <= fs.max_listing_pages:
                    refusal = robots.check(url) if robots is not None else None
                    if refusal is not None:
                        errors.append(f"listing {url}: {refusal}")
                        break
                    fetched = fetch.fetch_page(session, url, settings=fs, limiter=limiter)
                    fetch.land_page(writer, fetched)
                    pages += 1
                    if not fetched.result.ok:
                        errors.append(f"listing {url}: {fetched.result.error}")
                        break
                    listing = read_listing(fetched.body, fetched.result.final_url, number)
                    if not listing.items:
                        errors.append(f"listing {url} has no article links: layout changed?")
                        break
                    for item in listing.items:
                        if item.page_date == target and source.is_article_url(item.url):
                            found.setdefault(item.url, item)
                    if all(item.page_date < target for item in listing.items):
                        break
                    url = next_listing_url(source, url, listing, number)
                    number += 1
    finally:
        engine.dispose()
    if errors and not found:
        raise RuntimeError(f"discovery found no articles for {target}: {'; '.join(errors)}")
    for error in errors:
        log.warning("listing: %s", error)
    out = pipeline._work(ctx, "discovered.jsonl")
    count = pipeline._write_jsonl(out, (dataclasses.asdict(i) for i in found.values()))
    pipeline._save_counts(ctx, "discover", {"discovered": count, "listing_pages": pages})
    log.info(
        "discover %s: %d articles for %s from %d listing pages", source.name, count, target, pages
    )
    return {"path": str(out), "count": count}


def run_source_day(
    source: Source,
    day: dt.date,
    *,
    run_id: str,
    base_url: str | None = None,
    warehouse_url: str | None = None,
    landing_url: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
) -> dict[str, Any]:
    """Every stage of one day of a declared source in this process (tests, CLI, benchmarks)."""
    ctx = pipeline.plan_run(
        run_id=run_id,
        target_day=day,
        base_url=base_url or source.base_url,
        warehouse_url=warehouse_url,
        landing_url=landing_url,
        feed=source.name,
    )
    fs = fetch_settings or fetch_settings_for(source)
    discovered = discover_source_step(ctx, source, fetch_settings=fs)
    fetched = pipeline.fetch_step(ctx, discovered["path"], fetch_settings=fs)
    deduped = pipeline.parse_dedupe_step(ctx, fetched["path"])
    validated = pipeline.validate_step(ctx, deduped["path"])  # the feed's declared hosts
    return pipeline.load_step(ctx, validated["path"], dag_id=source.dag)


def site_root(feed: str) -> str:
    """A feed's site root outside Airflow: its Variable from the environment
    (`AIRFLOW_VAR_WIRE_BASE_URL` for the default feed, `AIRFLOW_VAR_WIRE_BASE_URL_<FEED>` for
    the others, as the DAGs read them), else its declared `base_url`, else the live site."""
    from wire_ingest import sources

    variable = "WIRE_BASE_URL" if feed == settings.FEED else f"WIRE_BASE_URL_{feed.upper()}"
    if os.environ.get(f"AIRFLOW_VAR_{variable}"):
        return os.environ[f"AIRFLOW_VAR_{variable}"]
    try:
        return sources.get_source(feed).base_url
    except sources.SourceConfigError:
        return settings.LIVE_BASE_URL


def feed_hosts(feed: str, base_url: str) -> list[str] | None:
    """The hosts a feed's article URLs may have, as its own runs validate them (None: the
    pipeline's default, for a feed that sources.toml does not declare)."""
    from wire_ingest import sources

    try:
        return allowed_hosts(sources.get_source(feed), base_url)
    except sources.SourceConfigError:
        return None


def allowed_hosts(source: Source, base_url: str) -> list[str]:
    """The source's declared hosts plus the host actually read (the local site in tests)."""
    from wire_ingest import urls

    return sorted({*source.allowed_hosts, urls.host_of(base_url)})
