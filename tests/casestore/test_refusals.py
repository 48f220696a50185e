"""A refused action says why as a code (one per reason) with its parameters, so a caller can
answer each reason its own way and say it in its reader's language."""

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
        (Action.REJECT, {"reason": "other"}, Refusal.OTHER_NEEDS_NOTE),
        (Action.VERIFY, {"reason": "spam"}, Refusal.REASON_NOT_USED),
        (
            Action.SET_PRIVACY,
            {"privacy": "anonymous", "message_to_reporter": "x"},
            Refusal.MESSAGE_NOT_SENT,
        ),
        (Action.SET_PRIVACY, {"privacy": "public"}, Refusal.SAME_PRIVACY),  # a rule's own check
        (Action.SET_PRIVACY, {"privacy": "secret"}, Refusal.BAD_PRIVACY),
        (Action.DISPATCH, {"unit": "dinas-entah"}, Refusal.NOT_FROM_STATUS),
    ],
)
def test_each_refusal_carries_its_code(store_session, complaint, action, fields, code):
    given = {"actor": "op", "now": NOW, **fields}
    with pytest.raises(TransitionError) as refused:
        apply_action(store_session, complaint, action, **given)
    assert refused.value.code is code
    # The words in both languages, from the catalogs, parameters filled in.
    indonesian, english = refused.value.message("id"), refused.value.message("en")
    assert str(refused.value) == indonesian
    assert indonesian and english and indonesian != english
    assert "{" not in indonesian + english
