"""Audit: the mode each release's chain is recorded in, a digest binding each
cached state to its event, and the seq of the state a release has cached.

Releases recorded before are plain; cached states without a digest are ignored
(and rebuilt) by readers.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("audit_mode", sa.String(16), nullable=False, server_default="plain"))
        batch.add_column(sa.Column("state_seq", sa.Integer(), nullable=True))
    with op.batch_alter_table("state_snapshots") as batch:
        batch.add_column(sa.Column("digest", sa.String(80), nullable=True))
    op.execute(
        "UPDATE releases SET state_seq = "
        "(SELECT seq FROM state_snapshots WHERE state_snapshots.release_id = releases.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("state_snapshots") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("state_seq")
        batch.drop_column("audit_mode")
