"""Bounces that come later: the VERP Return-Path each email carries, and reading a DSN.

A mail server may take a message and bounce it hours later, as a delivery status
notification (RFC 3464: multipart/report with a message/delivery-status part) sent to the
envelope sender. So every email's envelope sender names the email it belongs to:
``bounce+r<reply id>-<tag>@<domain of SATUPINTU_MAIL_FROM>`` (or the local part and domain
of SATUPINTU_BOUNCE_ADDRESS), the tag a keyed hash so nobody can forge a bounce for another
reply. ``read_bounce`` takes the raw message a mail server hands over (Postfix's pipe
transport, `satupintu mail bounce`) and says which email bounced, with the DSN's status
(5.x.x: for good; 4.x.x: delayed) and diagnostic code. Parsed with Python's email package.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parseaddr

DEFAULT_LOCAL = "bounce"
_TAG_LENGTH = 10
_VERP = re.compile(r"^(?P<local>[^+@]+)\+(?P<kind>[ra])(?P<id>\d{1,18})-(?P<tag>[0-9a-f]+)@", re.I)
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")


@dataclass(frozen=True)
class Bounce:
    """One bounced email: ``kind`` "reply" (a citizen's) or "alert" (an operator's), its id,
    the DSN's ``status`` (e.g. 5.1.1), ``action`` (failed, delayed) and diagnostic code."""

    kind: str
    key: int
    status: str
    action: str
    diagnostic: str = ""

    @property
    def permanent(self) -> bool:
        """A hard bounce (5.x.x, action failed): the address takes nothing more."""
        return self.status.startswith("5") and self.action in {"failed", ""}

    @property
    def error_code(self) -> str:
        """What is recorded on the reply: ``bounce_5.1.1`` (20 characters at most)."""
        return f"bounce_{self.status}"[:20]


def _tag(secret_key: str, kind: str, key: int) -> str:
    digest = hmac.new(secret_key.encode(), f"satupintu.verp:{kind}:{key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:_TAG_LENGTH]


def return_path(
    *, kind: str, key: int, secret_key: str, mail_from: str, bounce_address: str = ""
) -> str:
    """The envelope sender for email ``kind`` ("reply" or "alert") number ``key``."""
    base = parseaddr(bounce_address or "")[1] or ""
    if "@" in base:
        local, _, domain = base.rpartition("@")
    else:
        local, domain = DEFAULT_LOCAL, parseaddr(mail_from)[1].rpartition("@")[2]
    letter = "r" if kind == "reply" else "a"
    return f"{local}+{letter}{key}-{_tag(secret_key, letter, key)}@{domain}"


def read_return_path(address: str, secret_key: str) -> tuple[str, int] | None:
    """("reply" | "alert", id) from a VERP address we made; None for anything else."""
    match = _VERP.match(parseaddr(address)[1] or address)
    if match is None:
        return None
    letter, key = match.group("kind").lower(), int(match.group("id"))
    if not hmac.compare_digest(_tag(secret_key, letter, key), match.group("tag").lower()):
        return None
    return ("reply" if letter == "r" else "alert"), key


def read_bounce(raw: bytes, secret_key: str, recipient: str = "") -> Bounce | None:
    """The bounce in ``raw`` (one message as a mail server delivers it); None when it is
    no DSN of ours (an ordinary reply, spam, a forged tag). ``recipient``: the envelope
    recipient, when the mail server passes it (Postfix's ${recipient})."""
    message = message_from_bytes(raw, policy=policy.default)
    report = _delivery_status(message)
    if report is None:
        return None
    action, status, diagnostic = report
    which = _whose(message, secret_key, recipient)
    if which is None:
        return None
    return Bounce(which[0], which[1], status, action, diagnostic)


def _delivery_status(message: Message) -> tuple[str, str, str] | None:
    """(action, status, diagnostic) of the first failed or delayed recipient of a DSN."""
    if message.get_content_type() != "multipart/report":
        return None
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # The email package reads a delivery-status body as a list of header blocks: the
        # per-message fields first, then one block per recipient.
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks[1:] or blocks:
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip().split(" ")[0]
            if _STATUS.match(status) and action in {"failed", "delayed", ""}:
                diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
                return action, status, diagnostic[:200]
    return None


def _whose(message: Message, secret_key: str, recipient: str) -> tuple[str, int] | None:
    """Which email bounced: the VERP address it came back to, else the original's
    Message-ID (a DSN usually carries the original's headers)."""
    candidates = [recipient] if recipient else []
    for header in ("Delivered-To", "X-Original-To", "To"):
        candidates += [address for _, address in getaddresses(message.get_all(header, []))]
    for address in candidates:
        found = read_return_path(address, secret_key)
        if found is not None:
            return found
    return None
