"""One email as a mail client shows it: plain text and simple HTML, the district as sender.

The text is what the dispatcher rendered (the citizen's update or an operator's alert);
this module adds the greeting and the footer in the citizen's language, turns it into HTML
(escaped, links clickable), and sets the headers: From, To, Subject, Date, a Message-ID
keyed on the reply (a retried send carries the same id, so mail systems keep one), and for
citizens List-Unsubscribe with List-Unsubscribe-Post (RFC 8058: one click, no login).
"""

from __future__ import annotations

import hashlib
import html
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

# The words around a citizen's update, in Bahasa Indonesia and English.
WORDS = {
    "id": {
        "greeting": "Yth. Pelapor,",
        "track": "Lihat perkembangan aduan Anda",
        "why": (
            "Anda menerima email ini karena mencantumkan alamat ini saat menyampaikan aduan "
            "kepada SatuPintu. Email ini dikirim otomatis; balasan ke email ini tidak dibaca."
        ),
        "stop": "Berhenti menerima kabar melalui email",
    },
    "en": {
        "greeting": "Dear reporter,",
        "track": "Follow your complaint",
        "why": (
            "You receive this email because you gave this address when you sent a complaint "
            "to SatuPintu. It was sent automatically; replies to it are not read."
        ),
        "stop": "Stop receiving updates by email",
    },
}
_URL = re.compile(r"https?://[^\s<>\"]+")


def message_id_for(kind: str, key: int | str, mail_from: str, secret_key: str = "") -> str:
    """A Message-ID that is the same on every try of one email (``kind`` and ``key``), and
    says nothing guessable about other emails (a short keyed hash)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "satupintu.invalid"
    tag = hashlib.sha256(f"{secret_key}:{kind}:{key}".encode()).hexdigest()[:12]
    return f"<satupintu.{kind}.{key}.{tag}@{domain}>"


def compose(
    *,
    mail_from: str,
    to: str,
    subject: str,
    text: str,
    language: str,
    message_id: str,
    track_url: str = "",
    unsubscribe_url: str = "",
    for_citizen: bool = True,
) -> EmailMessage:
    """The email: ``text`` (paragraphs split by blank lines) framed for a citizen (greeting,
    tracking link, why they receive it, unsubscribe) or sent as it is to an operator."""
    words = WORDS.get(language, WORDS["id"])
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    plain: list[str] = []
    rich: list[str] = []
    if for_citizen:
        plain.append(words["greeting"])
        rich.append(f"<p>{html.escape(words['greeting'])}</p>")
    for paragraph in paragraphs:
        plain.append(paragraph)
        rich.append(f"<p>{_linked(paragraph)}</p>")
    if track_url:
        plain.append(f"{words['track']}: {track_url}")
        rich.append(
            f'<p><a href="{html.escape(track_url)}" style="{_BUTTON}">'
            f"{html.escape(words['track'])}</a></p>"
        )
    if for_citizen:
        plain.append("-- \n" + words["why"])
        footer = html.escape(words["why"])
        if unsubscribe_url:
            plain.append(f"{words['stop']}: {unsubscribe_url}")
            footer += (
                f'<br><a href="{html.escape(unsubscribe_url)}" style="color:#555">'
                f"{html.escape(words['stop'])}</a>"
            )
        rich.append(f'<p style="{_FOOTER}">{footer}</p>')
    message = EmailMessage()
    message["From"] = mail_from if "<" in mail_from else formataddr(("SatuPintu", mail_from))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n\n".join(plain) + "\n")
    message.add_alternative(_page(language, subject, "\n".join(rich)), subtype="html")
    return message


_BUTTON = (
    "display:inline-block;padding:10px 16px;background:#0b5cad;color:#ffffff;"
    "text-decoration:none;border-radius:4px;font-weight:bold"
)
_FOOTER = "color:#555555;font-size:13px;border-top:1px solid #dddddd;padding-top:12px"


def _linked(paragraph: str) -> str:
    """Escaped text with its links clickable and its line breaks kept."""
    out, last = [], 0
    for match in _URL.finditer(paragraph):
        out.append(html.escape(paragraph[last : match.start()]))
        url = html.escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(html.escape(paragraph[last:]))
    return "".join(out).replace("\n", "<br>")


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        '<body style="margin:0;padding:16px;background:#f4f5f7">'
        '<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:20px;'
        "border-radius:6px;font-family:Arial,Helvetica,sans-serif;font-size:16px;"
        'line-height:1.5;color:#1a1a1a;word-wrap:break-word">'
        '<p style="margin-top:0;font-weight:bold;color:#0b5cad">SatuPintu</p>'
        f"{body}</div></body></html>\n"
    )
