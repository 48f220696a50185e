"""The case page and the actions on it, as each kind of operator meets them."""

from __future__ import annotations

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    act,
    add_operator,
    case,
    csrf,
    events,
    fast_hashing,
    login,
    set_owner,
    sms_complaint,
    web_complaint,
)
from sqlalchemy import func, select

from casestore.models import Complaint, DuplicateLink, Message
from dispatcher.queues import NOTIFY, queue

pytestmark = pytest.mark.usefixtures("fast_hashing")


# --- the case page and its actions --------------------------------------------------------


def test_the_case_page_shows_the_thread_timeline_and_deadlines(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "a" * 32)
    work()
    login(client, "koord")
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Jalan berlubang" in page  # the inbound message
    assert "Terima kasih, aduan Anda telah kami terima" in page  # the acknowledgement, outbound
    assert "<b>Diterima</b>" in page and "<b>Diarahkan otomatis</b>" in page  # the timeline
    assert "Batas waktu" in page
    # Forms for what the lifecycle allows now, each with its CSRF token.
    assert 'data-action="verify"' in page and 'data-action="dispatch"' not in page


def test_verify_dispatch_start_resolve_tell_the_citizen_each_time(app, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "b" * 32)
    work()
    coordinator = app.test_client()
    login(coordinator, "koord")
    assert act(coordinator, tracking_id, "verify").status_code == 303
    assert (
        act(coordinator, tracking_id, "dispatch", unit=UNIT, note="Mohon dicek").status_code == 303
    )
    assert case(runtime, tracking_id).owner_unit == UNIT
    unit = app.test_client()
    login(unit, "camat-lt")
    assert act(unit, tracking_id, "start").status_code == 303
    response = act(
        unit,
        tracking_id,
        "resolve",
        message_to_reporter="Jalan sudah ditambal pada 3 Desember.",
    )
    assert response.status_code == 303
    complaint = case(runtime, tracking_id)
    assert complaint.status == "resolved"
    kinds = [e.kind for e in events(runtime, tracking_id)]
    assert kinds[-4:] == ["verify", "dispatch", "start", "resolve"]
    assert all(e.actor.startswith("operator:") for e in events(runtime, tracking_id)[-4:])
    with runtime.sessions() as db:
        bodies = [
            m.body
            for m in db.scalars(
                select(Message).where(
                    Message.complaint_id == complaint.id, Message.direction == "out"
                )
            )
        ]
    assert any("Jalan sudah ditambal" in body for body in bodies)
    # The acknowledgement, one per action, and after the resolution the rating question.
    assert len(bodies) == 6 and "Balas satu angka" in bodies[-1]
    # One notify job per commit (issue 22): the resolution and its rating question share one.
    assert queue(NOTIFY, runtime.redis).count == 4


def test_refused_transitions_change_nothing_and_say_why(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "c" * 32)
    work()
    login(client, "koord")
    response = act(client, tracking_id, "resolve", message_to_reporter="Selesai")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tidak dapat dilakukan" in page
    assert case(runtime, tracking_id).status == "received"
    # Missing fields: dispatch without a unit, bounce without a reason, reply without text.
    act(client, tracking_id, "verify")
    for action in ("dispatch", "reply", "reject"):
        act(client, tracking_id, action)
    assert case(runtime, tracking_id).status == "verified"


BAD_ACTIONS = [
    ("unknown action", {"action": "delete_everything"}, 400),
    ("no action", {"action": ""}, 400),
    ("oversized note", {"action": "reply", "note": "x" * 20_000}, 303),
    ("unknown unit", {"action": "dispatch", "unit": "kec-99"}, 303),
    ("hostile reason", {"action": "reject", "reason": "<script>"}, 303),
    ("bad privacy", {"action": "set_privacy", "privacy": "everyone"}, 303),
    ("bad master", {"action": "mark_duplicate", "master": "../../x"}, 303),
    ("bad link", {"action": "confirm_duplicate", "link": "1 OR 1=1"}, 303),
    ("bad event", {"action": "split_follow_up", "event": "-1"}, 303),
]


