"""Base tables: articles, article_rejects, ingest_runs (the schema before migrations).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_rejects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("target_day", sa.Date(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_rejected", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_rejects")),
        sa.UniqueConstraint("feed", "url", "stage", name=op.f("uq_article_rejects_feed_url_stage")),
    )
    with op.batch_alter_table("article_rejects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_rejects_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_article_rejects_url"), ["url"], unique=False)

    op.create_table(
        "articles",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("published_at", sa.String(length=40), nullable=False),
        sa.Column("published_date", sa.Date(), nullable=False),
        sa.Column("page_date", sa.Date(), nullable=True),
        sa.Column("dateline", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("duplicate_of", sa.String(length=64), nullable=True),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_run_id", sa.String(length=250), nullable=False),
        sa.Column("last_run_id", sa.String(length=250), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_articles")),
        sa.UniqueConstraint("canonical_url", name=op.f("uq_articles_canonical_url")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_articles_content_hash"), ["content_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_articles_duplicate_of"), ["duplicate_of"], unique=False
        )

    op.create_table(
        "ingest_runs",
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=False),
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("target_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discovered", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("fetched", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("fetch_failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("not_modified", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("parsed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("parse_failed", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("duplicates", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rejected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("loaded", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("inserted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_ingest_runs")),
    )


def downgrade() -> None:
    op.drop_table("ingest_runs")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_duplicate_of"))
        batch_op.drop_index(batch_op.f("ix_articles_content_hash"))

    op.drop_table("articles")
    with op.batch_alter_table("article_rejects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_rejects_url"))
        batch_op.drop_index(batch_op.f("ix_article_rejects_article_id"))

    op.drop_table("article_rejects")
