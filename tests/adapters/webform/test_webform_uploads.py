"""The complaint form with real multipart uploads, a real worker and the files on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from web_samples import (
    csrf_token,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    secret_of,
    tracking_id_of,
    upload,
    webp_bytes,
)

from adapters.attachments import MAX_FILE_BYTES, resolve
from casestore.attachments import attachments_of
from casestore.models import Attachment, Complaint, Message
from dispatcher.inbox import waiting_records

KEY = "form-key-uploads-0123456789"


def post(client, files=(), **fields):
    data = {
        "csrf_token": csrf_token(client),
        "submission_key": KEY,
        "description": "Jalan berlubang di depan SD Negeri 1 Takengon, sudah dua bulan.",
        "kecamatan": "11.04.17",
        "privacy": "biasa",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    if files:
        data["attachments"] = list(files)
    return client.post("/", data=data, content_type="multipart/form-data")


def stored(runtime) -> list[Attachment]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def test_photos_and_a_pdf_are_stored_by_content_for_operators_only(client, runtime, work):
    files = [
        upload(jpeg_bytes(), "jalan.jpg", "image/jpeg"),
        upload(png_bytes(), "../../home/siti/peta.png", "image/png"),
        upload(webp_bytes(), "dekat.webp", "image/webp"),
        # The browser's word and the name are ignored; the first bytes decide.
        upload(pdf_bytes(), "surat", "application/octet-stream"),
    ]
    response = post(client, files)
    assert response.status_code == 201
    tracking_id = tracking_id_of(response)
    assert secret_of(response)
    data_dir = runtime.settings.data_dir
    # Written before the answer, before any worker ran.
    assert len(list((data_dir / "attachments").glob("*/*"))) == 4
    work()
    rows = stored(runtime)
    assert [(r.filename, r.content_type) for r in rows] == [
        ("jalan.jpg", "image/jpeg"),
        ("peta.png", "image/png"),
        ("dekat.webp", "image/webp"),
        ("surat", "application/pdf"),
    ]
    with runtime.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert complaint.tracking_id == tracking_id
        assert [a.id for a in attachments_of(session, complaint.id)] == [r.id for r in rows]
    for row in rows:
        path = resolve(data_dir, row.path)
        assert path.read_bytes()[:4] in (b"\xff\xd8\xff\xe0", b"\x89PNG", b"RIFF", b"%PDF")
        assert row.sha256 in path.name
        assert Path(client.application.static_folder) not in path.parents
    # Not reachable from the web: no static route serves them.
    assert client.get(f"/static/../{rows[0].path}").status_code == 404
    assert client.get(f"/{rows[0].path}").status_code == 404


def test_a_double_submit_stores_each_file_once(client, runtime, work):
    files = lambda: [upload(jpeg_bytes(), "a.jpg", "image/jpeg")]  # noqa: E731
    first = tracking_id_of(post(client, files()))
    second = tracking_id_of(post(client, files()))
    assert first == second
    work()
    assert len(stored(runtime)) == 1
    assert len(list((runtime.settings.data_dir / "attachments").glob("*/*"))) == 1


@pytest.mark.parametrize(
    ("label", "files", "message"),
    [
        (
            "renamed executable posing as a JPEG",
            [upload(Path(shutil.which("true")).read_bytes(), "foto.jpg", "image/jpeg")],
            "bukan foto",
        ),
        (
            "an HTML page called .png",
            [upload(b"<html><script>alert(1)</script></html>", "x.png", "image/png")],
            "bukan foto",
        ),
        ("a sixth file", [upload(jpeg_bytes(), f"f{n}.jpg") for n in range(6)], "Paling banyak 5"),
        (
            "5 MiB and one byte",
            [upload(jpeg_bytes(MAX_FILE_BYTES + 1), "besar.jpg", "image/jpeg")],
            "lebih dari 5 MB",
        ),
        ("a zero-byte file", [upload(b"", "kosong.jpg", "image/jpeg")], "kosong"),
        (
            "a hostile file name",
            [upload(b"MZ\x90\x00", "../../etc/<b>passwd</b>.jpg", "image/jpeg")],
            "bukan foto",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(client, runtime, label, files, message):
    response = post(client, files)
    assert response.status_code == 422, label
    page = response.get_data(as_text=True)
    assert message in page, label
    assert "<b>passwd" not in page  # names are escaped when shown back
    assert len(waiting_records(runtime.redis)) == 0
    assert not (runtime.settings.data_dir / "attachments").exists()


def test_exactly_five_files_of_exactly_5_mib_are_accepted(client, runtime, work):
    files = [upload(jpeg_bytes(MAX_FILE_BYTES - n), f"f{n}.jpg", "image/jpeg") for n in range(5)]
    response = post(client, files)
    assert response.status_code == 201
    work()
    assert len(stored(runtime)) == 5


def test_an_empty_file_input_is_no_attachment(client, runtime, work):
    # A browser sends an empty part with no file name when nothing was chosen.
    response = post(client, [upload(b"", "", "application/octet-stream")])
    assert response.status_code == 201
    work()
    assert stored(runtime) == []


def test_a_field_error_asks_for_the_files_again(client, runtime):
    response = post(client, [upload(jpeg_bytes(), "a.jpg", "image/jpeg")], description="")
    assert response.status_code == 422
    assert "Pilih lagi lampiran" in response.get_data(as_text=True)
    assert not (runtime.settings.data_dir / "attachments").exists()


def test_the_store_job_keeps_the_media_references_on_the_message(client, runtime, work):
    post(client, [upload(pdf_bytes(), "surat.pdf", "application/pdf")])
    work()
    with runtime.sessions() as session:
        message = session.scalars(select(Message).where(Message.direction == "in")).one()
        assert message.media[0]["url"].startswith("attachment:")
        assert message.media[0]["url"].endswith("/surat.pdf")
        assert message.media[0]["content_type"] == "application/pdf"