def test_bad_action_fields_are_refused_and_change_nothing(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "d" * 32)
    work()
    login(client, "koord")
    act(client, tracking_id, "verify")
    before = len(events(runtime, tracking_id))
    for label, fields, status in BAD_ACTIONS:
        response = act(client, tracking_id, **fields)
        assert response.status_code == status, label
        assert len(events(runtime, tracking_id)) == before, label
    assert case(runtime, tracking_id).status == "verified"


def test_actions_need_csrf(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "e" * 32)
    work()
    login(client, "koord")
    response = client.post(f"/console/cases/{tracking_id}/actions", data={"action": "verify"})
    assert response.status_code == 400
    assert case(runtime, tracking_id).status == "received"


def test_units_cannot_take_coordinator_actions_even_by_hand(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "f" * 32)
    work()
    set_owner(runtime, tracking_id, UNIT)
    login(client, "camat-lt")
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert 'data-action="reject"' not in page and 'data-action="set_privacy"' not in page
    assert act(client, tracking_id, "reject", reason="spam").status_code == 403
    assert act(client, tracking_id, "set_privacy", privacy="public").status_code == 403
    act(client, tracking_id, "verify")
    # Dispatching is only taking it on themselves, never handing it to another unit.
    assert act(client, tracking_id, "dispatch", unit=OTHER_UNIT).status_code == 403
    assert act(client, tracking_id, "dispatch", unit=UNIT).status_code == 303
    assert case(runtime, tracking_id).status == "dispatched"


def test_a_bounce_sends_the_case_back_and_out_of_the_units_sight(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "g" * 32)
    work()
    set_owner(runtime, tracking_id, UNIT)
    login(client, "camat-lt")
    response = act(client, tracking_id, "bounce", reason="not_authority", note="Urusan PLN")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/console/cases")
    assert case(runtime, tracking_id).owner_unit == runtime.coordinator
    assert case(runtime, tracking_id).status == "bounced"
    assert client.get(f"/console/cases/{tracking_id}").status_code == 404


def test_privacy_change_and_reply_by_the_coordinator(client, runtime, work, staff):
    tracking_id = sms_complaint(runtime, "SM" + "h" * 32)
    work()
    login(client, "koord")
    act(client, tracking_id, "set_privacy", privacy="anonymous")
    assert case(runtime, tracking_id).privacy == "anonymous"
    act(client, tracking_id, "reply", message_to_reporter="Mohon kirim foto lokasi.")
    with runtime.sessions() as db:
        out = db.scalars(
            select(Message).where(Message.direction == "out").order_by(Message.id.desc())
        ).first()
        assert "Mohon kirim foto lokasi." in out.body


def test_merge_a_duplicate_and_unlink_it(client, runtime, work, staff):
    master = sms_complaint(runtime, "SM" + "i" * 32)
    repeat = sms_complaint(runtime, "SM" + "j" * 32, sender="tel:+6281298765432")
    work()
    login(client, "koord")
    shown = f"{master[:5]}-{master[5:]}".lower()  # as an operator might type it
    assert act(client, repeat, "mark_duplicate", master=shown).status_code == 303
    merged = case(runtime, repeat)
    assert merged.status == "duplicate" and merged.master_id == case(runtime, master).id
    page = client.get(f"/console/cases/{master}").get_data(as_text=True)
    assert repeat in page  # listed among the cases merged into it
    act(client, repeat, "unlink_duplicate")
    assert case(runtime, repeat).status == "received" and case(runtime, repeat).master_id is None


