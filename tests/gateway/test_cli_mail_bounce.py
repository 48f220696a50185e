"""`satupintu mail bounce`: a bounce that comes after the mail server accepted the email
(issue 18). The acknowledgement goes out through a real SMTP server (aiosmtpd) with its VERP
Return-Path; the remote server's DSN comes back through SMTP to that address, and the
message as delivered is piped to the command, as Postfix's pipe transport does."""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

import pytest
from click.testing import CliRunner
from email_support import act, file_typed
from fakes.smtp_server import PASSWORD, USER
from sqlalchemy import select

from casestore.lifecycle import Action
from casestore.models import AddressOptOut, Message
from gateway.cli import main

FIXTURES = Path(__file__).parents[1] / "adapters" / "email" / "fixtures"
ADDRESS = "mailto:hilang@contoh.id"


@pytest.fixture
def settings(settings, smtp):
    return settings.replace(
        smtp_url=smtp.url, mail_from="lapor@acehtengahkab.go.id", public_url="https://lapor.test"
    )


def bounced_back(smtp, name, verp, message_id):
    """The remote server's DSN for our email, delivered by SMTP to its Return-Path."""
    text = (FIXTURES / name).read_text().replace("{bounce_address}", verp)
    raw = text.replace("{message_id}", message_id).replace("\n", "\r\n").encode()
    context = ssl.create_default_context(cafile=str(smtp.cert))
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        client.starttls(context=context)
        client.login(USER, PASSWORD)
        client.sendmail("", [verp], raw)  # a DSN has the null sender
    return smtp.received[-1].as_bytes()


def acknowledged(runtime, work, smtp):
    tracking_id = file_typed(runtime, ADDRESS)
    work()
    (ack,) = smtp.received
    ((verp, _),) = smtp.handler.envelopes
    return tracking_id, ack, verp


def reply(runtime):
    with runtime.sessions() as session:
        return session.scalar(select(Message).where(Message.channel == "email"))


def test_a_hard_bounce_is_recorded_and_stops_the_address(cli_settings, runtime, work, smtp):
    tracking_id, ack, verp = acknowledged(runtime, work, smtp)
    assert reply(runtime).status == "sent"
    raw = bounced_back(smtp, "dsn_postfix_5.1.1_user_unknown.eml", verp, ack["Message-ID"])
    result = CliRunner().invoke(main, ["mail", "bounce", "--recipient", verp], input=raw)
    assert result.exit_code == 0, result.output
    assert "bounce recorded" in result.output and "5.1.1" in result.output
    stored = reply(runtime)
    assert (stored.status, stored.error_code) == ("undelivered", "bounce_5.1.1")
    assert stored.raw["bounce"]["action"] == "failed"
    assert "User unknown" in stored.raw["bounce"]["diagnostic"]
    with runtime.sessions() as session:
        assert session.scalar(select(AddressOptOut.source)) == "bounced"
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert len(smtp.received) == 2  # our acknowledgement and the DSN: no update after it
    with runtime.sessions() as session:
        assert len(session.scalars(select(Message).where(Message.channel == "email")).all()) == 1


def test_a_delay_is_noted_and_the_address_still_gets_updates(cli_settings, runtime, work, smtp):
    tracking_id, ack, verp = acknowledged(runtime, work, smtp)
    raw = bounced_back(smtp, "dsn_postfix_4.4.7_delayed.eml", verp, ack["Message-ID"])
    result = CliRunner().invoke(main, ["mail", "bounce"], input=raw)  # the To: names it
    assert result.exit_code == 0, result.output
    stored = reply(runtime)
    assert (stored.status, stored.error_code) == ("sent", "bounce_4.4.7")
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert [m["To"] for m in smtp.received].count("hilang@contoh.id") == 2


def test_what_is_no_bounce_of_ours_changes_nothing(cli_settings, runtime, work, smtp):
    _, ack, verp = acknowledged(runtime, work, smtp)
    forged = verp.replace("-", "-0", 1)
    raw = bounced_back(smtp, "dsn_postfix_5.1.1_user_unknown.eml", forged, ack["Message-ID"])
    result = CliRunner().invoke(main, ["mail", "bounce"], input=raw)
    assert result.exit_code == 0 and "not a bounce of ours" in result.output
    vacation = (FIXTURES / "not_a_dsn_vacation_reply.eml").read_text()
    result = CliRunner().invoke(main, ["mail", "bounce"], input=vacation.replace("{b", "{"))
    assert result.exit_code == 0 and "not a bounce of ours" in result.output
    assert reply(runtime).status == "sent"
    with runtime.sessions() as session:
        assert session.scalar(select(AddressOptOut)) is None
