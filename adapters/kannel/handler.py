"""Kannel: SMS on the operators' shortcode over SMPP, through smsbox's HTTP interface.

Inbound: smsbox's ``sms-service`` calls ``/webhooks/kannel/sms`` (``get-url``: GET with every
field in the query; ``post-url``: POST with the fields in the query and the message as the
body), carrying our secret. Delivery reports: the ``dlr-url`` each reply asked for
(``send.py``), signed by us, calls ``/webhooks/kannel/dlr``.

Fields read (the sms-service URL that ``satupintu kannel config`` writes names them; unknown
ones are kept in ``raw``):
  secret     SATUPINTU_KANNEL_SECRET, compared in constant time
  id         %I, Kannel's message id: the external id (a retried id is the same message)
  from, to   %p sender, %P receiver (the shortcode)
  text       %a, the message's words; ``bin`` %b, the message byte for byte (preferred)
  coding     %c: 0 GSM-7, 1 8-bit binary, 2 UCS-2
  charset    %C: what the bytes are in (UTF-16BE for UCS-2, UTF-8 once Kannel recoded)
  time       %t, when the SMSC took the message, "YYYY-MM-DD HH:MM[:SS]"
  smsc       %i, the operator's smsc-id (Telkomsel, Indosat, ...)
A delivery report: ``ref`` (our id for the reply), ``sig`` (its HMAC), ``type`` %d, ``reply``
%A (the SMSC's words), ``smsc`` %i.

Values are percent-decoded to bytes here, never through a UTF-8 guess: UCS-2 text arrives
as UTF-16BE bytes that only ``coding``/``charset`` can decode.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from werkzeug.wrappers import Request

from adapters import base
from adapters.base import DeliveryReport
from config import Settings
from normalizer.records import Channel, InboundMessage
from normalizer.urns import InvalidContact, tel_urn

log = logging.getLogger("adapters.kannel")

NAME = "kannel"
INBOUND_PATH = "/webhooks/kannel/sms"
DLR_PATH = "/webhooks/kannel/dlr"
# smsbox's requests are small: a concatenated SMS of 255 parts is under 40 KB of text.
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_BYTES = 40 * 1024
# Kannel's %I is a UUID; other smsbox builds use numbers. Lenient on shape, never free text.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_REF = re.compile(r"k[0-9a-f]{32}")
_SMSC_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")
_SINGLE_FIELDS = frozenset(
    {"secret", "id", "from", "to", "text", "bin", "coding", "charset", "time", "smsc"}
    | {"ref", "sig", "type", "reply"}
)
_HEADER_FIELDS = (
    ("from", "X-Kannel-From"),
    ("to", "X-Kannel-To"),
    ("time", "X-Kannel-Time"),
    ("coding", "X-Kannel-Coding"),
    ("smsc", "X-Kannel-SMSC"),
)
_UCS2 = frozenset({"UTF-16BE", "UTF-16", "UCS-2", "UCS2", "UCS-2BE", "UNICODE"})
_LATIN = frozenset({"ISO-8859-1", "ISO8859-1", "LATIN1", "WINDOWS-1252", "CP1252"})


class SignatureMismatch(base.SignatureMismatch):
    """The secret (inbound) or the dlr-url's HMAC is missing or wrong, or none is configured."""

    def __init__(self, reason: str) -> None:
        super().__init__(NAME, reason)


class MalformedRequest(base.MalformedRequest):
    """A request smsbox would not send; the message names the field, never its value."""


# --- fields -----------------------------------------------------------------------------


def parse_query(data: bytes) -> list[tuple[bytes, bytes]]:
    """``a=1&b=%00S`` as byte pairs: percent-escapes decoded to bytes, never to a guess at
    text (the standard library's parse_qsl decodes them as UTF-8 first)."""
    pairs = []
    for part in data.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append(
            (
                unquote_to_bytes(name.replace(b"+", b" ")),
                unquote_to_bytes(value.replace(b"+", b" ")),
            )
        )
    return pairs


