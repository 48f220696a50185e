"""WhatsApp's window and provider media kept on receipt (issue 17).

contacts.last_whatsapp_at: the contact's last inbound WhatsApp message (the 24-hour window);
attachments.source_url: a provider file's provenance; media_downloads: each provider media
file's way into the attachment store, retried and shown on the case page.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("last_whatsapp_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("source_url", sa.Text(), nullable=True))
    op.create_table(
        "media_downloads",
        sa.Column("id", _ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("complaint_id", _ID, nullable=True),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("claimed_type", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attachment_id", _ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_media_downloads_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_media_downloads_attachment_id_attachments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_downloads")),
        sa.UniqueConstraint(
            "idempotency_key", "position", name=op.f("uq_media_downloads_idempotency_key_position")
        ),
    )
    with op.batch_alter_table("media_downloads") as batch:
        batch.create_index(
            batch.f("ix_media_downloads_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("media_downloads") as batch:
        batch.drop_index(batch.f("ix_media_downloads_complaint_id"))
    op.drop_table("media_downloads")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("source_url")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("last_whatsapp_at")
