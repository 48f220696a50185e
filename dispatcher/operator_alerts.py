"""Operators hear of their unit's work by email (issue 18): at once, or in a morning digest.

``scan_alerts`` (a periodic job, every minute) reads the status events written since its
cursor and, for each, the operators it concerns: a case routed or dispatched to their unit,
a bounce back to the coordinator, new information or a resolution answer from the citizen,
a deadline within one working day (the SLA sweep's warning), an escalation. Each operator
who switched that kind on gets an alert row; immediate ones are sent by ``send_alert`` jobs
on the notify queue (rq Retry with back-off, like every reply), digest ones wait for
``send_digests``, which on a working day (``casestore.clock``: Indonesian holidays) after
SATUPINTU_DIGEST_HOUR in SATUPINTU_TIMEZONE sends each operator one email of what waited.

An alert names the case, its category, place, status and deadline and links to the
console; never the citizen's contact or name, the complaint's words or any note: it leaves
the building in an inbox the district does not control.

An operator may also have the kinds they switched on texted to their phone (SMS, or
WhatsApp when that channel is on), always at once: a second alert row per event (its own
key, so a second scan sends nothing), sent by the same ``send_alert`` job and Retry through
the channel's sender (Twilio or Kannel), with only the tracking id, kind, unit and deadline.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rq import Retry
from rq.exceptions import DuplicateJobError

from adapters.base import PermanentSendError, Sender, TransientSendError
from adapters.email import EmailSender, compose, enabled, message_id_for
from adapters.registry import sender_for
from casestore import alerts as store
from casestore.clock import is_working_day
from casestore.db import Session
from casestore.models import Complaint, OperatorAlert, utcnow
from dispatcher import runtime as runtime_module
from dispatcher.queues import NOTIFY, job_id, queue
from dispatcher.reply_policy import REPLY_LIMITS
from dispatcher.runtime import Runtime
from normalizer.records import Channel, OutboundMessage
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id

log = logging.getLogger(__name__)

ALERT_RETRY = Retry(max=6, interval=[5, 30, 120, 600, 1800, 3600])
BATCH = 500
# An event younger than this may belong to a transaction that has not committed yet while a
# later one has: the scan waits for it rather than step past it.
SETTLE = timedelta(seconds=10)

# Bahasa Indonesia first, English second: one email for whoever reads the unit's inbox.
WORDS = {
    "routed": ("Aduan baru untuk unit Anda", "New case for your unit"),
    "bounced": ("Aduan dikembalikan ke koordinator", "Case sent back to the coordinator"),
    "citizen": ("Pelapor menambahkan keterangan", "The citizen added information"),
    "deadline": ("Batas waktu tinggal satu hari kerja", "Deadline within one working day"),
    "escalated": ("Aduan melewati batas waktu (eskalasi)", "Case escalated: deadline missed"),
}
LABELS = (
    ("Nomor aduan", "Case"),
    ("Kategori", "Category"),
    ("Kecamatan", "Sub-district"),
    ("Status", "Status"),
    ("Batas waktu", "Deadline"),
)


def scan_alerts(now: datetime | None = None) -> int:
    """Turn new events into alerts; enqueue the immediate ones. Returns alerts written."""
    rt = runtime_module.current()
    now = now or utcnow()
    immediate: list[int] = []
    written = 0
    with rt.sessions.begin() as session:
        store.start_cursor_at_latest(session)
        events, cursor = store.events_to_scan(session, BATCH)
        email_on = enabled(rt.settings)
        texts_on = {c for c in store.TEXT_DELIVERIES if sender_for(c, rt.settings) is not None}
        for event in events:
            if event.created_at > now - SETTLE:
                break
            cursor = event.id
            if not email_on and not texts_on:
                continue  # nothing can be sent: nothing piles up
            kind, operators = store.alert_recipients(session, event)
            for operator in operators:
                wanted = store.preferences(session, operator)
                ways = [wanted.delivery] if email_on and wanted.wants(kind) else []
                if wanted.phone_alerts in texts_on and wanted.texts(kind):
                    ways.append(wanted.phone_alerts)  # a text goes at once
                for way in ways:
                    alert = store.add_alert(session, operator, event, kind, way)
                    if alert is None:
                        continue
                    written += 1
                    if alert.delivery != "digest":
                        immediate.append(alert.id)
        store.move_cursor(session, cursor)
    for alert_id in immediate:
        _enqueue(rt, "dispatcher.operator_alerts.send_alert", alert_id, key=f"alert:{alert_id}")
    return written


def send_alert(alert_id: int) -> dict[str, Any]:
    """Send one immediate alert, an email or a text (a retry of a sent one sends nothing)."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        alert = store.alert_by_id(session, alert_id)
        if alert is None or alert.status != "queued":
            return {"skipped": True}
        if alert.delivery in store.TEXT_DELIVERIES:
            text = _text_for(session, rt, alert)
            if text is None:
                return {"status": "failed"}
        else:
            text = None
            operator = store.operator_by_id(session, alert.operator_id)
            address = store.preferences(session, operator).email if operator else ""
            if not address or not enabled(rt.settings):
                store.mark_alerts([alert], "failed", utcnow(), error_code="no_email")
                return {"status": "failed"}
            lines = [_headline(alert.kind), _facts(rt, store.complaint_of(session, alert))]
            subject = f"SatuPintu: {WORDS[alert.kind][0]} / {WORDS[alert.kind][1]}"
    if text is not None:
        return _send_text(rt, alert_id, *text)
    return _send(rt, [alert_id], address, subject, lines, "alert", str(alert_id))


