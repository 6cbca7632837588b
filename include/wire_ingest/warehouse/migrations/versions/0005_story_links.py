"""Why two articles are one story: `story_links` (the rule and its signals, one row per pair).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story_links",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("linked_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "linked_id", name=op.f("pk_story_links")),
    )
    with op.batch_alter_table("story_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_links_linked_id"), ["linked_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_links_linked_id"))
    op.drop_table("story_links")
