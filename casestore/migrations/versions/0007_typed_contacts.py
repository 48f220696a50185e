"""typed contacts: a web/API/Open311 complaint keeps what its citizen typed, not a contact.

Issue 13: a phone number typed on a form joined (and renamed) the SMS citizen with that
number. Contacts are now proven identities only; the typed address and name move onto the
complaint (``update_address``, ``reporter_name``), the typed channels' complaints and
messages let go of their contact, and contacts nothing else refers to are removed. The
names of contacts a form ever touched are cleared: a form may have written them; a
channel that shows names (WhatsApp, X) gives them back with the sender's next message.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TYPED_CHANNELS = ("web", "api", "open311")

complaints = sa.table(
    "complaints",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("contact_id", sa.Integer),
    sa.column("update_address", sa.String),
    sa.column("reporter_name", sa.String),
)
contacts = sa.table(
    "contacts",
    sa.column("id", sa.Integer),
    sa.column("urn", sa.String),
    sa.column("name", sa.String),
    sa.column("language", sa.String),
    sa.column("opted_out", sa.Boolean),
    sa.column("created_at", sa.DateTime),
)
messages = sa.table(
    "messages",
    sa.column("channel", sa.String),
    sa.column("contact_id", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("update_address", sa.String(length=320), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("reporter_name", sa.String(length=200), server_default="", nullable=False)
        )
    typed = complaints.c.channel.in_(TYPED_CHANNELS) & complaints.c.contact_id.is_not(None)
    of_contact = complaints.c.contact_id == contacts.c.id
    touched = sa.select(complaints.c.contact_id).where(typed).scalar_subquery()
    op.execute(
        complaints.update()
        .where(typed)
        .values(
            update_address=sa.select(contacts.c.urn).where(of_contact).scalar_subquery(),
            reporter_name=sa.select(contacts.c.name).where(of_contact).scalar_subquery(),
        )
    )
    op.execute(contacts.update().where(contacts.c.id.in_(touched)).values(name=""))
    op.execute(complaints.update().where(typed).values(contact_id=None))
    op.execute(
        messages.update()
        .where(messages.c.channel.in_(TYPED_CHANNELS), messages.c.contact_id.is_not(None))
        .values(contact_id=None)
    )
    used = sa.union(
        sa.select(complaints.c.contact_id).where(complaints.c.contact_id.is_not(None)),
        sa.select(messages.c.contact_id).where(messages.c.contact_id.is_not(None)),
    )
    op.execute(contacts.delete().where(contacts.c.id.not_in(used)))


def downgrade() -> None:
    # Back to one contact per typed address (the old shape), minus names and addresses too
    # long for contacts.urn; what the upgrade removed or cleared does not come back.
    addressed = (
        complaints.c.channel.in_(TYPED_CHANNELS)
        & (complaints.c.update_address != "")
        & (sa.func.length(complaints.c.update_address) <= 255)
    )
    missing = (
        sa.select(complaints.c.update_address)
        .where(addressed)
        .where(~sa.exists().where(contacts.c.urn == complaints.c.update_address))
        .distinct()
        .subquery()
    )
    op.execute(
        contacts.insert().from_select(
            ["urn", "name", "language", "opted_out", "created_at"],
            sa.select(
                missing.c.update_address,
                sa.literal(""),
                sa.literal("id"),
                sa.false(),
                sa.func.current_timestamp(),
            ),
        )
    )
    op.execute(
        complaints.update()
        .where(addressed)
        .values(
            contact_id=sa.select(contacts.c.id)
            .where(contacts.c.urn == complaints.c.update_address)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("reporter_name")
        batch.drop_column("update_address")
