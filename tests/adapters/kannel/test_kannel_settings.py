"""The Kannel settings, by the names the issue gives them; secrets stay out of repr()."""

from __future__ import annotations

from config import load_settings


def test_the_settings_read_their_issue_names(tmp_path):
    settings = load_settings(
        environ={
            "SATUPINTU_KANNEL_SECRET": "s3cret-value",
            "SATUPINTU_KANNEL_SENDSMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
            "SATUPINTU_KANNEL_SENDSMS_USERNAME": "satupintu",
            "SATUPINTU_KANNEL_SENDSMS_PASSWORD": "pw-value",
            "SATUPINTU_KANNEL_FROM": "1708",
            "SATUPINTU_SMS_PROVIDER": "kannel",
        },
        data_dir=tmp_path,
        database_url="sqlite://",
        secret_key="k",
    )
    assert settings.kannel_secret == "s3cret-value"
    assert settings.kannel_sendsms_url.endswith("/cgi-bin/sendsms")
    assert (settings.kannel_sendsms_username, settings.kannel_sendsms_password) == (
        "satupintu",
        "pw-value",
    )
    assert (settings.kannel_from, settings.sms_provider) == ("1708", "kannel")
    assert "s3cret-value" not in repr(settings) and "pw-value" not in repr(settings)
