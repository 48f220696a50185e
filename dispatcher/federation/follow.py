"""What a remote says of a case we forwarded, polled or pushed, moved into our case.

One mapping for both (``apply_remote``), so the same change read twice moves the case once
and tells the citizen once: in progress, resolved with the remote's answer, closed, or
rejected back to our coordinator with the remote's reason.
"""

from __future__ import annotations

import logging
from datetime import datetime

from adapters.federation import RemoteCase
from adapters.federation import base as remote
from casestore import forwards
from casestore.db import Session
from casestore.models import Forward
from casestore.transitions import TransitionError
from casestore.vocabulary import Action, Status
from config import catalogs
from config.reference import Unit
from dispatcher.casework import apply_and_tell, notify
from dispatcher.federation.remotes import unit_for
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)


def apply_remote(rt: Runtime, forward_id: int, answer: RemoteCase, now: datetime) -> bool:
    """What the remote says of a sent forward, polled or pushed, moved into our case (the
    one mapping for both, so the same change read twice tells the citizen once)."""
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        if row is None or row.state != forwards.SENT:
            return False
        unit = unit_for(rt, row.unit_code)
        forwards.mark_checked(row, now, remote_status=answer.state, remote_id=answer.remote_id)
        moved, outbound = _move(rt, session, row, unit, answer, now)
    notify(rt, outbound)
    return moved


def _move(
    rt: Runtime, session: Session, row: Forward, unit: Unit, answer: RemoteCase, now: datetime
) -> tuple[bool, list[int]]:
    """Apply what the remote said to our case: whether it moved, and the replies to send."""
    complaint = forwards.complaint_of(session, row)
    if complaint.owner_unit != unit.code:
        forwards.mark_done(row)  # our coordinator took it back meanwhile: stop following
        return False, []
    actor = f"federation:{unit.code}"
    steps: list[tuple[Action, dict]] = []
    if answer.state == remote.IN_PROGRESS and complaint.status == Status.DISPATCHED:
        steps = [(Action.START, {})]
    elif answer.state in (remote.RESOLVED, remote.CLOSED):
        message = answer.notes or _resolved_message(complaint.language, unit)
        if complaint.status == Status.DISPATCHED:
            steps.append((Action.START, {}))
        steps.append((Action.RESOLVE, {"message_to_reporter": message}))
        forwards.mark_done(row)
    elif answer.state == remote.REJECTED:
        note = f"Ditolak oleh {unit.name}: {answer.notes or 'tanpa alasan'}"
        steps = [(Action.BOUNCE, {"reason": "other", "note": note[:2000]})]
        forwards.mark_refused(row, note)
    outbound: list[int] = []
    for action, fields in steps:
        try:
            acted = apply_and_tell(session, complaint, action, rt, actor=actor, now=now, **fields)
        except TransitionError as exc:
            log.warning("forward %d: %s not applied: %s", row.id, action.value, exc)
            return bool(outbound), outbound
        outbound += acted.outbound_ids
    return bool(steps), outbound


def _resolved_message(language: str, unit: Unit) -> str:
    """What our citizen is told when the remote closed the case without words of its own."""
    name = unit.name_en if language == "en" else unit.name
    return catalogs.text("federation.resolved", language).format(unit=name)
