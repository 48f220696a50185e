"""The email adapter against a real SMTP server (aiosmtpd, STARTTLS and AUTH): what a mail
client receives, and which of the server's answers retry."""

from __future__ import annotations

import smtplib

import pytest

from adapters.base import PermanentSendError, TransientSendError
from adapters.email import EmailSender, read_token, smtp_config
from adapters.email.bounce import read_return_path
from normalizer.records import Channel, OutboundMessage

ADDRESS = "warga@contoh.id"


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.replace(
        smtp_url=smtp.url, mail_from="lapor@acehtengahkab.go.id", public_url="https://lapor.example"
    )


def update(message_id=7, to=f"mailto:{ADDRESS}", language="id"):
    return OutboundMessage(
        message_id=message_id,
        channel=Channel.EMAIL,
        to=to,
        text="SatuPintu Aceh Tengah: Status aduan ABCDE-FGHJK kini Ditindaklanjuti.\n\n"
        "Lihat https://lapor.example/track/abcdefghjk",
        subject="SatuPintu: Aduan ABCDE-FGHJK - Ditindaklanjuti",
        language=language,
    )


def test_an_update_arrives_as_a_mail_client_reads_it(mail_settings, smtp):
    result = EmailSender(mail_settings).send(update())
    (mail,) = smtp.received
    assert mail["To"] == ADDRESS
    assert mail["From"] == "SatuPintu <lapor@acehtengahkab.go.id>"
    assert mail["Subject"] == "SatuPintu: Aduan ABCDE-FGHJK - Ditindaklanjuti"
    assert mail["Message-ID"] == result.external_id and result.status == "sent"
    assert mail["Message-ID"].endswith("@acehtengahkab.go.id>")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://lapor.example/unsubscribe/")
    assert read_token(mail_settings.secret_key, link.rsplit("/", 1)[1]) == f"mailto:{ADDRESS}"
    plain = mail.get_body(("plain",)).get_content()
    rich = mail.get_body(("html",)).get_content()
    assert plain.startswith("Yth. Pelapor,")
    assert "kini Ditindaklanjuti" in plain and "kini Ditindaklanjuti" in rich
    assert link in plain and link in rich
    assert '<a href="https://lapor.example/track/abcdefghjk">' in rich
    assert 'lang="id"' in rich
    # The envelope sender is the VERP address a later bounce comes back to, naming reply 7.
    ((mail_from, rcpt),) = smtp.handler.envelopes
    assert rcpt == [ADDRESS] and mail_from.endswith("@acehtengahkab.go.id")
    assert read_return_path(mail_from, mail_settings.secret_key) == ("reply", 7)


def test_english_when_the_citizen_wrote_english(mail_settings, smtp):
    EmailSender(mail_settings).send(update(language="en"))
    plain = smtp.received[0].get_body(("plain",)).get_content()
    assert plain.startswith("Dear reporter,") and "Stop receiving updates by email" in plain


def test_the_message_id_is_the_same_on_every_try_and_differs_per_reply(mail_settings, smtp):
    sender = EmailSender(mail_settings)
    first = sender.send(update(7)).external_id
    again = sender.send(update(7)).external_id
    other = sender.send(update(8)).external_id
    assert first == again != other


def test_a_refused_mailbox_is_permanent_and_says_the_code(mail_settings, smtp):
    smtp.handler.refuse.add("hilang@contoh.id")
    with pytest.raises(PermanentSendError) as refused:
        EmailSender(mail_settings).send(update(to="mailto:hilang@contoh.id"))
    assert refused.value.code == "smtp_550"
    assert "hilang" not in str(refused.value)  # reasons carry codes, never addresses
    assert smtp.received == []


def test_a_server_that_is_down_is_transient(mail_settings, smtp):
    smtp.stop()
    with pytest.raises(TransientSendError):
        EmailSender(mail_settings).send(update())


def test_a_wrong_password_is_transient_and_logged(mail_settings, smtp, caplog):
    wrong = mail_settings.replace(smtp_url=smtp.url.replace("rahasia-smtp-123", "salah"))
    with pytest.raises(TransientSendError) as failed:
        EmailSender(wrong).send(update())
    assert failed.value.code == "smtp_auth"
    assert "SATUPINTU_SMTP_URL" in caplog.text and "salah" not in caplog.text


def test_an_untrusted_certificate_is_never_sent_to(mail_settings, smtp):
    untrusted = mail_settings.replace(smtp_url=smtp.url.split("?")[0])
    with pytest.raises(TransientSendError):
        EmailSender(untrusted).send(update())
    assert smtp.received == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u:p@mail.example", ("mail.example", 587, False, True, "u", "p")),
        ("smtp://u:p%40x@mail.example:2525", ("mail.example", 2525, False, True, "u", "p@x")),
        ("smtps://u:p@mail.example", ("mail.example", 465, True, False, "u", "p")),
        ("smtp://127.0.0.1:25?starttls=off", ("127.0.0.1", 25, False, False, "", "")),
    ],
)
def test_smtp_urls(url, expected):
    c = smtp_config(url)
    assert (c.host, c.port, c.implicit_tls, c.starttls, c.username, c.password) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example", "smtp:// or smtps://"),
        ("smtp://", "no host"),
        ("smtp://mail.example:25?starttls=off", "loopback"),
    ],
)
def test_bad_smtp_urls_say_what_is_wrong(url, says):
    with pytest.raises(ValueError, match=says):
        smtp_config(url)


def test_quit_failing_after_the_message_was_taken_is_still_sent(mail_settings, smtp, monkeypatch):
    def hang_up(self):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(smtplib.SMTP, "quit", hang_up)
    assert EmailSender(mail_settings).send(update()).status == "sent"
    assert len(smtp.received) == 1


def test_email_is_off_and_says_why_until_both_settings_are_right(settings):
    from adapters.email import enabled, problem, sender

    assert problem(settings) == "SATUPINTU_SMTP_URL and SATUPINTU_MAIL_FROM not set"
    wrong = settings.replace(smtp_url="http://mail.example", mail_from="lapor@contoh.id")
    assert "smtp:// or smtps://" in problem(wrong) and sender(wrong) is None
    right = wrong.replace(smtp_url="smtps://u:p@mail.example")
    assert enabled(right) and problem(right) is None
