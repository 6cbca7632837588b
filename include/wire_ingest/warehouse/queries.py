"""Read-only warehouse queries: summaries, latest runs, reject reasons, known articles."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wire_ingest.warehouse.engines import member_of
from wire_ingest.warehouse.load import IngestRun
from wire_ingest.warehouse.tables import article_rejects, articles, fetch_state, ingest_runs


@dataclass(frozen=True, slots=True)
class WarehouseSummary:
    """Row counts and a few recent titles, for the demo printout."""

    articles: int
    rejects: int
    runs: int
    sample_titles: list[str]


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """What dedupe needs to know about an article already in the warehouse."""

    article_id: str
    canonical_url: str
    content_hash: str
    duplicate_of: str | None
    published_at: str = ""


def warehouse_summary(
    engine: Engine, *, feed: str | None = None, sample: int = 5
) -> WarehouseSummary:
    """Row counts of the three tables (optionally for one feed) and the newest titles."""

    def count(table: sa.Table) -> sa.Select[int]:
        query = sa.select(sa.func.count()).select_from(table)
        return query.where(table.c.feed == feed) if feed is not None else query

    newest = sa.select(articles.c.title).order_by(
        articles.c.published_at.desc(), articles.c.canonical_url
    )
    if feed is not None:
        newest = newest.where(articles.c.feed == feed)
    with engine.connect() as conn:
        return WarehouseSummary(
            articles=conn.execute(count(articles)).scalar_one(),
            rejects=conn.execute(count(article_rejects)).scalar_one(),
            runs=conn.execute(count(ingest_runs)).scalar_one(),
            sample_titles=list(conn.execute(newest.limit(max(sample, 0))).scalars()),
        )


def latest_runs(engine: Engine, *, limit: int = 3) -> list[IngestRun]:
    """The most recently finished runs, newest first."""
    names = [f.name for f in dataclasses.fields(IngestRun)]
    query = (
        sa.select(*(ingest_runs.c[name] for name in names))
        .order_by(ingest_runs.c.finished_at.desc().nulls_last(), ingest_runs.c.run_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [IngestRun(**dict(row._mapping)) for row in conn.execute(query)]


def find_run(engine: Engine, run_id: str) -> IngestRun | None:
    """The `ingest_runs` row of one run, or None."""
    names = [f.name for f in dataclasses.fields(IngestRun)]
    query = sa.select(*(ingest_runs.c[name] for name in names)).where(
        ingest_runs.c.run_id == run_id
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return IngestRun(**dict(row._mapping)) if row is not None else None


def reject_reasons(engine: Engine) -> dict[tuple[str, str], int]:
    """How many unresolved rejects there are per (stage, reason)."""
    query = sa.select(article_rejects.c.stage, article_rejects.c.reason, sa.func.count()).group_by(
        article_rejects.c.stage, article_rejects.c.reason
    )
    with engine.connect() as conn:
        return {(stage, reason): count for stage, reason, count in conn.execute(query)}


def known_articles(
    engine: Engine, canonical_urls: Iterable[str], content_hashes: Iterable[str]
) -> list[KnownArticle]:
    """Warehouse articles with any of these canonical URLs or content hashes (indexed lookups)."""
    columns = (
        articles.c.article_id,
        articles.c.canonical_url,
        articles.c.content_hash,
        articles.c.duplicate_of,
        articles.c.published_at,
    )
    found: dict[str, KnownArticle] = {}
    with engine.connect() as conn:
        for column, values in (
            (articles.c.canonical_url, sorted(set(canonical_urls))),
            (articles.c.content_hash, sorted({h for h in content_hashes if h})),
        ):
            for condition in member_of(conn, column, values):
                _collect_known(conn, columns, condition, found)
        # The representatives the matches point at, so dedupe can tell a stale pointer.
        roots = sorted({k.duplicate_of for k in found.values() if k.duplicate_of} - set(found))
        for condition in member_of(conn, articles.c.article_id, roots):
            _collect_known(conn, columns, condition, found)
    return [found[article_id] for article_id in sorted(found)]


def _collect_known(
    conn: Connection,
    columns: tuple[sa.ColumnElement[Any], ...],
    condition: sa.ColumnElement[bool],
    found: dict[str, KnownArticle],
) -> None:
    for row in conn.execute(sa.select(*columns).where(condition)):
        found[row.article_id] = KnownArticle(
            article_id=row.article_id,
            canonical_url=row.canonical_url,
            content_hash=row.content_hash,
            duplicate_of=row.duplicate_of,
            published_at=row.published_at,
        )


@dataclass(frozen=True, slots=True)
class DayHoldings:
    """A day's rows outside a batch: loaded articles, open validate rejects (and how many of
    those earlier successful runs judged), so the gate can judge the whole day."""

    loaded: int
    open_rejects: int
    judged_loaded: int
    judged_rejects: int

    @property
    def judged_share(self) -> float:
        """The reject share the day had after the earlier successful runs."""
        total = self.judged_loaded + self.judged_rejects
        return self.judged_rejects / total if total else 0.0


def day_holdings(
    engine: Engine, feed: str, day: dt.date, *, batch_urls: Iterable[str]
) -> DayHoldings:
    """Count the day's articles and open validate rejects whose URLs the batch does not judge.

    An article belongs to the day by its published or page date; a reject by its target day.
    """
    batch = set(batch_urls)
    a, r, runs = articles, article_rejects, ingest_runs
    loaded_query = sa.select(a.c.url, a.c.canonical_url).where(
        a.c.feed == feed, sa.or_(a.c.published_date == day, a.c.page_date == day)
    )
    rejects_query = (
        sa.select(r.c.url, runs.c.status)
        .select_from(r.outerjoin(runs, runs.c.run_id == r.c.run_id))
        .where(r.c.feed == feed, r.c.target_day == day, r.c.stage == "validate")
    )
    with engine.connect() as conn:
        loaded = [
            row for row in conn.execute(loaded_query) if not {row.url, row.canonical_url} & batch
        ]
        rejects = [row for row in conn.execute(rejects_query) if row.url not in batch]
    return DayHoldings(
        loaded=len(loaded),
        open_rejects=len(rejects),
        # Every loaded article was judged by the run that loaded it (load runs only after the gate).
        judged_loaded=len(loaded),
        judged_rejects=sum(1 for row in rejects if row.status == "success"),
    )


def day_raw_refs(engine: Engine, feed: str, day: dt.date) -> dict[str, list[str]]:
    """Every raw_ref a day's rows hold, per table (articles by published or page date, rejects
    and fetch state by target day)."""
    a, r, f = articles, article_rejects, fetch_state
    queries = {
        "articles": sa.select(a.c.raw_ref).where(
            a.c.feed == feed, sa.or_(a.c.published_date == day, a.c.page_date == day)
        ),
        "article_rejects": sa.select(r.c.raw_ref).where(r.c.feed == feed, r.c.target_day == day),
        "fetch_state": sa.select(f.c.raw_ref).where(f.c.feed == feed, f.c.target_day == day),
    }
    with engine.connect() as conn:
        return {
            name: sorted(ref for ref in conn.execute(query).scalars() if ref)
            for name, query in queries.items()
        }
