"""federation both ways: cases forwarded to us remember their origin and push back to it,
pushes received once, the citizen's later information forwarded once (issue 21).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine:
    return sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "case_origins",
        sa.Column("id", _id(), nullable=False),
        sa.Column("tracking_id", sa.String(length=32), nullable=False),
        sa.Column("peer", sa.String(length=200), nullable=False),
        sa.Column("api_key_id", _id(), nullable=True),
        sa.Column("origin_case_id", sa.String(length=100), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=True),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name="fk_case_origins_api_key_id_api_keys"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_origins"),
        sa.UniqueConstraint("tracking_id", name="uq_case_origins_tracking_id"),
    )
    op.create_table(
        "origin_pushes",
        sa.Column("id", _id(), nullable=False),
        sa.Column("origin_id", _id(), nullable=False),
        sa.Column("event_id", _id(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["origin_id"], ["case_origins.id"], name="fk_origin_pushes_origin_id_case_origins"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["status_events.id"], name="fk_origin_pushes_event_id_status_events"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_origin_pushes"),
        sa.UniqueConstraint("origin_id", "event_id", name="uq_origin_pushes_origin_id_event_id"),
    )
    op.create_index("ix_origin_pushes_origin_id", "origin_pushes", ["origin_id"])
    op.create_index("ix_origin_pushes_state", "origin_pushes", ["state"])
    op.create_table(
        "push_receipts",
        sa.Column("id", _id(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("remote_status", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_push_receipts"),
        sa.UniqueConstraint(
            "unit_code",
            "remote_id",
            "event_id",
            name="uq_push_receipts_unit_code_remote_id_event_id",
        ),
    )
    op.create_table(
        "forwarded_infos",
        sa.Column("id", _id(), nullable=False),
        sa.Column("forward_id", _id(), nullable=False),
        sa.Column("message_id", _id(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["forward_id"], ["forwards.id"], name="fk_forwarded_infos_forward_id_forwards"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_forwarded_infos_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_forwarded_infos"),
        sa.UniqueConstraint(
            "forward_id", "message_id", name="uq_forwarded_infos_forward_id_message_id"
        ),
    )
    op.create_index("ix_forwarded_infos_forward_id", "forwarded_infos", ["forward_id"])
    op.create_index("ix_forwarded_infos_state", "forwarded_infos", ["state"])


def downgrade() -> None:
    op.drop_index("ix_forwarded_infos_state", table_name="forwarded_infos")
    op.drop_index("ix_forwarded_infos_forward_id", table_name="forwarded_infos")
    op.drop_table("forwarded_infos")
    op.drop_table("push_receipts")
    op.drop_index("ix_origin_pushes_state", table_name="origin_pushes")
    op.drop_index("ix_origin_pushes_origin_id", table_name="origin_pushes")
    op.drop_table("origin_pushes")
    op.drop_table("case_origins")
