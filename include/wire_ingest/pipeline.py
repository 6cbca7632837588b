"""The run's stages as plain functions over a work folder: what the DAG's tasks (and the CLI) call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from wire_ingest import settings
from wire_ingest.models import Article, FetchResult, ListingItem, Rejection, RunContext

if TYPE_CHECKING:
    from wire_ingest import adapters, storage

log = logging.getLogger(__name__)

BEIJING = dt.timezone(dt.timedelta(hours=8))  # fixed offset: no DST in China since 1991


# ---------------------------------------------------------------- run planning (pure)


def target_day_for(
    *,
    param_day: str | None = None,
    logical_date: dt.datetime | None = None,
    run_after: dt.datetime | None = None,
) -> dt.date:
    """The one day a run covers.

    An explicit ``day`` param wins. Otherwise the logical date in Beijing time: the DAG's
    CronDataIntervalTimetable makes a scheduled run's logical date the start of the day that has
    just ended, a backfill's runs the days asked for, and a manual run's the date it was given.
    A run without a logical date (Airflow 3 allows that) covers the day before it ran.
    """
    if param_day:
        return dt.date.fromisoformat(str(param_day))
    if logical_date is not None:
        return logical_date.astimezone(BEIJING).date()
    if run_after is not None:
        return run_after.astimezone(BEIJING).date() - dt.timedelta(days=1)
    raise ValueError("a run needs a day param, a logical date or a run_after time")


def run_key(run_id: str) -> str:
    """A filesystem- and URL-safe form of an Airflow run id."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("_") or "run"


