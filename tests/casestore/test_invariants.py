"""Nothing unowned: after any sequence of actions, every case has exactly one existing owner.

A seeded random walk (the same seeds every run, so a failure replays) applies random actions
with random, often wrong, fields to a handful of cases and checks the invariants after every
step, refused steps included.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casestore import complaints as store
from casestore import contacts
from casestore.lifecycle import (
    FINAL_STATUSES,
    WATCHED_STATUSES,
    Action,
    Status,
    TransitionError,
    allowed_actions,
    apply_action,
    start_clocks,
)
from casestore.models import Complaint, Unit
from tests.case_records import complaint_record

START = datetime(2026, 12, 21, 2, 0, tzinfo=UTC)
UNITS = ["diskominfo", "dinas-pupr", "rsud", "kec-11.04.01", "pdam", "dinas-hantu", ""]
REASONS = ["not_authority", "other", "withdrawn", "spam", "not_a_complaint", "bogus", None]
NOTES = ["", "Sudah ditangani", "   "]
PRIVACY = ["public", "anonymous", "confidential", "secret", None]


def new_case(session, n: int, owner: str) -> Complaint:
    complaint = store.open_complaint(
        session,
        complaint_record(f"walk:{n}", START, text="Air PDAM mati"),
        tracking_id=f"W{n:09d}",
        contact=contacts.get_or_create_contact(session, f"tel:+628130000{n:04d}"),
        owner_unit=owner,
    )
    start_clocks(complaint)
    return complaint


def plausible(rng: random.Random, action: Action, cases: list[Complaint]) -> dict:
    return {
        Action.DISPATCH: {"unit": rng.choice(UNITS[:5])},
        Action.BOUNCE: {"reason": "not_authority"},
        Action.RESOLVE: {"note": "Sudah diperbaiki"},
        Action.REJECT: {"reason": "spam"},
        Action.ARCHIVE: {"reason": "withdrawn"},
        Action.MARK_DUPLICATE: {"master": rng.choice(cases)},
        Action.SET_PRIVACY: {"privacy": rng.choice(PRIVACY[:3])},
        Action.REPLY: {"note": "Sedang dijadwalkan"},
    }.get(action, {})


def check_invariants(session) -> None:
    session.flush()
    unowned = session.scalar(
        select(func.count())
        .select_from(Complaint)
        .outerjoin(Unit, Unit.code == Complaint.owner_unit)
        .where(Unit.code.is_(None))
    )
    assert unowned == 0, "a case without an existing owner"
    for complaint in session.scalars(select(Complaint)):
        status = Status(complaint.status)
        if status in FINAL_STATUSES:
            assert complaint.due_at is None and complaint.warn_at is None
        if status in WATCHED_STATUSES:
            assert complaint.due_at is not None, f"{status} without a deadline"
        if status is Status.DUPLICATE:
            master = session.get(Complaint, complaint.master_id)
            assert master is not None and master.status != Status.DUPLICATE, "a chain"
        else:
            assert complaint.master_id is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_walk_keeps_one_owner(store_session, seed: int):
    session = store_session
    rng = random.Random(seed)
    cases = [new_case(session, seed * 100 + n, rng.choice(UNITS[:5])) for n in range(6)]
    check_invariants(session)
    now, applied, refused = START, 0, 0
    for step in range(250):
        if step % 25 == 24:  # new cases keep arriving while others finish
            cases.append(new_case(session, seed * 1000 + step, rng.choice(UNITS[:5])))
        now += timedelta(hours=rng.choice([1, 5, 30]))
        complaint = rng.choice(cases)
        buttons = allowed_actions(complaint, now)
        # Mostly what the console offers for this case, sometimes anything at all.
        action = rng.choice(buttons if buttons and rng.random() < 0.6 else list(Action))
        if rng.random() < 0.7:  # what a console would send for this action
            fields = plausible(rng, action, cases)
        else:  # anything at all
            fields = {
                "note": rng.choice(NOTES),
                "reason": rng.choice(REASONS),
                "unit": rng.choice([*UNITS, None]),
                "master": rng.choice([*cases, None]),
                "privacy": rng.choice(PRIVACY),
            }
        try:
            with session.begin_nested():
                actor = rng.choice(["op", "citizen", "system"])
                apply_action(session, complaint, action, actor=actor, now=now, **fields)
            applied += 1
        except TransitionError:
            refused += 1
        check_invariants(session)
    # The walk went somewhere: both kinds of step happened many times.
    assert applied > 30 and refused > 30, (applied, refused)


@pytest.mark.parametrize("owner", [None, "dinas-hantu"])
def test_the_schema_refuses_a_missing_or_unknown_owner(store_session, owner):
    complaint = new_case(store_session, 9000, "dinas-pupr")
    store_session.flush()
    complaint.owner_unit = owner
    with pytest.raises(IntegrityError):
        store_session.flush()
