"""State snapshots: a cache of a release's folded state at an event.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "state_snapshots",
        sa.Column("release_id", sa.String(40), sa.ForeignKey("releases.id"), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("state_snapshots")
