"""Operators' notifications: where each one hears of the unit's work, and every alert sent.

An operator's ``OperatorNotice`` holds their email (and optional phone), which kinds of
alert are on and whether they come at once or in the morning digest. The alert scan reads
new status events after a cursor (``channel_state`` row ``operator-alerts``), writes one
``OperatorAlert`` per operator and event (keyed, so a second scan writes nothing), and the
send jobs mark them sent or failed. Functions take the caller's session, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casestore.channels import channel_state
from casestore.claims import insert_unless_exists
from casestore.models import Complaint, Operator, OperatorAlert, OperatorNotice, StatusEvent, Unit
from casestore.vocabulary import Action, EventKind
from normalizer.urns import InvalidContact, mailto_urn, tel_urn

CURSOR = "operator-alerts"


class AlertKind:
    """The kinds an operator switches on or off (the console's and the CLI's names)."""

    ROUTED = "routed"  # a case routed or dispatched to my unit
    BOUNCED = "bounced"  # a unit sent a case back to the coordinator ("bukan wewenang")
    CITIZEN = "citizen"  # new information, or the citizen's answer to a resolution
    DEADLINE = "deadline"  # a deadline within one working day
    ESCALATED = "escalated"  # a deadline missed: escalated to the coordinator


ALERT_KINDS = (
    AlertKind.ROUTED,
    AlertKind.BOUNCED,
    AlertKind.CITIZEN,
    AlertKind.DEADLINE,
    AlertKind.ESCALATED,
)
DELIVERIES = ("immediate", "digest")
# Texts to the operator's phone (issue 18): off, by SMS, or by WhatsApp; always at once.
PHONE_ALERTS = ("off", "sms", "whatsapp")
TEXT_DELIVERIES = ("sms", "whatsapp")  # an alert row's delivery when it is a text
# Which events make which alert, and who hears it: the unit the case went to, its owner,
# or the coordinator.
EVENT_ALERTS: dict[str, tuple[str, str]] = {
    EventKind.ROUTED.value: (AlertKind.ROUTED, "to_unit"),
    Action.DISPATCH.value: (AlertKind.ROUTED, "to_unit"),
    Action.BOUNCE.value: (AlertKind.BOUNCED, "coordinator"),
    EventKind.FOLLOW_UP.value: (AlertKind.CITIZEN, "owner"),
    Action.REOPEN.value: (AlertKind.CITIZEN, "owner"),
    EventKind.SLA_WARNING.value: (AlertKind.DEADLINE, "owner"),
    EventKind.ESCALATED.value: (AlertKind.ESCALATED, "coordinator"),
}


@dataclass(frozen=True)
class Preferences:
    email: str
    phone: str
    delivery: str
    kinds: frozenset[str]
    phone_alerts: str = "off"  # | sms | whatsapp

    def wants(self, kind: str) -> bool:
        return bool(self.email) and kind in self.kinds

    def texts(self, kind: str) -> bool:
        """Whether ``kind`` also goes to the phone as a short text."""
        return bool(self.phone) and self.phone_alerts in TEXT_DELIVERIES and kind in self.kinds


def preferences(session: Session, operator: Operator) -> Preferences:
    """The operator's settings; every kind on and immediate until they change them."""
    if operator.id is None:
        session.flush()
    row = session.get(OperatorNotice, operator.id)
    if row is None:
        return Preferences("", "", "immediate", frozenset(ALERT_KINDS))
    texts = row.phone_alerts if row.phone_alerts in TEXT_DELIVERIES else "off"
    return Preferences(row.email, row.phone, row.delivery, frozenset(row.kinds), texts)


def set_preferences(
    session: Session,
    operator: Operator,
    *,
    email: str | None = None,
    phone: str | None = None,
    delivery: str | None = None,
    kinds: Iterable[str] | None = None,
    phone_alerts: str | None = None,
) -> Preferences:
    """Change what is given (None: unchanged; "" clears an address). ValueError names the
    field that is not right."""
    if operator.id is None:
        session.flush()
    row = session.get(OperatorNotice, operator.id)
    if row is None:
        row = OperatorNotice(
            operator_id=operator.id, email="", phone="", delivery="immediate",
            kinds=list(ALERT_KINDS),
        )  # fmt: skip
        session.add(row)
    if email is not None:
        row.email = _email(email)
    if phone is not None:
        row.phone = _phone(phone)
    if delivery is not None:
        if delivery not in DELIVERIES:
            raise ValueError(f"delivery must be one of {', '.join(DELIVERIES)}")
        row.delivery = delivery
    if kinds is not None:
        chosen = list(dict.fromkeys(kinds))
        unknown = set(chosen) - set(ALERT_KINDS)
        if unknown:
            raise ValueError(f"unknown alert kind(s): {', '.join(sorted(unknown))}")
        row.kinds = chosen
    if phone_alerts is not None:
        if phone_alerts not in PHONE_ALERTS:
            raise ValueError(f"phone_alerts: must be one of {', '.join(PHONE_ALERTS)}")
        row.phone_alerts = "" if phone_alerts == "off" else phone_alerts
    if row.phone_alerts and not row.phone:
        raise ValueError("phone_alerts: texts need a phone number")
    session.flush()
    return preferences(session, operator)


