"""One table over real Twilio request bodies: signed with the twilio library, posted to the app.

Each row names a fixture (a body exactly as Twilio posts it), optionally a change to it, how
it is signed, and what must come out: the HTTP answer, and the normalized record queued on
``intake`` (or the delivery receipt queued on ``notify``). Bad input rows are in the same
table: they must answer clearly and queue nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.twilio_sms import EMPTY_TWIML
from dispatcher.inbox import waiting_records
from dispatcher.queues import INTAKE, NOTIFY, queue
from normalizer.records import ComplaintRecord

Params = list[tuple[str, str]]
SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
CITIZEN = "tel:+6281234567890"
TRACKED = "7K3MQX9A2B"  # the id the keyword fixtures name


def drop(*names: str) -> Callable[[Params], Params]:
    return lambda params: [(k, v) for k, v in params if k not in names]


def put(name: str, value: str) -> Callable[[Params], Params]:
    def change(params: Params) -> Params:
        if any(k == name for k, _ in params):
            return [(k, value if k == name else v) for k, v in params]
        return [*params, (name, value)]

    return change


def repeat(name: str, value: str) -> Callable[[Params], Params]:
    return lambda params: [*params, (name, value)]


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    path: str = SMS
    change: Callable[[Params], Params] | None = None
    sign: str = "valid"  # valid | none | wrong_token | other_url | before_change
    status: int = 200
    record: dict[str, Any] = field(default_factory=dict)  # fields of the queued record
    raw: dict[str, Any] = field(default_factory=dict)  # fields kept in record.raw
    receipt: dict[str, Any] | None = None  # the queued delivery receipt (status callbacks)
    error: str = ""  # words the error answer must contain


def keyword(word: str, **record: Any) -> Case:
    return Case(f"keyword {word.upper()}", f"sms_keyword_{word}", record=record)


CASES = [
    Case(
        "plain Indonesian SMS",
        "sms_basic",
        record={
            "channel": "sms",
            "provider": "twilio",
            "intent": "new",
            "contact_urn": CITIZEN,
            "text": "Jalan rusak parah di Kampung Bale, Kec. Lut Tawar, sudah 3 bulan tidak "
            "diperbaiki. Mohon segera ditindaklanjuti.",
            "language": "id",
            "privacy": "public",
            "category": "jalan",
            "kecamatan_code": "11.04.17",
            "media": [],
        },
        raw={"SmsStatus": "received", "ApiVersion": "2010-04-01", "NumSegments": "1"},
    ),
    Case(
        "emoji",
        "sms_emoji",
        record={
            "text": "Lampu jalan mati 😡🙏 di depan Masjid Raya Ruhama Takengon sejak minggu "
            "lalu 💡❌",
            "category": "lampu_jalan",
        },
        raw={"NumSegments": "2"},
    ),
    Case(
        "MMS with three images and NumSegments=3",
        "sms_mms_three_images",
        record={"intent": "new", "kecamatan_code": "11.04.17"},
        raw={"NumMedia": "3", "NumSegments": "3"},
    ),
    Case(
        "media with an empty Body",
        "sms_media_empty_body",
        record={"intent": "new", "text": ""},
        raw={"Body": "", "NumMedia": "1"},
    ),
    Case(
        "WhatsApp text",
        "whatsapp_text",
        record={
            "channel": "whatsapp",
            "contact_urn": "tel:+6281377788899",
            "contact_name": "Rahmat Gayo",
            "kecamatan_code": "11.04.03",
            "category": "air",
        },
        raw={"WaId": "6281377788899", "To": "whatsapp:+6285170001708"},
    ),
    Case(
        "WhatsApp location",
        "whatsapp_location",
        record={"channel": "whatsapp", "latitude": 4.6243571, "longitude": 96.8456248},
        raw={"Label": "Jembatan rusak", "Address": "Jl. Lebe Kader, Takengon"},
    ),
    Case(
        "unknown extra parameters are kept",
        "sms_unknown_parameter",
        record={"intent": "new", "kecamatan_code": "11.04.03"},
        raw={
            "SmsFutureField": "x1",
            "AddOns": '{"status":"successful","message":null,"code":null,"results":{}}',
        },
    ),
    keyword("lapor", intent="new", text="Air PDAM tidak mengalir di Desa Kute Lintang sejak Senin"),
    keyword("cek", intent="status_query", target_tracking_id=TRACKED),
    keyword("status", intent="status_query", target_tracking_id=TRACKED),
    keyword(
        "info",
        intent="follow_up",
        target_tracking_id=TRACKED,
        text="lubangnya sekarang makin besar, sudah ada motor jatuh",
    ),
    keyword("batal", intent="withdraw", target_tracking_id=TRACKED),
    keyword("rahasia", intent="new", privacy="confidential", category="korupsi"),
    keyword("stop", intent="opt_out"),
    keyword("berhenti", intent="opt_out"),
    keyword("unreg", intent="opt_out"),
    keyword("mulai", intent="opt_in"),
    keyword("bantuan", intent="help"),
    keyword("help", intent="help"),
    # --- status callbacks
    Case("status sent", "status_sent", STATUS, status=204, receipt={"status": "sent"}),
    Case(
        "status delivered", "status_delivered", STATUS, status=204, receipt={"status": "delivered"}
    ),
    Case(
        "status failed 21610",
        "status_failed_21610",
        STATUS,
        status=204,
        receipt={"status": "failed", "error_code": "21610"},
    ),
    Case(
        "status undelivered 30003",
        "status_undelivered_30003",
        STATUS,
        status=204,
        receipt={"status": "undelivered", "error_code": "30003"},
    ),
    Case(
        "status read (WhatsApp)",
        "status_read_whatsapp",
        STATUS,
        status=204,
        receipt={"status": "read"},
    ),
    Case(
        "status partially_delivered",
        "status_unknown_future",
        STATUS,
        status=204,
        receipt={"status": "delivered"},
    ),
    Case(
        "status failed 63018 (rate limit)",
        "status_failed_63018",
        STATUS,
        status=204,
        receipt={"status": "failed", "error_code": "63018"},
    ),
    Case(
        "status failed 63016 (WhatsApp window)",
        "status_failed_63016_whatsapp",
        STATUS,
        status=204,
        receipt={"status": "failed", "error_code": "63016"},
    ),
    # --- WhatsApp senders without a phone, and buttons
    Case(
        "WhatsApp sender known only by a business-scoped user id",
        "whatsapp_bsuid_no_phone",
        record={
            "channel": "whatsapp",
            "contact_urn": "whatsapp:ID.1349120865530274191",
            "contact_name": "Cut Nyak",
            "intent": "new",
        },
        raw={"ExternalUserId": "ID.1349120865530274191"},
    ),
    Case(
        "business-scoped user id in ExternalUserId only",
        "whatsapp_bsuid_no_phone",
        change=drop("From"),
        record={"channel": "whatsapp", "contact_urn": "whatsapp:ID.1349120865530274191"},
    ),
    Case(
        "quick-reply button: its payload is the command",
        "whatsapp_button_cek",
        record={"intent": "status_query", "target_tracking_id": TRACKED},
        raw={"ButtonText": "Cek status", "ButtonPayload": "CEK 7K3MQ-X9A2B"},
    ),
    Case(
        "quick-reply button without a payload: its label is read",
        "whatsapp_button_cek",
        change=drop("ButtonPayload", "Body"),
        record={"intent": "status_query"},
        raw={"ButtonText": "Cek status"},
    ),
    # --- HMAC-SHA256 signatures of a Twilio Webhooks rule
    Case("Webhooks rule signature (HMAC-SHA256)", "sms_basic", sign="rule_shared_key"),
    Case(
        "Webhooks rule status callback",
        "status_sent",
        STATUS,
        sign="rule_shared_key",
        status=204,
        receipt={"status": "sent"},
    ),
    # --- bad input: refused clearly, nothing queued
    Case("missing signature", "sms_basic", sign="none", status=403),
    Case("wrong signature", "sms_basic", sign="wrong_token", status=403),
    Case("signature for another URL", "sms_basic", sign="other_url", status=403),
    Case(
        "body changed after signing",
        "sms_basic",
        change=put("Body", "STOP"),
        sign="before_change",
        status=403,
    ),
    Case("status without signature", "status_delivered", STATUS, sign="none", status=403),
    Case(
        "rule header, signed with the auth token", "sms_basic", sign="rule_auth_token", status=403
    ),
    Case("rule header over a SHA-1 signature", "sms_basic", sign="sha1_under_rule", status=403),
    Case(
        "rule naming an unknown algorithm", "sms_basic", sign="rule_unknown_algorithm", status=403
    ),
    Case(
        "status Twilio does not send",
        "status_delivered",
        STATUS,
        change=put("MessageStatus", "teleported"),
        status=400,
        error="MessageStatus",
    ),
    Case(
        "ExternalUserId that is not a user id",
        "whatsapp_bsuid_no_phone",
        change=put("ExternalUserId", "+6281234567890"),
        status=400,
        error="ExternalUserId",
    ),
    Case(
        "ExternalUserId on an SMS",
        "sms_basic",
        change=put("ExternalUserId", "ID.1349120865530274191"),
        status=400,
        error="ExternalUserId",
    ),
    Case(
        "no From and no ExternalUserId",
        "whatsapp_bsuid_no_phone",
        change=drop("From", "ExternalUserId"),
        status=400,
        error="From is missing",
    ),
    Case(
        "duplicated ButtonPayload",
        "whatsapp_button_cek",
        change=repeat("ButtonPayload", "BATAL 7K3MQ-X9A2B"),
        status=400,
        error="ButtonPayload",
    ),
    Case(
        "missing MessageSid", "sms_basic", change=drop("MessageSid"), status=400, error="MessageSid"
    ),
    Case(
        "hostile MessageSid",
        "sms_basic",
        change=put("MessageSid", "SM1'; DROP TABLE messages; --"),
        status=400,
        error="MessageSid",
    ),
    Case("missing From", "sms_basic", change=drop("From"), status=400, error="From is missing"),
    Case("malformed From", "sms_basic", change=put("From", "+62"), status=400, error="From"),
    Case("From that is words", "sms_basic", change=put("From", "pulsa gratis"), status=400),
    Case("From on another channel", "sms_basic", change=put("From", "messenger:1234"), status=400),
    Case("oversized Body", "sms_basic", change=put("Body", "a" * 70_000), status=413),
    Case(
        "duplicated MessageSid",
        "sms_basic",
        change=repeat("MessageSid", "SM" + "0" * 32),
        status=400,
    ),
    Case("duplicated Body", "sms_basic", change=repeat("Body", "STOP"), status=400, error="Body"),
    Case(
        "duplicated unknown parameter is kept whole",
        "sms_unknown_parameter",
        change=repeat("SmsFutureField", "x2"),
        raw={"SmsFutureField": ["x1", "x2"]},
    ),
    Case(
        "hostile text is kept as text, invisible controls removed",
        "sms_basic",
        change=put("Body", "<script>alert(1)</script>\x00\u202e' OR 1=1 --{{7*7}}"),
        record={"text": "<script>alert(1)</script>' OR 1=1 --{{7*7}}", "intent": "new"},
    ),
    Case("NumMedia not a number", "sms_media_empty_body", change=put("NumMedia", "x"), status=400),
    Case(
        "NumMedia above the URLs sent",
        "sms_media_empty_body",
        change=put("NumMedia", "2"),
        status=400,
    ),
    Case(
        "MediaUrl that is not a web address",
        "sms_media_empty_body",
        change=put("MediaUrl0", "javascript:alert(1)"),
        status=400,
        error="MediaUrl0",
    ),
    Case("Latitude out of range", "whatsapp_location", change=put("Latitude", "123.4"), status=400),
    Case("Latitude alone", "whatsapp_location", change=drop("Longitude"), status=400),
    Case("Longitude not a number", "whatsapp_location", change=put("Longitude", "nan"), status=400),
    Case(
        "status without MessageStatus",
        "status_delivered",
        STATUS,
        change=drop("MessageStatus", "SmsStatus"),
        status=400,
    ),
    Case(
        "status ErrorCode not a number",
        "status_failed_21610",
        STATUS,
        change=put("ErrorCode", "21610<x>"),
        status=400,
    ),
]


def queued_args(runtime, name: str) -> list[dict[str, Any]]:
    if name == INTAKE:  # records wait in the inbox, not as jobs (dispatcher/inbox.py)
        return waiting_records(runtime.redis)
    return [job.args[0] for job in queue(name, runtime.redis).get_jobs()]


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_twilio_requests(redis_only, case: Case):
    twilio, runtime = redis_only
    original = twilio.params(case.fixture)
    params = case.change(original) if case.change else original
    sign = case.sign
    signed_url = None
    if sign == "other_url":
        sign, signed_url = "valid", twilio.public_url + (STATUS if case.path == SMS else SMS)
    headers = {}
    if sign == "before_change":
        sign = "none"
        headers["X-Twilio-Signature"] = twilio.signature(original, twilio.public_url + case.path)

    response = twilio.post(
        params, path=case.path, sign=sign, signed_url=signed_url, headers=headers
    )

    assert response.status_code == case.status, response.get_data(as_text=True)
    records = queued_args(runtime, INTAKE)
    receipts = queued_args(runtime, NOTIFY)
    if case.status >= 400:
        assert records == [] and receipts == []
        assert case.error in response.get_data(as_text=True)
        return
    if case.path == STATUS:
        assert records == []
        if case.receipt is None:
            assert receipts == []
        else:
            (receipt,) = receipts
            expected = {"external_id": dict(params)["MessageSid"], "error_code": None}
            assert receipt | expected | case.receipt == receipt
        return
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True) == EMPTY_TWIML
    assert receipts == []
    (payload,) = records
    record = ComplaintRecord.from_dict(payload)
    fields = dict(params)
    assert record.external_id == fields["MessageSid"]
    assert record.idempotency_key == f"{record.channel.value}:{fields['MessageSid']}"
    for name, value in case.record.items():
        assert payload[name] == value, name
    for name, value in case.raw.items():
        assert record.raw[name] == value, name
    if fields.get("NumMedia", "0") != "0":
        media = [(m.url, m.content_type) for m in record.media]
        assert media == [
            (fields[f"MediaUrl{n}"], fields[f"MediaContentType{n}"])
            for n in range(int(fields["NumMedia"]))
        ]
