"""sms channel: an index for the per-sender rate limit (one contact's messages by time).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_contact_received", "messages", ["contact_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_contact_received", table_name="messages")
