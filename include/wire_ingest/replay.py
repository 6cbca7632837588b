"""Replay rejects: re-parse, re-validate and reload a date range's rejected pages from the landing area."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from wire_ingest import landing, plan, settings, sources, steps, workfiles
from wire_ingest.models import Article, Rejection, RunContext
from wire_ingest.warehouse import engines, migrations, tables

log = logging.getLogger(__name__)

# Fetch rejects have no page to re-read (the fetch itself failed): replay needs the network for them.
REPLAYABLE_STAGES: tuple[str, ...] = ("parse", "validate")
REPLAY_DAG_ID = "wire-ingest replay"


@dataclass(frozen=True, slots=True)
class RejectRow:
    """One `article_rejects` row a replay looks at."""

    id: int
    feed: str
    url: str
    stage: str
    target_day: dt.date
    raw_ref: str | None


@dataclass(frozen=True, slots=True)
class DayReplay:
    """What replaying one day's rejects did."""

    day: dt.date
    run_id: str
    candidates: int  # replayable rejects of the day
    unreadable: int  # no raw page in the landing area any more: left as they were
    loaded: int  # now in `articles`, gone from the rejects
    still_rejected: int


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def replayable_rejects(
    engine: sa.Engine, day: dt.date, *, feed: str = sources.DEFAULT_SOURCE
) -> list[RejectRow]:
    """The day's parse and validate rejects, in a stable order."""
    table = tables.article_rejects
    query = (
        sa.select(
            table.c.id,
            table.c.feed,
            table.c.url,
            table.c.stage,
            table.c.target_day,
            table.c.raw_ref,
        )
        .where(
            table.c.feed == feed,
            table.c.target_day == day,
            table.c.stage.in_(REPLAYABLE_STAGES),
        )
        .order_by(table.c.url, table.c.stage)
    )
    with engine.connect() as conn:
        return [RejectRow(**dict(row._mapping)) for row in conn.execute(query)]


def replay_range(
    start: dt.date,
    end: dt.date,
    *,
    warehouse_url: str | None = None,
    base_url: str | None = None,
    feed: str = sources.DEFAULT_SOURCE,
    now: dt.datetime | None = None,
) -> list[DayReplay]:
    """Replay every day from start to end (inclusive); no network, only the landing area.

    `base_url`: the site the pages came from; default the feed's site root (its Variable from
    the environment, else its declared base_url).
    """
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    url = warehouse_url or settings.default_warehouse_url()
    base_url = base_url or sources.get_source(feed).site_root()
    engine = engines.make_engine(url)
    try:
        migrations.migrate(engine)
        outcomes = []
        for day in days(start, end):
            rows = replayable_rejects(engine, day, feed=feed)
            if not rows:
                continue
            ctx = plan.plan_run(
                run_id=f"replay__{day.isoformat()}__{stamp}",
                target_day=day,
                base_url=base_url,
                warehouse_url=url,
                feed=feed,
            )
            outcomes.append(replay_day(engine, ctx, rows))
    finally:
        engine.dispose()
    return outcomes


def replay_day(engine: sa.Engine, ctx: RunContext, rows: Sequence[RejectRow]) -> DayReplay:
    """Parse the rejects' landed pages, then the pipeline's own dedupe, validate and load."""
    articles, parse_rejects, unreadable = _parse_landed(ctx, rows)
    # Same stage files and steps as a run, so a replay loads exactly as a run would.
    workfiles.write_jsonl(workfiles.work_path(ctx, "parsed.jsonl"), (a.to_dict() for a in articles))
    workfiles.save_rejects(ctx, "parse", parse_rejects)
    workfiles.save_counts(
        ctx, "parse", {"parsed": len(articles), "parse_failed": len(parse_rejects)}
    )
    deduped = steps.dedupe_step(ctx, str(workfiles.work_path(ctx, "parsed.jsonl")))
    validated = steps.validate_step(ctx, deduped["path"], batch_checks=False)
    summary = steps.load_step(ctx, validated["path"], dag_id=REPLAY_DAG_ID)
    replayed = [row for row in rows if row.raw_ref and row.id not in unreadable]
    _drop_superseded(engine, replayed, workfiles.all_rejects(ctx))
    outcome = DayReplay(
        day=ctx.target_day,
        run_id=ctx.run_id,
        candidates=len(rows),
        unreadable=len(unreadable),
        loaded=int(summary.get("loaded", 0)),
        still_rejected=int(summary.get("rejected", 0)),
    )
    log.info(
        "replay %s: %d rejects replayed, %d loaded, %d still rejected, %d without a landed page",
        ctx.target_day,
        len(replayed),
        outcome.loaded,
        outcome.still_rejected,
        outcome.unreadable,
    )
    return outcome


def _parse_landed(
    ctx: RunContext, rows: Sequence[RejectRow]
) -> tuple[list[Article], list[Rejection], set[int]]:
    from wire_ingest import adapters

    read_page = adapters.reader_for_source(sources.get_source(ctx.feed))  # as the parse step
    articles: list[Article] = []
    rejections: list[Rejection] = []
    unreadable: set[int] = set()
    for row in rows:
        page = _landed(row)
        if page is None or page.status != 200:
            unreadable.add(row.id)
            continue
        parsed = steps.parse_landed_page(ctx, page, read_page)
        if isinstance(parsed, Article):
            articles.append(parsed)
        else:
            rejections.append(parsed)
    return articles, rejections, unreadable


def _landed(row: RejectRow) -> Any:
    if not row.raw_ref:
        return None
    try:
        return landing.read_landed(row.raw_ref)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        log.warning("replay: %s has no landed page (%s)", row.url, exc)
        return None


def _drop_superseded(
    engine: sa.Engine, replayed: Sequence[RejectRow], current: Sequence[Rejection]
) -> None:
    """A replayed reject whose page now fails at another stage (or loads) is no longer true."""
    still = {(r.feed, r.url, r.stage) for r in current}
    stale = [row.id for row in replayed if (row.feed, row.url, row.stage) not in still]
    if not stale:
        return
    with engine.begin() as conn:
        for start in range(0, len(stale), engines.IN_CHUNK):
            chunk = stale[start : start + engines.IN_CHUNK]
            conn.execute(
                sa.delete(tables.article_rejects).where(tables.article_rejects.c.id.in_(chunk))
            )
