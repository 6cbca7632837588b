"""The run's stages as plain functions over a work folder: what the DAG's tasks (and the CLI) call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from wire_ingest import settings
from wire_ingest.models import Article, FetchResult, ListingItem, Rejection, RunContext

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


def discover_step(
    ctx: RunContext,
    *,
    listing_path: str | None = None,
    fetch_settings: settings.FetchSettings | None = None,
) -> dict[str, Any]:
    """Walk the listing newest-first as far back as the target day needs; keep the listing pages."""
    from wire_ingest import discover, fetch, storage

    fs = fetch_settings or settings.FetchSettings.from_env()
    limiter = fetch.RateLimiter(fs.max_requests_per_second)
    with (
        fetch.make_session(fs) as session,
        storage.LandingWriter(
            ctx.landing_url, ctx.feed, ctx.target_day, "listing", run_key(ctx.run_id)
        ) as writer,
    ):
        found = discover.discover_day(
            ctx.base_url,
            listing_path or settings.DEFAULT_LISTING_PATH,
            ctx.target_day,
            session=session,
            settings=fs,
            limiter=limiter,
            writer=writer,
        )
    if found.errors and not found.items:
        raise RuntimeError(
            f"discovery found no articles for {ctx.target_day}: {'; '.join(found.errors)}"
        )
    path = _work(ctx, "discovered.jsonl")
    count = _write_jsonl(path, (dataclasses.asdict(item) for item in found.items))
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


def fetch_step(
    ctx: RunContext, discovered_path: str, *, fetch_settings: settings.FetchSettings | None = None
) -> dict[str, Any]:
    """Fetch every discovered article into the landing area; record what could not be fetched."""
    from wire_ingest import fetch, storage

    fs = fetch_settings or settings.FetchSettings.from_env()
    urls = [ListingItem(**row).url for row in _read_jsonl(discovered_path)]
    with storage.LandingWriter(
        ctx.landing_url, ctx.feed, ctx.target_day, "articles", run_key(ctx.run_id)
    ) as writer:
        results = fetch.fetch_all(urls, settings=fs, writer=writer)
        warc_url = writer.url
    failed = [r for r in results if not r.ok]
    _write_jsonl(_work(ctx, "fetched.jsonl"), (dataclasses.asdict(r) for r in results))
    _rejects(ctx, "fetch", (_fetch_rejection(ctx, r) for r in failed))
    counts = {"fetched": len(results) - len(failed), "fetch_failed": len(failed)}
    _save_counts(ctx, "fetch", counts)
    log.info("fetch: %d fetched, %d failed", counts["fetched"], counts["fetch_failed"])
    return {"path": warc_url, "count": counts["fetched"]}


def _fetch_rejection(ctx: RunContext, result: FetchResult) -> Rejection:
    return Rejection(
        feed=ctx.feed,
        url=result.url,
        stage="fetch",
        reason="fetch_failed",
        message=result.error or f"HTTP {result.status}",
        details={"status": result.status, "attempts": result.attempts},
        raw_ref=result.raw_ref,
    )


def parse_step(ctx: RunContext, warc_urls: str | list[str]) -> dict[str, Any]:
    """Parse every landed article page of the run into articles; record pages that are not articles."""
    from wire_ingest import parse, storage

    articles: list[Article] = []
    rejections: list[Rejection] = []
    for warc_url in [warc_urls] if isinstance(warc_urls, str) else warc_urls:
        for page in storage.iter_landed(warc_url):
            if page.status != 200:
                continue  # not a body to parse; the fetch stage recorded why
            try:
                articles.append(
                    parse.parse_article(
                        page.body,
                        page.url,
                        feed=ctx.feed,
                        charset=page.charset,
                        raw_ref=page.raw_ref,
                    )
                )
            except parse.NotAnArticle as exc:
                rejections.append(
                    Rejection(
                        feed=ctx.feed,
                        url=page.url,
                        stage="parse",
                        reason=exc.reason,
                        message=str(exc),
                        raw_ref=page.raw_ref,
                    )
                )
    path = _work(ctx, "parsed.jsonl")
    _write_jsonl(path, (a.to_dict() for a in articles))
    _rejects(ctx, "parse", rejections)
    _save_counts(ctx, "parse", {"parsed": len(articles), "parse_failed": len(rejections)})
    log.info("parse: %d articles, %d pages not articles", len(articles), len(rejections))
    return {"path": str(path), "count": len(articles)}


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


def validate_step(
    ctx: RunContext, deduped_path: str, *, allowed_hosts: Iterable[str] | None = None
) -> dict[str, Any]:
    """Run the GX suite; passing rows go on, failing rows become rejects; too many fails the run."""
    from wire_ingest import validate

    articles = [Article.from_dict(row) for row in _read_jsonl(deduped_path)]
    hosts = list(allowed_hosts or _allowed_hosts(ctx.base_url))
    result = validate.validate_articles(
        articles, target_day=ctx.target_day, allowed_hosts=hosts, run_id=ctx.run_id
    )
    path = _work(ctx, "validated.jsonl")
    _write_jsonl(path, (a.to_dict() for a in result.passed))
    _rejects(ctx, "validate", result.rejected)
    _save_counts(
        ctx, "validate", {"rejected": len(result.rejected), "validated": len(result.passed)}
    )
    log.info("validate: %d passed, %d rejected", len(result.passed), len(result.rejected))
    try:
        validate.check_reject_share(result, max_share=settings.max_reject_share())
    except validate.BatchValidationError as exc:
        # The rejects are recorded before the run fails, so nothing is lost and the reason is visible.
        record_rejects_and_run(ctx, status="failed", message=str(exc))
        raise
    return {"path": str(path), "count": len(result.passed)}


def _allowed_hosts(base_url: str) -> list[str]:
    from wire_ingest import urls

    host = urls.host_of(base_url)
    return sorted({host, *settings.ALLOWED_HOSTS})


def load_step(
    ctx: RunContext, validated_path: str, *, dag_id: str = "wire_ingest"
) -> dict[str, Any]:
    """Upsert the validated articles, record every reject and the run's counts."""
    from wire_ingest import dedupe, load

    validated = [Article.from_dict(row) for row in _read_jsonl(validated_path)]
    engine = load.make_engine(ctx.warehouse_url)
    try:
        load.ensure_schema(engine)
        # Validation may have rejected a body's first copy: point duplicates only at rows that exist.
        final = dedupe.dedupe_with_warehouse(engine, validated)
        counts = load.load_articles(engine, final.articles, run_id=ctx.run_id)
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
            message=message,
            **{k: counts.get(k, 0) for k in load.RUN_COUNT_FIELDS},
        )
        load.record_run(engine, run)
    finally:
        engine.dispose()
    summary: dict[str, Any] = {k: counts.get(k, 0) for k in load.RUN_COUNT_FIELDS}
    summary.update(status=status, target_day=ctx.target_day.isoformat())
    return summary


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
) -> dict[str, Any]:
    """Every stage of one day in this process: the DAG's work without Airflow (CLI, benchmarks)."""
    discovered = discover_step(ctx, listing_path=listing_path, fetch_settings=fetch_settings)
    fetched = fetch_step(ctx, discovered["path"], fetch_settings=fetch_settings)
    parsed = parse_step(ctx, fetched["path"])
    deduped = dedupe_step(ctx, parsed["path"])
    validated = validate_step(ctx, deduped["path"])
    return load_step(ctx, validated["path"])
