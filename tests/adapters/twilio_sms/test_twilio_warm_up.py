"""A worker loads twilio's Messages API at start, not in front of the first citizen's reply."""

from __future__ import annotations

import sys

from adapters.registry import warm_up


def test_warm_up_loads_the_messages_api_without_a_request(settings, fake_twilio):
    assert warm_up(settings) == ["sms", "whatsapp"]
    assert "twilio.rest.api.v2010.account.message" in sys.modules
    assert fake_twilio.sent() == []  # nothing was sent


def test_without_twilio_there_is_nothing_to_warm(settings):
    assert warm_up(settings.replace(twilio_account_sid="", twilio_auth_token="")) == []
