"""Telling citizens what happened to their case, on the channel they used or the address
they typed.

``queue_status_notification`` turns one lifecycle event into outbound messages waiting for a
notify job: one for the case's own citizen and one for each confirmed duplicate follower
(they follow the master's updates). The caller commits, then hands the ids to
``dispatcher.outbox.enqueue_notifications``.

Who is told where: a proven contact (SMS, WhatsApp, X) on its channel; a web, API or
Open311 citizen at the address they typed (issue 18): an email by email, a phone by SMS
through the SMS channel that is on, once that number answered the one-time code it was sent
at intake (dispatcher/address_replies.py; until then its updates are on the tracking page).

Who is not told: a contact or address that opted out (STOP, an unsubscribe link, a
provider's refusal), a typed address no channel can reach (email off, no SMS channel: they
read the tracking page), a confidential case on a channel where replies are public (a reply
tweet), and nobody for internal events (routing, warnings, escalations, privacy changes).
What is sent is the operator's message to the reporter (or the reason's fixed label), never
the internal note. For a confidential case the message is left out: like the
acknowledgement, it says only the number and the status, what the tracking page says.
"""

from __future__ import annotations

from casestore import complaints as store
from casestore.confirmations import address_confirmed
from casestore.db import Session
from casestore.duplicates import followers
from casestore.lifecycle import RULES, Action, Status, reason_label
from casestore.models import Complaint, StatusEvent
from casestore.notices import address_opted_out, queue_addressed_reply
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
    typed_address_channel,
)
from dispatcher.runtime import Runtime
from normalizer.records import Channel
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id

# An email has room for the operator's whole message: ten SMS worth, not two.
EMAIL_SEGMENTS = 10


def queue_status_notification(
    session: Session, complaint: Complaint, event: StatusEvent, runtime: Runtime
) -> list[int]:
    """Queue the citizen's (and followers') message about ``event``; the new message ids."""
    try:
        action = Action(event.kind)
    except ValueError:
        return []  # not a lifecycle action: nothing to tell
    if not RULES[action].notify:
        return []
    # A question to the reporter ("minta keterangan", issue 20) says how to answer it.
    template = {
        Status.CLOSED: "closed",
        Status.DUPLICATE: "merged",
        Status.WAITING_REPORTER: "info_requested",
    }.get(Status(event.to_status) if event.to_status else None, "status_changed")
    # The operator's note is internal and never sent; the message to the reporter is.
    note = event.message_to_reporter
    if not note and RULES[action].public:
        note = reason_label(action, event.reason)  # a fixed phrase, e.g. why it was rejected
    ids = []
    told: set[str] = set()
    for recipient in [complaint, *followers(session, complaint)]:
        contact = recipient.contact
        who = f"contact:{contact.id}" if contact is not None else recipient.update_address
        if not who or who in told:
            continue
        told.add(who)
        if contact is not None:
            message_id = _queue(session, runtime, recipient, complaint, event, template, note)
        else:
            message_id = _queue_typed(session, runtime, recipient, complaint, event, template, note)
        if message_id is not None:
            ids.append(message_id)
    return ids


def _values(
    session: Session, runtime: Runtime, recipient: Complaint, about: Complaint, note: str
) -> dict[str, str]:
    language = recipient.language or "id"
    values = reply_values(runtime, about, language)
    values["note"] = "" if "confidential" in (recipient.privacy, about.privacy) else note
    master = store.complaint_by_id(session, recipient.master_id) if recipient.master_id else None
    # The follower's own number, and the master it now follows (the "merged" message).
    values["master"] = format_tracking_id(master.tracking_id) if master else ""
    return values


def _queue(
    session: Session,
    runtime: Runtime,
    recipient: Complaint,
    about: Complaint,
    event: StatusEvent,
    template: str,
    note: str,
) -> int | None:
    """One message to ``recipient``'s citizen about ``about`` (itself, or its master)."""
    contact = recipient.contact
    if contact is None or contact.opted_out or recipient.channel not in REPLY_CHANNELS:
        return None
    if recipient.privacy == "confidential" and recipient.channel in PUBLIC_REPLY_CHANNELS:
        return None  # a reply tweet anyone can read: a confidential case is told nothing there
    language = recipient.language or "id"
    body = render_reply(
        runtime.replies,
        template,
        language,
        fits_channel=REPLY_LIMITS.get(Channel(recipient.channel)),
        **_values(session, runtime, recipient, about, note),
    )
    message = store.queue_reply(
        session,
        dedupe_key=f"status:{event.id}:{recipient.id}",
        channel=recipient.channel,
        contact=contact,
        complaint=recipient,
        body=body,
        reply_to=recipient.reply_to or _external_id(recipient),
        intent=template,
    )
    if message is None:
        return None
    session.flush()
    return message.id


def _queue_typed(
    session: Session,
    runtime: Runtime,
    recipient: Complaint,
    about: Complaint,
    event: StatusEvent,
    template: str,
    note: str,
) -> int | None:
    """One message to the address ``recipient``'s citizen typed (sent to, never joined)."""
    address = recipient.update_address
    channel = typed_address_channel(address, runtime.settings)
    if channel is None or address_opted_out(session, address):
        return None
    language = recipient.language or "id"
    values = _values(session, runtime, recipient, about, note)
    subject = ""
    if channel is Channel.EMAIL:
        body = render_reply(
            runtime.replies, template, language, max_segments=EMAIL_SEGMENTS, **values
        )
        subject = render_reply(runtime.replies, "email_subject", language, **values)
    else:  # a typed phone: only once that number answered its code (issue 18)
        if not address_confirmed(session, recipient):
            return None  # unconfirmed: the updates stay on the tracking page
        body = render_reply(
            runtime.replies, template, language, fits_channel=REPLY_LIMITS.get(channel), **values
        )
    message = queue_addressed_reply(
        session,
        dedupe_key=f"status:{event.id}:{recipient.id}",
        channel=channel.value,
        address=address,
        complaint=recipient,
        body=body,
        intent=template,
        subject=subject,
        language=language,
        link=values["track_url"] if channel is Channel.EMAIL else "",
    )
    if message is None:
        return None
    session.flush()
    return message.id


def _external_id(complaint: Complaint) -> str:
    """The provider id of the citizen's first message, to answer in its thread (a tweet)."""
    return complaint.idempotency_key.partition(":")[2]
