"""`satupintu operator notify` (an operator's email, phone and alerts) and the email line of
`satupintu status` (issue 18)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from console_support import add_operator, fast_hashing  # noqa: F401 (a fixture)

from casestore import alerts
from casestore import operators as accounts
from gateway.cli import main

pytestmark = pytest.mark.usefixtures("fast_hashing")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_notify_sets_and_shows_an_operators_alerts(cli_settings, runtime):
    add_operator(runtime, "camat.lt", role="unit", unit="kec-11.04.17")
    result = run(
        "operator", "notify", "camat.lt", "--email", "Camat@AcehTengahKab.go.id",
        "--phone", "0812-6000-0007", "--delivery", "digest", "--kinds", "routed,citizen",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Camat@acehtengahkab.go.id" in result.output and "+6281260000007" in result.output
    assert "email is off" in result.output  # no SMTP in the test's environment
    with runtime.sessions() as db:
        wanted = alerts.preferences(db, accounts.operator_by_username(db, "camat.lt"))
    assert (wanted.delivery, wanted.kinds) == ("digest", {"routed", "citizen"})
    shown = run("operator", "notify", "camat.lt")  # no options: shows, changes nothing
    assert shown.exit_code == 0 and "routed,citizen" in shown.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--email", "bukan-email"], "email: not an email address"),
        (["--kinds", "routed,gosip"], "unknown alert kind(s): gosip"),
        (["--delivery", "weekly"], "Invalid value for '--delivery'"),
    ],
)
def test_notify_refuses_bad_values_by_name(cli_settings, runtime, args, says):
    add_operator(runtime, "camat.lt", role="unit", unit="kec-11.04.17")
    result = run("operator", "notify", "camat.lt", *args)
    assert result.exit_code != 0 and says in result.output


def test_notify_for_an_unknown_operator(cli_settings, runtime):
    result = run("operator", "notify", "siapa")
    assert result.exit_code != 0 and "no operator 'siapa'" in result.output


def test_status_says_email_is_off_and_why(cli_settings, runtime):
    result = run("status")
    assert "Email: off" in result.output
    assert "SATUPINTU_SMTP_URL and SATUPINTU_MAIL_FROM not set" in result.output


def test_status_says_email_is_on(cli_settings, runtime, monkeypatch):
    monkeypatch.setenv("SATUPINTU_SMTP_URL", "smtps://u:p@mail.example")
    monkeypatch.setenv("SATUPINTU_MAIL_FROM", "lapor@acehtengahkab.go.id")
    result = run("status")
    assert "Email: on, from lapor@acehtengahkab.go.id" in result.output


def test_notify_sets_phone_alerts_and_says_when_no_channel_can_text(cli_settings, runtime):
    add_operator(runtime, "camat.lt", role="unit", unit="kec-11.04.17")
    result = run(
        "operator", "notify", "camat.lt", "--phone", "0812-6000-0007", "--phone-alerts", "sms"
    )
    assert result.exit_code == 0, result.output
    assert any(
        line.split()[:3] == ["phone", "alerts", "sms"] for line in result.output.splitlines()
    ), result.output
    assert "sms is off: no channel can text this phone" in result.output
    with runtime.sessions() as db:
        wanted = alerts.preferences(db, accounts.operator_by_username(db, "camat.lt"))
    assert wanted.phone_alerts == "sms"
    bad = run("operator", "notify", "camat.lt", "--phone", "", "--phone-alerts", "whatsapp")
    assert bad.exit_code != 0 and "phone_alerts: texts need a phone number" in bad.output


def test_status_says_what_is_on_and_off(cli_settings, runtime):
    result = run("status")
    assert "Email: off" in result.output
    assert "SMS to typed phones and operators: off" in result.output
    assert "WhatsApp texts to operators: off" in result.output
