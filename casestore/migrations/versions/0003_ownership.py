"""ownership: SLA warning and escalation marks on complaints, and the indexes the sweep and
the duplicate finder read.

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
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_complaints_due_at", ["due_at"], unique=False)
        batch_op.create_index("ix_complaints_warn_at", ["warn_at"], unique=False)
        batch_op.create_index(
            "ix_complaints_category_place",
            ["category", "kecamatan_code", "received_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index("ix_complaints_category_place")
        batch_op.drop_index("ix_complaints_warn_at")
        batch_op.drop_index("ix_complaints_due_at")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("warn_at")
