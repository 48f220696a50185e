"""What every `satupintu` command shares: this shell's settings, a runtime, a migrated store.

The command modules import from here and this module imports none of them, so the command
group and its sub-commands never import each other back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console

from casestore import operators as accounts
from config import ConfigError, Settings, load_settings

if TYPE_CHECKING:  # imported when used: `worker` must set up metrics before the runtime
    from dispatcher.runtime import Runtime


def shell_settings(*, create_data_dir: bool = False) -> Settings:
    """The settings of this shell; only `up` may create a data dir (and its secret key)."""
    try:
        return load_settings(create_data_dir=create_data_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def shell_runtime() -> Runtime:
    """A runtime for one command, built from this shell's settings."""
    from dispatcher.runtime import Runtime

    return Runtime(shell_settings())


def prepare_database(runtime: Runtime) -> None:
    """Migrate the schema to head and load the configured units (idempotent)."""
    from casestore.complaints import sync_units
    from casestore.migrate import upgrade

    upgrade(runtime.engine)
    with runtime.sessions.begin() as session:
        sync_units(session, runtime.units)


def prepared_runtime() -> Runtime:
    """A runtime whose store is migrated and holds the configured units."""
    runtime = shell_runtime()
    prepare_database(runtime)
    return runtime


# --- the first coordinator: `up` creates it, `operator` commands print it ------------------


def create_first_coordinator(runtime: Runtime) -> str | None:
    """On a store without operators, create `koordinator`; its one-time password or None."""
    with runtime.sessions.begin() as session:
        return accounts.ensure_first_coordinator(session)


def print_first_coordinator(out: Console, password: str, public_url: str) -> None:
    """The first account and its one-time password, for `satupintu up`'s banner."""
    # soft_wrap: a narrow terminal must never crop or wrap the password itself.
    out.print(
        f"  Akun pertama / first account: [bold]{accounts.FIRST_COORDINATOR}[/]", soft_wrap=True
    )
    out.print(
        f"  Kata sandi sekali pakai / one-time password: [bold yellow]{password}[/]",
        soft_wrap=True,
    )
    out.print(
        f"  Ganti saat masuk pertama kali / change it at the first login: {public_url}/console/",
        soft_wrap=True,
    )
