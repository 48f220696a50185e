"""The channel registry: every channel has one spec, and the reply policy reads its facts."""

from __future__ import annotations

from adapters import twilio_sms, twitter
from adapters.registry import CHANNELS, sender_for, spec_for, specs
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
        "twitter",
        "webform",
        "api",
        "open311",
        "email",
    ]


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
    for channel in (Channel.WEB, Channel.API, Channel.OPEN311, Channel.EMAIL, "fax"):
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
    assert {Channel.WEB, Channel.API, Channel.OPEN311} == SECRET_CHANNELS
