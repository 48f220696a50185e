"""`satupintu federation reconcile | status`: cases handed to organizations outside the district.

``reconcile`` compares what we forwarded with what each remote acknowledges and sends again
what is missing (the handover carries the same key, so twice is harmless); ``status`` lists
the external units, whether each is switched on, and how many forwards are in each state.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from gateway.cli.context import prepared_runtime

console = Console()


@click.group()
def federation() -> None:
    """Cases handed to external units (Open311, another SatuPintu)."""


@federation.command("reconcile")
@click.option("--unit", "unit_code", default=None, help="Only this external unit's cases.")
def reconcile(unit_code: str | None) -> None:
    """Send what is still queued, and what a remote lost, to the external units."""
    from dispatcher import runtime as runtime_module
    from dispatcher.federation.jobs import reconcile as run_reconcile

    runtime = prepared_runtime()
    external = {u.code for u in runtime.units if u.external}
    if unit_code is not None and unit_code not in external:
        runtime.close()
        raise click.BadParameter(f"no external unit {unit_code!r}", param_hint="--unit")
    runtime_module.install(runtime)
    try:
        found = run_reconcile(unit_code)
    finally:
        runtime_module.install(None)
        runtime.close()
    table = Table(title="federation reconcile")
    table.add_column("unit", no_wrap=True)
    for column in ("sent now", "sent again", "acknowledged", "unreachable"):
        table.add_column(column)
    for code, tally in sorted(found.items()):
        table.add_row(
            code, str(tally.sent), str(tally.resent), str(tally.matched), str(tally.failed)
        )
    console.print(table if found else "nothing forwarded / tidak ada yang diteruskan")
    if any(tally.failed for tally in found.values()):
        sys.exit(1)


@federation.command("status")
def status() -> None:
    """The external units and their forwards."""
    from casestore.forwards import forward_counts
    from config.external_units import connector_key, key_variable

    runtime = prepared_runtime()
    try:
        with runtime.sessions() as session:
            counts = forward_counts(session)
    finally:
        runtime.close()
    table = Table(title="external units / unit di luar daerah")
    table.add_column("unit", no_wrap=True)
    for column in ("connector", "on", "key", "queued", "sent", "refused", "done"):
        table.add_column(column)
    for unit in runtime.units:
        if unit.link is None:
            continue
        key = "set" if connector_key(unit.code) else f"[yellow]{key_variable(unit.code)}[/]"
        table.add_row(
            unit.code,
            unit.link.connector,
            "on" if unit.link.enabled else "[yellow]off[/]",
            key,
            *(str(counts.get((unit.code, s), 0)) for s in ("queued", "sent", "refused", "done")),
        )
    console.print(table)
