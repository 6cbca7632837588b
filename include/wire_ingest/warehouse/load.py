"""The warehouse: table definitions and idempotent, concurrency-safe writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wire_ingest.models import Article, Rejection
from wire_ingest.versions import headline_version
from wire_ingest.warehouse.engines import Bind, dialect_insert, member_of, write_transaction
from wire_ingest.warehouse.tables import (
    CONTENT_COLUMNS,
    UTC,
    article_rejects,
    articles,
    ingest_runs,
)

# A new raw copy of unchanged content is not a change: raw_ref keeps pointing at the copy that
# produced the row, so re-running a day leaves the table as it was (but for last_seen_*).
_CHANGE_COLUMNS = tuple(name for name in CONTENT_COLUMNS if name != "raw_ref")


@dataclass(frozen=True, slots=True)
class LoadCounts:
    """What one load did to `articles`."""

    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class IngestRun:
    """One pipeline run's row in `ingest_runs`."""

    run_id: str
    dag_id: str
    feed: str
    target_day: dt.date
    status: str
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    discovered: int = 0
    fetched: int = 0
    fetch_failed: int = 0
    not_modified: int = 0
    parsed: int = 0
    parse_failed: int = 0
    duplicates: int = 0
    rejected: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    fallback: int = 0
    message: str = ""
    site_health: dict[str, Any] | None = None  # quality.site_health.SiteHealth.to_dict()


def _utc_now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def article_row(article: Article) -> dict[str, Any]:
    """The content columns of `articles` for one article (dates parsed from their ISO strings)."""
    try:
        published_date = dt.datetime.fromisoformat(article.published_at).date()
    except ValueError as exc:
        raise ValueError(
            f"article {article.article_id}: published_at {article.published_at!r} is not ISO 8601"
        ) from exc
    version = headline_version(article.title)
    return {
        "article_id": article.article_id,
        "feed": article.feed,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "source": article.source,
        "published_at": article.published_at,
        "published_date": published_date,
        "page_date": dt.date.fromisoformat(article.page_date) if article.page_date else None,
        "dateline": article.dateline,
        "body": article.body,
        "section": article.section,
        "content_hash": article.content_hash,
        "duplicate_of": article.duplicate_of,
        "raw_ref": article.raw_ref,
        "extraction": article.extraction,
        "story_id": article.story_id,
        "editor": article.editor,
        "version_kind": version.kind,
        "version_rank": version.rank,
    }


