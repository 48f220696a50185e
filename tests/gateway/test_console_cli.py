"""`satupintu operator ...` and the first coordinator `satupintu up` creates."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from console_support import fast_hashing  # noqa: F401 (a fixture)

from casestore import operators as accounts
from gateway.cli import main
from gateway.cli.operators import announce_first_coordinator

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def cli(cli_settings):
    """The CLI against the test database and Redis (it reads SATUPINTU_* like production)."""

    def run(*args, input=None):
        return CliRunner().invoke(main, ["operator", *args], input=input)

    return run


def account(runtime, username):
    with runtime.sessions() as db:
        return accounts.operator_by_username(db, username)


def test_add_with_a_prompted_password_then_list_and_disable(cli, runtime):
    result = cli(
        "add", "Camat-LT", "--role", "unit", "--unit", "kec-11.04.17", "--name", "Admin LT",
        input="kata-sandi-camat\nkata-sandi-camat\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    added = account(runtime, "camat-lt")
    assert added.unit_code == "kec-11.04.17" and added.role == "unit"
    assert not added.must_change_password
    with runtime.sessions() as db:
        assert accounts.check_password(db.merge(added), "kata-sandi-camat")
    listing = cli("list")
    assert "camat-lt" in listing.output and "Admin LT" in listing.output
    assert cli("disable", "camat-lt").exit_code == 0
    assert account(runtime, "camat-lt").active is False
    assert "disabled" in cli("list").output
    assert cli("enable", "camat-lt").exit_code == 0
    assert account(runtime, "camat-lt").active is True


def test_add_with_a_generated_one_time_password(cli, runtime):
    result = cli("add", "koord2", "--role", "coordinator", "--generate")
    assert result.exit_code == 0, result.output
    assert "One-time password" in result.output
    assert account(runtime, "koord2").must_change_password


@pytest.mark.parametrize(
    ("label", "args", "message"),
    [
        ("unit without --unit", ["x-admin", "--role", "unit"], "active unit"),
        ("unknown unit", ["x-admin", "--role", "unit", "--unit", "kec-99"], "active unit"),
        ("coordinator unit", ["x-admin", "--role", "unit", "--unit", "diskominfo"], "coordinator"),
        ("coordinator with a unit", ["x-admin", "--role", "coordinator", "--unit", "rsud"], "unit"),
        ("bad username", ["../etc", "--role", "coordinator"], "username"),
        ("too short", ["ab", "--role", "coordinator"], "username"),
        ("bad role", ["x-admin", "--role", "root"], "root"),
    ],
)
def test_bad_requests_fail_before_asking_for_a_password(cli, runtime, label, args, message):
    result = cli("add", *args, "--generate")
    assert result.exit_code != 0, label
    assert message in result.output, label
    with runtime.sessions() as db:
        assert accounts.count_operators(db) == 0


def test_weak_prompted_passwords_are_asked_again(cli, runtime):
    result = cli(
        "add", "koord3", "--role", "coordinator",
        input="pendek\npendek\nkoord3-sandi-panjang\nkoord3-sandi-panjang\n"
        "sandi-yang-cukup-panjang\nsandi-yang-cukup-panjang\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count("password:") == 2


def test_duplicate_usernames_are_refused(cli):
    assert cli("add", "koord4", "--role", "coordinator", "--generate").exit_code == 0
    again = cli("add", "KOORD4", "--role", "coordinator", "--generate")
    assert again.exit_code != 0 and "exists already" in again.output


def test_unknown_operators_cannot_be_disabled(cli):
    result = cli("disable", "nobody")
    assert result.exit_code != 0 and "no operator" in result.output


def test_reset_password_ends_with_a_one_time_password(cli, runtime):
    cli("add", "koord5", "--role", "coordinator", "--generate")
    with runtime.sessions.begin() as db:
        accounts.set_password(accounts.operator_by_username(db, "koord5"), "sandi-sudah-diganti")
    result = cli("reset-password", "koord5", "--generate")
    assert result.exit_code == 0, result.output
    password = result.output.split("koord5: ")[1].split()[0]
    fresh = account(runtime, "koord5")
    assert fresh.must_change_password
    with runtime.sessions() as db:
        assert accounts.check_password(db.merge(fresh), password)


def test_the_first_start_creates_koordinator_once(runtime, capsys):
    announce_first_coordinator(runtime)
    first = capsys.readouterr().out
    assert "koordinator" in first
    password = first.split("one-time password: ")[1].split()[0]
    koordinator = account(runtime, "koordinator")
    assert koordinator.role == "coordinator" and koordinator.must_change_password
    with runtime.sessions() as db:
        assert accounts.check_password(db.merge(koordinator), password)
    announce_first_coordinator(runtime)
    assert capsys.readouterr().out == ""
    with runtime.sessions() as db:
        assert accounts.count_operators(db) == 1


def test_no_first_coordinator_when_any_operator_exists(cli, runtime, capsys):
    cli("add", "camat", "--role", "unit", "--unit", "kec-11.04.17", "--generate")
    announce_first_coordinator(runtime)
    assert account(runtime, "koordinator") is None