def warehouse_url_from_connection(
    *,
    conn_type: str | None,
    host: str | None,
    schema: str | None = None,
    login: str | None = None,
    password: str | None = None,
    port: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """SQLAlchemy URL for the Airflow connection ``wire_warehouse`` (sqlite or postgres)."""
    kind = (conn_type or "").lower()
    if kind == "sqlite":
        # Airflow parses sqlite:////abs/path.db into schema="/abs/path.db"; the UI form uses host.
        path = host or schema
        if not path:
            raise ValueError("a sqlite wire_warehouse connection needs the database file's path")
        return f"sqlite:///{path}"
    if kind.startswith("postgres"):
        auth = ""
        if login:
            auth = quote(login, safe="")
            if password:
                auth += ":" + quote(password, safe="")
            auth += "@"
        netloc = f"{auth}{host or 'localhost'}" + (f":{port}" if port else "")
        query = urlencode({k: str(v) for k, v in (extra or {}).items()})
        return f"postgresql+psycopg://{netloc}/{schema or ''}" + (f"?{query}" if query else "")
    raise ValueError(
        f"wire_warehouse connection type {conn_type!r} is not supported (sqlite, postgres)"
    )


def plan_run(
    *,
    run_id: str,
    target_day: dt.date,
    base_url: str | None = None,
    warehouse_url: str | None = None,
    landing_url: str | None = None,
    feed: str = settings.FEED,
) -> RunContext:
    """Fix everything a run needs, and make its work folder."""
    work_dir = settings.data_dir() / "work" / feed / target_day.isoformat() / run_key(run_id)
    work_dir.mkdir(parents=True, exist_ok=True)
    started = work_dir / "started_at"
    if not started.exists():  # kept across task retries: the run started when it was first planned
        started.write_text(dt.datetime.now(dt.UTC).isoformat())
    return RunContext(
        run_id=run_id,
        target_day=target_day,
        feed=feed,
        base_url=(base_url or settings.LIVE_BASE_URL).rstrip("/"),
        warehouse_url=warehouse_url or settings.default_warehouse_url(),
        work_dir=str(work_dir),
        landing_url=(landing_url or settings.default_landing_url()).rstrip("/"),
    )


def context_to_dict(ctx: RunContext) -> dict[str, str]:
    data = dataclasses.asdict(ctx)
    data["target_day"] = ctx.target_day.isoformat()
    return data


def context_from_dict(data: Mapping[str, Any]) -> RunContext:
    values = dict(data)
    values["target_day"] = dt.date.fromisoformat(str(values["target_day"]))
    return RunContext(**values)


# ---------------------------------------------------------------- stage files


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    tmp.replace(path)  # a killed task never leaves a half-written stage file under its real name
    return count


def _read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as src:
        for line in src:
            if line.strip():
                yield json.loads(line)


def _work(ctx: RunContext, name: str) -> Path:
    return Path(ctx.work_dir) / name


def _save_counts(ctx: RunContext, stage: str, counts: Mapping[str, int]) -> None:
    _work(ctx, f"counts-{stage}.json").write_text(json.dumps(dict(counts), sort_keys=True))


def _load_counts(ctx: RunContext) -> dict[str, int]:
    merged: dict[str, int] = {}
    for path in sorted(Path(ctx.work_dir).glob("counts-*.json")):
        merged.update(json.loads(path.read_text()))
    return merged


def _rejects(ctx: RunContext, stage: str, rejections: Iterable[Rejection]) -> int:
    return _write_jsonl(_work(ctx, f"rejects-{stage}.jsonl"), (r.to_dict() for r in rejections))


def _all_rejects(ctx: RunContext) -> list[Rejection]:
    found: list[Rejection] = []
    for path in sorted(Path(ctx.work_dir).glob("rejects-*.jsonl")):
        found.extend(Rejection.from_dict(row) for row in _read_jsonl(path))
    return found


# ---------------------------------------------------------------- stages


def _timed(step: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Add the step's own wall seconds to what it returns (`step_seconds`): the work a task did,
    apart from the orchestrator's start-up and bookkeeping around it (see `make bench`)."""

    @functools.wraps(step)
    def timed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        began = time.perf_counter()
        result = step(*args, **kwargs)
        return {**result, "step_seconds": round(time.perf_counter() - began, 3)}

    return timed


@_timed
def discover_step(
    ctx: RunContext,
    *,
    listing_path: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
    max_pages: int | None = None,
    reprocess: bool = False,
) -> dict[str, Any]:
    """Walk the listing newest-first as far back as the target day needs; keep the listing pages.

    `max_pages` keeps only the first (newest) that many article pages: a quick manual trial run.
    The walk starts where the listing memory says the day can begin (see fetch_state); links to
    other hosts become rejects. A reprocess run discovers nothing (it uses no network).
    """
    if reprocess:
        path = _work(ctx, "discovered.jsonl")
        _write_jsonl(path, [])
        _save_counts(ctx, "discover", {"discovered": 0, "listing_pages": 0})
        return {"path": str(path), "count": 0}
    fs = fetch_settings or settings.FetchSettings.from_env()
    found, refused = _walk_listing(ctx, listing_path or settings.DEFAULT_LISTING_PATH, fs)
    _rejects(ctx, "discover", refused)
    if found.errors and not found.items:
        raise RuntimeError(
            f"discovery found no articles for {ctx.target_day}: {'; '.join(found.errors)}"
        )
    items = found.items if max_pages is None else found.items[: max(0, max_pages)]
    path = _work(ctx, "discovered.jsonl")
    count = _write_jsonl(path, (dataclasses.asdict(item) for item in items))
    _save_counts(ctx, "discover", {"discovered": count, "listing_pages": found.pages_fetched})
    for error in found.errors:
        log.warning("listing: %s", error)
    log.info(
        "discover: %d articles for %s from %d listing pages",
        count,
        ctx.target_day,
        found.pages_fetched,
    )
    return {"path": str(path), "count": count}


def _host_limiter(engine: Any, fs: settings.FetchSettings) -> Any:
    """The per-host limiter every run shares through the warehouse (in-process when off)."""
    from wire_ingest import fetch, fetch_state

    if fs.max_requests_per_second <= 0:
        return fetch.RateLimiter(0)
    return fetch_state.SharedRateLimiter(engine, fs.max_requests_per_second)


def _walk_listing(
    ctx: RunContext, listing_path: str, fs: settings.FetchSettings
) -> tuple[Any, list[Rejection]]:
    """Discover the day (robots.txt and the shared rate limit obeyed), remember what was seen."""
    from wire_ingest import discover, fetch, fetch_state, load, storage

    first_page = discover.listing_start_url(ctx.base_url, listing_path)
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        remembered = fetch_state.remembered_day(engine, ctx.feed, ctx.target_day)
        if remembered is not None:  # an earlier walk saw the whole (settled) day: no network
            return _keep_own_links(ctx, discover.DiscoveryResult(remembered, 0, []))
        limiter = _host_limiter(engine, fs)
        start_page = fetch_state.listing_start_page(engine, ctx.feed, ctx.target_day)
        with (
            fetch.make_session(fs) as session,
            storage.LandingWriter(
                ctx.landing_url, ctx.feed, ctx.target_day, "listing", run_key(ctx.run_id)
            ) as writer,
        ):
            # every listing page the walk would fetch is asked of robots.txt first
            refuse = (
                fetch_state.RobotsRules(
                    session=session, settings=fs, limiter=limiter, cache_dir=Path(ctx.work_dir)
                ).check
                if fs.obey_robots
                else None
            )

            def walk(start_url: str | None) -> Any:
                return discover.discover_day(
                    ctx.base_url,
                    listing_path,
                    ctx.target_day,
                    session=session,
                    settings=fs,
                    limiter=limiter,
                    writer=writer,
                    start_url=start_url,
                    refuse=refuse,
                )

            found = walk(
                fetch_state.listing_page_url(first_page, start_page) if start_page > 1 else None
            )
            if start_page > 1 and not found.items:  # the memory misled us: walk from the top
                again = walk(None)
                found = dataclasses.replace(
                    again, pages_fetched=found.pages_fetched + again.pages_fetched
                )
                start_page = 1
        fetch_state.remember_listing(engine, ctx.feed, found.seen)
        if not found.errors:
            walked = fetch_state.days_walked_through(
                found.seen, target_day=ctx.target_day, from_first_page=start_page == 1
            )
            fetch_state.remember_days_walked(engine, ctx.feed, walked)
    finally:
        engine.dispose()
    return _keep_own_links(ctx, found)


def _keep_own_links(ctx: RunContext, found: Any) -> tuple[Any, list[Rejection]]:
    """Links to other hosts (or inward addresses) are dropped; each becomes a reject."""
    from wire_ingest import fetch_state

    local = fetch_state.is_local_source(ctx.base_url)
    hosts = _allowed_hosts(ctx.feed, ctx.base_url)
    kept: list[ListingItem] = []
    refused: list[Rejection] = []
    for item in found.items:
        reason = fetch_state.link_refusal(item.url, allowed_hosts=hosts, local_source=local)
        if reason is None:
            kept.append(item)
        else:
            refused.append(
                Rejection(
                    feed=ctx.feed,
                    url=item.url,
                    stage="discover",
                    reason="link_refused",
                    message=reason,
                )
            )
    return dataclasses.replace(found, items=kept), refused


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
    A reprocess run fetches nothing: it hands on every article file landed for the day.
    """
    from wire_ingest import fetch, fetch_state, load, storage

    if reprocess:
        files = storage.landed_files(ctx.landing_url, ctx.feed, ctx.target_day, "articles")
        _save_counts(ctx, "fetch", {"fetched": 0, "fetch_failed": 0, "not_modified": 0})
        log.info("reprocess: %d landed article files for %s", len(files), ctx.target_day)
        return {"path": files, "count": len(files)}
    fs = fetch_settings or settings.FetchSettings.from_env()
    discovered = [ListingItem(**row).url for row in _read_jsonl(discovered_path)]
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        retry = fetch_state.urls_to_retry(engine, ctx.feed, ctx.target_day)
        urls = list(dict.fromkeys(discovered + retry))
        states = fetch_state.load_states(engine, ctx.feed, urls)
        given_up = [states[u] for u in urls if u in states and states[u].status == "given_up"]
        skipped = {state.url for state in given_up}
        to_fetch = [u for u in urls if u not in skipped]
        conditional = {u: fetch_state.conditional_headers(states.get(u)) for u in to_fetch}
        limiter = _host_limiter(engine, fs)
        with (
            fetch.make_session(fs) as session,
            storage.LandingWriter(
                ctx.landing_url, ctx.feed, ctx.target_day, "articles", run_key(ctx.run_id)
            ) as writer,
        ):
            robots = None
            if fs.obey_robots:
                robots = fetch_state.RobotsRules(
                    session=session, settings=fs, limiter=limiter, cache_dir=Path(ctx.work_dir)
                )
            outcomes = fetch_state.fetch_urls(
                to_fetch,
                settings=fs,
                writer=writer,
                limiter=limiter,
                conditional=conditional,
                robots=robots,
                session=session,
            )
            warc_url = writer.url
        failures = fetch_state.record_outcomes(
            engine,
            outcomes,
            feed=ctx.feed,
            day=ctx.target_day,
            run_id=ctx.run_id,
            max_runs=fs.max_fetch_runs,
        )
    finally:
        engine.dispose()
    results = [o.result for o in outcomes]
    failed = [r for r in results if not r.ok]
    not_modified = sum(r.ok and r.status == 304 for r in results)
    _write_jsonl(_work(ctx, "fetched.jsonl"), (dataclasses.asdict(r) for r in results))
    rejections = [_fetch_rejection(ctx, r, failures.get(r.url)) for r in failed]
    rejections += [_given_up_rejection(ctx, state) for state in given_up]
    _rejects(ctx, "fetch", rejections)
    counts = {
        "fetched": len(results) - len(failed) - not_modified,
        "fetch_failed": len(rejections),
        "not_modified": not_modified,
    }
    _save_counts(ctx, "fetch", counts)
    log.info(
        "fetch: %d fetched, %d not modified, %d failed (%d given up earlier)",
        counts["fetched"],
        not_modified,
        counts["fetch_failed"],
        len(given_up),
    )
    return {"path": warc_url, "count": counts["fetched"]}


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


def parse_landed_page(
    ctx: RunContext, page: storage.LandedPage, read_page: adapters.PageReader
) -> Article | Rejection:
    """One landed page read by the feed's adapter, or the parse rejection saying why it is none."""
    from wire_ingest import parse

    try:
        return read_page(page.body, page.url, charset=page.charset, raw_ref=page.raw_ref)
    except parse.NotAnArticle as exc:
        return Rejection(
            feed=ctx.feed,
            url=page.url,
            stage="parse",
            reason=exc.reason,
            message=str(exc),
            raw_ref=page.raw_ref,
        )


@_timed
def parse_step(ctx: RunContext, warc_urls: str | list[str]) -> dict[str, Any]:
    """Parse every landed article page of the run into articles; record pages that are not articles."""
    from wire_ingest import adapters, extract, storage

    read_page = adapters.reader_for_feed(ctx.feed)  # the feed's adapter from sources.toml
    articles: list[Article] = []
    rejections: list[Rejection] = []
    for warc_url in [warc_urls] if isinstance(warc_urls, str) else warc_urls:
        for page in storage.iter_landed(warc_url):
            if page.status != 200:
                continue  # not a body to parse; the fetch stage recorded why
            parsed = parse_landed_page(ctx, page, read_page)
            if isinstance(parsed, Article):
                articles.append(parsed)
            else:
                rejections.append(parsed)
    path = _work(ctx, "parsed.jsonl")
    _write_jsonl(path, (a.to_dict() for a in articles))
    _rejects(ctx, "parse", rejections)
    fallback = sum(1 for a in articles if a.extraction == extract.FALLBACK)
    _save_counts(
        ctx,
        "parse",
        {"parsed": len(articles), "parse_failed": len(rejections), "fallback": fallback},
    )
    log.info("parse: %d articles, %d pages not articles", len(articles), len(rejections))
    notes = _work(ctx, "notes.txt")  # goes into the run's ingest_runs.message
    notes.unlink(missing_ok=True)  # a retried task says only what holds now
    if fallback:
        baseline = extract.previous_fallback_share(ctx.warehouse_url, ctx.feed)
        check = extract.FallbackCheck(fallback, len(articles), baseline)
        if check.jumped:
            log.warning("parse: %s", check.message())
            notes.write_text(check.message())
    return {"path": str(path), "count": len(articles)}


@_timed
def dedupe_step(ctx: RunContext, parsed_path: str) -> dict[str, Any]:
    """Merge repeats of one URL and mark copies of a known body as duplicates (they still load)."""
    from wire_ingest import dedupe, load

    articles = [Article.from_dict(row) for row in _read_jsonl(parsed_path)]
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        result = dedupe.dedupe_with_warehouse(engine, articles)
    finally:
        engine.dispose()
    path = _work(ctx, "deduped.jsonl")
    _write_jsonl(path, (a.to_dict() for a in result.articles))
    _save_counts(
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
    ctx: RunContext,
    deduped_path: str,
    *,
    allowed_hosts: Iterable[str] | None = None,
    batch_checks: bool = True,
) -> dict[str, Any]:
    """Run the GX suite; passing rows go on, failing rows become rejects; too many fails the run.

    batch_checks=False (replay of a few rejects) skips the day-level band and reject-share gate.
    """
    from wire_ingest import data_docs, validate

    articles = [Article.from_dict(row) for row in _read_jsonl(deduped_path)]
    hosts = list(allowed_hosts or _allowed_hosts(ctx.feed, ctx.base_url))
    result = validate.validate_articles(
        articles, target_day=ctx.target_day, allowed_hosts=hosts, run_id=ctx.run_id, feed=ctx.feed
    )
    path = _work(ctx, "validated.jsonl")
    _write_jsonl(path, (a.to_dict() for a in result.passed))
    _rejects(ctx, "validate", result.rejected)
    _save_counts(
        ctx, "validate", {"rejected": len(result.rejected), "validated": len(result.passed)}
    )
    low, high = settings.day_article_band()
    not_modified = _load_counts(ctx).get("not_modified", 0)  # unchanged pages skip the batch
    check = validate.check_batch(
        result,
        min_rows=max(0, low - not_modified) if batch_checks else 0,
        max_rows=high if batch_checks else max(high, len(articles)),
        max_reject_share=settings.max_reject_share() if batch_checks else 1.0,
        feed=ctx.feed,
    )
    docs = data_docs.build_validation_docs(ctx, result, check, allowed_hosts=hosts)
    log.info(
        "validate: %d passed, %d rejected; batch expectations %s; data docs %s",
        len(result.passed),
        len(result.rejected),
        "met" if check.success else f"failed ({len(check.failures)})",
        docs or "not built",
    )
    try:
        validate.raise_for_batch(check, run_id=ctx.run_id)
    except validate.BatchValidationError as exc:
        # The rejects are recorded before the run fails, so nothing is lost and the reason is visible.
        record_rejects_and_run(ctx, status="failed", message=str(exc))
        raise
    return {"path": str(path), "count": len(result.passed)}


def _allowed_hosts(feed: str, base_url: str) -> list[str]:
    """The feed's declared hosts (sources.toml) and the host actually read."""
    from wire_ingest import source_runs, urls

    declared = source_runs.feed_hosts(feed, base_url)
    if declared is not None:
        return declared
    return sorted({urls.host_of(base_url), *settings.ALLOWED_HOSTS})


@_timed
def load_step(
    ctx: RunContext, validated_path: str, *, dag_id: str = "wire_ingest", dry_run: bool = False
) -> dict[str, Any]:
    """Upsert the validated articles, record every reject and the run's counts.

    `dry_run`: write nothing to the warehouse; return the counts the run would have loaded.
    """
    from wire_ingest import dedupe, load, stories

    validated = [Article.from_dict(row) for row in _read_jsonl(validated_path)]
    if dry_run:
        summary: dict[str, Any] = dict(_load_counts(ctx))
        summary.update(
            status="dry_run",
            target_day=ctx.target_day.isoformat(),
            loaded=0,
            would_load=len(validated),
            rejected=len(_all_rejects(ctx)),
        )
        log.info("load (dry run): would load %d articles; nothing written", len(validated))
        return summary
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        # Validation may have rejected a body's first copy: point duplicates only at rows that exist.
        final = dedupe.dedupe_with_warehouse(engine, validated)
        counts = load.load_articles(engine, final.articles, run_id=ctx.run_id)
        _mark_fetched_done(ctx, engine)
        if final.stories is not None:
            stories.record_stories(engine, final.stories)  # the LSH index and merged stories
    finally:
        engine.dispose()
    articles = final.articles
    _save_counts(
        ctx,
        "load",
        {
            "loaded": len(articles),
            "inserted": counts.inserted,
            "updated": counts.updated,
            "duplicates": final.duplicates,
        },
    )
    summary = record_rejects_and_run(ctx, status="success", dag_id=dag_id)
    log.info(
        "load: %d loaded (%d new, %d updated, %d unchanged)",
        len(articles),
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    return summary


def _mark_fetched_done(ctx: RunContext, engine: Any) -> None:
    """The run reached its end: what it fetched may be asked for conditionally from now on."""
    from wire_ingest import fetch_state

    fetched = _work(ctx, "fetched.jsonl")
    if fetched.exists():
        urls = [row["url"] for row in _read_jsonl(fetched) if row["ok"] and row["status"] == 200]
        fetch_state.mark_done(engine, ctx.feed, urls)


def record_rejects_and_run(
    ctx: RunContext, *, status: str, message: str = "", dag_id: str = "wire_ingest"
) -> dict[str, Any]:
    """Write the run's rejects and its ``ingest_runs`` row; return the run's counts."""
    from wire_ingest import load

    rejections = _all_rejects(ctx)
    counts = _load_counts(ctx)
    counts["rejected"] = len(rejections)
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        load.record_rejections(engine, rejections, run_id=ctx.run_id, target_day=ctx.target_day)
        run = load.IngestRun(
            run_id=ctx.run_id,
            dag_id=dag_id,
            feed=ctx.feed,
            target_day=ctx.target_day,
            status=status,
            started_at=_started_at(ctx),
            finished_at=dt.datetime.now(dt.UTC),
            message="; ".join(m for m in (message, _notes(ctx)) if m),
            **{k: counts.get(k, 0) for k in load.RUN_COUNT_FIELDS},
        )
        load.record_run(engine, run)
    finally:
        engine.dispose()
    summary: dict[str, Any] = {k: counts.get(k, 0) for k in load.RUN_COUNT_FIELDS}
    summary.update(status=status, target_day=ctx.target_day.isoformat())
    return summary


def _notes(ctx: RunContext) -> str:
    """What a stage wants the run's report to say (e.g. a jump in fallback extractions)."""
    notes = _work(ctx, "notes.txt")
    return notes.read_text().strip() if notes.exists() else ""


def _started_at(ctx: RunContext) -> dt.datetime:
    started = Path(ctx.work_dir) / "started_at"
    if started.exists():
        return dt.datetime.fromisoformat(started.read_text().strip())
    return dt.datetime.now(dt.UTC)


def run_day(
    ctx: RunContext,
    *,
    listing_path: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
    reprocess: bool = False,
) -> dict[str, Any]:
    """Every stage of one day in this process: the DAG's work without Airflow (CLI, benchmarks).

    With `reprocess`, the day is parsed and loaded again from its landing area alone (no network).
    """
    discovered = discover_step(
        ctx, listing_path=listing_path, fetch_settings=fetch_settings, reprocess=reprocess
    )
    fetched = fetch_step(
        ctx, discovered["path"], fetch_settings=fetch_settings, reprocess=reprocess
    )
    deduped = parse_dedupe_step(ctx, fetched["path"])
    validated = validate_step(ctx, deduped["path"])
    return load_step(ctx, validated["path"])
