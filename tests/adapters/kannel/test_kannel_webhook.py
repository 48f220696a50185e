"""One table over smsbox's real requests (get-url, post-url, dlr-url), posted to the app.

Each row names a captured request, optionally a change to its query, the secret it carries,
and what must come out: the HTTP answer and the normalized record queued for intake (or the
delivery receipt queued on ``notify``). Missing, malformed, oversized, repeated and hostile
fields are rows of the same table: they answer 4xx naming the field and queue nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.kannel import dlr_signature
from dispatcher.inbox import waiting_records
from dispatcher.queues import NOTIFY, queue
from normalizer.records import ComplaintRecord

CITIZEN = "tel:+6281234567890"
REF = "ke8ed43f2377c59565a0cf27a1f3a651a"
Pairs = list[tuple[str, bytes]]
# The conftest's SATUPINTU_KANNEL_SECRET signing REF: a valid signature, for another ref.
SIGNED_REF = dlr_signature("kannel-test-secret-8c1f", REF).encode()


def put(name: str, value: bytes) -> Callable[[Pairs], Pairs]:
    def change(pairs: Pairs) -> Pairs:
        if any(k == name for k, _ in pairs):
            return [(k, value if k == name else v) for k, v in pairs]
        return [*pairs, (name, value)]

    return change


def drop(*names: str) -> Callable[[Pairs], Pairs]:
    return lambda pairs: [(k, v) for k, v in pairs if k not in names]


def repeat(name: str, value: bytes) -> Callable[[Pairs], Pairs]:
    return lambda pairs: [*pairs, (name, value)]


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    change: Callable[[Pairs], Pairs] | None = None
    secret: str = ""  # "" = the configured one
    status: int = 200
    record: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    receipt: dict[str, Any] | None = None
    error: str = ""


CASES = [
    Case(
        "get-url, GSM-7",
        "sms_get_gsm",
        record={
            "channel": "sms",
            "provider": "kannel",
            "intent": "new",
            "contact_urn": CITIZEN,
            "text": "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar",
            "kecamatan_code": "11.04.17",
            "external_id": "f1ccb7f8-bcf6-45aa-b32d-9cd8b7551780",
            "idempotency_key": "sms:f1ccb7f8-bcf6-45aa-b32d-9cd8b7551780",
        },
        raw={"smsc": "fake", "to": "1708", "sent_at": "2026-12-04T19:52:32+00:00"},
    ),
    Case(
        "get-url, UCS-2 with an emoji (a surrogate pair)",
        "sms_get_ucs2_emoji",
        record={"text": "Saya€😀", "contact_urn": CITIZEN},
        raw={"coding": "2", "charset": "UTF-16BE", "bin": "005300610079006120acd83dde00"},
    ),
    Case(
        "post-url, the message as the body",
        "sms_post_gsm",
        record={"text": "Lampu jalan mati", "contact_urn": CITIZEN, "provider": "kannel"},
    ),
    Case(
        "post-url, UCS-2 body, fields from X-Kannel headers, a national number",
        "sms_post_ucs2_headers",
        record={"text": "Saya €", "contact_urn": CITIZEN},
        raw={"smsc": "telkomsel", "coding": "2", "sent_at": "2026-12-04T19:54:10+00:00"},
    ),
    Case(
        "keyword CEK",
        "sms_keyword_cek",
        record={"intent": "status_query", "target_tracking_id": "7K3MQX9A2B"},
    ),
    Case(
        "sender as 62... without the plus",
        "sms_get_gsm",
        change=put("from", b"6281234567890"),
        record={"contact_urn": CITIZEN},
    ),
    Case(
        "time without seconds",
        "sms_get_gsm",
        change=put("time", b"2026-12-04 19:52"),
        raw={"sent_at": "2026-12-04T19:52:00+00:00"},
    ),
    Case(
        "8-bit binary data keeps no text",
        "sms_get_gsm",
        change=lambda p: put("bin", b"\xff\x00\x81")(
            put("coding", b"1")(put("charset", b"binary")(p))
        ),
        record={"text": ""},
        raw={"bin": "ff0081"},
    ),
    Case(
        "unknown extra fields are kept",
        "sms_get_gsm",
        change=put("meta", b"smpp?foo=bar"),
        raw={"meta": "smpp?foo=bar"},
    ),
    # --- refused: the secret -------------------------------------------------------------
    Case("wrong secret", "sms_get_gsm", secret="not-the-secret", status=403, error="signature"),
    Case("no secret", "sms_get_gsm", change=drop("secret"), status=403, error="signature"),
    Case(
        "the secret in another case",
        "sms_get_gsm",
        secret="KANNEL-TEST-SECRET-8C1F",
        status=403,
        error="signature",
    ),
    # --- refused: missing, malformed, oversized, repeated, hostile -----------------------
    Case("id missing", "sms_get_gsm", change=drop("id"), status=400, error="id is missing"),
    Case("id not an id", "sms_get_gsm", change=put("id", b"<script>"), status=400, error="id"),
    Case("id too long", "sms_get_gsm", change=put("id", b"a" * 200), status=400, error="id"),
    Case(
        "id repeated",
        "sms_get_gsm",
        change=repeat("id", b"other"),
        status=400,
        error="id is repeated",
    ),
    Case("from missing", "sms_get_gsm", change=drop("from"), status=400, error="from is missing"),
    Case(
        "from not a number",
        "sms_get_gsm",
        change=put("from", b"TELKOMSEL"),
        status=400,
        error="from",
    ),
    Case(
        "from repeated",
        "sms_get_gsm",
        change=repeat("from", b"+6281399998888"),
        status=400,
        error="from is repeated",
    ),
    Case(
        "from not UTF-8", "sms_get_gsm", change=put("from", b"\xff\xfe"), status=400, error="from"
    ),
    Case(
        "coding out of range", "sms_get_gsm", change=put("coding", b"7"), status=400, error="coding"
    ),
    Case(
        "UCS-2 with an odd number of bytes",
        "sms_get_ucs2_emoji",
        change=put("bin", b"\x00S\x00"),
        status=400,
        error="UCS-2",
    ),
    Case(
        "UCS-2 with a lone surrogate",
        "sms_get_ucs2_emoji",
        change=put("bin", b"\xd8\x3d\x00a"),
        status=400,
        error="text",
    ),
    Case(
        "UTF-8 declared, not UTF-8",
        "sms_get_gsm",
        change=lambda p: put("coding", b"1")(put("charset", b"UTF-8")(put("bin", b"\xc3\x28")(p))),
        status=400,
        error="text",
    ),
    Case(
        "text oversized", "sms_get_gsm", change=put("bin", b"a" * 50_000), status=400, error="text"
    ),
    Case(
        "time malformed", "sms_get_gsm", change=put("time", b"yesterday"), status=400, error="time"
    ),
    Case(
        "time not a date",
        "sms_get_gsm",
        change=put("time", b"2026-02-31 10:00"),
        status=400,
        error="time",
    ),
    Case(
        "smsc hostile", "sms_get_gsm", change=put("smsc", b"fake\r\nX: y"), status=400, error="smsc"
    ),
    # --- delivery reports -----------------------------------------------------------------
    Case(
        "DLR 1: delivered",
        "dlr_delivered",
        receipt={
            "external_id": REF,
            "status": "delivered",
            "provider_status": "1",
            "error_code": None,
        },
    ),
    Case(
        "DLR 8: the SMSC accepted it (what sent already says)",
        "dlr_smsc_accepted",
        receipt={"external_id": REF, "status": "sent", "provider_status": "8"},
    ),
    Case(
        "DLR 16: the SMSC rejected it",
        "dlr_smsc_rejected",
        receipt={"status": "failed", "error_code": "dlr_smsc_rejected"},
    ),
    Case(
        "DLR 2: failed on the way to the phone",
        "dlr_delivered",
        change=put("type", b"2"),
        receipt={"status": "undelivered", "error_code": "dlr_undelivered"},
    ),
    Case(
        "DLR 4: buffered",
        "dlr_delivered",
        change=put("type", b"4"),
        receipt={"status": "sent"},
    ),
    Case(
        "DLR of an unknown type: accepted, nothing queued",
        "dlr_delivered",
        change=put("type", b"3"),
        receipt=None,
    ),
    Case("DLR with a wrong signature", "dlr_delivered", change=put("sig", b"0" * 32), status=403),
    Case(
        "DLR signed for another ref",
        "dlr_delivered",
        change=lambda p: put("sig", SIGNED_REF)(put("ref", b"k" + b"0" * 32)(p)),
        status=403,
    ),
    Case("DLR without a signature", "dlr_delivered", change=drop("sig"), status=403),
    Case(
        "DLR with the inbound secret only",
        "dlr_delivered",
        change=lambda p: put("secret", b"SECRET")(drop("sig")(p)),
        status=403,
    ),
    Case(
        "DLR type missing",
        "dlr_delivered",
        change=drop("type"),
        status=400,
        error="type is missing",
    ),
    Case(
        "DLR type not a number",
        "dlr_delivered",
        change=put("type", b"1;drop"),
        status=400,
        error="type",
    ),
    Case(
        "DLR type repeated",
        "dlr_delivered",
        change=repeat("type", b"2"),
        status=400,
        error="type is repeated",
    ),
]


def queued(runtime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    receipts = [job.args[0] for job in queue(NOTIFY, runtime.redis).get_jobs()]
    return waiting_records(runtime.redis), receipts


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_kannel_requests(redis_only, load_request, case: Case):
    poster, runtime = redis_only
    captured = load_request(case.fixture)
    if case.change is not None:
        captured = captured.with_query(case.change(captured.query))
    kwargs = {"secret": case.secret} if case.secret else {}

    response = poster.send(captured, **kwargs)

    assert response.status_code == case.status, response.get_data(as_text=True)
    records, receipts = queued(runtime)
    if case.status >= 400:
        assert records == [] and receipts == []
        assert case.error in response.get_data(as_text=True)
        return
    if captured.path.endswith("/dlr"):
        assert records == []
        if case.receipt is None:
            assert receipts == []
        else:
            (receipt,) = receipts
            assert receipt | case.receipt == receipt
        return
    assert receipts == []
    (payload,) = records
    record = ComplaintRecord.from_dict(payload)
    assert record.provider == "kannel"
    for name, value in case.record.items():
        assert payload.get(name, getattr(record, name, None)) == value, name
    for name, value in case.raw.items():
        assert record.raw[name] == value, name
    assert "secret" not in record.raw  # the secret is never stored


def test_off_until_the_secret_is_set(redis_only, load_request):
    poster, runtime = redis_only
    runtime.settings = runtime.settings.replace(kannel_secret="")
    response = poster.send(load_request("sms_get_gsm"))
    assert response.status_code == 503
    assert "kannel" in response.get_data(as_text=True)
    assert queued(runtime) == ([], [])
