"""Replies through sendsms: the encoding a text needs, the signed dlr-url, and which of
Kannel's answers retry (a real HTTP server speaking sendsms's words and statuses)."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.base import PermanentSendError, TransientSendError
from adapters.kannel import DLR_PATH, KannelSender, dlr_signature, sender
from normalizer.records import Channel, OutboundMessage

CITIZEN = "tel:+6281234567890"
ACK = "Aduan Anda diterima. Nomor: 7K3MQ-X9A2B. Cek status: balas CEK 7K3MQ-X9A2B"


def reply(text: str, to: str = CITIZEN) -> OutboundMessage:
    return OutboundMessage(message_id=1, channel=Channel.SMS, to=to, text=text)


def test_gsm7_text_goes_as_coding_0_from_the_shortcode_with_a_signed_dlr_url(
    settings, fake_sendsms
):
    result = KannelSender(settings).send(reply(ACK))

    (sent,) = fake_sendsms.sent
    assert (sent.to, sent.sender, sent.text) == ("+6281234567890", "1708", ACK)
    assert (sent.coding, sent.charset, sent.dlr_mask) == ("0", "UTF-8", "31")
    assert result.status == "sent" and result.external_id.startswith("k")
    url = urlsplit(sent.dlr_url)
    assert url.path == DLR_PATH and sent.dlr_url.startswith(settings.public_url)
    query = parse_qs(url.query)
    assert query["ref"] == [result.external_id]
    assert query["sig"] == [dlr_signature(settings.kannel_secret, result.external_id)]
    # Kannel's escape codes stay for Kannel to fill in.
    assert (query["type"], query["reply"], query["smsc"]) == (["%d"], ["%A"], ["%i"])


def test_text_outside_gsm7_goes_as_ucs2(settings, fake_sendsms):
    text = "Laporan “jalan rusak” diterima 🙏"
    KannelSender(settings).send(reply(text))
    (sent,) = fake_sendsms.sent
    assert (sent.coding, sent.charset, sent.text) == ("2", "UTF-16BE", text)


def test_every_reply_has_its_own_ref(settings, fake_sendsms):
    one, two = (KannelSender(settings).send(reply(ACK)) for _ in range(2))
    assert one.external_id != two.external_id


def test_more_than_two_sms_is_refused_before_sending(settings, fake_sendsms):
    with pytest.raises(PermanentSendError) as refused:
        KannelSender(settings).send(reply("x" * 400))
    assert refused.value.code == "too_long"
    assert fake_sendsms.sent == []


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (
            400,
            "Number(s) has/have been denied by white- and/or black-lists.",
            PermanentSendError,
            "number_denied",
        ),
        (400, "Missing receiver number, rejected", PermanentSendError, "bad_receiver"),
        (400, "Something new", PermanentSendError, "rejected"),
        (403, "Authorization failed for sendsms", TransientSendError, "http_403"),
        (503, "Sending failed.", TransientSendError, "http_503"),
        (500, "<html>proxy error</html>", TransientSendError, "http_500"),
    ],
)
def test_kannel_refusals(settings, fake_sendsms, status, body, error, code):
    fake_sendsms.fail_next(status, body)
    with pytest.raises(error) as raised:
        KannelSender(settings).send(reply(ACK))
    assert type(raised.value) is error and raised.value.code == code
    assert "6281234567890" not in str(raised.value)  # reasons carry no numbers


def test_wrong_credentials_retry_and_say_which_settings(settings, fake_sendsms, caplog):
    wrong = settings.replace(kannel_sendsms_password="old-password")
    with pytest.raises(TransientSendError):
        KannelSender(wrong).send(reply(ACK))
    assert "SATUPINTU_KANNEL_SENDSMS_USERNAME" in caplog.text


def test_kannel_unreachable_retries(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    down = settings.replace(kannel_sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms")
    with pytest.raises(TransientSendError) as raised:
        KannelSender(down).send(reply(ACK))
    assert "unreachable" in str(raised.value)


def test_a_contact_without_a_phone_is_refused(settings, fake_sendsms):
    with pytest.raises(PermanentSendError) as refused:
        KannelSender(settings).send(reply(ACK, to="twitter:12345"))
    assert refused.value.code == "no_phone"


def test_no_sender_until_sendsms_is_configured(settings):
    assert sender(settings) is not None
    for name in ("kannel_sendsms_url", "kannel_sendsms_username", "kannel_sendsms_password"):
        assert sender(settings.replace(**{name: ""})) is None


def test_an_unreachable_kannel_leaves_no_number_text_or_password_in_the_error(settings):
    import traceback

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = settings.replace(kannel_sendsms_url=f"http://127.0.0.1:{port}/cgi-bin/sendsms")
    with pytest.raises(TransientSendError) as raised:
        KannelSender(down).send(reply(ACK))
    logged = "".join(traceback.format_exception(raised.value))  # what rq's log would show
    for private in ("6281234567890", "Aduan", settings.kannel_sendsms_password):
        assert private not in logged


def test_no_request_line_is_logged_even_at_debug(settings, fake_sendsms, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    KannelSender(settings).send(reply(ACK))
    for private in ("6281234567890", "kannel-test-password", "Aduan"):
        assert private not in caplog.text


def test_replies_share_one_kept_connection_to_smsbox(settings, fake_sendsms):
    """Each notify builds its sender from the registry; the process's HTTP session (and its
    connection pool) is the same one, so smsbox sees one TCP connection, not one per reply."""

    class KeepAlive(type(fake_sendsms)):
        protocol_version = "HTTP/1.1"

        def __init__(self) -> None:
            super().__init__()
            self.ports: list[int] = []

        def _handle(self, handler) -> None:
            self.ports.append(handler.client_address[1])
            super()._handle(handler)

    with KeepAlive() as smsbox:
        kept = settings.replace(kannel_sendsms_url=smsbox.url + "/cgi-bin/sendsms")
        for _ in range(3):
            sender(kept).send(reply(ACK))
        assert len(smsbox.sent) == 3
        assert len(set(smsbox.ports)) == 1
