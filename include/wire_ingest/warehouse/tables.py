"""The warehouse's tables, view and column sets (SQLAlchemy Core); migrations create them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

UTC = dt.UTC


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
# What operators see of a run's counts (the Data quality tab, its Data Docs), in pipeline order:
# label -> RUN_COUNT_FIELDS column.
STAGE_COUNTS: tuple[tuple[str, str], ...] = (
    ("discovered", "discovered"),
    ("fetched", "fetched"),
    ("not modified", "not_modified"),
    ("parsed", "parsed"),
    ("duplicates", "duplicates"),
    ("rejected", "rejected"),
    ("loaded", "loaded"),
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
    # Story versions (docs/deduplication.md): the story's id is its earliest copy's article_id.
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


# Why two articles are one story (dedupe/stories.py): the rule that linked them and its signals
# (similarities, shared figures, version label, dateline, hours apart). One row per linked pair,
# article_id < linked_id; read it next to the `stories` view through articles.story_id.
story_links = sa.Table(
    "story_links",
    metadata,
    sa.Column("article_id", sa.String(64), primary_key=True),
    sa.Column("linked_id", sa.String(64), primary_key=True),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("signals", sa.JSON, nullable=False),
    sa.Index(None, "linked_id"),
)


STORIES_VIEW = "stories"


# One row per story: its representative (highest version rank, then longest body, then the
# first-published copy of that text, then the latest) and how many versions it has.
# Created by migration 0002, which keeps its own copy: a change here needs a new migration.
STORIES_VIEW_SELECT = """
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
    # What the run saw of the site (quality.site_health): shares, listing links, drift signals.
    sa.Column("site_health", sa.JSON, nullable=True),
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
