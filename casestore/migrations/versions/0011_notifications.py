"""notifications: typed addresses sent to, their opt-outs, operators' alerts and unread marks.

Issue 18: a web/API/Open311 citizen's updates go to the address they typed (``messages.
address``), an address that unsubscribed or was refused is remembered
(``address_opt_outs``), operators have an email, a phone and alert preferences
(``operator_notices``), each alert or digest line is a row (``operator_alerts``), and a
unit's last look at a case marks newer citizen activity unread (``case_reads``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.Integer().with_variant(sa.BigInteger(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("address", sa.String(length=320), nullable=True))
    op.create_table(
        "address_opt_outs",
        sa.Column("id", ID, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_opt_outs")),
        sa.UniqueConstraint("address", name=op.f("uq_address_opt_outs_address")),
    )
    op.create_table(
        "operator_notices",
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_notices_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_operator_notices")),
    )
    op.create_table(
        "operator_alerts",
        sa.Column("id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("complaint_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_operator_alerts_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["status_events.id"],
            name=op.f("fk_operator_alerts_event_id_status_events"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_alerts_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_operator_alerts_dedupe_key")),
    )
    op.create_index(
        "ix_operator_alerts_status_operator", "operator_alerts", ["status", "operator_id"]
    )
    op.create_table(
        "case_reads",
        sa.Column("complaint_id", ID, nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("read_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_case_reads_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("complaint_id", "unit_code", name=op.f("pk_case_reads")),
    )


def downgrade() -> None:
    op.drop_table("case_reads")
    op.drop_index("ix_operator_alerts_status_operator", table_name="operator_alerts")
    op.drop_table("operator_alerts")
    op.drop_table("operator_notices")
    op.drop_table("address_opt_outs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("address")
