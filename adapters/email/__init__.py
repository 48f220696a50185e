"""Email: updates to the address a web, API or Open311 citizen typed, and operators' alerts.

Outbound only for now: ``smtp`` sends through the district's SMTP server
(SATUPINTU_SMTP_URL, SATUPINTU_MAIL_FROM), ``compose`` builds the message (plain text and
simple HTML, the one-click unsubscribe headers of RFC 8058, a Message-ID keyed on the reply),
``unsubscribe`` signs and reads the unsubscribe links. ``SPEC`` is what the rest of the
house knows of the channel.
"""

from adapters.base import ChannelSpec
from adapters.email.compose import compose, message_id_for
from adapters.email.smtp import (
    NAME,
    EmailSender,
    SmtpConfig,
    enabled,
    problem,
    sender,
    smtp_config,
)
from adapters.email.unsubscribe import read_token, unsubscribe_token, unsubscribe_url

__all__ = [
    "NAME",
    "SPEC",
    "EmailSender",
    "SmtpConfig",
    "compose",
    "enabled",
    "message_id_for",
    "problem",
    "read_token",
    "sender",
    "smtp_config",
    "unsubscribe_token",
    "unsubscribe_url",
]

SPEC = ChannelSpec(
    name=NAME,
    sender=sender,
    reply_fits=None,  # an email has room: the SMS budget every reply meets is the only limit
    public_replies=False,
    # The receiving server refused the mailbox for good (no such user, not accepted here):
    # the address is sent nothing more, like a number that texted STOP.
    unsubscribed_codes=frozenset({"smtp_550", "smtp_551", "smtp_553"}),
    status_table={},  # no receipts: SMTP's answer is the status ("sent" or refused)
)
