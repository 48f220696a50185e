"""`satupintu twitter poll | status`: poll X for mentions now, and see the channel's state.

The scheduler polls every SATUPINTU_TWITTER_POLL_SECONDS by itself; `poll` is for an operator
who wants it now (or to check the credentials), and takes the same lock, so it never runs
beside a scheduled poll.
"""

from __future__ import annotations

import sys

import click
import redis
from rich.console import Console
from rich.table import Table

from gateway.cli.context import shell_runtime

console = Console()

# Poll outcomes that mean something needs an operator (exit code 1).
FAILED = frozenset({"refused", "unreachable", "rate_limited", "off"})


def _redis_down(exc: redis.RedisError) -> click.ClickException:
    return click.ClickException(
        f"Redis tidak dapat dihubungi / Redis unreachable ({type(exc).__name__}): start "
        "`satupintu up` (its embedded Redis), or set SATUPINTU_REDIS_URL"
    )


@click.group()
def twitter() -> None:
    """Twitter/X: mentions of the gateway's handle."""


@twitter.command("poll")
def poll_now() -> None:
    """Poll X for new mentions once, now, and submit them."""
    from dispatcher.twitter_poll import run_poll

    runtime = shell_runtime()
    try:
        outcome = run_poll(runtime)
    except redis.RedisError as exc:
        raise _redis_down(exc) from exc
    finally:
        runtime.close()
    if outcome.status == "off":
        console.print(
            "[yellow]Twitter/X mati / off:[/] set SATUPINTU_TWITTER_BEARER_TOKEN and "
            "SATUPINTU_TWITTER_USER_ID to poll mentions"
        )
        sys.exit(1)
    table = Table(title=f"Twitter/X poll: {outcome.status}", show_header=False)
    table.add_row("halaman / pages", str(outcome.pages))
    for kind, count in sorted(outcome.submitted.items()):
        table.add_row(f"diajukan / submitted ({kind})", str(count))
    for kind, count in sorted(outcome.ignored.items()):
        table.add_row(f"diabaikan / ignored ({kind})", str(count))
    table.add_row("since_id", outcome.cursor or "-")
    if outcome.detail:
        table.add_row("keterangan / detail", outcome.detail)
    console.print(table)
    if outcome.status in FAILED:
        sys.exit(1)


@twitter.command("status")
def status() -> None:
    """Show whether the channel is on, healthy, and where its cursor is."""
    from dispatcher.twitter_poll import channel_status

    runtime = shell_runtime()
    try:
        state = channel_status(runtime)
    except redis.RedisError as exc:
        raise _redis_down(exc) from exc
    finally:
        runtime.close()
    table = Table(title=f"Twitter/X: {state.state}", show_header=False)
    for part in ("polling", "webhook", "replies"):
        table.add_row(part, "on" if getattr(state, part) else "off")
    if state.state != "off":
        table.add_row("since_id", state.cursor or "-")
        table.add_row("galat terakhir / last error", state.last_error or "-")
        received = state.last_received_at.isoformat() if state.last_received_at else "-"
        table.add_row("terakhir diterima / last received", received)
        table.add_row("menunggu sampai / waiting until", state.waiting_until or "-")
        for kind, count in sorted(state.ignored.items()):
            table.add_row(f"diabaikan / ignored ({kind})", str(count))
    console.print(table)
