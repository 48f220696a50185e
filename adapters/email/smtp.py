"""Email, outbound: one SMTP conversation per email, and which SMTP answers retry.

SATUPINTU_SMTP_URL says where: ``smtp://user:pass@host:587`` speaks STARTTLS before it logs
in (required: credentials never cross in clear), ``smtps://user:pass@host:465`` is TLS from
the first byte. Query options: ``cafile=/path`` trusts a private CA (the district's relay);
``starttls=off`` for a relay on the same machine that has no TLS (only a loopback host).
A 4xx answer, a refused connection or a timeout is transient (rq retries with back-off); a
5xx for the recipient is permanent and recorded on the reply as ``smtp_<code>``.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.base import PermanentSendError, SendError, TransientSendError
from adapters.email.bounce import return_path
from adapters.email.compose import compose, message_id_for
from adapters.email.unsubscribe import unsubscribe_url
from normalizer.records import OutboundMessage, SendResult

NAME = "email"
log = logging.getLogger("adapters.email")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool
    username: str = ""
    password: str = ""
    cafile: str = ""


def smtp_config(url: str) -> SmtpConfig:
    """SATUPINTU_SMTP_URL read; ValueError names what is wrong (never the password)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("SATUPINTU_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SATUPINTU_SMTP_URL has no host")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    starttls = not implicit and options.get("starttls", "on") != "off"
    if not implicit and not starttls and not _loopback(parts.hostname):
        raise ValueError("starttls=off is only for an SMTP relay on this machine (loopback)")
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        implicit_tls=implicit,
        starttls=starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        cafile=options.get("cafile", ""),
    )


def enabled(settings: Any) -> bool:
    """Whether email can go out: a readable SMTP URL and a From address are both set."""
    return problem(settings) is None


def problem(settings: Any) -> str | None:
    """Why email is off, in words for `satupintu status` and the console; None when on."""
    url, mail_from = getattr(settings, "smtp_url", ""), getattr(settings, "mail_from", "")
    if not url or not mail_from:
        return "SATUPINTU_SMTP_URL and SATUPINTU_MAIL_FROM not set"
    if "@" not in mail_from:
        return "SATUPINTU_MAIL_FROM is not an email address"
    try:
        smtp_config(url)
    except ValueError as exc:
        return str(exc)
    return None


class EmailSender:
    """Sends citizens' updates (``send``) and operators' alerts (``send_message``)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.config = smtp_config(settings.smtp_url)

    def send(self, message: OutboundMessage) -> SendResult:
        """A citizen's update: framed, with the tracking link and one-click unsubscribe."""
        s = self.settings
        address = message.to.removeprefix("mailto:")
        public_url = s.public_url or f"http://{s.host}:{s.port}"
        mail = compose(
            mail_from=s.mail_from,
            to=address,
            subject=message.subject or "SatuPintu",
            text=message.text,
            language=message.language,
            track_url=message.link,
            message_id=message_id_for("reply", message.message_id, s.mail_from, s.secret_key),
            unsubscribe_url=unsubscribe_url(public_url, s.secret_key, message.to),
        )
        return self.send_message(mail, envelope_from=self.return_path("reply", message.message_id))

    def return_path(self, kind: str, key: int) -> str:
        """The VERP envelope sender of email ``kind`` number ``key``: a later bounce (DSN)
        comes back to it and names the email (adapters/email/bounce.py)."""
        s = self.settings
        return return_path(
            kind=kind,
            key=key,
            secret_key=s.secret_key,
            mail_from=s.mail_from,
            bounce_address=getattr(s, "bounce_address", ""),
        )

    def send_message(self, mail: EmailMessage, envelope_from: str = "") -> SendResult:
        """One SMTP conversation; the Message-ID is the provider id recorded on the reply.
        ``envelope_from`` is the Return-Path (MAIL FROM); the From header otherwise."""
        c = self.config
        timeout = float(getattr(self.settings, "smtp_timeout", 30))
        try:
            if c.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=timeout, context=self._tls()
                )
            else:
                client = smtplib.SMTP(c.host, c.port, timeout=timeout)
            try:
                client.ehlo()
                if c.starttls:
                    client.starttls(context=self._tls())
                    client.ehlo()
                if c.username:
                    client.login(c.username, c.password)
                refused = client.send_message(mail, from_addr=envelope_from or None)
            finally:
                _quit(client)
        except smtplib.SMTPRecipientsRefused as exc:
            code, _ = next(iter(exc.recipients.values()))
            raise _answer_error(code, "recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                log.error("the SMTP server refused our login: check SATUPINTU_SMTP_URL")
                raise TransientSendError("smtp login refused", code="smtp_auth") from exc
            raise _answer_error(exc.smtp_code, "smtp answered") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Down, unreachable, cut off before the message was taken: try again later.
            raise TransientSendError(f"smtp unreachable: {type(exc).__name__}") from exc
        if refused:  # one recipient per email: a partial refusal is the whole refusal
            code, _ = next(iter(refused.values()))
            raise _answer_error(code, "recipient refused")
        return SendResult(external_id=str(mail["Message-ID"]), status="sent")

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.cafile or None)


def sender(settings: Any) -> EmailSender | None:
    """The email sender, or None while SMTP is not configured."""
    return EmailSender(settings) if enabled(settings) else None


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye; a server that hangs up after taking the message changes nothing."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _answer_error(code: int, what: str) -> SendError:
    reason = f"{what} ({code})"
    if 400 <= code < 500:
        return TransientSendError(reason, code=f"smtp_{code}")
    return PermanentSendError(reason, code=f"smtp_{code}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
