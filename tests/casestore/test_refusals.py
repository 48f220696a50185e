"""A refused action says why as a code beside its Indonesian message, so a caller can answer
each reason its own way without reading the words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casestore import complaints as store
from casestore.lifecycle import Action, Refusal, TransitionError, apply_action, start_clocks
from config.reference import load_units
from tests.case_records import complaint_record

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
UNIT = next(unit.code for unit in load_units() if unit.kind != "coordinator")


@pytest.fixture
def complaint(store_session):
    case = store.open_complaint(
        store_session,
        complaint_record("sms:refusals-1", NOW),
        tracking_id="REFUSE01",
        contact=None,
        owner_unit=UNIT,
    )
    start_clocks(case)
    store_session.flush()
    return case


@pytest.mark.parametrize(
    ("action", "fields", "code"),
    [
        ("terbang", {}, Refusal.UNKNOWN_ACTION),
        (Action.VERIFY, {"actor": " "}, Refusal.NO_ACTOR),
        (Action.VERIFY, {"now": NOW.replace(tzinfo=None)}, Refusal.NAIVE_TIME),
        (Action.CLOSE, {}, Refusal.NOT_FROM_STATUS),
        (Action.REJECT, {}, Refusal.MISSING_FIELD),
        (Action.REJECT, {"reason": "malas"}, Refusal.BAD_REASON),
        (Action.VERIFY, {"reason": "spam"}, Refusal.UNEXPECTED_FIELD),
        (
            Action.SET_PRIVACY,
            {"privacy": "anonymous", "message_to_reporter": "x"},
            Refusal.UNEXPECTED_FIELD,
        ),
        (Action.SET_PRIVACY, {"privacy": "public"}, Refusal.REFUSED),  # a rule's own check
    ],
)
def test_each_refusal_carries_its_code(store_session, complaint, action, fields, code):
    given = {"actor": "op", "now": NOW, **fields}
    with pytest.raises(TransitionError) as refused:
        apply_action(store_session, complaint, action, **given)
    assert refused.value.code is code
    assert str(refused.value)  # the words for the operator are still there
