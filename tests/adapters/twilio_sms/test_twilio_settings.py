"""SATUPINTU_TWILIO_* and SATUPINTU_SMS_RATE_LIMIT: read from the environment, checked at start."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings

ON = {
    "SATUPINTU_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "SATUPINTU_TWILIO_AUTH_TOKEN": "s3cr3t-twilio-token",
    "SATUPINTU_TWILIO_FROM": "1708",
}


def settings(tmp_path, **environ: str):
    return load_settings({"SATUPINTU_DATA_DIR": str(tmp_path), **environ})


def test_the_channel_is_off_by_default_with_safe_defaults(tmp_path):
    s = settings(tmp_path)
    assert not s.twilio_enabled
    assert s.twilio_signature_mode == "enforce"
    assert s.sms_rate == (20, 600)
    assert s.proxy_hops == 0


def test_the_channel_is_on_with_account_token_and_sender(tmp_path):
    s = settings(tmp_path, **ON, SATUPINTU_TWILIO_API_URL="http://127.0.0.1:4010")
    assert s.twilio_enabled and s.twilio_api_url == "http://127.0.0.1:4010"
    assert "s3cr3t" not in repr(s)  # the auth token never shows in a repr or a log line


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"SATUPINTU_TWILIO_SIGNATURE_MODE": "off"}, "TWILIO_SIGNATURE_MODE"),
        ({"SATUPINTU_SMS_RATE_LIMIT": "20 per 10 minutes"}, "SMS_RATE_LIMIT"),
        ({"SATUPINTU_SMS_RATE_LIMIT": "20/0"}, "SMS_RATE_LIMIT"),
        ({"SATUPINTU_SMS_RATE_LIMIT": "-1/600"}, "SMS_RATE_LIMIT"),
        ({"SATUPINTU_TWILIO_ACCOUNT_SID": "AC" + "1" * 32}, "TWILIO_ACCOUNT_SID"),
        ({"SATUPINTU_TWILIO_AUTH_TOKEN": "token"}, "TWILIO_ACCOUNT_SID"),
        ({**ON, "SATUPINTU_TWILIO_FROM": ""}, "TWILIO_FROM"),
        ({"SATUPINTU_PROXY_HOPS": "two"}, "PROXY_HOPS"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, environ, variable):
    with pytest.raises(ConfigError, match=variable):
        settings(tmp_path, **environ)


@pytest.mark.parametrize(("text", "limit"), [("off", None), ("0", None), (" 5 / 60 ", (5, 60))])
def test_the_rate_limit_can_be_written_loosely_or_turned_off(tmp_path, text, limit):
    assert settings(tmp_path, SATUPINTU_SMS_RATE_LIMIT=text).sms_rate == limit


def test_a_messaging_service_is_enough_to_send(tmp_path):
    environ = {**ON, "SATUPINTU_TWILIO_FROM": "", "SATUPINTU_TWILIO_MESSAGING_SERVICE_SID": "MG1"}
    assert settings(tmp_path, **environ).twilio_enabled
