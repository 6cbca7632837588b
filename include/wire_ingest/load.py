"""The warehouse: table definitions and idempotent, concurrency-safe writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Dialect, Engine, make_url

from wire_ingest.models import Article, Rejection
from wire_ingest.versions import headline_version

UTC = dt.UTC
IN_CHUNK = 500  # bound parameters per IN (...) query: well under every backend's limit
SQLITE_BUSY_TIMEOUT_S = 60.0

RUN_COUNT_FIELDS: tuple[str, ...] = (
    "discovered",
    "fetched",
    "fetch_failed",
    "not_modified",
    "parsed",
    "parse_failed",
    "duplicates",
    "rejected",
    "loaded",
    "inserted",
    "updated",
    "fallback",  # articles the generic extractor read because the adapter could not
)


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite has no time zones: it stores UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value!r}: warehouse timestamps must be timezone-aware"
            )
        utc = value.astimezone(UTC)
        # A plain datetime: drivers do not all adapt subclasses such as pendulum's.
        return dt.datetime.combine(utc.date(), utc.time(), tzinfo=UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Explicit constraint names keep the schema stable for the Alembic migrations to come.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("article_id", sa.String(64), primary_key=True),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("published_at", sa.String(40), nullable=False),
    sa.Column("published_date", sa.Date, nullable=False),
    sa.Column("page_date", sa.Date, nullable=True),
    sa.Column("dateline", sa.Text, nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("section", sa.String(64), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("duplicate_of", sa.String(64), nullable=True, index=True),
    sa.Column("raw_ref", sa.Text, nullable=True),
    # adapter | fallback | generic: which extractor read the page (extract.py)
    sa.Column("extraction", sa.String(16), nullable=False, server_default="adapter"),
    sa.Column("first_seen_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("first_run_id", sa.String(250), nullable=False),
    sa.Column("last_run_id", sa.String(250), nullable=False),
    # Story versions (README, "Deduplication"): the story's id is its earliest copy's article_id.
    sa.Column("story_id", sa.String(64), nullable=True, index=True),
    sa.Column("version_kind", sa.String(32), nullable=True),  # from the headline prefix
    sa.Column("version_rank", sa.Integer, nullable=True),  # higher = later, fuller version
    sa.Column("editor", sa.String(200), nullable=True),  # where the page names one (news.cn)
)

# The persisted MinHash LSH index of article bodies: one row per (band bucket, article).
article_lsh_buckets = sa.Table(
    "article_lsh_buckets",
    metadata,
    sa.Column("bucket", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("article_id", sa.String(64), primary_key=True),
    sa.Column("band", sa.SmallInteger, nullable=False),
    sa.Index(None, "article_id"),
)
STORIES_VIEW = "stories"
# One row per story: its representative (highest version rank, then longest body, then the
# first-published copy of that text, then the latest) and how many versions it has.
# Created by migration 0002, which keeps its own copy: a change here needs a new migration.
_STORIES_VIEW_SELECT = """
SELECT story_id, article_id, feed, url, canonical_url, title, source, published_at,
       published_date, dateline, body, section, version_kind, versions,
       first_published_at, last_seen_at
