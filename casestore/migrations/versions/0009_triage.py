"""quarantine: the triage verdict a held message got (kind, confidence, reason, signals), for
the coordinator's triage queue and as a label once decided (issue 15).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("triage", sa.JSON(), nullable=True))
        batch.create_index("ix_quarantine_contact_urn", ["contact_urn"])


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_index("ix_quarantine_contact_urn")
        batch.drop_column("triage")
