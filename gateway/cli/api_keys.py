"""`satupintu apikey create | list | revoke`: keys for partner systems (JSON API, Open311).

A new key is printed once and never again: only its prefix and a SHA-256 are stored. A key
with ``--unit`` reads and updates that unit's cases; without, it may only submit complaints.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from casestore import api_keys
from gateway.cli.context import prepared_runtime

console = Console()
MAX_NAME_CHARS = 120


@click.group("apikey")
def apikey() -> None:
    """Partner API keys for /api/v1 and /open311/v2."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--unit", "unit_code", default=None, help="Unit code (units.toml) whose cases it sees."
)
def create(name: str, unit_code: str | None) -> None:
    """Create a key for NAME and print it once."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise click.BadParameter(f"1 to {MAX_NAME_CHARS} printable characters", param_hint="NAME")
    runtime = prepared_runtime()
    try:
        with runtime.sessions.begin() as session:
            new = api_keys.create_key(session, name, unit_code)
    except api_keys.UnknownUnit as exc:
        raise click.BadParameter(f"no active unit {exc.args[0]!r}", param_hint="--unit") from exc
    finally:
        runtime.close()
    scope = f"cases of unit [bold]{unit_code}[/]" if unit_code else "submit only"
    console.print(f"API key for [bold]{name}[/] ({scope}), prefix [bold]{new.prefix}[/]:")
    # Plain print: no wrapping or markup may change a single character of the key.
    click.echo(new.key)
    console.print("It is shown only now. Send it as Authorization: Bearer <key> (or api_key=).")


@apikey.command("list")
def list_keys() -> None:
    """Every key: prefix, name, unit, created, last used, revoked."""
    runtime = prepared_runtime()
    try:
        with runtime.sessions() as session:
            keys = api_keys.list_keys(session)
    finally:
        runtime.close()
    table = Table("prefix", "name", "unit", "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            key.unit_code or "-",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
        )
    console.print(table)


@apikey.command("revoke")
@click.argument("prefix")
def revoke(prefix: str) -> None:
    """Revoke the key with PREFIX; it stops working at once."""
    runtime = prepared_runtime()
    try:
        with runtime.sessions.begin() as session:
            key = api_keys.revoke_key(session, prefix.strip().lower())
            found = key is not None
    finally:
        runtime.close()
    if not found:
        raise click.ClickException(f"no key with prefix {prefix!r}")
    console.print(f"key [bold]{prefix}[/] revoked")
