"""Federation jobs: send a queued forward, follow sent ones, reconcile, sweep.

``forward`` sends one case once (the tracking id and unit are the remote's idempotency key,
so a retried job files nothing twice): acknowledged -> ``sent``; the remote down -> retried
with back-off (rq's Retry); the remote refuses -> the case goes back to our coordinator with
the remote's reason. ``poll`` reads each sent case's remote status and moves our case along
the lifecycle (in progress, resolved with the remote's answer, rejected back to the
coordinator), telling the citizen on their channel as for any unit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.federation import (
    Handover,
    RemoteCase,
    RemoteRefused,
    RemoteUnavailable,
)
from adapters.federation.push import CALLBACK_PATH
from casestore import forwards
from casestore.db import Session
from casestore.models import Forward, utcnow
from casestore.vocabulary import Action
from config.reference import Unit
from dispatcher import runtime as runtime_module
from dispatcher.casework import apply_and_tell, notify
from dispatcher.failures import retry_transient_only
from dispatcher.federation import pushes
from dispatcher.federation.follow import apply_remote
from dispatcher.federation.handover import enqueue_forwards
from dispatcher.federation.remotes import connector_of as _connector
from dispatcher.federation.remotes import token_for, unit_of_token  # noqa: F401 (re-exported)
from dispatcher.federation.remotes import unit_for as _unit
from dispatcher.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Reconciled:
    """What ``reconcile`` found for one unit."""

    sent: int = 0  # queued forwards sent now
    resent: int = 0  # forwards the remote had lost, sent again
    matched: int = 0  # forwards the remote acknowledges
    failed: int = 0  # remote unreachable for these


def handover_of(session: Session, forward: Forward, unit: Unit) -> Handover:
    """The case as it may leave: identity only for a public case, confidentiality kept."""
    facts = forwards.case_facts(session, forward)
    public = facts.privacy == "public"
    contact = facts.update_address or facts.contact_urn or ""
    assert unit.link is not None
    return Handover(
        token=token_for(facts.tracking_id, unit.code),
        tracking_id=facts.tracking_id,
        description=facts.description,
        service_code=unit.link.service_for(facts.category),
        category=facts.category,
        kecamatan_code=facts.kecamatan_code,
        desa_code=facts.desa_code,
        latitude=facts.latitude,
        longitude=facts.longitude,
        confidential=facts.privacy == "confidential",
        reporter_name=facts.reporter_name if public else "",
        # A peer SatuPintu keeps no contact of ours: we tell our citizen ourselves.
        reporter_contact=_address(contact) if public and unit.link.connector == "open311" else "",
        language=facts.language,
        callback_url=_callback_url(unit),
    )


def _callback_url(unit: Unit) -> str:
    """Where a SatuPintu peer pushes the case's status changes: our webhook, when we know
    our public address (else polling alone follows the case)."""
    base = runtime_module.current().settings.public_url
    if unit.link is None or unit.link.connector != "satupintu" or not base:
        return ""
    return base.rstrip("/") + CALLBACK_PATH


@retry_transient_only
def forward(forward_id: int) -> str:
    """Send one queued forward; returns its state afterwards."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        if row is None or row.state != forwards.QUEUED:
            return row.state if row is not None else "missing"
        unit = _unit(rt, row.unit_code)
        handover = handover_of(session, row, unit)
    try:
        answer = _connector(unit).send(handover)
    except RemoteUnavailable as exc:
        _note_failure(rt, forward_id, str(exc))
        raise
    except RemoteRefused as exc:
        return _refused(rt, forward_id, str(exc))
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        if row is None or row.state != forwards.QUEUED:
            return row.state if row is not None else "missing"
        forwards.mark_sent(
            row, utcnow(), remote_id=answer.remote_id, token=answer.token, secret=answer.secret
        )
    log.info("forward %d acknowledged by %s", forward_id, unit.code)
    return forwards.SENT


def poll(now: datetime | None = None) -> int:
    """Ask each sent forward's remote where it stands; returns how many cases moved."""
    rt = runtime_module.current()
    now = now or utcnow()
    # Each sent case is asked again once per SATUPINTU_FEDERATION_POLL_SECONDS.
    again = timedelta(seconds=max(rt.settings.federation_poll_seconds, 1) * 0.9)
    with rt.sessions() as session:
        due = [
            row.id
            for row in forwards.forwards_in_state(session, forwards.SENT)
            if row.checked_at is None or row.checked_at <= now - again
        ]
    moved = 0
    for forward_id in due:
        try:
            moved += follow(rt, forward_id, now)
        except RemoteUnavailable as exc:
            _note_failure(rt, forward_id, str(exc), count=False)
        except Exception:  # one broken case must not stop the others being followed
            log.exception("forward %d: following it failed", forward_id)
    return moved


