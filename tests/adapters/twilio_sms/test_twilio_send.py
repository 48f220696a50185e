"""send(): the real twilio client against the local fake Twilio API, and its error mapping."""

from __future__ import annotations

import pytest
from fakes.twilio_api import FakeTwilioApi

from adapters import twilio_sms
from adapters.base import PermanentSendError, TransientSendError
from adapters.registry import sender_for
from adapters.twilio_sms.send import _ApiUrlHttpClient
from normalizer.records import Channel, OutboundMessage

REPLY = (
    "SatuPintu Aceh Tengah: Terima kasih, aduan Anda telah kami terima dengan nomor 7K3MQ-X9A2B."
)


def outbound(channel: Channel = Channel.SMS, to: str = "tel:+6281234567890") -> OutboundMessage:
    return OutboundMessage(message_id=1, channel=channel, to=to, text=REPLY)


def test_an_sms_goes_from_the_shortcode_with_a_status_callback(settings, fake_twilio):
    result = twilio_sms.sender(settings).send(outbound())
    (request,) = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{settings.twilio_account_sid}/Messages.json"
    assert request.auth == (settings.twilio_account_sid, settings.twilio_auth_token)
    assert request.value("To") == "+6281234567890"
    assert request.value("From") == "1708"
    assert request.value("Body") == REPLY
    assert request.value("StatusCallback") == settings.public_url + "/webhooks/twilio/status"
    assert request.value("MessagingServiceSid") is None
    assert result.external_id == fake_twilio.sent()[0]["sid"]
    assert result.status == "sent"


def test_whatsapp_goes_from_the_whatsapp_address(settings, fake_twilio):
    settings = settings.replace(twilio_from="+6285170001708")
    twilio_sms.sender(settings).send(outbound(Channel.WHATSAPP))
    (request,) = fake_twilio.requests
    assert request.value("To") == "whatsapp:+6281234567890"
    assert request.value("From") == "whatsapp:+6285170001708"


def test_a_messaging_service_replaces_the_from_number(settings, fake_twilio):
    service = "MG" + "9c1d" * 8
    settings = settings.replace(twilio_messaging_service_sid=service)
    twilio_sms.sender(settings).send(outbound())
    (request,) = fake_twilio.requests
    assert request.value("MessagingServiceSid") == service
    assert request.value("From") is None


def test_no_status_callback_without_a_public_url(settings, fake_twilio):
    twilio_sms.sender(settings.replace(public_url=None)).send(outbound())
    assert fake_twilio.requests[0].value("StatusCallback") is None


@pytest.mark.parametrize(
    ("status", "code", "error", "kept_code"),
    [
        (400, 21610, PermanentSendError, "21610"),  # unsubscribed
        (400, 21211, PermanentSendError, "21211"),  # invalid number
        (400, 21614, PermanentSendError, "21614"),  # not a mobile number
        (400, 21602, PermanentSendError, "21602"),  # any other 4xx
        (429, 20429, TransientSendError, "20429"),
        (429, 63018, TransientSendError, "63018"),  # WhatsApp rate limit
        (400, 63018, TransientSendError, "63018"),  # the code decides, whatever the status
        (500, None, TransientSendError, "20500"),
        (503, 20503, TransientSendError, "20503"),
        (401, 20003, TransientSendError, "20003"),  # credentials: retried while fixed
    ],
)
def test_twilio_errors_become_transient_or_permanent(
    settings, fake_twilio, status, code, error, kept_code
):
    fake_twilio.fail_next(status, code)
    with pytest.raises(error) as raised:
        twilio_sms.sender(settings).send(outbound())
    assert raised.value.code == kept_code
    assert "6281234567890" not in str(raised.value)  # reasons go to logs: no numbers


def test_wrong_credentials_are_refused_by_the_fake_and_retried(settings, fake_twilio):
    wrong = settings.replace(twilio_auth_token="not-the-token")
    with pytest.raises(TransientSendError) as raised:
        twilio_sms.sender(wrong).send(outbound())
    assert raised.value.code == "20003"


def test_an_unreachable_api_is_transient(settings):
    gone = FakeTwilioApi(settings.twilio_account_sid, settings.twilio_auth_token).start()
    url = gone.url
    gone.stop()
    with pytest.raises(TransientSendError, match="unreachable"):
        twilio_sms.sender(settings.replace(twilio_api_url=url)).send(outbound())


def test_a_contact_without_a_phone_number_is_permanent(settings, fake_twilio):
    with pytest.raises(PermanentSendError):
        twilio_sms.sender(settings).send(outbound(to="twitter:12345"))
    assert fake_twilio.requests == []


def test_the_client_is_built_once_per_process_and_configuration(settings):
    first, second = twilio_sms.sender(settings), twilio_sms.sender(settings)
    assert first.client is second.client
    other = twilio_sms.sender(settings.replace(twilio_api_url="http://127.0.0.1:9"))
    assert other.client is not first.client


def test_the_registry_sends_sms_and_whatsapp_only_when_configured(settings):
    assert isinstance(sender_for("sms", settings), twilio_sms.TwilioSender)
    assert isinstance(sender_for("whatsapp", settings), twilio_sms.TwilioSender)
    off = settings.replace(twilio_account_sid="", twilio_auth_token="")
    assert sender_for("sms", off) is None
    assert sender_for("whatsapp", off) is None


def test_without_an_api_url_the_client_talks_to_twilio(settings):
    client = twilio_sms.sender(settings.replace(twilio_api_url="")).client
    assert not isinstance(client.http_client, _ApiUrlHttpClient)
    assert client.api.base_url == "https://api.twilio.com"
