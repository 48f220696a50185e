"""federation: external units and the cases forwarded to them (issue 21).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("external", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "forwards",
        sa.Column("id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.Column(
            "complaint_id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("remote_token", sa.String(length=100), nullable=True),
        sa.Column("remote_status", sa.String(length=40), nullable=True),
        sa.Column("remote_secret", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name="fk_forwards_complaint_id_complaints"
        ),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name="fk_forwards_unit_code_units"),
        sa.PrimaryKeyConstraint("id", name="pk_forwards"),
        sa.UniqueConstraint("complaint_id", "unit_code", name="uq_forwards_complaint_id_unit_code"),
    )
    op.create_index("ix_forwards_complaint_id", "forwards", ["complaint_id"])
    op.create_index("ix_forwards_state", "forwards", ["state"])


def downgrade() -> None:
    op.drop_index("ix_forwards_state", table_name="forwards")
    op.drop_index("ix_forwards_complaint_id", table_name="forwards")
    op.drop_table("forwards")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("external")