def test_duplicate_suggestions_are_answered_on_the_page(client, runtime, work, staff):
    master = sms_complaint(runtime, "SM" + "k" * 32)
    repeat = sms_complaint(runtime, "SM" + "l" * 32, sender="tel:+6281298765433")
    work()
    with runtime.sessions.begin() as db:
        link = db.scalars(select(DuplicateLink)).first()
        if link is None:
            link = DuplicateLink(
                complaint_id=case(runtime, repeat).id,
                master_id=case(runtime, master).id,
                state="suggested",
                score=0.91,
            )
            db.add(link)
            db.flush()
        link_id, newer = link.id, link.complaint_id
    with runtime.sessions() as db:
        newer_tid = db.get(Complaint, newer).tracking_id
    login(client, "koord")
    page = client.get(f"/console/cases/{newer_tid}").get_data(as_text=True)
    assert f'name="link" value="{link_id}"' in page
    act(client, newer_tid, "reject_duplicate", link=str(link_id))
    with runtime.sessions() as db:
        assert db.get(DuplicateLink, link_id).state == "rejected"
    assert case(runtime, newer_tid).status == "received"


def test_an_automatic_join_can_be_split_off_by_the_coordinator(app, runtime, work, staff):
    first = sms_complaint(runtime, "SM" + "m" * 32)
    work()
    again = sms_complaint(runtime, "SM" + "n" * 32)  # the same citizen, the same words
    work()
    joined = [e for e in events(runtime, first) if e.kind == "follow_up"]
    # The same citizen's repeat within 72 hours joins the open case (issue 6).
    assert joined, f"expected a join, the intake opened {again} beside {first}"
    event_id = joined[0].id
    set_owner(runtime, first, UNIT)
    unit = app.test_client()
    login(unit, "camat-lt")
    assert 'value="split_follow_up"' not in unit.get(f"/console/cases/{first}").get_data(
        as_text=True
    )
    assert act(unit, first, "split_follow_up", event=str(event_id)).status_code == 403
    coordinator = app.test_client()
    login(coordinator, "koord")
    page = coordinator.get(f"/console/cases/{first}").get_data(as_text=True)
    assert f'name="event" value="{event_id}"' in page
    assert act(coordinator, first, "split_follow_up", event=str(event_id)).status_code == 303
    with runtime.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == 2
    page = coordinator.get(f"/console/cases/{first}").get_data(as_text=True)
    assert "Dipisahkan jadi laporan sendiri" in page
    assert f'name="event" value="{event_id}"' not in page  # split once only


def test_a_unit_asks_the_reporter_and_the_case_waits_then_resumes(app, runtime, work, staff):
    """Minta keterangan (issue 20): the question is required and is what the citizen is sent;
    the case waits (its own filter), takes no resolution, and comes back on "resume"."""
    tracking_id = sms_complaint(runtime, "SM" + "w" * 32)
    work()
    set_owner(runtime, tracking_id, UNIT)
    unit = app.test_client()
    login(unit, "camat-lt")
    act(unit, tracking_id, "verify")
    act(unit, tracking_id, "dispatch", unit=UNIT)
    act(unit, tracking_id, "start")
    page = unit.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert 'data-action="ask_reporter"' in page and "Minta keterangan pelapor" in page
    act(unit, tracking_id, "ask_reporter", note="Lokasi tidak jelas")  # no question: refused
    assert case(runtime, tracking_id).status == "in_progress"
    question = "Di depan rumah nomor berapa lubangnya?"
    response = act(unit, tracking_id, "ask_reporter", message_to_reporter=question)
    assert response.status_code == 303
    assert case(runtime, tracking_id).status == "waiting_reporter"
    with runtime.sessions() as db:
        out = db.scalars(
            select(Message).where(Message.direction == "out").order_by(Message.id.desc())
        ).first()
        assert out.intent == "info_requested" and question in out.body
        assert "Lokasi tidak jelas" not in out.body  # the note stays internal
    page = unit.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Menunggu tanggapan pelapor" in page
    assert 'data-action="resume"' in page and 'data-action="resolve"' not in page
    listed = unit.get("/console/cases?status=waiting_reporter").get_data(as_text=True)
    assert tracking_id in listed
    assert (
        act(unit, tracking_id, "resume", note="Pelapor menjawab lewat telepon").status_code == 303
    )
    assert case(runtime, tracking_id).status == "in_progress"
