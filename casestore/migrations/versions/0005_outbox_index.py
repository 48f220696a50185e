"""outbox: an index for the sweep that re-queues replies whose notify job was lost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_direction_status_created",
        "messages",
        ["direction", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_messages_direction_status_created", table_name="messages")
