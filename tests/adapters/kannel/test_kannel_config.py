"""`satupintu kannel config`: a complete kannel.conf from the settings, SMPP or fake SMSC."""

from __future__ import annotations

import re
import secrets

import pytest
from click.testing import CliRunner

from adapters.kannel.conf import OPERATORS, sms_service_url
from gateway.cli.group import main

ENV = {
    "SATUPINTU_KANNEL_SECRET": "conf-secret-7f3a",
    "SATUPINTU_KANNEL_SENDSMS_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
    "SATUPINTU_KANNEL_SENDSMS_USERNAME": "satupintu",
    "SATUPINTU_KANNEL_SENDSMS_PASSWORD": "conf-password",
    "SATUPINTU_KANNEL_FROM": "1708",
    "SATUPINTU_PUBLIC_URL": "https://lapor.acehtengahkab.go.id",
}


def groups(conf: str) -> list[dict[str, str]]:
    """The conf's groups as dicts (Kannel's syntax: ``key = value`` lines, blank-separated)."""
    found: list[dict[str, str]] = []
    for line in conf.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("get-url") else line
        if not line:
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "group":
            found.append({"group": value})
        else:
            found[-1][key] = value.strip('"')
    return found


def config(*args: str, env: dict[str, str] = ENV):
    return CliRunner().invoke(main, ["kannel", "config", *args], env=env)


def test_the_conf_has_every_group_and_one_smpp_bind_per_operator(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no data dir needed: the conf is settings only
    result = config()
    assert result.exit_code == 0, result.output
    parsed = groups(result.output)
    kinds = [g["group"] for g in parsed]
    assert kinds[:4] == ["core", "smsbox", "sendsms-user", "sms-service"]
    smpp = [g for g in parsed if g["group"] == "smsc"]
    assert [g["smsc-id"] for g in smpp] == [o.smsc_id for o in OPERATORS]
    assert {"telkomsel", "indosat", "xl-axis", "smartfren"} == {g["smsc-id"] for g in smpp}
    for group in smpp:
        assert group["smsc"] == "smpp" and group["address-range"] == "1708"
        for key in ("host", "port", "smsc-username", "smsc-password", "system-type"):
            assert group[key]
        assert all(p.startswith("+628") for p in group["allowed-prefix"].split(";"))
    core, smsbox, user, service = parsed[:4]
    assert core["smsbox-port"] == smsbox["bearerbox-port"]
    assert smsbox["sendsms-port"] == "13013" and smsbox["sendsms-interface"] == "127.0.0.1"
    assert (user["username"], user["password"]) == ("satupintu", "conf-password")
    assert user["max-messages"] == "2" and user["default-sender"] == "1708"
    assert service["get-url"].startswith(
        "https://lapor.acehtengahkab.go.id/webhooks/kannel/sms?secret=conf-secret-7f3a&id=%I"
    )
    assert service["max-messages"] == "0"  # replies go out through sendsms, not smsbox
    assert core["log-level"] == smsbox["log-level"] == "2"  # no numbers or text in its logs


def test_fake_smsc_replaces_the_operators(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    result = config("--fake-smsc", "10123", "--admin-port", "14000", "--smsbox-port", "14001")
    assert result.exit_code == 0, result.output
    smscs = [g for g in groups(result.output) if g["group"] == "smsc"]
    assert smscs == [
        {
            "group": "smsc",
            "smsc": "fake",
            "smsc-id": "fake",
            "port": "10123",
            "connect-allow-ip": "127.0.0.1",
        }
    ]
    assert "admin-port = 14000" in result.output and "smsbox-port = 14001" in result.output


@pytest.mark.parametrize(
    ("env", "words"),
    [
        (
            {k: v for k, v in ENV.items() if k != "SATUPINTU_KANNEL_SECRET"},
            "SATUPINTU_KANNEL_SECRET",
        ),
        (ENV | {"SATUPINTU_KANNEL_SENDSMS_URL": "http://kannel/sendsms"}, "SENDSMS_URL"),
        (ENV | {"SATUPINTU_KANNEL_SENDSMS_PASSWORD": 'pa"ss'}, "SATUPINTU_KANNEL_SENDSMS_PASSWORD"),
        # smsbox would take the %C of a percent-escaped secret for its charset code.
        (ENV | {"SATUPINTU_KANNEL_SECRET": "a&b=é"}, "SATUPINTU_KANNEL_SECRET may only hold"),
    ],
)
def test_settings_the_conf_cannot_hold_are_named(monkeypatch, tmp_path, env, words):
    monkeypatch.chdir(tmp_path)
    result = config(env=env)
    assert result.exit_code != 0 and words in result.output


def test_the_sms_service_url_as_smsbox_fills_it_in_passes_our_check(redis_only):
    """smsbox fills in its escape codes; the secret comes through as it was."""
    poster, runtime = redis_only
    secret = secrets.token_urlsafe(32)
    runtime.settings = runtime.settings.replace(kannel_secret=secret)
    url = sms_service_url(runtime.settings, "http://127.0.0.1:8000")
    filled = {"%I": "f1ccb7f8-0000-4000-8000-000000000001", "%p": "%2B6281234567890"}
    filled |= {"%P": "1708", "%a": "Lampu+jalan+mati", "%b": "Lampu+jalan+mati"}
    filled |= {"%c": "0", "%C": "UTF-8", "%t": "2026-12-04+19:52:32", "%i": "fake"}
    called = re.sub(r"%[A-Za-z]", lambda m: filled[m.group(0)], url)
    response = poster.client.get(called.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200, response.get_data(as_text=True)