def send_digests(now: datetime | None = None) -> int:
    """On a working day after the digest hour: enqueue each waiting operator's digest of
    the alerts written before that hour. Returns how many digests were enqueued."""
    rt = runtime_module.current()
    now = now or utcnow()
    zone = ZoneInfo(rt.settings.timezone)
    local = now.astimezone(zone)
    cutoff = local.replace(hour=rt.settings.digest_hour, minute=0, second=0, microsecond=0)
    if not is_working_day(local.date()) or local < cutoff:
        return 0
    with rt.sessions() as session:
        waiting = {
            operator_id: [a.id for a in alerts if a.created_at < cutoff]
            for operator_id, alerts in store.digest_waiting(session).items()
        }
    day = local.date().isoformat()
    enqueued = 0
    for operator_id, ids in waiting.items():
        if ids:
            key = f"digest:{operator_id}:{day}"
            enqueued += _enqueue(rt, "dispatcher.operator_alerts.send_digest", ids, key=key)
    return enqueued


def send_digest(alert_ids: list[int]) -> dict[str, Any]:
    """One operator's morning email: every alert in ``alert_ids`` still waiting."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        alerts = [a for a in store.alerts_by_ids(session, alert_ids) if a.status == "queued"]
        if not alerts:
            return {"skipped": True}
        operator = store.operator_by_id(session, alerts[0].operator_id)
        address = store.preferences(session, operator).email if operator else ""
        if not address or not enabled(rt.settings):
            store.mark_alerts(alerts, "failed", utcnow(), error_code="no_email")
            return {"status": "failed"}
        lines = [
            f"Ringkasan pagi: {len(alerts)} hal perlu perhatian unit Anda.\n"
            f"Morning digest: {len(alerts)} thing(s) need your unit's attention."
        ]
        for alert in alerts:
            lines.append(
                _headline(alert.kind) + "\n" + _facts(rt, store.complaint_of(session, alert))
            )
        subject = f"SatuPintu: ringkasan pagi / morning digest ({len(alerts)})"
        key = f"{alerts[0].operator_id}.{min(a.id for a in alerts)}"
        ids = [a.id for a in alerts]
    return _send(rt, ids, address, subject, lines, "digest", key)


def _send(
    rt: Runtime, ids: list[int], address: str, subject: str, lines: list[str], kind: str, key: str
) -> dict[str, Any]:
    s = rt.settings
    mail = compose(
        mail_from=s.mail_from,
        to=address,
        subject=subject,
        text="\n\n".join(lines),
        language="id",
        message_id=message_id_for(kind, key, s.mail_from, s.secret_key),
        for_citizen=False,
    )
    try:
        email = EmailSender(s)
        result = email.send_message(mail, envelope_from=email.return_path("alert", min(ids)))
    except TransientSendError:
        raise  # rq's Retry runs the job again
    except PermanentSendError as exc:
        with rt.sessions.begin() as session:
            store.mark_alerts(
                store.alerts_by_ids(session, ids), "failed", utcnow(), error_code=exc.code
            )
        return {"status": "failed", "error_code": exc.code}
    with rt.sessions.begin() as session:
        store.mark_alerts(
            store.alerts_by_ids(session, ids), "sent", utcnow(), external_id=result.external_id
        )
    return {"status": "sent", "alerts": len(ids)}


def _text_for(
    session: Session, rt: Runtime, alert: OperatorAlert
) -> tuple[OutboundMessage, Sender] | None:
    """The short text of ``alert`` and the sender of its channel; None (and the alert
    failed) when the phone or the channel is gone."""
    operator = store.operator_by_id(session, alert.operator_id)
    phone = store.preferences(session, operator).phone if operator else ""
    channel = Channel(alert.delivery)
    sender = sender_for(channel, rt.settings)
    if not phone or sender is None:
        store.mark_alerts([alert], "failed", utcnow(), error_code="no_phone_channel")
        return None
    complaint = store.complaint_of(session, alert)
    zone = ZoneInfo(rt.settings.timezone)
    unit = next((u for u in rt.units if u.code == complaint.owner_unit), None)
    text = render_reply(
        rt.replies,
        "alert_text",
        "id",
        fits_channel=REPLY_LIMITS.get(channel),
        kind=render_reply(rt.replies, f"alert_kind.{alert.kind}", "id"),
        tracking_id=format_tracking_id(complaint.tracking_id),
        unit=unit.name if unit else complaint.owner_unit,
        deadline=complaint.due_at.astimezone(zone).strftime("%d-%m-%Y %H:%M")
        if complaint.due_at
        else "-",
    )
    outbound = OutboundMessage(
        message_id=alert.id, channel=channel, to=f"tel:{phone}", text=text, language="id"
    )
    return outbound, sender


def _send_text(
    rt: Runtime, alert_id: int, outbound: OutboundMessage, sender: Sender
) -> dict[str, Any]:
    """One text through the channel's sender; a transient failure is retried by rq."""
    try:
        result = sender.send(outbound)
    except TransientSendError:
        log.warning("a text alert to an operator failed, will retry")
        raise
    except PermanentSendError as exc:
        with rt.sessions.begin() as session:
            alerts = store.alerts_by_ids(session, [alert_id])
            store.mark_alerts(alerts, "failed", utcnow(), error_code=exc.code or "rejected")
        return {"status": "failed", "error_code": exc.code}
    with rt.sessions.begin() as session:
        alerts = store.alerts_by_ids(session, [alert_id])
        store.mark_alerts(alerts, "sent", utcnow(), external_id=result.external_id)
    return {"status": "sent", "channel": outbound.channel.value}


