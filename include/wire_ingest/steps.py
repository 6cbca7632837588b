"""The run's stages as plain functions over its work area in the store: what the DAG's tasks (and the CLI) call."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wire_ingest import settings, sources, workfiles
from wire_ingest.landing import Kind, LandedPage, safe_key
from wire_ingest.models import Article, FetchResult, ListingItem, Rejection, RunContext
from wire_ingest.workfiles import (
    all_rejects,
    load_counts,
    read_jsonl,
    run_notes,
    save_counts,
    save_rejects,
    started_at,
    work_path,
    write_jsonl,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from wire_ingest.quality.site_health import SiteHealth

log = logging.getLogger(__name__)

# The dedupe step's story features of its articles, for the load step's grouping of them.
STORY_FEATURES = "story-features.jsonl"


class FetchFailedError(RuntimeError):
    """The day's pages could not be fetched (an outage, or nothing to fetch): the run stops in
    `fetch`, naming the cause, instead of failing later as if the data were bad."""


def _timed(step: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Add the step's own wall seconds to what it returns (`step_seconds`): the work a task did,
    apart from the orchestrator's start-up and bookkeeping around it (see `make bench`)."""

    @functools.wraps(step)
    def timed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        began = time.perf_counter()
        result = step(*args, **kwargs)
        return {**result, "step_seconds": round(time.perf_counter() - began, 3)}

    return timed


def _engine(ctx: RunContext) -> Any:
    """The run's warehouse engine, its schema checked: migrations run at deploy time; only an
    embedded SQLite warehouse that does not exist yet is created on first use."""
    from wire_ingest.warehouse import engines, migrations

    warehouse = engines.make_engine(ctx.warehouse_url)
    if warehouse.dialect.name == "sqlite" and migrations.is_empty(warehouse):
        migrations.migrate(warehouse)
    migrations.check_current(warehouse)
    return warehouse


@_timed
def discover_step(
    ctx: RunContext,
    *,
    listing_path: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
    max_pages: int | None = None,
    reprocess: bool = False,
) -> dict[str, Any]:
    """Walk the source's listings newest-first as far back as the target day needs.

    `listing_path` replaces the source's declared listing paths (the `wire_listing_path`
    Variable); `max_pages` keeps only the first (newest) that many article pages: a quick manual
    trial run. Links the guard refuses become rejects. A reprocess run discovers nothing (it uses
    no network).
    """
    if reprocess:
        path = work_path(ctx, "discovered.jsonl")
        write_jsonl(path, [])
        save_counts(ctx, "discover", {"discovered": 0, "listing_pages": 0})
        return {"path": str(path), "count": 0}
    from wire_ingest.discover import walker
    from wire_ingest.discover.day import discover_day
    from wire_ingest.quality import site_health

    source = sources.get_source(ctx.feed)
    fs = fetch_settings or source.fetch_settings()
    _remove_stale_temps(ctx, "listing")
    engine = _engine(ctx)
    try:
        found = discover_day(
            engine,
            source,
            ctx.target_day,
            base_url=ctx.base_url,
            landing_url=ctx.landing_url,
            run_key=safe_key(ctx.run_id),
            settings=fs,
            listing_paths=(listing_path,) if listing_path else None,
            robots_cache=work_path(ctx, "robots"),
        )
    finally:
        engine.dispose()
    save_rejects(ctx, "discover", found.refused)
    if found.errors and not found.items:
        message = f"discovery found no articles for {ctx.target_day}: {'; '.join(found.errors)}"
        if any(walker.NO_ARTICLE_LINKS in error for error in found.errors):
            drift = site_health.listing_no_links(message)
            record_rejects_and_run(ctx, status="failed", message=str(drift))
            raise site_health.SiteDriftError(drift)
        record_rejects_and_run(ctx, status="failed", message=message)
        raise RuntimeError(message)
    items = found.items if max_pages is None else found.items[: max(0, max_pages)]
    path = work_path(ctx, "discovered.jsonl")
    count = write_jsonl(path, (dataclasses.asdict(item) for item in items))
    counts = {
        "discovered": count,
        "listing_pages": found.pages_fetched,
        "listing_links": found.links_seen,
        # a later listing page without links: the day loads, but may be incomplete (site health)
        "listing_pages_without_links": sum(walker.NO_ARTICLE_LINKS in e for e in found.errors),
    }
    if max_pages is not None:  # a trial run: the fetch step follows no "Off the wire" links
        counts["trial_max_pages"] = max_pages
    save_counts(ctx, "discover", counts)
    for error in found.errors:
        log.warning("listing: %s", error)
    log.info(
        "discover %s: %d articles for %s from %d listing pages",
        ctx.feed,
        count,
        ctx.target_day,
        found.pages_fetched,
    )
    return {"path": str(path), "count": count}


