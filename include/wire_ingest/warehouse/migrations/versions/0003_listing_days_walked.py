"""Listing memory: item titles and the days a listing walk saw whole.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listing_items_seen", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "listing_days_walked",
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("walked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("feed", "day", name=op.f("pk_listing_days_walked")),
    )


def downgrade() -> None:
    op.drop_table("listing_days_walked")
    with op.batch_alter_table("listing_items_seen", schema=None) as batch_op:
        batch_op.drop_column("title")