def follow(rt: Runtime, forward_id: int, now: datetime) -> int:
    """Read one sent forward's remote status into our case; 1 when the case moved."""
    with rt.sessions() as session:
        row = forwards.forward_by_id(session, forward_id)
        if row is None or row.state != forwards.SENT:
            return 0
        unit = _unit(rt, row.unit_code)
        known = RemoteCase(
            remote_id=row.remote_id, token=row.remote_token, secret=row.remote_secret
        )
    try:
        answer = _connector(unit).fetch(known)
    except RemoteRefused as exc:
        _note_failure(rt, forward_id, str(exc), count=False)
        return 0
    return int(apply_remote(rt, forward_id, answer, now))


def sweep() -> int:
    """Periodic: re-enqueue queued forwards (Redis was away at dispatch, or retries ran out),
    then poll. Returns how many forwards were re-enqueued."""
    rt = runtime_module.current()
    with rt.sessions() as session:
        queued = [row.id for row in forwards.forwards_in_state(session, forwards.QUEUED)]
    if queued:
        enqueue_forwards(rt.redis, queued)
    poll()
    pushes.sweep(rt)  # pushes to our peers' cases' origins, our citizens' later information
    return len(queued)


def reconcile(unit_code: str | None = None) -> dict[str, Reconciled]:
    """Compare what we forwarded with what each remote acknowledges; send what is missing.

    Queued forwards are sent; a sent forward the remote no longer knows is sent again under
    the same key (a peer SatuPintu derives its case from the key, so this is harmless twice).
    """
    rt = runtime_module.current()
    found: dict[str, Reconciled] = {}
    with rt.sessions() as session:
        rows = [
            (row.id, row.unit_code, row.state)
            for state in (forwards.QUEUED, forwards.SENT)
            for row in forwards.forwards_in_state(session, state, unit_code=unit_code)
        ]
    for forward_id, code, state in rows:
        tally = found.setdefault(code, Reconciled())
        try:
            if state == forwards.QUEUED:
                forward.__wrapped__(forward_id)  # in this process, not through the queue
                tally.sent += 1
            elif _lost(rt, forward_id):
                _resend(rt, forward_id)
                tally.resent += 1
            else:
                tally.matched += 1
        except (RemoteUnavailable, RemoteRefused) as exc:
            _note_failure(rt, forward_id, str(exc), count=False)
            tally.failed += 1
    return found


# --- the case's side ------------------------------------------------------------------------


def _refused(rt: Runtime, forward_id: int, reason: str) -> str:
    """The remote will not take the case: back to our coordinator with its reason."""
    now = utcnow()
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        if row is None or row.state != forwards.QUEUED:
            return row.state if row is not None else "missing"
        unit = _unit(rt, row.unit_code)
        forwards.mark_refused(row, reason)
        complaint = forwards.complaint_of(session, row)
        note = f"Tidak diterima oleh {unit.name}: {reason}"[:2000]
        outbound: list[int] = []
        if complaint.owner_unit == unit.code:
            acted = apply_and_tell(
                session,
                complaint,
                Action.BOUNCE,
                rt,
                actor=f"federation:{unit.code}",
                now=now,
                reason="other",
                note=note,
            )
            outbound = acted.outbound_ids
    notify(rt, outbound)
    log.warning("forward %d refused by %s", forward_id, unit.code)
    return forwards.REFUSED


def _lost(rt: Runtime, forward_id: int) -> bool:
    with rt.sessions() as session:
        row = forwards.forward_by_id(session, forward_id)
        assert row is not None
        unit = _unit(rt, row.unit_code)
        known = RemoteCase(
            remote_id=row.remote_id, token=row.remote_token, secret=row.remote_secret
        )
    try:
        answer = _connector(unit).fetch(known)
    except RemoteRefused:
        return True
    return answer is known  # the remote answered "no such case" (the connector kept ours)


def _resend(rt: Runtime, forward_id: int) -> None:
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        assert row is not None
        unit = _unit(rt, row.unit_code)
        handover = handover_of(session, row, unit)
    answer = _connector(unit).send(handover)
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        assert row is not None
        row.attempts -= 1  # mark_sent counts an attempt; a resend is the same handover
        forwards.mark_sent(
            row, utcnow(), remote_id=answer.remote_id, token=answer.token, secret=answer.secret
        )


def _note_failure(rt: Runtime, forward_id: int, error: str, *, count: bool = True) -> None:
    with rt.sessions.begin() as session:
        row = forwards.forward_by_id(session, forward_id, lock=True)
        if row is not None:
            if count:
                forwards.mark_attempt_failed(row, error)
            else:
                row.last_error = error[: forwards.MAX_ERROR_CHARS]
    log.warning("forward %d: remote unavailable: %s", forward_id, error)


def _address(urn: str) -> str:
    """tel:+62... -> +62..., mailto:a@b -> a@b."""
    return urn.split(":", 1)[1] if ":" in urn else urn