@_timed
def fetch_step(
    ctx: RunContext,
    discovered_path: str,
    *,
    fetch_settings: settings.FetchSettings | None = None,
    reprocess: bool = False,
) -> dict[str, Any]:
    """Fetch every discovered article (and the day's earlier failures) into the landing area.

    Pages an earlier finished run fetched are asked for conditionally (a 304 is not parsed again);
    URLs given up are not fetched; every failure is kept in `fetch_state` and becomes a reject.
    Same-day stories the fetched pages' "Off the wire" boxes link to, and the listing did not
    give, are fetched in a second round (discover.related): a second discovery path.
    A reprocess run fetches nothing: it hands on every article file landed for the day.
    """
    from wire_ingest import landing
    from wire_ingest.discover import related
    from wire_ingest.http.fetch import make_session
    from wire_ingest.http.fetcher import fetch_urls
    from wire_ingest.http.guard import guard_for
    from wire_ingest.http.ratelimit import host_limiter
    from wire_ingest.http.robots import RobotsRules
    from wire_ingest.warehouse import fetch_state

    if reprocess:
        files = landing.landed_files(ctx.landing_url, ctx.feed, ctx.target_day, "articles")
        save_counts(ctx, "fetch", {"fetched": 0, "fetch_failed": 0, "not_modified": 0})
        log.info("reprocess: %d landed article files for %s", len(files), ctx.target_day)
        return {"path": files, "count": len(files)}
    fs = fetch_settings or sources.get_source(ctx.feed).fetch_settings()
    _remove_stale_temps(ctx, "articles")
    discovered = [ListingItem(**row).url for row in read_jsonl(discovered_path)]
    engine = _engine(ctx)
    try:
        retry = fetch_state.urls_to_retry(engine, ctx.feed, ctx.target_day)
        urls = list(dict.fromkeys(discovered + retry))
        states = fetch_state.load_states(engine, ctx.feed, urls)
        given_up = [states[u] for u in urls if u in states and states[u].status == "given_up"]
        skipped = {state.url for state in given_up}
        to_fetch = [u for u in urls if u not in skipped]
        conditional = {u: fetch_state.conditional_headers(states.get(u)) for u in to_fetch}
        limiter = host_limiter(engine, fs)
        guard = guard_for(sources.get_source(ctx.feed), ctx.base_url)
        with make_session(fs, guard) as session:
            robots = None
            if fs.obey_robots:
                robots = RobotsRules(
                    session=session,
                    settings=fs,
                    limiter=limiter,
                    cache_url=work_path(ctx, "robots"),
                )

            def fetch_round(round_urls: list[str], part: str = "") -> tuple[list[Any], str]:
                with landing.LandingWriter(
                    ctx.landing_url,
                    ctx.feed,
                    ctx.target_day,
                    "articles",
                    safe_key(ctx.run_id),
                    part,
                ) as writer:
                    got = fetch_urls(
                        round_urls,
                        settings=fs,
                        writer=writer,
                        limiter=limiter,
                        conditional=conditional,
                        robots=robots,
                        session=session,
                    )
                    return got, writer.url

            outcomes, warc_url = fetch_round(to_fetch)
            warc_urls = [warc_url]
            # Only pages answered 200 can link on (related_articles reads no other), and a page
            # is landed as a 200 response only when its result says 200: a round of 304s (a
            # re-run of a loaded day) has nothing to read, so its WARC is not parsed again.
            answered = any(o.result.status == 200 for o in outcomes)
            if answered and "trial_max_pages" not in load_counts(ctx):
                extra = related.related_articles(
                    sources.get_source(ctx.feed),
                    ctx.target_day,
                    base_url=ctx.base_url,
                    pages=landing.iter_landed(warc_url),
                    known=urls,
                )
                extra_states = fetch_state.load_states(engine, ctx.feed, extra)
                extra = [
                    u for u in extra if getattr(extra_states.get(u), "status", "") != "given_up"
                ]
                if extra:
                    conditional.update(
                        {u: fetch_state.conditional_headers(extra_states.get(u)) for u in extra}
                    )
                    more, more_url = fetch_round(extra, "related")
                    outcomes, warc_urls = outcomes + more, [warc_url, more_url]
                    log.info("fetch: %d more same-day articles from Off the wire boxes", len(extra))
        failures = fetch_state.record_outcomes(
            engine,
            outcomes,
            feed=ctx.feed,
            day=ctx.target_day,
            run_id=ctx.run_id,
            max_runs=fs.max_fetch_runs,
        )
        given_up_now = [url for url, f in failures.items() if f.given_up_reason is not None]
        day_failures = fetch_state.day_failures(
            engine, ctx.feed, ctx.target_day, given_up_now=given_up_now
        )
    finally:
        engine.dispose()
    results = [o.result for o in outcomes]
    failed = [r for r in results if not r.ok]
    not_modified = sum(r.ok and r.status == 304 for r in results)
    write_jsonl(work_path(ctx, "fetched.jsonl"), (dataclasses.asdict(r) for r in results))
    rejections = [_fetch_rejection(ctx, r, failures.get(r.url)) for r in failed]
    rejections += [_given_up_rejection(ctx, state) for state in given_up]
    save_rejects(ctx, "fetch", rejections)
    counts = {
        "fetched": len(results) - len(failed) - not_modified,
        "fetch_failed": len(rejections),
        "not_modified": not_modified,
    }
    save_counts(ctx, "fetch", counts)
    log.info(
        "fetch: %d fetched, %d not modified, %d failed (%d given up earlier)",
        counts["fetched"],
        not_modified,
        counts["fetch_failed"],
        len(given_up),
    )
    failure = _fetch_failure(ctx, discovered, day_failures)
    if failure:
        # The rejects and the run's row are recorded first: the failure is visible in the
        # warehouse, and a retry of `fetch` redoes the fetch.
        record_rejects_and_run(ctx, status="failed", message=failure)
        raise FetchFailedError(failure)
    path: str | list[str] = warc_urls if len(warc_urls) > 1 else warc_url
    return {"path": path, "count": counts["fetched"]}


