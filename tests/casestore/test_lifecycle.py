"""The lifecycle table: every action from every status, allowed or refused, and what it does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from casestore import complaints as store
from casestore import contacts
from casestore.clock import add_working_days
from casestore.deadlines import overdue_complaints
from casestore.duplicates import followers
from casestore.lifecycle import (
    RULES,
    Action,
    Status,
    TransitionError,
    allowed_actions,
    apply_action,
    start_clocks,
)
from casestore.models import Complaint, DuplicateLink, StatusEvent
from casestore.queries import public_case
from casestore.stats import bounce_counts
from tests.case_records import complaint_record

S = Status
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB
COORDINATOR = "diskominfo"
OPEN = (
    S.RECEIVED, S.VERIFIED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.BOUNCED, S.WAITING_REPORTER,
)  # fmt: skip
WORKED = (S.RECEIVED, S.VERIFIED, S.DISPATCHED, S.IN_PROGRESS)  # a question may be asked

# The lifecycle as LAPOR! describes it, written out independently of RULES: for each
# action, the statuses it is allowed from and the status it leads to. Every other
# (action, status) pair must be refused.
EXPECTED: dict[Action, dict[Status, Status]] = {
    Action.VERIFY: {S.RECEIVED: S.VERIFIED},
    Action.DISPATCH: {
        S.VERIFIED: S.DISPATCHED,
        S.BOUNCED: S.DISPATCHED,
        S.DISPATCHED: S.DISPATCHED,
    },
    Action.BOUNCE: {s: S.BOUNCED for s in (S.RECEIVED, S.VERIFIED, S.DISPATCHED, S.IN_PROGRESS)},
    Action.START: {S.DISPATCHED: S.IN_PROGRESS},
    Action.RESOLVE: {S.IN_PROGRESS: S.RESOLVED},
    Action.REJECT: {s: S.REJECTED for s in OPEN},
    Action.ARCHIVE: {s: S.ARCHIVED for s in OPEN},
    Action.CLOSE: {S.RESOLVED: S.CLOSED},
    Action.REOPEN: {S.RESOLVED: S.IN_PROGRESS},
    Action.MARK_DUPLICATE: {
        s: S.DUPLICATE for s in OPEN if s not in (S.RESOLVED, S.WAITING_REPORTER)
    },
    Action.UNLINK_DUPLICATE: {S.DUPLICATE: S.RECEIVED},  # back to where it was marked
    Action.SET_PRIVACY: {s: s for s in Status},
    Action.REPLY: {s: s for s in OPEN},
    # Minta keterangan: from the working statuses to waiting; the answer goes back (here:
    # every waiting case was asked while in progress).
    Action.ASK_REPORTER: {s: S.WAITING_REPORTER for s in WORKED},
    Action.RESUME: {S.WAITING_REPORTER: S.IN_PROGRESS},
}


@pytest.fixture
def session(store_session):
    return store_session


_serial = iter(range(1, 10**6))


def new_case(
    session, owner: str = "dinas-pupr", received_at: datetime = NOW, urn: str | None = None
) -> Complaint:
    n = next(_serial)
    contact = contacts.get_or_create_contact(session, urn or f"tel:+6281200{n:06d}")
    complaint = store.open_complaint(
        session,
        complaint_record(f"test:{n}", received_at, text="Jalan rusak di Kenawat", category="jalan"),
        tracking_id=f"T{n:09d}",
        contact=contact,
        owner_unit=owner,
    )
    start_clocks(complaint)
    session.flush()
    return complaint


def case_in(session, status: Status) -> Complaint:
    """A case in ``status``, reached the way an operator would reach it."""
    complaint = new_case(session)
    path = {
        S.RECEIVED: [],
        S.VERIFIED: [Action.VERIFY],
        S.DISPATCHED: [Action.VERIFY, Action.DISPATCH],
        S.IN_PROGRESS: [Action.VERIFY, Action.DISPATCH, Action.START],
        S.RESOLVED: [Action.VERIFY, Action.DISPATCH, Action.START, Action.RESOLVE],
        S.CLOSED: [Action.VERIFY, Action.DISPATCH, Action.START, Action.RESOLVE, Action.CLOSE],
        S.REJECTED: [Action.REJECT],
        S.ARCHIVED: [Action.ARCHIVE],
        S.BOUNCED: [Action.BOUNCE],
        S.DUPLICATE: [Action.MARK_DUPLICATE],
        S.WAITING_REPORTER: [Action.VERIFY, Action.DISPATCH, Action.START, Action.ASK_REPORTER],
    }[status]
    for action in path:
        fields = valid_fields(session, action)
        if action is Action.DISPATCH:
            fields = {"unit": "dinas-kesehatan"}  # every dispatched case here is Kesehatan's
        apply_action(session, complaint, action, actor="op", now=NOW, **fields)
    assert complaint.status == status
    return complaint


def valid_fields(session, action: Action) -> dict:
    return {
        Action.DISPATCH: {"unit": "rsud"},
        Action.BOUNCE: {"reason": "not_authority", "note": "Ini urusan PLN"},
        Action.RESOLVE: {"message_to_reporter": "Sudah ditambal"},
        Action.REJECT: {"reason": "not_a_complaint"},
        Action.ARCHIVE: {"reason": "handled_elsewhere"},
        Action.MARK_DUPLICATE: {"master": new_case(session)},
        Action.SET_PRIVACY: {"privacy": "confidential"},
        Action.REPLY: {"message_to_reporter": "Tim sudah dijadwalkan turun hari Kamis"},
        Action.ASK_REPORTER: {"message_to_reporter": "Di desa mana tepatnya jalan itu?"},
    }.get(action, {})


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_every_action_from_every_status(session, action: Action):
    outcome = {}
    for status in Status:
        complaint = case_in(session, status)
        try:
            event = apply_action(
                session, complaint, action, actor="op", now=NOW, **valid_fields(session, action)
            )
        except TransitionError:
            assert complaint.status == status, "a refused action changed the case"
            continue
        outcome[status] = Status(complaint.status)
        assert event.kind == action.value and event.actor == "op"
        assert event.complaint_id == complaint.id
    assert outcome == EXPECTED[action]


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_allowed_actions_are_the_table(session, status: Status):
    complaint = case_in(session, status)
    expected = [a for a in Action if status in EXPECTED[a]]
    if complaint.owner_unit == COORDINATOR:  # bounced: the coordinator cannot bounce to itself
        expected = [a for a in expected if a is not Action.BOUNCE]
    assert allowed_actions(complaint, NOW) == expected


def test_the_rules_table_says_the_same_as_the_expected_lifecycle():
    assert set(RULES) == set(Action)
    for action, rule in RULES.items():
        assert set(rule.sources) == set(EXPECTED[action]), action


# --- required fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "fields", "message"),
    [
        (S.VERIFIED, Action.DISPATCH, {}, "unit tujuan"),
        (S.VERIFIED, Action.DISPATCH, {"unit": "dinas-hantu"}, "tidak dikenal"),
        (S.DISPATCHED, Action.BOUNCE, {}, "kode alasan"),
        (S.DISPATCHED, Action.BOUNCE, {"reason": "malas"}, "tidak dikenal"),
        (S.DISPATCHED, Action.BOUNCE, {"reason": "other"}, "memerlukan catatan"),
        (S.IN_PROGRESS, Action.RESOLVE, {}, "pesan untuk pelapor"),
        (S.IN_PROGRESS, Action.RESOLVE, {"message_to_reporter": "   "}, "pesan untuk pelapor"),
        # A resolution is a message to the reporter: an internal note alone is not one.
        (S.IN_PROGRESS, Action.RESOLVE, {"note": "Sudah"}, "pesan untuk pelapor"),
        (S.RECEIVED, Action.REJECT, {}, "kode alasan"),
        (S.RECEIVED, Action.ARCHIVE, {"reason": "not_a_complaint"}, "tidak dikenal"),
        (S.RECEIVED, Action.REPLY, {}, "pesan untuk pelapor"),
        (S.RECEIVED, Action.REPLY, {"note": "Besok dicek"}, "pesan untuk pelapor"),
        (
            S.DISPATCHED,
            Action.BOUNCE,
            {"reason": "not_authority", "message_to_reporter": "x"},
            "tidak mengirim pesan",
        ),
        (
            S.RECEIVED,
            Action.SET_PRIVACY,
            {"privacy": "anonymous", "message_to_reporter": "x"},
            "tidak mengirim pesan",
        ),
        (S.RECEIVED, Action.MARK_DUPLICATE, {}, "aduan induk"),
        (S.RECEIVED, Action.SET_PRIVACY, {}, "tingkat privasi"),
        (S.RECEIVED, Action.SET_PRIVACY, {"privacy": "secret"}, "Privasi harus"),
        (S.RECEIVED, Action.SET_PRIVACY, {"privacy": "public"}, "sudah seperti itu"),
        (S.RECEIVED, Action.VERIFY, {"reason": "spam"}, "tidak memakai kode alasan"),
        (S.RECEIVED, "terbang", {}, "tidak dikenal"),
    ],
)
def test_missing_or_wrong_fields_are_refused_in_indonesian(
    session, status, action, fields, message
):
    complaint = case_in(session, status)
    events_before = len(complaint.events)
    with pytest.raises(TransitionError, match=message) as refused:
        apply_action(session, complaint, action, actor="op", now=NOW, **fields)
    assert isinstance(refused.value, ValueError)
    assert complaint.status == status
    session.refresh(complaint)
    assert len(complaint.events) == events_before


def test_an_actor_and_an_aware_time_are_required(session):
    complaint = case_in(session, S.RECEIVED)
    with pytest.raises(TransitionError, match="actor"):
        apply_action(session, complaint, Action.VERIFY, actor="  ", now=NOW)
    with pytest.raises(TransitionError, match="zona waktu"):
        apply_action(session, complaint, Action.VERIFY, actor="op", now=NOW.replace(tzinfo=None))


def test_dispatch_to_an_inactive_unit_or_the_same_unit_again_is_refused(session):
    complaint = case_in(session, S.DISPATCHED)
    with pytest.raises(TransitionError, match="sudah didisposisikan"):
        apply_action(
            session, complaint, Action.DISPATCH, actor="op", now=NOW, unit="dinas-kesehatan"
        )
    unit = session.get(store.Unit, "dishub")
    unit.active = False
    with pytest.raises(TransitionError, match="tidak aktif"):
        apply_action(session, complaint, Action.DISPATCH, actor="op", now=NOW, unit="dishub")


# --- what transitions do ------------------------------------------------------------------------


def test_bounce_returns_the_case_to_the_coordinator_with_a_new_deadline(session):
    complaint = case_in(session, S.DISPATCHED)
    later = add_working_days(NOW, 2)
    event = apply_action(
        session,
        complaint,
        Action.BOUNCE,
        actor="admin-kesehatan",
        now=later,
        reason="national_authority",
        note="Ini urusan PLN",
    )
    assert complaint.owner_unit == COORDINATOR and complaint.unit.code == COORDINATOR
    assert (event.from_unit, event.to_unit) == ("dinas-kesehatan", COORDINATOR)
    assert (event.from_status, event.to_status) == (S.DISPATCHED, S.BOUNCED)
    assert event.reason == "national_authority" and not event.public
    assert complaint.due_at == add_working_days(later, 3)
    assert event.data["clock"] == "redispatch"
    # The coordinator keeps what no district unit owns (PLN) and cannot bounce to itself.
    apply_action(session, complaint, Action.DISPATCH, actor="c", now=later, unit=COORDINATOR)
    assert Action.BOUNCE not in allowed_actions(complaint, later)
    with pytest.raises(TransitionError, match="koordinator"):
        apply_action(
            session, complaint, Action.BOUNCE, actor="x", now=later, reason="other", note="x"
        )


def test_bounces_are_counted_per_unit_pair(session):
    # Kesehatan bounces twice; the coordinator sends one to RSUD, keeps the other.
    for _ in range(2):
        complaint = case_in(session, S.DISPATCHED)
        apply_action(session, complaint, Action.BOUNCE, actor="k", now=NOW, reason="not_authority")
    apply_action(session, complaint, Action.DISPATCH, actor="c", now=NOW, unit="rsud")
    # PUPR bounces at intake (received, owned by its routing), then RSUD bounces the same case.
    complaint = case_in(session, S.RECEIVED)
    apply_action(session, complaint, Action.BOUNCE, actor="p", now=NOW, reason="wrong_location")
    apply_action(session, complaint, Action.DISPATCH, actor="c", now=NOW, unit="rsud")
    apply_action(session, complaint, Action.BOUNCE, actor="r", now=NOW, reason="not_authority")
    assert bounce_counts(session) == {
        ("dinas-kesehatan", "rsud"): 1,
        ("dinas-kesehatan", COORDINATOR): 1,
        ("dinas-pupr", "rsud"): 1,
        ("rsud", COORDINATOR): 1,
    }
    assert bounce_counts(session, since=add_working_days(NOW, 1)) == {}


def test_every_transition_sets_the_deadline(session):
    complaint = new_case(session)
    assert complaint.due_at == add_working_days(NOW, 3)
    assert complaint.hard_due_at == add_working_days(NOW, 60)
    steps = [
        (Action.VERIFY, {}, add_working_days(NOW, 3)),  # still the receipt's 3 days
        (Action.DISPATCH, {"unit": "dinas-pupr"}, add_working_days(NOW, 5)),
        (Action.START, {}, add_working_days(NOW, 60)),
        (Action.RESOLVE, {"message_to_reporter": "Selesai ditambal"}, add_working_days(NOW, 10)),
        (Action.REOPEN, {}, add_working_days(NOW, 5)),
        (Action.RESOLVE, {"message_to_reporter": "Ditambal ulang"}, add_working_days(NOW, 10)),
        (Action.CLOSE, {}, None),
    ]
    for action, fields, due in steps:
        complaint.escalated_at = NOW  # a new deadline clears the old escalation
        event = apply_action(session, complaint, action, actor="op", now=NOW, **fields)
        assert complaint.due_at == due, action
        assert complaint.escalated_at is None
        assert event.data["due_at"] == (due.isoformat() if due else None)


def test_reopen_only_within_the_answer_window(session):
    complaint = case_in(session, S.RESOLVED)
    too_late = add_working_days(NOW, 11)
    assert Action.REOPEN in allowed_actions(complaint, add_working_days(NOW, 9))
    assert Action.REOPEN not in allowed_actions(complaint, too_late)
    with pytest.raises(TransitionError, match="10 hari kerja"):
        apply_action(session, complaint, Action.REOPEN, actor="citizen", now=too_late)


def test_reply_keeps_the_status_and_is_public(session):
    complaint = case_in(session, S.IN_PROGRESS)
    due = complaint.due_at
    event = apply_action(
        session, complaint, Action.REPLY, actor="op", now=NOW, message_to_reporter="Besok dicek"
    )
    assert complaint.status == S.IN_PROGRESS and complaint.due_at == due
    assert event.public and event.to_status is None
    assert event.message_to_reporter == "Besok dicek" and event.note == ""


def test_set_privacy_is_recorded_and_internal(session):
    complaint = case_in(session, S.CLOSED)
    event = apply_action(
        session, complaint, Action.SET_PRIVACY, actor="op", now=NOW, privacy="anonymous"
    )
    assert complaint.privacy == "anonymous" and complaint.status == S.CLOSED
    assert event.data["privacy"] == {"from": "public", "to": "anonymous"} and not event.public


def test_duplicates_link_to_a_master_and_unlink_back(session):
    master, copy = case_in(session, S.DISPATCHED), case_in(session, S.VERIFIED)
    follower_of_copy = case_in(session, S.RECEIVED)
    apply_action(session, follower_of_copy, Action.MARK_DUPLICATE, actor="op", now=NOW, master=copy)
    event = apply_action(session, copy, Action.MARK_DUPLICATE, actor="op", now=NOW, master=master)
    assert copy.status == S.DUPLICATE and copy.master_id == master.id and copy.due_at is None
    assert event.data["master"] == master.tracking_id
    # Followers of the copy now follow the master: no chains that would hide updates.
    assert follower_of_copy.master_id == master.id
    assert {c.id for c in followers(session, master)} == {copy.id, follower_of_copy.id}
    link = session.scalars(select(DuplicateLink).where(DuplicateLink.complaint_id == copy.id)).one()
    assert (link.state, link.decided_by) == ("confirmed", "op")
    # Undo: back to where it was, with a fresh clock for that status.
    apply_action(session, copy, Action.UNLINK_DUPLICATE, actor="op", now=NOW)
    assert copy.status == S.VERIFIED and copy.master_id is None and copy.due_at is not None
    assert link.state == "rejected"


@pytest.mark.parametrize("master_status", [S.CLOSED, S.REJECTED, S.DUPLICATE])
def test_a_master_must_be_open(session, master_status):
    master, copy = case_in(session, master_status), case_in(session, S.RECEIVED)
    with pytest.raises(TransitionError, match="induk"):
        apply_action(session, copy, Action.MARK_DUPLICATE, actor="op", now=NOW, master=master)


def test_a_case_is_not_its_own_duplicate(session):
    complaint = case_in(session, S.RECEIVED)
    with pytest.raises(TransitionError, match="dirinya sendiri"):
        apply_action(
            session, complaint, Action.MARK_DUPLICATE, actor="o", now=NOW, master=complaint
        )


def test_overdue_list_holds_every_units_late_cases(session):
    late = case_in(session, S.DISPATCHED)  # due 5 working days after NOW
    fresh = case_in(session, S.RECEIVED)
    resolved = case_in(session, S.RESOLVED)  # waiting for the citizen is not late
    after = add_working_days(NOW, 6)
    overdue = overdue_complaints(session, after)
    assert late in overdue and resolved not in overdue
    assert fresh in overdue  # the 3-day verification clock ran out too
    assert overdue_complaints(session, after, unit="dinas-kesehatan") == [late]


def test_the_tracking_page_follows_the_owner_through_bounce_and_dispatch(session):
    complaint = case_in(session, S.DISPATCHED)
    assert public_case(session, complaint.tracking_id).unit_code == "dinas-kesehatan"
    apply_action(session, complaint, Action.BOUNCE, actor="k", now=NOW, reason="not_authority")
    case = public_case(session, complaint.tracking_id)
    assert (case.unit_code, case.status, case.due_at) == (COORDINATOR, "bounced", complaint.due_at)
    assert case.due_at == add_working_days(NOW, 3)
    apply_action(session, complaint, Action.DISPATCH, actor="c", now=NOW, unit="rsud")
    assert public_case(session, complaint.tracking_id).unit_code == "rsud"
    # The bounce's note is between units: its event is not on the public timeline.
    kinds = [e.kind for e in session.scalars(select(StatusEvent).where(StatusEvent.public))]
    assert "bounce" not in kinds