def _email(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return mailto_urn(value).removeprefix("mailto:")
    except InvalidContact as exc:
        raise ValueError("email: not an email address") from exc


def _phone(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return tel_urn(value).removeprefix("tel:")
    except InvalidContact as exc:
        raise ValueError("phone: not a phone number") from exc


# --- the scan ---------------------------------------------------------------------------------


def events_to_scan(session: Session, limit: int) -> tuple[list[StatusEvent], int]:
    """The next events after the cursor (locked until the commit), and the cursor."""
    state = channel_state(session, CURSOR, lock=True)
    after = int(state.cursor or 0)
    events = list(
        session.scalars(
            select(StatusEvent).where(StatusEvent.id > after).order_by(StatusEvent.id).limit(limit)
        )
    )
    return events, after


def start_cursor_at_latest(session: Session) -> None:
    """A store that never scanned starts at its newest event: no flood of old alerts."""
    state = channel_state(session, CURSOR, lock=True)
    if state.cursor is None:
        latest = session.scalar(select(StatusEvent.id).order_by(StatusEvent.id.desc()).limit(1))
        state.cursor = str(latest or 0)


def move_cursor(session: Session, to: int) -> None:
    channel_state(session, CURSOR).cursor = str(to)


def alert_recipients(session: Session, event: StatusEvent) -> tuple[str, list[Operator]]:
    """The alert kind ``event`` makes and the active operators who hear of it."""
    kind, who = EVENT_ALERTS.get(event.kind, ("", ""))
    if not kind:
        return "", []
    complaint = event.complaint
    coordinator_units = set(session.scalars(select(Unit.code).where(Unit.kind == "coordinator")))
    unit = {"to_unit": event.to_unit, "owner": complaint.owner_unit}.get(who)
    active = select(Operator).where(Operator.active.is_(True))
    if who == "coordinator" or unit in coordinator_units:
        operators = session.scalars(active.where(Operator.role == "coordinator"))
    elif unit:
        operators = session.scalars(
            active.where(Operator.role == "unit", Operator.unit_code == unit)
        )
    else:
        return kind, []
    return kind, list(operators)


def add_alert(
    session: Session, operator: Operator, event: StatusEvent, kind: str, delivery: str
) -> OperatorAlert | None:
    """One alert row; None when this operator was alerted of this event before (by email,
    or for a text, ``delivery`` sms/whatsapp, by text: one of each at most)."""
    suffix = f":{delivery}" if delivery in TEXT_DELIVERIES else ""
    return insert_unless_exists(
        session,
        OperatorAlert,
        ["dedupe_key"],
        {
            "dedupe_key": f"{operator.id}:{event.id}{suffix}",
            "operator_id": operator.id,
            "complaint_id": event.complaint_id,
            "event_id": event.id,
            "kind": kind,
            "delivery": delivery,
            "status": "queued",
            "attempts": 0,
        },
    )


# --- the send jobs ----------------------------------------------------------------------------


def alert_by_id(session: Session, alert_id: int) -> OperatorAlert | None:
    return session.get(OperatorAlert, alert_id)


def operator_by_id(session: Session, operator_id: int) -> Operator | None:
    return session.get(Operator, operator_id)


def complaint_of(session: Session, alert: OperatorAlert) -> Complaint:
    complaint = session.get(Complaint, alert.complaint_id)
    assert complaint is not None  # a foreign key
    return complaint


def digest_waiting(session: Session) -> dict[int, list[OperatorAlert]]:
    """The alerts waiting for the morning digest, by operator, oldest first."""
    rows = session.scalars(
        select(OperatorAlert)
        .where(OperatorAlert.delivery == "digest", OperatorAlert.status == "queued")
        .order_by(OperatorAlert.id)
    )
    waiting: dict[int, list[OperatorAlert]] = {}
    for alert in rows:
        waiting.setdefault(alert.operator_id, []).append(alert)
    return waiting


def alerts_by_ids(session: Session, ids: list[int]) -> list[OperatorAlert]:
    return list(
        session.scalars(
            select(OperatorAlert).where(OperatorAlert.id.in_(ids)).order_by(OperatorAlert.id)
        )
    )


def mark_alerts(
    alerts: Iterable[OperatorAlert],
    status: str,
    now: datetime,
    *,
    external_id: str | None = None,
    error_code: str | None = None,
) -> None:
    for alert in alerts:
        alert.attempts += 1
        alert.status = status
        alert.sent_at = now if status == "sent" else alert.sent_at
        alert.external_id = external_id or alert.external_id
        alert.error_code = error_code[:20] if error_code else None


def recent_alerts(session: Session, operator: Operator, limit: int = 20) -> list[OperatorAlert]:
    """What the operator was told lately, newest first (their settings page shows it)."""
    return list(
        session.scalars(
            select(OperatorAlert)
            .where(OperatorAlert.operator_id == operator.id)
            .order_by(OperatorAlert.id.desc())
            .limit(limit)
        )
    )


def record_alert_bounce(session: Session, alert_id: int, error_code: str, permanent: bool) -> bool:
    """A late bounce of an operator's alert email; False when there is no such alert."""
    alert = session.get(OperatorAlert, alert_id)
    if alert is None:
        return False
    if permanent:
        alert.status = "failed"
    alert.error_code = error_code[:20]
    return True
