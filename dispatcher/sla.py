"""The SLA sweep: warn before a deadline, escalate after it, close what the citizen left.

A periodic job (dispatcher/schedule.py runs ``sweep`` every few minutes). Each run, in one
transaction:

1. Resolved cases whose 10-working-day answer window has passed are closed (the citizen is
   told, followers too).
2. Open cases past their deadline are escalated: an ``escalated`` event, and the case is in
   the coordinator's overdue list (casestore.deadlines.overdue_complaints).
3. Open cases one working day from their deadline get one ``sla_warning`` event.

Before those, cases that waited for their reporter as long as their SLA policy allows
(``max_wait_days``) go on as the policy says (``on_wait_expired``): back to the status they
had, with an internal note and the deadlines moved by the wait ("resume", the shipped
choice: config/data/sla_policy.toml says why), or archived for no response ("archive", the
citizen told). A waiting case is never warned or escalated.

Escalation does not move the case. In SP4N-LAPOR! the unit a report was dispatched to stays
responsible for it when it is late: the Admin Koordinator monitors the late ones and reminds,
re-dispatches or takes over by hand (dispatch, bounce). Moving ownership automatically would
take the case from the one unit that can act on it and hide the unit's lateness.

Safe to run twice or at once: each mark is written once (``warn_at`` is cleared when warned,
``escalated_at`` set when escalated) and rows are locked (SKIP LOCKED on PostgreSQL).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from casestore.db import Session
from casestore.deadlines import (
    clock_terms,
    due_for_warning,
    expired_waits,
    mark_escalated,
    mark_warned,
    past_deadline,
    unanswered_resolutions,
)
from casestore.lifecycle import Action
from casestore.models import utcnow
from dispatcher import runtime as runtime_module
from dispatcher.casework import apply_and_tell
from dispatcher.outbox import enqueue_notifications
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 500  # cases per kind per run; the next run takes the rest
AUTO_CLOSE_NOTE = "Ditutup otomatis: tidak ada tanggapan pelapor dalam 10 hari kerja."
ESCALATED_NOTE = "Melewati batas waktu; dieskalasi ke koordinator."
WARNING_NOTE = "Batas waktu tinggal satu hari kerja."
WAIT_OVER_NOTE = "Pelapor tidak menanggapi dalam batas waktu; aduan kembali ke unit."
WAIT_ARCHIVED_NOTE = "Pelapor tidak menanggapi permintaan keterangan dalam batas waktu."


@dataclass
class SweepResult:
    closed: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # waits that ran out, back to the owner
    archived: list[str] = field(default_factory=list)  # waits that ran out, archived
    outbound_ids: list[int] = field(default_factory=list)


def sweep_deadlines(session: Session, runtime: Runtime, now: datetime) -> SweepResult:
    """Close, escalate and warn what is due at ``now``; the caller commits."""
    result = SweepResult()
    for complaint in expired_waits(session, now, BATCH):
        terms, _closed = clock_terms(complaint, runtime.settings.timezone)
        if terms.on_wait_expired == "archive":
            acted = apply_and_tell(
                session, complaint, Action.ARCHIVE, runtime, actor="system", now=now,
                reason="no_response", note=WAIT_ARCHIVED_NOTE,
            )  # fmt: skip
            result.archived.append(complaint.tracking_id)
        else:
            acted = apply_and_tell(
                session, complaint, Action.RESUME, runtime, actor="system", now=now,
                note=WAIT_OVER_NOTE,
            )  # fmt: skip
            result.resumed.append(complaint.tracking_id)
        result.outbound_ids += acted.outbound_ids
    for complaint in unanswered_resolutions(session, now, BATCH):
        acted = apply_and_tell(
            session, complaint, Action.CLOSE, runtime, actor="system", now=now, note=AUTO_CLOSE_NOTE
        )
        result.outbound_ids += acted.outbound_ids
        result.closed.append(complaint.tracking_id)
    for complaint in past_deadline(session, now, BATCH):
        mark_escalated(session, complaint, now, ESCALATED_NOTE)
        result.escalated.append(complaint.tracking_id)
    for complaint in due_for_warning(session, now, BATCH):
        mark_warned(session, complaint, now, WARNING_NOTE)
        result.warned.append(complaint.tracking_id)
    session.flush()
    return result


def sweep() -> dict[str, int]:
    """The periodic job: sweep now, commit, then queue the citizens' messages."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        result = sweep_deadlines(session, rt, utcnow())
    enqueue_notifications(rt.redis, result.outbound_ids)
    if result.closed or result.escalated or result.warned or result.resumed or result.archived:
        log.info(
            "sla sweep: %d closed, %d escalated, %d warned, %d waits over (%d archived)",
            len(result.closed),
            len(result.escalated),
            len(result.warned),
            len(result.resumed) + len(result.archived),
            len(result.archived),
        )
    return {
        "closed": len(result.closed),
        "escalated": len(result.escalated),
        "warned": len(result.warned),
        "resumed": len(result.resumed),
        "archived": len(result.archived),
    }
