"""The registry: every channel has its providers, the reply policy reads their facts, and a
reply goes out through the provider the citizen wrote in on."""

from __future__ import annotations

from adapters import kannel, twilio_sms, twitter
from adapters.kannel import KannelSender
from adapters.registry import (
    CHANNELS,
    LINES,
    provider_spec,
    providers_for,
    reply_route,
    sender_for,
    spec_for,
    specs,
)
from adapters.twilio_sms import TwilioSender
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    means_unsubscribed,
)
from normalizer.records import Channel


def test_every_channel_has_a_spec():
    assert set(CHANNELS) == set(Channel)
    assert spec_for("sms") is spec_for(Channel.WHATSAPP) is twilio_sms.SPEC
    assert spec_for("telegram") is None
    assert [spec.name for spec in specs()] == [
        "twilio",
        "kannel",
        "twitter",
        "webform",
        "api",
        "open311",
        "email",
        "desk",
    ]
    assert providers_for(Channel.SMS) == (twilio_sms.SPEC, kannel.SPEC)
    assert providers_for("whatsapp") == (twilio_sms.SPEC,)
    assert providers_for("fax") == ()
    assert provider_spec("kannel") is kannel.SPEC and provider_spec("nexmo") is None


def test_a_provider_is_one_folder_and_one_line():
    names = [line.spec.name for line in LINES]
    assert len(names) == len(set(names))
    assert all(line.channels for line in LINES)


def test_the_reply_policy_is_the_channels_own():
    # Email answers the address a form citizen typed (issue 18), when SMTP is configured.
    assert {Channel.SMS, Channel.WHATSAPP, Channel.TWITTER, Channel.EMAIL} == REPLY_CHANNELS
    assert {Channel.TWITTER} == PUBLIC_REPLY_CHANNELS
    assert {Channel.TWITTER: twitter.fits_in_tweet} == REPLY_LIMITS


def test_only_twilio_21610_means_unsubscribed():
    assert means_unsubscribed("sms", "21610")
    assert means_unsubscribed(Channel.WHATSAPP, "21610")
    assert not means_unsubscribed("sms", "30003")
    assert not means_unsubscribed("sms", None)
    assert not means_unsubscribed("twitter", "21610")
    assert not means_unsubscribed("fax", "21610")


def test_channels_without_a_sender_are_never_answered(settings):
    desk = (Channel.LOKET, Channel.TELEPON, Channel.SURAT)
    for channel in (Channel.WEB, Channel.API, Channel.OPEN311, Channel.EMAIL, *desk, "fax"):
        assert sender_for(channel, settings) is None


def test_webhook_routes_are_unique_and_under_webhooks():
    routes = [(hook.path, hook.method) for spec in specs() for hook in spec.webhooks]
    assert len(routes) == len(set(routes))
    assert all(path.startswith("/webhooks/") for path, _ in routes)
    endpoints = [hook.endpoint for spec in specs() for hook in spec.webhooks]
    assert len(endpoints) == len(set(endpoints))


def test_the_intake_channel_sets_are_the_channels_own():
    from dispatcher.intake import RATE_LIMITED_CHANNELS, SECRET_CHANNELS

    assert {Channel.SMS, Channel.WHATSAPP} == RATE_LIMITED_CHANNELS
    desk = {Channel.LOKET, Channel.TELEPON, Channel.SURAT}  # filed by an operator (issue 19)
    assert {Channel.WEB, Channel.API, Channel.OPEN311} | desk == SECRET_CHANNELS


def both_on(settings):
    """Kannel on the shortcode and Twilio (WhatsApp, a long number) at once."""
    return settings.replace(
        twilio_account_sid="AC" + "5e3b" * 8,
        twilio_auth_token="twilio-token",
        twilio_from="+15005550006",
        kannel_secret="kannel-secret",
        kannel_sendsms_url="http://127.0.0.1:13013/cgi-bin/sendsms",
        kannel_sendsms_username="satupintu",
        kannel_sendsms_password="pw",
        kannel_from="1708",
    )


def test_a_reply_goes_back_through_the_provider_the_citizen_wrote_in_on(settings):
    on = both_on(settings)
    name, sender = reply_route(Channel.SMS, on, provider="kannel")
    assert name == "kannel" and isinstance(sender, KannelSender)
    name, sender = reply_route(Channel.SMS, on, provider="twilio")
    assert name == "twilio" and isinstance(sender, TwilioSender)
    # WhatsApp is Twilio's only, whatever the SMS conversation came in on.
    assert reply_route(Channel.WHATSAPP, on, provider="kannel")[0] == "twilio"


def test_without_a_conversation_the_preference_then_the_first_configured(settings):
    on = both_on(settings)
    assert reply_route("sms", on)[0] == "twilio"  # LINES order
    assert reply_route("sms", on.replace(sms_provider="kannel"))[0] == "kannel"
    # The number moved to Kannel and Twilio is off: old Twilio conversations answer there.
    moved = on.replace(twilio_account_sid="", twilio_auth_token="")
    assert reply_route("sms", moved, provider="twilio")[0] == "kannel"
    assert reply_route("whatsapp", moved) is None
    # An unknown preference or provider is passed over, not fatal.
    assert reply_route("sms", on.replace(sms_provider="nexmo"), provider="nexmo")[0] == "twilio"


def test_kannel_sends_only_once_sendsms_is_configured(settings):
    kannel_only = both_on(settings).replace(twilio_account_sid="", twilio_auth_token="")
    assert isinstance(sender_for("sms", kannel_only), KannelSender)
    assert sender_for("sms", kannel_only.replace(kannel_sendsms_password="")) is None
    assert sender_for("sms", kannel_only.replace(kannel_secret="")) is None  # cannot sign
