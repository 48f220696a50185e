"""waiting for the reporter: the working days a case's clocks stood paused (issue 20).

The status ``waiting_reporter`` fits the existing VARCHAR(20) status columns; only the sum of
paused working days is new (the scoreboard leaves them out of its working times).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("paused_working_days", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("paused_working_days")