def _fetch_failure(ctx: RunContext, discovered: list[str], failures: Any) -> str:
    """Why the fetch must fail the run, or "" when it need not."""
    if not discovered and failures.total == 0:
        return (
            f"discovery found no articles for {ctx.target_day} ({ctx.feed}): "
            "the listing had none for the day"
        )
    limit = settings.max_fetch_failure_share()
    if failures.share <= limit:
        return ""
    causes = ", ".join(f"{reason} x{n}" for reason, n in failures.reasons.items())
    example = f"; e.g. {failures.example}" if failures.example else ""
    return (
        f"fetch failed for {failures.failed} of {failures.total} article pages of "
        f"{ctx.target_day} ({ctx.feed}, {failures.share:.1%}; the limit "
        f"WIRE_MAX_FETCH_FAILURE_SHARE is {limit:.1%}): {causes}{example}"
    )


def _remove_stale_temps(ctx: RunContext, kind: Kind) -> None:
    """A killed earlier attempt left its unfinished landing file behind: nothing else removes it."""
    from wire_ingest import landing

    removed = landing.remove_stale_temps(
        ctx.landing_url, ctx.feed, ctx.target_day, kind, safe_key(ctx.run_id)
    )
    if removed:
        log.info("landing: removed %d stale temp files: %s", len(removed), ", ".join(removed))