def request_fields(request: Request) -> dict[str, bytes]:
    """The query's fields (and a form body's), percent-decoded to bytes, each at most once.

    A ``post-url`` body that is not a form is the message itself (``bin``, unless the query
    has %b too), its charset from the Content-Type when the query does not name one.
    """
    pairs = parse_query(request.query_string)
    body = request.get_data(cache=True) if request.method == "POST" else b""
    mimetype = request.mimetype or ""
    if body and mimetype == "application/x-www-form-urlencoded":
        pairs += parse_query(body)
        body = b""
    fields: dict[str, bytes] = {}
    for raw_name, value in pairs:
        name = raw_name.decode("ascii", "replace")
        if name in fields and name in _SINGLE_FIELDS:
            raise MalformedRequest(f"{name} is repeated")
        fields.setdefault(name, value)
    if body and "bin" not in fields:
        fields["bin"] = body
        charset = request.mimetype_params.get("charset", "")
        if charset and "charset" not in fields:
            fields["charset"] = charset.encode("ascii", "replace")
    # A post-url without escape codes still has smsbox's X-Kannel-* headers.
    for name, header in _HEADER_FIELDS:
        if name not in fields and header in request.headers:
            fields[name] = request.headers[header].encode("utf-8", "replace")
    return fields


def _text_field(fields: Mapping[str, bytes], name: str, limit: int = 64) -> str:
    value = fields.get(name, b"")
    if len(value) > limit:
        raise MalformedRequest(f"{name} is too long")
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MalformedRequest(f"{name} is not text") from None


# --- verify -----------------------------------------------------------------------------


