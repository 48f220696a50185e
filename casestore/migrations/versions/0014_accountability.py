"""accountability (issue 20): the SLA policy version on every case, the citizen's ratings,
and local holidays an operator adds.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column(
        "id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), primary_key=True
    )


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("sla_policy_version", sa.String(40), nullable=True))
    op.create_table(
        "ratings",
        _id(),
        sa.Column(
            "complaint_id",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            sa.ForeignKey("complaints.id", name="fk_ratings_complaint_id_complaints"),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("unit_code", sa.String(64), nullable=False),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ratings"),
        sa.UniqueConstraint("complaint_id", name="uq_ratings_complaint_id"),
    )
    op.create_index("ix_ratings_unit_code", "ratings", ["unit_code"])
    op.create_table(
        "local_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_local_holidays"),
    )


def downgrade() -> None:
    op.drop_table("local_holidays")
    op.drop_index("ix_ratings_unit_code", table_name="ratings")
    op.drop_table("ratings")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("sla_policy_version")