def _fetch_rejection(ctx: RunContext, result: FetchResult, failure: Any = None) -> Rejection:
    details: dict[str, Any] = {"status": result.status, "attempts": result.attempts}
    if failure is not None:
        details.update(
            failed_runs=failure.failed_runs,
            given_up=failure.given_up_reason is not None,
            given_up_reason=failure.given_up_reason,
        )
    return Rejection(
        feed=ctx.feed,
        url=result.url,
        stage="fetch",
        reason=failure.reason if failure is not None else "fetch_failed",
        message=result.error or f"HTTP {result.status}",
        details=details,
        raw_ref=result.raw_ref,
    )


def _given_up_rejection(ctx: RunContext, state: Any) -> Rejection:
    return Rejection(
        feed=ctx.feed,
        url=state.url,
        stage="fetch",
        reason=state.error_reason or "fetch_failed",
        message=state.given_up_reason or "given up",
        details={
            "failed_runs": state.failed_runs,
            "attempts": state.attempts,
            "given_up": True,
            "given_up_reason": state.given_up_reason,
        },
    )


def parse_landed_page(ctx: RunContext, page: LandedPage, read_page: Any) -> Article | Rejection:
    """One landed page read by the feed's adapter, or the parse rejection saying why it is none."""
    from wire_ingest.adapters import NotAnArticle

    try:
        article: Article = read_page(
            page.body, page.url, charset=page.charset, raw_ref=page.raw_ref
        )
    except NotAnArticle as exc:
        return Rejection(
            feed=ctx.feed,
            url=page.url,
            stage="parse",
            reason=exc.reason,
            message=str(exc),
            raw_ref=page.raw_ref,
        )
    return article


@_timed
def parse_step(ctx: RunContext, warc_urls: str | list[str]) -> dict[str, Any]:
    """Parse every landed article page of the run into articles; record pages that are not articles."""
    from wire_ingest import adapters, landing
    from wire_ingest.adapters import refusal
    from wire_ingest.models import FALLBACK

    read_page = adapters.reader_for_source(sources.get_source(ctx.feed))
    articles: list[Article] = []
    rejections: list[Rejection] = []
    for warc_url in [warc_urls] if isinstance(warc_urls, str) else warc_urls:
        for page in landing.iter_landed(warc_url):
            if page.status != 200:
                continue  # not a body to parse; the fetch stage recorded why
            parsed = parse_landed_page(ctx, page, read_page)
            if isinstance(parsed, Article):
                articles.append(parsed)
            else:
                rejections.append(parsed)
    repeated = refusal.repeated_short_pages(articles)  # a template at many URLs: no story
    rejections += [
        Rejection(
            feed=ctx.feed,
            url=a.url,
            stage="parse",
            reason=refusal.SOFT_404,
            message=f"an error page, not an article: {repeated[a.url]}",
            raw_ref=a.raw_ref,
        )
        for a in articles
        if a.url in repeated
    ]
    articles = [a for a in articles if a.url not in repeated]
    path = work_path(ctx, "parsed.jsonl")
    write_jsonl(path, (a.to_dict() for a in articles))
    save_rejects(ctx, "parse", rejections)
    fallback = sum(1 for a in articles if a.extraction == FALLBACK)
    empty = sum(1 for r in rejections if r.reason in refusal.REQUIRED_FIELD_REASONS)
    save_counts(
        ctx,
        "parse",
        {
            "parsed": len(articles),
            "parse_failed": len(rejections),
            "fallback": fallback,
            "empty_required": empty,
        },
    )
    log.info("parse: %d articles, %d pages not articles", len(articles), len(rejections))
    check_site_health(ctx)
    return {"path": str(path), "count": len(articles)}


