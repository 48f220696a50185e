"""The tracking page: timeline, and the citizen adding information or answering a resolution."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from web_samples import (
    csrf_token,
    jpeg_bytes,
    resolve_case,
    secret_of,
    tracking_id_of,
    upload,
)

from casestore.models import Attachment, Complaint, Message, StatusEvent
from dispatcher.inbox import waiting_records
from normalizer.citizen_secret import hash_citizen_secret


def file_complaint(
    client, work, *, privacy="biasa", key="form-key-tracking-0001"
) -> tuple[str, str]:
    response = client.post(
        "/",
        data={
            "csrf_token": csrf_token(client),
            "submission_key": key,
            "description": "Lampu jalan mati di Kampung Bale, sudah seminggu.",
            "kecamatan": "11.04.17",
            "privacy": privacy,
        },
    )
    assert response.status_code == 201
    work()
    return tracking_id_of(response), secret_of(response)


def reply(client, tracking_id, *, files=(), **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": fields.pop("submission_key", "follow-key-0000000001"),
        "text": "Lampunya di tiang nomor 12, dekat masjid.",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    if files:
        data["attachments"] = list(files)
    return client.post(f"/track/{tracking_id}", data=data, content_type="multipart/form-data")


def complaint(runtime, tracking_id) -> Complaint:
    with runtime.sessions() as session:
        return session.scalars(select(Complaint).where(Complaint.tracking_id == tracking_id)).one()


def test_the_secret_is_stored_only_as_a_hash(client, runtime, work):
    tracking_id, secret = file_complaint(client, work)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", secret)
    stored = complaint(runtime, tracking_id).citizen_secret_hash
    assert stored == hash_citizen_secret(secret)
    assert secret.replace("-", "") not in stored
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    assert secret not in page
    assert "Tambah keterangan" in page


def test_the_citizen_adds_information_with_a_photo(client, runtime, work):
    tracking_id, secret = file_complaint(client, work)
    typed = secret.lower().replace("-", " ").replace("0", "o")  # as a citizen might type it
    response = reply(client, tracking_id, code=typed, files=[upload(jpeg_bytes(), "tiang.jpg")])
    assert response.status_code == 202
    assert "Keterangan diterima" in response.get_data(as_text=True)
    work()
    with runtime.sessions() as session:
        case = session.scalars(select(Complaint)).one()
        follow_up = session.scalars(
            select(Message).where(Message.intent == "follow_up", Message.direction == "in")
        ).one()
        assert follow_up.complaint_id == case.id
        assert "tiang nomor 12" in follow_up.body
        assert "code" not in follow_up.raw  # the secret never reaches the store
        kinds = [e.kind for e in session.scalars(select(StatusEvent))]
        assert "follow_up" in kinds
        assert [a.filename for a in session.scalars(select(Attachment))] == ["tiang.jpg"]


@pytest.mark.parametrize(
    ("label", "fields", "status", "message"),
    [
        ("wrong code", {"code": "ABCD-EFGH-1234"}, 403, "tidak cocok"),
        ("no code", {"code": None}, 422, "Masukkan kode rahasia"),
        ("malformed code", {"code": "'; DROP TABLE complaints; --"}, 422, "12 huruf"),
        ("oversized code", {"code": "A" * 10_000}, 422, "12 huruf"),
        ("empty text", {"text": "  "}, 422, "Keterangan wajib diisi"),
        ("text too long", {"text": "x" * 5001}, 422, "paling banyak 5000"),
        ("unknown answer", {"answer": "mungkin"}, 422, "Pilih jawaban"),
        ("bad submission key", {"submission_key": "<script>"}, 422, "kedaluwarsa"),
    ],
)
def test_bad_follow_ups_are_refused_and_nothing_is_queued(
    client, runtime, work, label, fields, status, message
):
    tracking_id, secret = file_complaint(client, work)
    fields.setdefault("code", secret)
    response = reply(client, tracking_id, **fields)
    assert response.status_code == status, label
    assert message in response.get_data(as_text=True), label
    assert len(waiting_records(runtime.redis)) == 0


def test_the_code_of_one_complaint_does_not_open_another(client, runtime, work):
    _, first_secret = file_complaint(client, work, key="form-key-tracking-0001")
    second, _ = file_complaint(client, work, key="form-key-tracking-0002")
    assert reply(client, second, code=first_secret).status_code == 403


def test_guessing_codes_is_stopped(client, runtime, work):
    tracking_id, secret = file_complaint(client, work)
    for n in range(10):
        code = f"ABCD-EFGH-{n:04d}"
        assert reply(client, tracking_id, code=code).status_code == 403
    # Even the right code waits now: the guesser cannot tell when they hit it.
    assert reply(client, tracking_id, code=secret).status_code == 429


def test_a_follow_up_forged_onto_the_queue_without_the_secret_is_not_applied(client, runtime, work):
    from dispatcher.submit import submit
    from normalizer import normalize
    from normalizer.records import Channel, InboundMessage, Intent

    tracking_id, _ = file_complaint(client, work)
    forged = InboundMessage(
        channel=Channel.WEB,
        provider="webform",
        external_id="forged-key-000000000001",
        sender="",
        text="Batalkan saja",
        received_at=complaint(runtime, tracking_id).received_at,
        declared={"intent": Intent.FOLLOW_UP.value, "target_tracking_id": tracking_id},
        raw={"citizen_secret_hash": "0" * 64},
    )
    submit(normalize(forged, runtime.rules), runtime.redis, runtime.spool)
    work()
    with runtime.sessions() as session:
        assert "follow_up" not in [e.kind for e in session.scalars(select(StatusEvent))]


def test_the_citizen_reopens_a_resolution_within_its_window(client, runtime, work):
    tracking_id, secret = file_complaint(client, work)
    resolve_case(runtime, tracking_id)
    page = client.get(f"/track/{tracking_id}").get_data(as_text=True)
    assert "Apakah masalahnya sudah selesai?" in page
    # The agency's message to the reporter: not on the public page, only with the code.
    assert "Jalan sudah ditambal." not in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    mine = client.post(
        f"/track/{tracking_id}/messages", data={"code": secret, "csrf_token": token}
    ).get_data(as_text=True)
    assert "Jalan sudah ditambal." in mine and "Apakah masalahnya sudah selesai?" in mine
    response = reply(client, tracking_id, code=secret, answer="belum", text="Masih gelap.")
    assert response.status_code == 202
    work()
    case = complaint(runtime, tracking_id)
    assert case.status == "in_progress"
    with runtime.sessions() as session:
        reopen = session.scalars(select(StatusEvent).where(StatusEvent.kind == "reopen")).one()
        assert reopen.actor == "citizen"


def test_the_citizen_accepts_a_resolution_and_the_case_closes(client, runtime, work):
    tracking_id, secret = file_complaint(client, work)
    resolve_case(runtime, tracking_id)
    response = reply(client, tracking_id, code=secret, answer="selesai", text="")
    assert response.status_code == 202
    work()
    assert complaint(runtime, tracking_id).status == "closed"
    # Closed: the form is gone, and a late post is refused with a reason.
    assert "Tambah keterangan" not in client.get(f"/track/{tracking_id}").get_data(as_text=True)
    late = reply(client, tracking_id, code=secret, submission_key="follow-key-0000000002")
    assert late.status_code == 409


def test_the_tracking_page_in_english(client, runtime, work):
    tracking_id, _ = file_complaint(client, work)
    page = client.get(f"/track/{tracking_id}?lang=en").get_data(as_text=True)
    assert "Add information" in page and "Secret code" in page
