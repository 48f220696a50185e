"""Telling citizens what happened to their case, on the channel they used.

``queue_status_notification`` turns one lifecycle event into outbound messages waiting for a
notify job: one for the case's own citizen and one for each confirmed duplicate follower
(they follow the master's updates). The caller commits, then hands the ids to
``dispatcher.outbox.enqueue_notifications``.

Who is not told: a contact who opted out (STOP), a citizen who wrote through the web form or
the API (they read the tracking page), a confidential case on a channel where replies are
public (a reply tweet), and nobody for internal events (routing, warnings, escalations,
privacy changes). What is sent is the operator's message to the reporter (or the reason's
fixed label), never the internal note. For a confidential case the message is left out: like
the acknowledgement, the SMS says only the number and the status, in case someone else reads
the phone. A case confirmed as a duplicate gets the ``merged`` message naming its master.
"""

from __future__ import annotations

from casestore import complaints as store
from casestore.db import Session
from casestore.duplicates import followers
from casestore.lifecycle import RULES, Action, Status, reason_label
from casestore.models import Complaint, StatusEvent
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
)
from dispatcher.runtime import Runtime
from normalizer.records import Channel
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id


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
    template = {Status.CLOSED: "closed", Status.DUPLICATE: "merged"}.get(
        Status(event.to_status) if event.to_status else None, "status_changed"
    )
    # The operator's note is internal and never sent; the message to the reporter is.
    note = event.message_to_reporter
    if not note and RULES[action].public:
        note = reason_label(action, event.reason)  # a fixed phrase, e.g. why it was rejected
    ids = []
    told: set[int] = set()
    for recipient in [complaint, *followers(session, complaint)]:
        contact = recipient.contact
        if contact is None or contact.id in told:
            continue
        told.add(contact.id)
        message_id = _queue(session, runtime, recipient, complaint, event, template, note)
        if message_id is not None:
            ids.append(message_id)
    return ids


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
    values = reply_values(runtime, about, language)
    values["note"] = "" if "confidential" in (recipient.privacy, about.privacy) else note
    if template == "merged":  # the follower's own number, and the master it now follows
        master = (
            store.complaint_by_id(session, recipient.master_id) if recipient.master_id else None
        )
        values["master"] = format_tracking_id(master.tracking_id) if master else ""
    body = render_reply(
        runtime.replies,
        template,
        language,
        fits_channel=REPLY_LIMITS.get(Channel(recipient.channel)),
        **values,
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


def _external_id(complaint: Complaint) -> str:
    """The provider id of the citizen's first message, to answer in its thread (a tweet)."""
    return complaint.idempotency_key.partition(":")[2]