def check_site_health(ctx: RunContext) -> SiteHealth:
    """The run's site health over the pages it parsed (quality.site_health), kept for its
    ingest_runs row; each drift signal is logged, put in the run's message and sent as one
    `site_drift` alert (the run still loads: the symptom is a warning, not a block)."""
    from wire_ingest.quality import site_health

    baseline, trailing = site_health.feed_history(
        ctx.warehouse_url, ctx.feed, exclude_run=ctx.run_id
    )
    health = site_health.assess(load_counts(ctx), baseline_fallback=baseline, trailing=trailing)
    workfiles.write_text(work_path(ctx, "site_health.json"), json.dumps(health.to_dict()))
    notes = work_path(ctx, "notes.txt")  # goes into the run's ingest_runs.message
    workfiles.remove(notes)  # a retried task says only what holds now
    if health.signals:
        text = "; ".join(str(signal) for signal in health.signals)
        log.warning("parse: %s", text)
        workfiles.write_text(notes, text)
        from wire_ingest import alerts

        dag_id = sources.get_source(ctx.feed).dag
        alerts.send(
            alerts.site_drift_alert(
                dag_id, ctx.run_id, text, feed=ctx.feed, target_day=ctx.target_day.isoformat()
            )
        )
    return health


@_timed
def dedupe_step(ctx: RunContext, parsed_path: str) -> dict[str, Any]:
    """Merge repeats of one URL and mark copies of a known body as duplicates (they still load)."""
    from wire_ingest.dedupe import exact, stories

    articles = [Article.from_dict(row) for row in read_jsonl(parsed_path)]
    engine = _engine(ctx)
    try:
        result = exact.dedupe_with_warehouse(engine, articles)
    finally:
        engine.dispose()
    path = work_path(ctx, "deduped.jsonl")
    write_jsonl(path, (a.to_dict() for a in result.articles))
    if result.stories is not None:
        write_jsonl(work_path(ctx, STORY_FEATURES), stories.features_rows(result.stories))
    save_counts(
        ctx, "dedupe", {"duplicates": result.duplicates, "same_url_merged": result.same_url_merged}
    )
    log.info(
        "dedupe: %d articles, %d duplicates of known bodies",
        len(result.articles),
        result.duplicates,
    )
    return {"path": str(path), "count": len(result.articles)}


def parse_dedupe_step(ctx: RunContext, warc_urls: str | list[str]) -> dict[str, Any]:
    """Parse the landed pages, then merge repeats and mark duplicates: the DAGs' `parse_dedupe`
    task. Both are local, quick and idempotent, and in Airflow a task of its own costs about as
    much start-up and scheduling as the two take together (see `make bench`)."""
    parsed = parse_step(ctx, warc_urls)
    deduped = dedupe_step(ctx, parsed["path"])
    return {
        **deduped,
        "parsed": parsed["count"],
        "parsed_path": parsed["path"],
        "dedupe_seconds": deduped["step_seconds"],
        "step_seconds": round(parsed["step_seconds"] + deduped["step_seconds"], 3),
    }


