"""Read-only warehouse queries: summaries, latest runs, reject reasons, known articles."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wire_ingest.warehouse.engines import chunks
from wire_ingest.warehouse.load import IngestRun
from wire_ingest.warehouse.tables import article_rejects, articles, ingest_runs


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
            for chunk in chunks(values):
                _collect_known(conn, columns, column.in_(chunk), found)
        # The representatives the matches point at, so dedupe can tell a stale pointer.
        roots = sorted({k.duplicate_of for k in found.values() if k.duplicate_of} - set(found))
        for chunk in chunks(roots):
            _collect_known(conn, columns, articles.c.article_id.in_(chunk), found)
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