def dlr_signature(secret: str, ref: str) -> str:
    """The HMAC a dlr-url carries for our reply ``ref`` (send.py signs, verify checks)."""
    digest = hmac.new(secret.encode(), f"kannel-dlr:{ref}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def verify(request: Request, settings: Settings) -> None:
    """Inbound: the ``secret`` field; a delivery report: its ``sig`` over ``ref``."""
    if not settings.kannel_secret:
        raise SignatureMismatch("not_configured")
    fields = dict(parse_query(request.query_string))
    if request.path == DLR_PATH:
        given = fields.get(b"sig", b"")
        expected = dlr_signature(settings.kannel_secret, fields.get(b"ref", b"").decode("latin-1"))
        wanted = expected.encode()
    else:
        given = fields.get(b"secret", b"")
        wanted = settings.kannel_secret.encode()
    if not given:
        raise SignatureMismatch("missing")
    if not hmac.compare_digest(given, wanted):
        raise SignatureMismatch("invalid")


# --- parse ------------------------------------------------------------------------------


def decode_text(fields: Mapping[str, bytes]) -> str:
    """The message's words from %b (else %a), decoded as %c/%C say; raises MalformedRequest."""
    data = fields.get("bin", fields.get("text", b""))
    if len(data) > MAX_TEXT_BYTES:
        raise MalformedRequest(f"text is longer than {MAX_TEXT_BYTES} bytes")
    coding_text = _text_field(fields, "coding", 2) or "0"
    if coding_text not in {"0", "1", "2"}:
        raise MalformedRequest("coding must be 0, 1 or 2")
    coding = int(coding_text)
    charset = _text_field(fields, "charset", 40).upper()
    try:
        if charset in _UCS2 or (coding == 2 and charset != "UTF-8"):
            if len(data) % 2:
                raise MalformedRequest("text is not UCS-2 (an odd number of bytes)")
            return data.decode("utf-16-be")
        if charset in _LATIN:
            return data.decode("latin-1")
        if charset == "UTF-8":  # what Kannel recodes GSM-7 (and, with mo-recode, UCS-2) to
            return data.decode("utf-8")
        if coding == 1:
            # 8-bit data (a ringtone, a SIM update): no words a person wrote, kept in raw.
            return data.decode("utf-8") if _is_utf8(data) else ""
        # No charset named: very old builds pass GSM-7 as Latin-1.
        return data.decode("utf-8") if _is_utf8(data) else data.decode("latin-1")
    except UnicodeDecodeError:
        raise MalformedRequest("text is not valid in its charset") from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sender(fields: Mapping[str, bytes], region: str) -> str:
    sender = _text_field(fields, "from", 32)
    if not sender:
        raise MalformedRequest("from is missing")
    try:
        return tel_urn(sender, region)
    except InvalidContact:
        raise MalformedRequest("from is not a phone number") from None


def _sent_at(fields: Mapping[str, bytes]) -> str:
    text = _text_field(fields, "time", 32)
    if not text:
        return ""
    match = _TIME.fullmatch(text)
    if match is None:
        raise MalformedRequest("time is not YYYY-MM-DD HH:MM[:SS]")
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()
    except ValueError:
        raise MalformedRequest("time is not a real date") from None


def _external_id(fields: Mapping[str, bytes], name: str) -> str:
    value = _text_field(fields, name, 64)
    if not value:
        raise MalformedRequest(f"{name} is missing")
    if not _ID.fullmatch(value):
        raise MalformedRequest(f"{name} is not a message id")
    return value


def parse(
    fields: Mapping[str, bytes], *, region: str = "ID", received_at: datetime | None = None
) -> InboundMessage:
    """One inbound SMS from smsbox's fields (``request_fields``); raises MalformedRequest."""
    external_id = _external_id(fields, "id")
    sender = _sender(fields, region)
    text = decode_text(fields)
    smsc = _text_field(fields, "smsc", 40)
    if smsc and not _SMSC_ID.fullmatch(smsc):
        raise MalformedRequest("smsc is not an smsc-id")
    return InboundMessage(
        channel=Channel.SMS,
        provider=NAME,
        external_id=external_id,
        sender=sender,
        recipient=_text_field(fields, "to", 32),
        text=text,
        received_at=received_at or datetime.now(UTC),
        raw=_raw(fields, smsc=smsc, sent_at=_sent_at(fields)),
    )


def _raw(fields: Mapping[str, bytes], **known: str) -> dict[str, Any]:
    """What smsbox sent, for audit: text fields as text, the message bytes as hex; never the
    secret."""
    raw: dict[str, Any] = {}
    for name, value in fields.items():
        if name in {"secret", "sig"}:
            continue
        if name == "bin":
            raw[name] = value.hex()
        else:
            raw[name[:40]] = value[:2048].decode("utf-8", "replace")
    raw.update({k: v for k, v in known.items() if v})
    return raw


# --- delivery reports -------------------------------------------------------------------


def parse_dlr(fields: Mapping[str, bytes]) -> DeliveryReport:
    """A delivery report's fields; raises MalformedRequest."""
    ref = _text_field(fields, "ref", 40)
    if not _REF.fullmatch(ref):
        raise MalformedRequest("ref is missing or not one of our message refs")
    code = _text_field(fields, "type", 6)
    if not code:
        raise MalformedRequest("type is missing")
    if not code.isascii() or not code.isdigit():
        raise MalformedRequest("type is not a DLR code")
    status = STATUS_TABLE.get(code)
    if status is None:
        # A combination or a code this table does not know: accepted and ignored.
        log.warning("kannel dlr type %s is not in the status table; ignored", code)
    error_code = FAILURE_CODES.get(code)
    return DeliveryReport(ref, status, code, error_code)


def inbound_webhook(request: Request, settings: Settings) -> base.WebhookResult:
    """smsbox's sms-service: one message; smsbox is answered an empty 200 (no reply SMS:
    ours go out through sendsms, by notify jobs)."""
    inbound = parse(request_fields(request), region=settings.default_region)
    return base.WebhookResult(messages=(inbound,), body="")


def dlr_webhook(request: Request, settings: Settings) -> base.WebhookResult:
    """A dlr-url call: one delivery report for a reply we sent."""
    report = parse_dlr(request_fields(request))
    return base.WebhookResult(receipts=(report.to_dict(),), body="")


# --- status table -----------------------------------------------------------------------

# Kannel's DLR type -> our outbound status (casestore.delivery ranks them, forward only).
# 4 (buffered at the SMSC) and 8 (the SMSC took it) are what our "sent" already says.
STATUS_TABLE = {
    "1": "delivered",  # delivered to the phone
    "2": "undelivered",  # the SMSC could not deliver it
    "4": "sent",  # buffered: the phone is off or out of reach, the SMSC keeps trying
    "8": "sent",  # the SMSC accepted it
    "16": "failed",  # the SMSC rejected it
}
# The error code a failed reply keeps (never a number: Twilio's codes are numbers).
FAILURE_CODES = {"2": "dlr_undelivered", "16": "dlr_smsc_rejected"}
# Every report sendsms asks for: 1 + 2 + 4 + 8 + 16.
DLR_MASK = 31