@_timed
def validate_step(
    ctx: RunContext, deduped_path: str, *, batch_checks: bool = True
) -> dict[str, Any]:
    """Run the GX suite; passing rows go on, failing rows become rejects; too many fails the run.

    batch_checks=False (replay of a few rejects) skips the day-level band and reject-share gate.
    """
    from wire_ingest.quality import data_docs, validation

    articles = [Article.from_dict(row) for row in read_jsonl(deduped_path)]
    hosts = sources.get_source(ctx.feed).hosts_for(ctx.base_url)
    result = validation.validate_articles(
        articles, target_day=ctx.target_day, allowed_hosts=hosts, run_id=ctx.run_id, feed=ctx.feed
    )
    path = work_path(ctx, "validated.jsonl")
    write_jsonl(path, (a.to_dict() for a in result.passed))
    save_rejects(ctx, "validate", result.rejected)
    save_counts(
        ctx, "validate", {"rejected": len(result.rejected), "validated": len(result.passed)}
    )
    low, high = sources.get_source(ctx.feed).day_article_band()
    day = _day_rows(ctx, articles) if batch_checks else None  # 304 pages are in it as loaded
    check = validation.check_batch(
        result,
        min_rows=low if batch_checks else 0,
        max_rows=high if batch_checks else max(high, len(articles)),
        max_reject_share=settings.max_reject_share() if batch_checks else 1.0,
        feed=ctx.feed,
        day=day,
        run_id=ctx.run_id,
    )
    # The counts the run's ingest_runs row will hold (what the Data quality tab shows): as they
    # stand now, and the batch's rows as loaded when its expectations are met.
    counts = run_counts(ctx)
    counts["loaded"] = len(result.passed) if check.success else 0
    built = data_docs.build_validation_docs(
        ctx, result, check, counts=data_docs.docs_counts(counts)
    )
    log.info(
        "validate: %d passed, %d rejected; batch expectations %s; data docs %s",
        len(result.passed),
        len(result.rejected),
        "met" if check.success else f"failed ({len(check.failures)})",
        built or "not built",
    )
    try:
        validation.raise_for_batch(check, run_id=ctx.run_id)
    except validation.BatchValidationError as exc:
        # The rejects are recorded before the run fails, so nothing is lost and the reason is visible.
        record_rejects_and_run(ctx, status="failed", message=str(exc))
        raise
    return {"path": str(path), "count": len(result.passed)}


def _day_rows(ctx: RunContext, batch: list[Article]) -> Any:
    """What the day holds besides this batch (unchanged pages answered 304 are in it): the
    gate judges the day, so a re-run that recovers a page can only improve it."""
    from wire_ingest.quality.validation import DayRows
    from wire_ingest.warehouse import queries

    urls = {u for a in batch for u in (a.url, a.canonical_url)}
    engine = _engine(ctx)
    try:
        held = queries.day_holdings(engine, ctx.feed, ctx.target_day, batch_urls=urls)
    finally:
        engine.dispose()
    return DayRows(
        loaded=held.loaded, open_rejects=held.open_rejects, judged_share=held.judged_share
    )


