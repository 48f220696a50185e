"""Provider media kept on receipt: a job per inbound message fetches its files into our store.

A provider URL is provenance, not storage: Twilio's media need the account's credentials and
can be deleted, WhatsApp's expire, a tweet's photo can vanish. So after the store job
committed a message, ``enqueue_media`` queues one ``download_media`` job for its provider
media (never in the webhook). The job fetches each file (Twilio's with the account's Basic
auth, X's by URL), checks its type from the bytes as the web form does (images, PDF, and the
3GPP/MP4 videos phones send), refuses a file over SATUPINTU_MEDIA_MAX_BYTES and a redirect
to another host, writes it content-addressed beside the web uploads, and gives the message's
case an attachment row that keeps the provider URL. A try that fails is retried by rq's
Retry and shown on the case page; the case exists either way.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import redis
import requests
from rq import Retry, get_current_job
from rq.exceptions import DuplicateJobError

from adapters.attachments import Upload, sniff, store_uploads, stored_file
from adapters.twilio_sms import media_credentials
from casestore.attachments import (
    case_of_message,
    downloads_for,
    queue_downloads,
    record_download_problem,
    record_download_stored,
)
from casestore.vocabulary import DownloadState
from config import Settings
from dispatcher import runtime as runtime_module
from dispatcher.queues import NOTIFY, job_id, queue
from normalizer.records import ComplaintRecord, MalformedRecord

log = logging.getLogger(__name__)

# Tries after the first: a provider's hiccup or an outage of ours heals within hours.
MEDIA_RETRY = Retry(max=5, interval=[30, 120, 600, 1800, 3600])
MAX_REDIRECTS = 3
# Where a provider's media URL may redirect besides its own host, as (host or parent domain,
# path prefix): Twilio answers api.twilio.com's media URLs with a redirect to its CDN
# (mms.twiliocdn.com with Basic auth on, its S3 bucket without), X serves from twimg.com.
# Any other target is refused, and no redirect target ever sees our credentials.
REDIRECT_TARGETS = (
    ("twiliocdn.com", "/"),
    ("s3-external-1.amazonaws.com", "/media.twiliocdn.com/"),
    ("twimg.com", "/"),
)
_CHUNK = 64 * 1024


class MediaNotYet(RuntimeError):
    """Some files could not be fetched this time; rq's Retry runs the job again."""


@dataclass(frozen=True)
class Fetched:
    """One fetch's outcome: the bytes, or an error code and whether trying again can help."""

    data: bytes = b""
    error: str = ""
    retry: bool = False


def provider_media(record: ComplaintRecord) -> list[tuple[str, str]]:
    """(url, claimed type) of the record's media that live at a provider (not uploads)."""
    return [
        (m.url, m.content_type)
        for m in record.media
        if stored_file(m) is None and urlsplit(m.url).scheme in {"https", "http"}
    ]


def enqueue_media(connection: redis.Redis, record: ComplaintRecord) -> bool:
    """Queue the record's media download (after the store job's commit); False: none."""
    media = provider_media(record)
    if not media:
        return False
    with contextlib.suppress(DuplicateJobError):  # a retried store job: one is enough
        queue(NOTIFY, connection).enqueue(
            "dispatcher.media.download_media",
            record.idempotency_key,
            record.channel.value,
            record.external_id,
            [list(item) for item in media],
            job_id=job_id("media", record.idempotency_key),
            unique=True,
            retry=MEDIA_RETRY,
            result_ttl=3600,
            failure_ttl=30 * 24 * 3600,
            description="download provider media",
        )
    return True


def enqueue_media_of(connection: redis.Redis, payloads: list[Any]) -> int:
    """``enqueue_media`` for each stored record of a drained batch; how many had media."""
    queued = 0
    for payload in payloads:
        try:
            record = ComplaintRecord.from_dict(payload)
        except (MalformedRecord, TypeError, AttributeError):
            continue  # set aside by the drain already
        queued += enqueue_media(connection, record)
    return queued


def download_media(
    idempotency_key: str, channel: str, external_id: str, media: list[list[str]]
) -> dict[str, Any]:
    """Fetch one message's provider media into the attachment store; raises MediaNotYet
    while a retryable failure is left and retries remain."""
    rt = runtime_module.current()
    with rt.sessions.begin() as session:
        rows = queue_downloads(session, idempotency_key, [(u, t) for u, t in media])
        todo = [(r.position, r.source_url) for r in rows if r.state is DownloadState.PENDING]
    job = get_current_job()
    last_try = job is None or not job.retries_left
    outcomes = {position: fetch(url, rt.settings) for position, url in todo}
    stored = {}
    for position, fetched in outcomes.items():
        if fetched.data:
            content_type = sniff(fetched.data[:12], video=True) or ""
            upload = Upload(f"{channel}-{position + 1}", content_type, fetched.data)
            (kept,) = store_uploads([upload], rt.settings.data_dir)
            stored[position] = stored_file(kept)
    again = False
    with rt.sessions.begin() as session:
        complaint = case_of_message(session, channel, external_id)
        for row in downloads_for(session, idempotency_key):
            if row.position in stored:
                record_download_stored(session, row, complaint, stored[row.position])
            elif row.position in outcomes:
                fetched = outcomes[row.position]
                final = not fetched.retry or last_try
                record_download_problem(row, complaint, fetched.error, final=final)
                again = again or not final
                row.attempts += 1
            elif (
                row.state is DownloadState.STORED and complaint is not None and not row.complaint_id
            ):
                row.complaint_id = complaint.id
    summary = {"stored": len(stored), "failed": len(outcomes) - len(stored)}
    if again:
        log.warning("media download: %d file(s) failed, will retry", summary["failed"])
        raise MediaNotYet("media not fetched yet")
    return summary


def fetch(url: str, settings: Settings) -> Fetched:
    """One provider file: its checked bytes, or why not (never raises for the provider's
    answers). Redirects are followed by hand so that each hop's host is checked and only the
    provider's own host is sent its credentials."""
    cap = settings.media_max_bytes
    first_host = urlsplit(url).hostname or ""
    auth = media_credentials(url, settings)
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in {"https", "http"} or not _allowed(host, parts.path, first_host):
            return Fetched(error="redirect_off_host")
        try:
            response = requests.get(
                url,
                auth=auth if host == first_host else None,
                allow_redirects=False,
                stream=True,
                timeout=settings.media_timeout_seconds,
            )
        except requests.RequestException as exc:
            return Fetched(error=f"unreachable:{type(exc).__name__}"[:64], retry=True)
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                continue
            return _read(response, cap)
    return Fetched(error="too_many_redirects")


def _allowed(host: str, path: str, first_host: str) -> bool:
    host = host.lower()
    return host == first_host.lower() or any(
        (host == domain or host.endswith("." + domain)) and path.startswith(prefix)
        for domain, prefix in REDIRECT_TARGETS
    )


def _read(response: requests.Response, cap: int) -> Fetched:
    status = response.status_code
    if status in {404, 410}:
        return Fetched(error=f"gone_{status}")  # deleted at the provider: nothing to wait for
    if status != 200:
        return Fetched(error=f"http_{status}", retry=True)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > cap:
        return Fetched(error="too_large")
    data = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK):
            data += chunk
            if len(data) > cap:
                return Fetched(error="too_large")
    except requests.RequestException as exc:
        return Fetched(error=f"cut_short:{type(exc).__name__}"[:64], retry=True)
    if not data:
        return Fetched(error="empty", retry=True)
    if sniff(bytes(data[:12]), video=True) is None:
        return Fetched(error="type_refused")
    return Fetched(data=bytes(data))
