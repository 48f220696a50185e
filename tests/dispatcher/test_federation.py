"""Forwarding to an external unit, in one process: the case store, a real rq worker, and a
GeoReport v2 server of another organization (the land office) speaking the spec's examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes.open311_server import FakeOpen311Server
from sqlalchemy import select

from casestore import complaints as store
from casestore.lifecycle import Action, Status, TransitionError, start_clocks
from casestore.models import Forward, StatusEvent
from config.external_units import key_variable
from config.reference import UNITS_FILE
from dispatcher.casework import act_on_case, lifecycle_action
from dispatcher.federation import jobs
from normalizer.tracking import derive_tracking_id
from tests.case_records import complaint_record

LAND_OFFICE = "atr-bpn-aceh-tengah"
NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
OFF = 'connector = "open311"\nendpoint = ""\nservice_code = "pertanahan"'


@pytest.fixture
def remote():
    with FakeOpen311Server() as fake:
        yield fake


@pytest.fixture
def settings(settings, remote, tmp_path, monkeypatch):
    """The default units with the land office switched on, pointing at ``remote``."""
    units = tmp_path / "units.toml"
    on = OFF.replace('endpoint = ""', f'endpoint = "{remote.url}"')
    units.write_text(UNITS_FILE.read_text().replace(OFF, on))
    monkeypatch.setenv(key_variable(LAND_OFFICE), remote.api_key)
    return settings.replace(units_file=str(units))


def open_case(runtime, n: int, **fields) -> str:
    key = f"web:federation-{n}"
    with runtime.sessions.begin() as session:
        complaint = store.open_complaint(
            session,
            complaint_record(
                key, NOW, text="Sertifikat tanah tumpang tindih di Kampung Bale", **fields
            ),
            tracking_id=derive_tracking_id(key, "test-secret"),
            contact=None,
            owner_unit="diskominfo",
        )
        start_clocks(complaint)
    return complaint.tracking_id


def act(runtime, tracking_id: str, action: Action, **fields):
    def find(session):
        return store.complaint_by_tracking_id(session, tracking_id)

    change = lifecycle_action(action, runtime, actor="koordinator", **fields)
    return act_on_case(runtime, find, change, show=lambda _s, c: (c.status, c.owner_unit))


def hand_to_land_office(runtime, tracking_id: str):
    act(runtime, tracking_id, Action.VERIFY)
    return act(runtime, tracking_id, Action.DISPATCH, unit=LAND_OFFICE)


def forwards(runtime) -> list[Forward]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Forward).order_by(Forward.id)))


def events(runtime, tracking_id: str) -> list[StatusEvent]:
    with runtime.sessions() as session:
        return list(store.complaint_by_tracking_id(session, tracking_id).events)


def test_a_dispatch_outside_the_district_is_sent_once(runtime, work, remote):
    tracking_id = open_case(runtime, 1)
    acted = hand_to_land_office(runtime, tracking_id)
    assert acted.shown == (Status.DISPATCHED, LAND_OFFICE) and acted.forward_ids
    work()
    (row,) = forwards(runtime)
    assert (row.state, row.remote_id, row.attempts) == ("sent", "293944", 1)
    (post,) = remote.posts()
    assert post.headers["Idempotency-Key"] == jobs.token_for(tracking_id, LAND_OFFICE)
    assert post.form["service_code"] == ["pertanahan"]
    # The job run again, and a reconcile, send nothing more: the remote holds the case.
    assert jobs.forward(row.id) == "sent"
    found = jobs.reconcile(LAND_OFFICE)
    assert (found[LAND_OFFICE].matched, found[LAND_OFFICE].resent) == (1, 0)
    assert len(remote.posts()) == 1


def test_reconcile_sends_again_what_the_remote_lost(runtime, work, remote):
    tracking_id = open_case(runtime, 9)
    hand_to_land_office(runtime, tracking_id)
    work()
    remote.forget("293944")
    found = jobs.reconcile()
    assert (found[LAND_OFFICE].matched, found[LAND_OFFICE].resent) == (0, 1)
    first, again = remote.posts()
    assert first.headers["Idempotency-Key"] == again.headers["Idempotency-Key"]
    assert first.form == again.form  # the same handover, under the same key
    found = jobs.reconcile()
    assert (found[LAND_OFFICE].matched, found[LAND_OFFICE].resent) == (1, 0)


def test_identity_leaves_only_with_a_public_case(runtime, work, remote):
    public = open_case(runtime, 2, contact_name="Siti Aminah", update_address="mailto:s@x.id")
    anonymous = open_case(
        runtime, 3, privacy="anonymous", contact_name="Rahmat", update_address="tel:+6281233334444"
    )
    confidential = open_case(runtime, 4, privacy="confidential", contact_name="Rahmat")
    for tracking_id in (public, anonymous, confidential):
        hand_to_land_office(runtime, tracking_id)
    work()
    sent = {p.headers["Idempotency-Key"]: p.form for p in remote.posts()}
    first = sent[jobs.token_for(public, LAND_OFFICE)]
    assert first["first_name"] == ["Siti Aminah"] and first["email"] == ["s@x.id"]
    for tracking_id in (anonymous, confidential):
        form = sent[jobs.token_for(tracking_id, LAND_OFFICE)]
        assert not {"first_name", "email", "phone"} & form.keys()
        assert "Rahmat" not in str(form) and "6281233334444" not in str(form)


def test_a_remote_that_is_down_keeps_the_forward_queued_until_it_answers(runtime, work, remote):
    remote.fail_next(503, delay=0.5)
    tracking_id = open_case(runtime, 5)
    hand_to_land_office(runtime, tracking_id)
    work()  # the first try fails; rq's Retry schedules the next one later
    (row,) = forwards(runtime)
    assert (row.state, row.attempts) == ("queued", 1) and "HTTP 503" in row.last_error
    found = jobs.reconcile()  # `satupintu federation reconcile`, or the sweep
    assert found[LAND_OFFICE].sent == 1
    (row,) = forwards(runtime)
    assert (row.state, row.remote_id, row.last_error) == ("sent", "293944", None)
    assert len(remote.posts()) == 2  # the failed try and the one that landed


def test_a_refusal_sends_the_case_back_to_the_coordinator_with_the_reason(
    runtime, work, remote, monkeypatch
):
    monkeypatch.setenv(key_variable(LAND_OFFICE), "a-key-they-revoked")
    tracking_id = open_case(runtime, 6)
    hand_to_land_office(runtime, tracking_id)
    work()
    (row,) = forwards(runtime)
    assert row.state == "refused" and "Invalid api_key" in row.last_error
    last = events(runtime, tracking_id)[-1]
    assert (last.kind, last.to_status, last.to_unit) == (Action.BOUNCE, "bounced", "diskominfo")
    assert "Invalid api_key" in last.note and last.actor == f"federation:{LAND_OFFICE}"
    # Dispatched there again once the key is fixed: the same forward, sent this time.
    monkeypatch.setenv(key_variable(LAND_OFFICE), remote.api_key)
    act(runtime, tracking_id, Action.DISPATCH, unit=LAND_OFFICE)
    work()
    (row,) = forwards(runtime)
    assert row.state == "sent"


def test_the_remotes_answer_resolves_our_case(runtime, work, remote):
    remote.mode = "token"
    tracking_id = open_case(runtime, 7)
    hand_to_land_office(runtime, tracking_id)
    work()
    (row,) = forwards(runtime)
    assert (row.state, row.remote_id, row.remote_token) == ("sent", None, "12345")
    assert jobs.poll(datetime.now(UTC) + timedelta(hours=1)) == 1
    kinds = [(e.kind, e.to_status) for e in events(runtime, tracking_id)][-2:]
    assert kinds == [(Action.START, "in_progress"), (Action.RESOLVE, "resolved")]
    resolved = events(runtime, tracking_id)[-1]
    assert resolved.message_to_reporter == "Duplicate request."
    (row,) = forwards(runtime)
    assert (row.state, row.remote_id, row.remote_status) == ("done", "638344", "resolved")
    assert jobs.poll(datetime.now(UTC) + timedelta(hours=2)) == 0  # done: not asked again


def test_a_unit_without_an_endpoint_or_key_cannot_be_dispatched_to(runtime, monkeypatch):
    tracking_id = open_case(runtime, 8)
    act(runtime, tracking_id, Action.VERIFY)
    with pytest.raises(TransitionError, match="belum tersambung"):
        act(runtime, tracking_id, Action.DISPATCH, unit="pupr-aceh")
    monkeypatch.delenv(key_variable(LAND_OFFICE))
    with pytest.raises(TransitionError, match="SATUPINTU_CONNECTOR_KEY_ATR_BPN_ACEH_TENGAH"):
        act(runtime, tracking_id, Action.DISPATCH, unit=LAND_OFFICE)
    assert forwards(runtime) == []
    assert events(runtime, tracking_id)[-1].kind == Action.VERIFY  # nothing else was written


def test_the_commands_show_and_reconcile_what_waits(
    runtime, work, remote, cli_settings, monkeypatch
):
    from click.testing import CliRunner

    from gateway.cli import main

    monkeypatch.setenv("SATUPINTU_UNITS_FILE", runtime.settings.units_file)
    remote.fail_next(503, delay=0.5)
    hand_to_land_office(runtime, open_case(runtime, 10))
    work()
    shown = CliRunner().invoke(main, ["status"])
    assert "Forwarded outside" in shown.output and "HTTP 503" in shown.output, shown.output
    listed = CliRunner().invoke(main, ["federation", "status"])
    assert listed.exit_code == 0, listed.output
    assert "atr-bpn-aceh-tengah" in listed.output and "off" in listed.output  # pupr-aceh
    reconciled = CliRunner().invoke(main, ["federation", "reconcile", "--unit", LAND_OFFICE])
    assert reconciled.exit_code == 0, reconciled.output
    assert forwards(runtime)[0].state == "sent"
    unknown = CliRunner().invoke(main, ["federation", "reconcile", "--unit", "dinas-pupr"])
    assert unknown.exit_code == 2 and "no external unit 'dinas-pupr'" in unknown.output


def test_information_added_later_stays_with_us_for_an_open311_remote(runtime, work, remote, app):
    """GeoReport v2 has no call to add information: the follow-up is kept, once, and the
    case page says it stays here."""
    from console_support import add_operator, login

    from casestore.models import Complaint, ForwardedInfo, Message
    from casestore.vocabulary import DeliveryStatus, Direction
    from dispatcher.federation import pushes

    tracking_id = open_case(runtime, 11)
    hand_to_land_office(runtime, tracking_id)
    work()
    with runtime.sessions.begin() as session:
        complaint = session.scalars(
            select(Complaint).where(Complaint.tracking_id == tracking_id)
        ).one()
        session.add(
            Message(
                direction=Direction.IN,
                channel="sms",
                external_id="SM-follow-up-11",
                complaint_id=complaint.id,
                intent="follow_up",
                body="Batas tanahnya sudah dipasangi patok baru oleh tetangga",
                status=DeliveryStatus.RECEIVED,
            )
        )
    pushes.sweep(runtime)
    pushes.sweep(runtime)  # again: still one row, nothing sent
    work()
    with runtime.sessions() as session:
        (info,) = session.scalars(select(ForwardedInfo)).all()
    assert info.state == "kept"
    assert len(remote.posts()) == 1  # only the handover itself
    add_operator(runtime, "koord")
    client = app.test_client()
    login(client, "koord")
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "Informasi tambahan dari pelapor tetap di sini" in page