@_timed
def load_step(
    ctx: RunContext, validated_path: str, *, dag_id: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Upsert the validated articles, record every reject and the run's counts.

    `dry_run`: write nothing to the warehouse; return the counts the run would have loaded.
    """
    from wire_ingest.dedupe import exact, stories
    from wire_ingest.warehouse import fetch_state, load
    from wire_ingest.warehouse.engines import write_transaction

    validated = [Article.from_dict(row) for row in read_jsonl(validated_path)]
    if dry_run:
        summary: dict[str, Any] = dict(load_counts(ctx))
        summary.update(
            status="dry_run",
            target_day=ctx.target_day.isoformat(),
            loaded=0,
            would_load=len(validated),
            rejected=len(all_rejects(ctx)),
        )
        log.info("load (dry run): would load %d articles; nothing written", len(validated))
        return summary
    engine = _engine(ctx)
    try:
        # Validation may have rejected a body's first copy: point duplicates only at rows that exist.
        # Other runs may have loaded since: the grouping is done again, on the dedupe step's
        # features of the same articles (none when its file is missing: they are computed).
        handed_over = read_jsonl(work_path(ctx, STORY_FEATURES), missing_ok=True)
        final = exact.dedupe_with_warehouse(
            engine, validated, stories.features_from_rows(handed_over)
        )
        fetched = read_jsonl(work_path(ctx, "fetched.jsonl"), missing_ok=True)  # none: reprocess
        done = [  # what the run fetched may be asked conditionally once the run is loaded
            row["url"] for row in fetched if row["ok"] and row["status"] == 200
        ]
        # One transaction for the rows and everything derived from them (the story index, the
        # fetch state "done" that makes later runs ask conditionally, the rejects and the run's
        # row): a crash leaves all or nothing, so a re-run answered 304 never misses a part.
        with write_transaction(engine) as conn:
            counts = load.load_articles(
                conn, final.articles, run_id=ctx.run_id, repoint=final.repoint
            )
            fetch_state.mark_done(conn, ctx.feed, done)
            if final.stories is not None:
                stories.record_stories(conn, final.stories)  # the LSH index and merged stories
            save_counts(
                ctx,
                "load",
                {
                    "loaded": len(final.articles),
                    "inserted": counts.inserted,
                    "updated": counts.updated,
                    "duplicates": final.duplicates,
                },
            )
            summary = record_rejects_and_run(ctx, status="success", dag_id=dag_id, bind=conn)
    finally:
        engine.dispose()
    log.info(
        "load: %d loaded (%d new, %d updated, %d unchanged)",
        len(final.articles),
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    return summary


def record_rejects_and_run(
    ctx: RunContext,
    *,
    status: str,
    message: str = "",
    dag_id: str | None = None,
    bind: Connection | None = None,
) -> dict[str, Any]:
    """Write the run's rejects and its ``ingest_runs`` row; return the run's counts.

    `bind`: a connection in the caller's transaction (the load's); else a transaction of its own.
    """
    import datetime as dt

    from wire_ingest.warehouse import load, tables
    from wire_ingest.warehouse.engines import write_transaction

    if bind is None:
        engine = _engine(ctx)
        try:
            with write_transaction(engine) as conn:
                return record_rejects_and_run(
                    ctx, status=status, message=message, dag_id=dag_id, bind=conn
                )
        finally:
            engine.dispose()
    rejections = all_rejects(ctx)
    counts = run_counts(ctx, rejections)
    health = workfiles.read_text(work_path(ctx, "site_health.json"))  # from the parse step
    load.record_rejections(bind, rejections, run_id=ctx.run_id, target_day=ctx.target_day)
    run = load.IngestRun(
        run_id=ctx.run_id,
        dag_id=dag_id or sources.get_source(ctx.feed).dag,
        feed=ctx.feed,
        target_day=ctx.target_day,
        status=status,
        started_at=started_at(ctx),
        finished_at=dt.datetime.now(dt.UTC),
        message="; ".join(m for m in (message, run_notes(ctx)) if m),
        site_health=json.loads(health) if health else None,
        **{k: counts.get(k, 0) for k in tables.RUN_COUNT_FIELDS},
    )
    load.record_run(bind, run)
    summary: dict[str, Any] = {k: counts.get(k, 0) for k in tables.RUN_COUNT_FIELDS}
    summary.update(status=status, target_day=ctx.target_day.isoformat())
    return summary


def run_counts(ctx: RunContext, rejections: list[Rejection] | None = None) -> dict[str, int]:
    """The run's counts so far as its ingest_runs row records them: what each stage saved, and
    `rejected` = every reject of the run (any stage)."""
    counts = load_counts(ctx)
    counts["rejected"] = len(all_rejects(ctx) if rejections is None else rejections)
    return counts


def run_day(
    ctx: RunContext,
    *,
    listing_path: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
    reprocess: bool = False,
) -> dict[str, Any]:
    """Every stage of one day of the run's source in this process: the DAG's work without
    Airflow (CLI, benchmarks). With `reprocess`, the day is parsed and loaded again from its
    landing area alone (no network)."""
    discovered = discover_step(
        ctx, listing_path=listing_path, fetch_settings=fetch_settings, reprocess=reprocess
    )
    fetched = fetch_step(
        ctx, discovered["path"], fetch_settings=fetch_settings, reprocess=reprocess
    )
    deduped = parse_dedupe_step(ctx, fetched["path"])
    validated = validate_step(ctx, deduped["path"])
    return load_step(ctx, validated["path"])
