"""Late bounces (DSN, RFC 3464) read as a mail server hands them over: which email of ours
bounced, how (5.x.x for good, 4.x.x delayed), and nothing for what is no DSN of ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.email.bounce import read_bounce, read_return_path, return_path

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret-key-0123456789abcdef"
FROM = "SatuPintu <lapor@acehtengahkab.go.id>"


def fixture(name: str, bounce_address: str) -> bytes:
    text = (FIXTURES / name).read_text()
    text = text.replace("{bounce_address}", bounce_address)
    text = text.replace("{message_id}", "<satupintu.reply.41.0a1b2c3d4e5f@acehtengahkab.go.id>")
    return text.replace("\n", "\r\n").encode()


VERP = return_path(kind="reply", key=41, secret_key=SECRET, mail_from=FROM)


def test_the_return_path_names_the_email_and_cannot_be_forged():
    assert VERP.startswith("bounce+r41-") and VERP.endswith("@acehtengahkab.go.id")
    assert read_return_path(VERP, SECRET) == ("reply", 41)
    assert read_return_path(VERP.replace("r41-", "r42-"), SECRET) is None  # another reply
    assert read_return_path(VERP, "another-secret") is None
    alert = return_path(kind="alert", key=7, secret_key=SECRET, mail_from=FROM)
    assert read_return_path(alert, SECRET) == ("alert", 7)
    own = return_path(
        kind="reply", key=41, secret_key=SECRET, mail_from=FROM,
        bounce_address="dsn@bounces.acehtengahkab.go.id",
    )  # fmt: skip
    assert own.startswith("dsn+r41-") and own.endswith("@bounces.acehtengahkab.go.id")
    assert read_return_path(own, SECRET) == ("reply", 41)


@pytest.mark.parametrize(
    ("name", "status", "action", "permanent", "diagnostic"),
    [
        ("dsn_postfix_5.1.1_user_unknown.eml", "5.1.1", "failed", True, "User unknown"),
        ("dsn_postfix_4.4.7_delayed.eml", "4.4.7", "delayed", False, "Connection timed out"),
    ],
)
def test_a_dsn_says_which_email_bounced_and_how(name, status, action, permanent, diagnostic):
    bounce = read_bounce(fixture(name, VERP), SECRET)
    assert (bounce.kind, bounce.key, bounce.status, bounce.action) == ("reply", 41, status, action)
    assert bounce.permanent is permanent and diagnostic in bounce.diagnostic
    assert bounce.error_code == f"bounce_{status}"


def test_the_envelope_recipient_given_by_the_mail_server_is_enough():
    raw = fixture("dsn_postfix_5.1.1_user_unknown.eml", "postmaster@acehtengahkab.go.id")
    assert read_bounce(raw, SECRET) is None  # the headers name no address of ours
    assert read_bounce(raw, SECRET, recipient=VERP).key == 41


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("not_a_dsn_vacation_reply.eml", VERP),  # an auto-reply is no bounce
        ("dsn_postfix_5.1.1_user_unknown.eml", VERP.replace("r41-", "r40-")),  # forged tag
        ("dsn_postfix_5.1.1_user_unknown.eml", "bounce@acehtengahkab.go.id"),  # no VERP
    ],
)
def test_what_is_no_bounce_of_ours_is_ignored(name, address):
    assert read_bounce(fixture(name, address), SECRET) is None


def test_garbage_is_ignored_without_an_exception():
    assert read_bounce(b"\x00\xff not a mail at all", SECRET) is None
    assert read_bounce(b"Content-Type: multipart/report\r\n\r\n--x--", SECRET) is None