FROM (
  SELECT COALESCE(a.story_id, a.article_id) AS story_id, a.article_id, a.feed, a.url,
         a.canonical_url, a.title, a.source, a.published_at, a.published_date, a.dateline,
         a.body, a.section, a.version_kind,
         COUNT(*) OVER (PARTITION BY COALESCE(a.story_id, a.article_id)) AS versions,
         MIN(a.published_at) OVER (PARTITION BY COALESCE(a.story_id, a.article_id))
           AS first_published_at,
         MAX(a.last_seen_at) OVER (PARTITION BY COALESCE(a.story_id, a.article_id))
           AS last_seen_at,
         ROW_NUMBER() OVER (
           PARTITION BY COALESCE(a.story_id, a.article_id)
           ORDER BY COALESCE(a.version_rank, 1) DESC, LENGTH(a.body) DESC,
                    CASE WHEN a.duplicate_of IS NULL THEN 0 ELSE 1 END,
                    a.published_at DESC, a.article_id
         ) AS version_order
  FROM articles a
) ranked
WHERE version_order = 1
"""

article_rejects = sa.Table(
    "article_rejects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("target_day", sa.Date, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("article_id", sa.String(64), nullable=True, index=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("raw_ref", sa.Text, nullable=True),
    sa.Column("run_id", sa.String(250), nullable=False),
    sa.Column("rejected_at", UtcDateTime, nullable=False),
    sa.Column("times_rejected", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.UniqueConstraint("feed", "url", "stage"),
    sa.Index(None, "url"),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("dag_id", sa.String(250), nullable=False),
    sa.Column("feed", sa.String(64), nullable=False),
    sa.Column("target_day", sa.Date, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    *(
        sa.Column(name, sa.Integer, nullable=False, server_default=sa.text("0"))
        for name in RUN_COUNT_FIELDS
    ),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
)

# Fetch bookkeeping (written by wire_ingest.fetch_state): one row per article URL across runs.
fetch_state = sa.Table(
    "fetch_state",
    metadata,
    sa.Column("feed", sa.String(64), primary_key=True),
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("target_day", sa.Date, nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # fetched | done | failed | given_up
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("error_reason", sa.String(64), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("failed_runs", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("last_fetched_at", UtcDateTime, nullable=True),
    sa.Column("last_run_id", sa.String(250), nullable=True),
    sa.Column("given_up_reason", sa.Text, nullable=True),
    sa.Column("raw_ref", sa.Text, nullable=True),
)

# The shared clock of the cross-process per-host rate limiter: the next free request slot.
host_rate_slots = sa.Table(
    "host_rate_slots",
    metadata,
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("next_slot_at", sa.Float, nullable=False),  # seconds since the epoch
)

# What listing walks have seen, so later walks (a backfill's) can start near their day.
listing_items_seen = sa.Table(
    "listing_items_seen",
    metadata,
    sa.Column("feed", sa.String(64), primary_key=True),
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("page_date", sa.Date, nullable=False, index=True),
    sa.Column("listing_page", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("first_seen_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
)

# Days a listing walk went all the way through, well after the day ended: their links are known.
listing_days_walked = sa.Table(
    "listing_days_walked",
    metadata,
    sa.Column("feed", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("walked_at", UtcDateTime, nullable=False),
)

# Columns that carry the article itself; a re-load updates them only when one differs.
CONTENT_COLUMNS: tuple[str, ...] = (
    "feed",
    "url",
    "canonical_url",
    "title",
    "source",
    "published_at",
    "published_date",
    "page_date",
    "dateline",
    "body",
    "section",
    "content_hash",
    "duplicate_of",
    "raw_ref",
    "extraction",
    "story_id",
    "editor",
    "version_kind",
    "version_rank",
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


def normalise_database_url(url: str) -> sa.URL:
    """Parse a warehouse URL; plain PostgreSQL schemes get the psycopg 3 driver, the query is kept."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """An Engine for `sqlite:///path` (WAL, busy timeout, parent dir created) or PostgreSQL."""
    parsed = normalise_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)


def _make_sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or database.startswith("file:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below): the driver's implicit BEGIN cannot be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not in_memory:
                _enable_wal(cursor)
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front: two deferred transactions that both
        # read and then write would fail with "database is locked" instead of waiting their turn.
        immediate = conn.get_execution_options().get("wire_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (readers do not block the writer); the mode is persistent."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            # Changing the mode needs the file to itself and SQLite does not wait for that
            # (no busy handler): when runs start at once on a new file, retry briefly.
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(wire_write=True)
        with conn.begin():
            yield conn


def ensure_schema(engine: Engine) -> None:
    """Bring the warehouse schema to the latest migration (idempotent, safe from concurrent runs).

    The schema is managed by the Alembic migrations in `wire_ingest.migrations`: a change to the
    tables above (or to the `stories` view) needs a new migration there (README, "Schema migrations").
    """
    from wire_ingest.migrations import migrate

    migrate(engine)


def _dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """`INSERT` with ON CONFLICT support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite_dialect.insert(table)
    raise NotImplementedError(f"unsupported warehouse dialect: {conn.dialect.name}")


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
    engine: Engine,
    articles_to_load: Sequence[Article],
    *,
    run_id: str,
    now: dt.datetime | None = None,
) -> LoadCounts:
    """Upsert articles by article_id in one transaction and clear their rejects; idempotent."""
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
    if not rows:
        return LoadCounts(inserted=0, updated=0, unchanged=0)

    with _write_transaction(engine) as conn:
        insert = _dialect_insert(conn, articles)
        # 1. New articles. A row another writer committed meanwhile is a conflict, not an error.
        # No conflict target: PostgreSQL then arbitrates on every unique index; with only
        # article_id, a concurrent insert surfaces as a canonical_url unique violation.
        # (A different id for a stored canonical_url still fails loudly in step 2.)
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


def _delete_resolved_rejects(conn: Connection, loaded: Iterable[Article]) -> None:
    """Rejects hold what is still unresolved: a loaded article resolves its URLs' rejects."""
    urls = sorted({u for a in loaded for u in (a.url, a.canonical_url)})
    ids = sorted({a.article_id for a in loaded})
    for chunk in _chunks(urls):
        conn.execute(sa.delete(article_rejects).where(article_rejects.c.url.in_(chunk)))
    for chunk in _chunks(ids):
        conn.execute(sa.delete(article_rejects).where(article_rejects.c.article_id.in_(chunk)))


def record_rejections(
    engine: Engine,
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
    with _write_transaction(engine) as conn:
        insert = _dialect_insert(conn, article_rejects)
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


def record_run(engine: Engine, run: IngestRun) -> None:
    """Insert or replace the run's row in `ingest_runs`."""
    row = dataclasses.asdict(run)
    with _write_transaction(engine) as conn:
        insert = _dialect_insert(conn, ingest_runs)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["run_id"],
                set_={name: insert.excluded[name] for name in row if name != "run_id"},
            ),
            row,
        )


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
    )
    found: dict[str, KnownArticle] = {}
    with engine.connect() as conn:
        for column, values in (
            (articles.c.canonical_url, sorted(set(canonical_urls))),
            (articles.c.content_hash, sorted({h for h in content_hashes if h})),
        ):
            for chunk in _chunks(values):
                _collect_known(conn, columns, column.in_(chunk), found)
        # The representatives the matches point at, so dedupe can tell a stale pointer.
        roots = sorted({k.duplicate_of for k in found.values() if k.duplicate_of} - set(found))
        for chunk in _chunks(roots):
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
        )
