"""address confirmations: a typed phone's one-time code, operators' phone alerts (issue 18).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BIGINT = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "address_confirmations",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("complaint_id", BIGINT, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name="fk_address_confirmations_complaint_id_complaints",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_address_confirmations"),
        sa.UniqueConstraint("complaint_id", name="uq_address_confirmations_complaint_id"),
    )
    op.create_index("ix_address_confirmations_address", "address_confirmations", ["address"])
    with op.batch_alter_table("operator_notices") as batch:
        batch.add_column(
            sa.Column("phone_alerts", sa.String(length=10), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("operator_notices") as batch:
        batch.drop_column("phone_alerts")
    op.drop_index("ix_address_confirmations_address", table_name="address_confirmations")
    op.drop_table("address_confirmations")
