"""status_events.message_to_reporter: what the citizen reads, apart from the internal note.

Existing events keep their note as it was, now internal: the new column starts empty, so no
word an operator wrote before this revision reaches a public page.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_events") as batch:
        batch.add_column(
            sa.Column("message_to_reporter", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("status_events") as batch:
        batch.drop_column("message_to_reporter")
