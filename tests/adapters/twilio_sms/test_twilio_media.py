"""Provider media fetched on receipt by a job (dispatcher/media.py), through real sockets.

A signed MMS/WhatsApp webhook names Twilio media URLs on the fake Twilio API (Basic auth,
404 after deletion, redirects on demand); the real rq worker stores the case, then the media
job fetches each file into the attachment store. One table: what Twilio serves, and what the
case must show (an attachment with its provenance, or a download state with the reason).
X media are fetched by URL, without our credentials, from a fake CDN.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import pytest
from fakes.local_server import LocalServer
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from casestore.models import Attachment, Complaint, MediaDownload
from config import Settings
from dispatcher.media import fetch
from dispatcher.queues import NOTIFY, queue

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
PDF = b"%PDF-1.7\n" + b"x" * 400
VIDEO_3GP = b"\x00\x00\x00\x18ftyp3gp4\x00\x00\x00\x00" + b"\x00" * 800
VIDEO_MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + b"\x00" * 800
HTML = b"<html><script>alert(1)</script></html>"
CAP = 64 * 1024


@dataclass(frozen=True)
class Row:
    label: str
    serve: str  # ok | deleted | redirect_same_host | redirect_off_host | no_auth_needed
    data: bytes = JPEG
    claimed: str = "image/jpeg"
    stored_type: str | None = "image/jpeg"  # None: nothing stored
    error: str = ""  # the download's error when nothing is stored
    state: str = "stored"


ROWS = [
    Row("a WhatsApp photo", "ok"),
    Row("a PNG sent as JPEG: the bytes decide", "ok", PNG, stored_type="image/png"),
    Row("a PDF", "ok", PDF, "application/pdf", "application/pdf"),
    Row("a 3GPP video from an older phone", "ok", VIDEO_3GP, "video/3gpp", "video/3gpp"),
    Row("an MP4 video", "ok", VIDEO_MP4, "video/mp4", "video/mp4"),
    Row("a redirect on Twilio's own host", "redirect_same_host"),
    Row(
        "huge media is refused by the cap",
        "ok",
        JPEG + b"\x00" * CAP,
        stored_type=None,
        error="too_large",
        state="failed",
    ),
    Row(
        "a page that claims to be a photo",
        "ok",
        HTML,
        stored_type=None,
        error="type_refused",
        state="failed",
    ),
    Row(
        "media deleted before we fetched",
        "deleted",
        stored_type=None,
        error="gone_404",
        state="failed",
    ),
    Row(
        "a redirect to another host is refused",
        "redirect_off_host",
        stored_type=None,
        error="redirect_off_host",
        state="failed",
    ),
]


@pytest.fixture
def settings(settings):
    return settings.replace(media_max_bytes=CAP)


def mms(twilio, urls: list[tuple[str, str]], n: int = 1):
    """The three-image MMS fixture, carrying ``urls`` (url, type) instead."""
    params = [
        (k, v)
        for k, v in twilio.params("sms_mms_three_images")
        if not k.startswith(("MediaUrl", "MediaContentType"))
    ]
    sid = f"MM{n:032x}"
    params = [(k, sid if k.endswith("Sid") and v.startswith("MM") else v) for k, v in params]
    params = [(k, str(len(urls)) if k == "NumMedia" else v) for k, v in params]
    for i, (url, content_type) in enumerate(urls):
        params += [(f"MediaUrl{i}", url), (f"MediaContentType{i}", content_type)]
    return params


def served_url(fake_twilio, row: Row) -> str:
    if row.serve == "redirect_same_host":
        return fake_twilio.redirect_media(fake_twilio.add_media(row.data, row.claimed))
    if row.serve == "redirect_off_host":
        # The same server under another name: another host, as far as a URL can tell.
        target = fake_twilio.add_media(row.data, row.claimed).replace("127.0.0.1", "localhost")
        return fake_twilio.redirect_media(target)
    url = fake_twilio.add_media(row.data, row.claimed)
    if row.serve == "deleted":
        fake_twilio.delete_media(url)
    return url


@pytest.mark.parametrize("row", ROWS, ids=[row.label for row in ROWS])
def test_twilio_media_kept_on_receipt(twilio, runtime, work, fake_twilio, row: Row):
    url = served_url(fake_twilio, row)
    assert twilio.post(mms(twilio, [(url, row.claimed)])).status_code == 200
    media_gets = [r for r in fake_twilio.requests if r.method == "GET"]
    assert media_gets == []  # never fetched in the webhook
    work()
    with runtime.sessions() as session:
        complaint = session.scalars(select(Complaint)).one()  # the case exists either way
        (download,) = session.scalars(select(MediaDownload)).all()
        attachments = session.scalars(select(Attachment)).all()
        assert download.complaint_id == complaint.id and download.source_url == url
        assert (download.state, download.error or "") == (row.state, row.error)
        if row.stored_type is None:
            assert attachments == []
            return
        (attachment,) = attachments
        assert attachment.content_type == row.stored_type
        assert attachment.source_url == url  # provenance, not storage
        assert attachment.sha256 == hashlib.sha256(row.data).hexdigest()
        assert download.attachment_id == attachment.id
    path = runtime.settings.data_dir / attachment.path
    assert path.read_bytes() == row.data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    gets = [r for r in fake_twilio.requests if r.method == "GET" and "/Messages/" in r.path]
    assert gets and all(r.auth == (fake_twilio.account_sid, fake_twilio.auth_token) for r in gets)


def test_a_failed_download_is_retried_and_shown(twilio, runtime, work, fake_twilio, client):
    from console_support import add_operator, login

    # Credentials Twilio no longer takes (a rotated token): 401, retried, not given up.
    url = fake_twilio.add_media(JPEG, "image/jpeg")
    account = fake_twilio.auth_token
    fake_twilio.auth_token = "rotated-token"
    twilio.post(mms(twilio, [(url, "image/jpeg")], n=7))
    work()
    with runtime.sessions() as session:
        download = session.scalars(select(MediaDownload)).one()
        tracking_id = session.scalars(select(Complaint.tracking_id)).one()
        assert (download.state, download.error, download.attempts) == ("pending", "http_401", 1)
    add_operator(runtime, "koord")
    login(client, "koord")
    page = client.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "sedang diunduh" in page and "http_401" in page
    # rq's Retry scheduled the next try; when it runs, Twilio takes our credentials again.
    registry = ScheduledJobRegistry(queue=queue(NOTIFY, runtime.redis))
    (retry,) = [j for j in registry.get_job_ids() if j.startswith("media")]
    fake_twilio.auth_token = account
    queue(NOTIFY, runtime.redis).enqueue_job(queue(NOTIFY, runtime.redis).fetch_job(retry))
    work()
    with runtime.sessions() as session:
        download = session.scalars(select(MediaDownload)).one()
        assert download.state == "stored" and download.attempts == 1
        assert session.scalars(select(Attachment.source_url)).one() == url


def test_a_second_delivery_of_the_message_fetches_nothing_twice(twilio, runtime, work, fake_twilio):
    url = fake_twilio.add_media(JPEG, "image/jpeg")
    params = mms(twilio, [(url, "image/jpeg")], n=9)
    twilio.post(params)
    work()
    gets = len([r for r in fake_twilio.requests if r.method == "GET"])
    twilio.post(params)  # Twilio retried the webhook
    work()
    assert len([r for r in fake_twilio.requests if r.method == "GET"]) == gets
    with runtime.sessions() as session:
        assert len(session.scalars(select(Attachment)).all()) == 1


class FakeCdn(LocalServer):
    """X's media host: public URLs, no credentials."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        self.headers.append(dict(handler.headers.items()))
        handler.send_response(200)
        handler.send_header("Content-Type", "image/jpeg")
        handler.send_header("Content-Length", str(len(JPEG)))
        handler.end_headers()
        handler.wfile.write(JPEG)


def test_x_media_are_fetched_by_url_without_our_credentials(settings: Settings):
    with FakeCdn() as cdn:
        fetched = fetch(cdn.url.replace("127.0.0.1", "localhost") + "/media/F1x.jpg", settings)
    assert fetched.data == JPEG and not fetched.error
    assert "Authorization" not in cdn.headers[0]


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://mms.twiliocdn.com/AC1/ab/cd", True),
        ("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/ab", True),
        ("https://s3-external-1.amazonaws.com/someone-elses-bucket/x.jpg", False),
        ("https://pbs.twimg.com/media/F1x.jpg", True),
        ("https://twiliocdn.com.evil.example/x", False),
        ("http://169.254.169.254/latest/meta-data/", False),
    ],
)
def test_only_the_providers_own_media_hosts_are_followed(target, allowed):
    from urllib.parse import urlsplit

    from dispatcher.media import _allowed

    parts = urlsplit(target)
    assert _allowed(parts.hostname, parts.path, "api.twilio.com") is allowed
