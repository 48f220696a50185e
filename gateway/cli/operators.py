"""`satupintu operator add | list | disable | enable | reset-password | notify`: console
accounts, and where each operator hears of their unit's work (issue 18).

Passwords are typed at a hidden prompt (twice), or generated with ``--generate`` and printed
once; a generated password must be changed at the first login.
"""

from __future__ import annotations

import click
from rich.console import Console

from casestore import alerts
from casestore import operators as accounts
from gateway.cli.context import create_first_coordinator, prepared_runtime, print_first_coordinator

console = Console()


def _new_password(generate: bool, username: str) -> tuple[str, bool]:
    """(password, must_change): generated ones are one-time."""
    if generate:
        return accounts.generate_password(), True
    while True:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = accounts.password_problem(password, username)
        if problem is None:
            return password, False
        console.print(f"[red]password: {problem}[/]")


def _print_once(username: str, password: str) -> None:
    console.print(
        f"One-time password for [bold]{username}[/]: [bold yellow]{password}[/]", soft_wrap=True
    )
    console.print("It is shown only now and must be changed at the first login.")


@click.group("operator")
def operator() -> None:
    """Operator accounts for the console (/console)."""


@operator.command("add")
@click.argument("username")
@click.option(
    "--role", type=click.Choice([r.value for r in accounts.Role]), required=True, help="Access."
)
@click.option("--unit", "unit_code", default=None, help="Unit code (units.toml) for --role unit.")
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option("--generate", is_flag=True, help="Generate a one-time password instead of asking.")
def add(username: str, role: str, unit_code: str | None, display_name: str, generate: bool):
    """Create an operator; asks for the password unless --generate."""
    runtime = prepared_runtime()
    username = accounts.normalize_username(username)
    # Check everything but the password first, so nobody types one for a doomed request;
    # this session is never committed.
    with runtime.sessions() as session:
        try:
            accounts.create_operator(
                session,
                username=username,
                password=accounts.generate_password(),
                role=role,
                unit_code=unit_code,
                display_name=display_name,
            )
        except accounts.OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    password, must_change = _new_password(generate, username)
    with runtime.sessions.begin() as session:
        try:
            accounts.create_operator(
                session,
                username=username,
                password=password,
                role=role,
                unit_code=unit_code,
                display_name=display_name,
                must_change_password=must_change,
            )
        except accounts.OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    console.print(
        f"operator [bold]{username}[/] added ({role}{', ' + unit_code if unit_code else ''})"
    )
    if generate:
        _print_once(username, password)


@operator.command("list")
def list_() -> None:
    """Every operator, with role, unit, state and last login."""
    runtime = prepared_runtime()
    rows = [("username", "name", "role", "unit", "active", "last login (UTC)")]
    with runtime.sessions() as session:
        for account in accounts.list_operators(session):
            flags = "yes" if account.active else "disabled"
            if account.must_change_password:
                flags += " (must change password)"
            rows.append(
                (
                    account.username,
                    account.display_name or "—",
                    account.role,
                    account.unit_code or "—",
                    flags,
                    account.last_login_at.strftime("%Y-%m-%d %H:%M")
                    if account.last_login_at
                    else "—",
                )
            )
    # Plain aligned columns, as ps or kubectl print them: a narrow terminal wraps a long
    # line, but no username, name or unit is ever cut short (a table would crop them).
    click.echo(aligned(rows))


def aligned(rows: list[tuple[str, ...]]) -> str:
    """Rows as text columns two spaces apart, each as wide as its widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@operator.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an operator: they cannot log in, and their open sessions end."""
    _set_active(username, False)


@operator.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled operator again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    runtime = prepared_runtime()
    with runtime.sessions.begin() as session:
        try:
            accounts.set_active(session, username, active)
        except accounts.OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    console.print(f"operator [bold]{username}[/] {'enabled' if active else 'disabled'}")


@operator.command("reset-password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Generate a one-time password instead of asking.")
def reset_password(username: str, generate: bool) -> None:
    """Set a new password (for an operator who lost theirs); ends their open sessions."""
    runtime = prepared_runtime()
    with runtime.sessions() as session:
        if accounts.operator_by_username(session, username) is None:
            raise click.ClickException(f"no operator {username!r}")
    password, must_change = _new_password(generate, accounts.normalize_username(username))
    with runtime.sessions.begin() as session:
        account = accounts.operator_by_username(session, username)
        accounts.set_password(account, password, must_change=must_change)
    console.print(f"password of [bold]{account.username}[/] replaced")
    if generate:
        _print_once(account.username, password)


@operator.command("notify")
@click.argument("username")
@click.option("--email", default=None, help='Where alerts go ("" clears it).')
@click.option("--phone", default=None, help='A phone for SMS/WhatsApp ("" clears it).')
@click.option(
    "--delivery",
    type=click.Choice(alerts.DELIVERIES),
    default=None,
    help="At once, or one morning digest on working days.",
)
@click.option(
    "--kinds",
    default=None,
    help=f'Comma-separated kinds switched on ({",".join(alerts.ALERT_KINDS)}; "": none).',
)
@click.option(
    "--phone-alerts",
    type=click.Choice(alerts.PHONE_ALERTS),
    default=None,
    help="Also text the kinds to the phone, at once (SMS, or WhatsApp when it is on).",
)
def notify(
    username: str,
    email: str | None,
    phone: str | None,
    delivery: str | None,
    kinds: str | None,
    phone_alerts: str | None,
) -> None:
    """Show or change an operator's email, phone and alerts."""
    from adapters.email import enabled
    from adapters.registry import sender_for

    runtime = prepared_runtime()
    chosen = None if kinds is None else [k.strip() for k in kinds.split(",") if k.strip()]
    with runtime.sessions.begin() as session:
        account = accounts.operator_by_username(session, username)
        if account is None:
            raise click.ClickException(f"no operator {username!r}")
        try:
            wanted = alerts.set_preferences(
                session,
                account,
                email=email,
                phone=phone,
                delivery=delivery,
                kinds=chosen,
                phone_alerts=phone_alerts,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        aligned(
            [
                ("operator", account.username),
                ("email", wanted.email or "—"),
                ("phone", wanted.phone or "—"),
                ("delivery", wanted.delivery),
                ("kinds", ",".join(k for k in alerts.ALERT_KINDS if k in wanted.kinds) or "—"),
                ("phone alerts", wanted.phone_alerts),
            ]
        )
    )
    if not enabled(runtime.settings):
        click.echo("email is off: set SATUPINTU_SMTP_URL and SATUPINTU_MAIL_FROM to send alerts")
    if wanted.phone_alerts != "off" and sender_for(wanted.phone_alerts, runtime.settings) is None:
        click.echo(
            f"{wanted.phone_alerts} is off: no channel can text this phone "
            "(set up Kannel or Twilio; docs/deploy.md)"
        )


def announce_first_coordinator(runtime) -> None:
    """On a store without operators, create `koordinator` and print its one-time password."""
    password = create_first_coordinator(runtime)
    if password is not None:
        print_first_coordinator(console, password, runtime.public_url)