def _headline(kind: str) -> str:
    return "{} / {}".format(*WORDS[kind])


def _facts(rt: Runtime, complaint: Complaint) -> str:
    """What a unit may read of a case outside the console: no citizen, no words, no notes."""
    zone = ZoneInfo(rt.settings.timezone)
    category = next((c.name for c in rt.categories if c.code == complaint.category), None)
    place = next((p.name for p in rt.places if p.code == complaint.kecamatan_code), None)
    due = complaint.due_at.astimezone(zone).strftime("%d-%m-%Y %H:%M") if complaint.due_at else "-"
    values = (
        format_tracking_id(complaint.tracking_id),
        category or complaint.category or "-",
        place or "-",
        render_reply(rt.replies, f"status.{complaint.status}", "id"),
        due,
    )
    rows = [f"{id_} / {en}: {value}" for (id_, en), value in zip(LABELS, values, strict=True)]
    rows.append(f"{rt.public_url}/console/cases/{complaint.tracking_id}")
    return "\n".join(rows)


def _enqueue(rt: Runtime, func: str, argument: Any, *, key: str) -> int:
    """One job per alert or digest (unique: a second scan or schedule enqueues nothing)."""
    with contextlib.suppress(DuplicateJobError):
        queue(NOTIFY, rt.redis).enqueue(
            func,
            argument,
            job_id=job_id("alert", key),
            unique=True,
            retry=ALERT_RETRY,
            result_ttl=24 * 3600,
            failure_ttl=30 * 24 * 3600,
            description="notify operator",
        )
        return 1
    return 0
