"""Fetch state, listing memory, host rate slots, story versions (LSH buckets, story columns,
the `stories` view), extraction fallback counts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here: a later change to the view is a new migration.
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


def upgrade() -> None:
    op.create_table(
        "article_lsh_buckets",
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "article_id", name=op.f("pk_article_lsh_buckets")),
    )
    with op.batch_alter_table("article_lsh_buckets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_lsh_buckets_article_id"), ["article_id"], unique=False
        )

    op.create_table(
        "fetch_state",
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("target_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_reason", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("failed_runs", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.String(length=250), nullable=True),
        sa.Column("given_up_reason", sa.Text(), nullable=True),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("feed", "url", name=op.f("pk_fetch_state")),
    )
    with op.batch_alter_table("fetch_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fetch_state_target_day"), ["target_day"], unique=False)

    op.create_table(
        "host_rate_slots",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("next_slot_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_host_rate_slots")),
    )
    op.create_table(
        "listing_items_seen",
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("page_date", sa.Date(), nullable=False),
        sa.Column("listing_page", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("feed", "url", name=op.f("pk_listing_items_seen")),
    )
    with op.batch_alter_table("listing_items_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listing_items_seen_page_date"), ["page_date"], unique=False
        )

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("extraction", sa.String(length=16), server_default="adapter", nullable=False)
        )
        batch_op.add_column(sa.Column("story_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("version_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("version_rank", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_articles_story_id"), ["story_id"], unique=False)

    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fallback", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )

    op.execute(f"CREATE VIEW stories AS {STORIES_VIEW_SELECT}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS stories")
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_column("fallback")

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_story_id"))
        batch_op.drop_column("version_rank")
        batch_op.drop_column("version_kind")
        batch_op.drop_column("story_id")
        batch_op.drop_column("extraction")

    with op.batch_alter_table("listing_items_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_items_seen_page_date"))

    op.drop_table("listing_items_seen")
    op.drop_table("host_rate_slots")
    with op.batch_alter_table("fetch_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fetch_state_target_day"))

    op.drop_table("fetch_state")
    with op.batch_alter_table("article_lsh_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_lsh_buckets_article_id"))

    op.drop_table("article_lsh_buckets")