def load_articles(
    engine: Bind,
    articles_to_load: Sequence[Article],
    *,
    run_id: str,
    now: dt.datetime | None = None,
    repoint: Mapping[str, str | None] | None = None,
) -> LoadCounts:
    """Upsert articles by article_id in one transaction and clear their rejects; idempotent.

    `repoint`: stored articles (not in the batch) whose `duplicate_of` changes, because the
    batch holds an earlier copy of their text; updated in the same transaction.
    """
    seen_at = _utc_now(now)
    by_id = {a.article_id: a for a in articles_to_load}
    if len(by_id) != len(articles_to_load):
        raise ValueError("load_articles: the batch repeats an article_id (dedupe first)")
    # One lock order for every writer, so concurrent PostgreSQL loads wait instead of deadlocking.
    rows = [
        {
            **article_row(by_id[article_id]),
            "first_seen_at": seen_at,
            "last_seen_at": seen_at,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
        for article_id in sorted(by_id)
    ]
    moves = {k: v for k, v in (repoint or {}).items() if k not in by_id}
    if not rows and not moves:
        return LoadCounts(inserted=0, updated=0, unchanged=0)

    with write_transaction(engine) as conn:
        insert = dialect_insert(conn, articles)
        # 1. New articles. A row another writer committed meanwhile is a conflict, not an error.
        # No conflict target: PostgreSQL then arbitrates on every unique index; with only
        # article_id, a concurrent insert surfaces as a canonical_url unique violation.
        # (A different id for a stored canonical_url still fails loudly in step 2.)
        _repoint_duplicates(conn, moves)
        if not rows:
            return LoadCounts(inserted=0, updated=0, unchanged=0)
        inserted_ids = set(
            conn.execute(
                insert.on_conflict_do_nothing().returning(articles.c.article_id),
                rows,
            ).scalars()
        )
        existing_rows = [row for row in rows if row["article_id"] not in inserted_ids]
        updated_ids: set[str] = set()
        if existing_rows:
            # 2. Known articles whose content differs: update the content, keep first_seen.
            excluded = insert.excluded
            content_changed = sa.or_(
                *(articles.c[name].is_distinct_from(excluded[name]) for name in _CHANGE_COLUMNS)
            )
            update_content = insert.on_conflict_do_update(
                index_elements=["article_id"],
                set_={name: excluded[name] for name in CONTENT_COLUMNS},
                where=content_changed,
            ).returning(articles.c.article_id)
            updated_ids = set(conn.execute(update_content, existing_rows).scalars())
            # 3. Every known article was seen again by this run.
            touch = insert.on_conflict_do_update(
                index_elements=["article_id"],
                set_={"last_seen_at": excluded.last_seen_at, "last_run_id": excluded.last_run_id},
            )
            conn.execute(touch, existing_rows)
        _delete_resolved_rejects(conn, articles_to_load)

    return LoadCounts(
        inserted=len(inserted_ids),
        updated=len(updated_ids),
        unchanged=len(rows) - len(inserted_ids) - len(updated_ids),
    )


def _repoint_duplicates(conn: Connection, moves: Mapping[str, str | None]) -> None:
    """Point stored copies at their text's first-published copy (one UPDATE per target)."""
    by_target: dict[str | None, list[str]] = {}
    for article_id, target in sorted(moves.items(), key=lambda item: item[0]):
        by_target.setdefault(target, []).append(article_id)
    for target, ids in sorted(by_target.items(), key=lambda item: item[0] or ""):
        for condition in member_of(conn, articles.c.article_id, ids):
            conn.execute(sa.update(articles).where(condition).values(duplicate_of=target))


def _delete_resolved_rejects(conn: Connection, loaded: Iterable[Article]) -> None:
    """Rejects hold what is still unresolved: a loaded article resolves its URLs' rejects."""
    urls = sorted({u for a in loaded for u in (a.url, a.canonical_url)})
    ids = sorted({a.article_id for a in loaded})
    for column, values in ((article_rejects.c.url, urls), (article_rejects.c.article_id, ids)):
        for condition in member_of(conn, column, values):
            conn.execute(sa.delete(article_rejects).where(condition))


def record_rejections(
    engine: Bind,
    rejections: Sequence[Rejection],
    *,
    run_id: str,
    target_day: dt.date,
    now: dt.datetime | None = None,
) -> int:
    """Upsert rejects by (feed, url, stage), counting repeats; returns the number of rows written."""
    rejected_at = _utc_now(now)
    # One row per key (the last one wins), since one statement may not update a row twice.
    by_key = {(r.feed, r.url, r.stage): r for r in rejections}
    rows = [
        {
            "feed": r.feed,
            "target_day": target_day,
            "url": r.url,
            "article_id": r.article_id,
            "stage": r.stage,
            "reason": r.reason,
            "message": r.message,
            "details": r.details,
            "raw_ref": r.raw_ref,
            "run_id": run_id,
            "rejected_at": rejected_at,
            "times_rejected": 1,
        }
        for _, r in sorted(by_key.items())
    ]
    if not rows:
        return 0
    with write_transaction(engine) as conn:
        insert = dialect_insert(conn, article_rejects)
        excluded = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=["feed", "url", "stage"],
            set_={
                **{
                    name: excluded[name]
                    for name in (
                        "target_day",
                        "article_id",
                        "reason",
                        "message",
                        "details",
                        "raw_ref",
                        "run_id",
                        "rejected_at",
                    )
                },
                "times_rejected": article_rejects.c.times_rejected + 1,
            },
        )
        conn.execute(upsert, rows)
    return len(rows)


def record_run(engine: Bind, run: IngestRun) -> None:
    """Insert or replace the run's row in `ingest_runs`."""
    row = dataclasses.asdict(run)
    with write_transaction(engine) as conn:
        insert = dialect_insert(conn, ingest_runs)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["run_id"],
                set_={name: insert.excluded[name] for name in row if name != "run_id"},
            ),
            row,
        )
