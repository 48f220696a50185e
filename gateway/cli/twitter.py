"""`satupintu twitter poll | status | webhook register|list|delete`: the X channel by hand.

The scheduler polls every SATUPINTU_TWITTER_POLL_SECONDS by itself; `poll` is for an operator
who wants it now (or to check the credentials), and takes the same lock, so it never runs
beside a scheduled poll. `webhook` sets up the push path at X (adapters/twitter/manage.py):
the /2/webhooks registration of SATUPINTU_PUBLIC_URL/webhooks/twitter and the X Activity API
subscriptions of the handle (mentions, replies, direct messages), optionally a filtered-stream
rule; docs/deploy.md says how to move there from the Account Activity API.
"""

from __future__ import annotations

import sys

import click
import redis
from rich.console import Console
from rich.table import Table

from gateway.cli.context import shell_runtime, shell_settings

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
        table.add_row("batas baca bulanan / monthly read cap", state.reads or "-")
        if state.webhook_valid is not None:
            valid = "ya / yes" if state.webhook_valid else "TIDAK / NO"
            table.add_row("webhook sah di X / webhook valid at X", valid)
        for kind, count in sorted(state.ignored.items()):
            table.add_row(f"diabaikan / ignored ({kind})", str(count))
    console.print(table)


@twitter.group()
def webhook() -> None:
    """The push path at X: /2/webhooks and the X Activity API subscriptions."""


def _x_client():
    from adapters.twitter import client_from_settings

    settings = shell_settings()
    if not (settings.twitter_bearer_token and settings.twitter_webhook):
        raise click.ClickException(
            "Twitter/X belum diatur / not configured: set SATUPINTU_TWITTER_BEARER_TOKEN, "
            "SATUPINTU_TWITTER_USER_ID and SATUPINTU_TWITTER_CONSUMER_SECRET"
        )
    return settings, client_from_settings(settings)


def _refused(exc: Exception) -> click.ClickException:
    return click.ClickException(f"X menolak / X refused: {exc}")


@webhook.command("register")
@click.option(
    "--stream-rule",
    default="",
    help="Also add this filtered-stream rule (e.g. @lapor1708) and link the stream "
    "(X Enterprise only).",
)
def webhook_register(stream_rule: str) -> None:
    """Register our webhook with X (a CRC check follows) and subscribe the handle."""
    from adapters.twitter.manage import XApiError, register, webhook_url

    settings, client = _x_client()
    if not settings.twitter_replies:
        raise click.ClickException(
            "mentions and DMs are private X Activity API events: they are subscribed with the "
            "handle's own credentials (SATUPINTU_TWITTER_CONSUMER_KEY, _ACCESS_TOKEN, "
            "_ACCESS_TOKEN_SECRET)"
        )
    try:
        done = register(client, settings, stream_rule=stream_rule)
    except XApiError as exc:
        raise _refused(exc) from exc
    table = Table(title=f"Twitter/X webhook: {webhook_url(settings)}", show_header=False)
    for line in done.done:
        table.add_row(line)
    console.print(table)
    if not done.webhook.get("valid"):
        console.print("[red]X menandai webhook tidak sah / X marks the webhook invalid[/]")
        sys.exit(1)


@webhook.command("list")
def webhook_list() -> None:
    """Our app's webhooks at X (valid or not) and the subscriptions and rules on them."""
    from adapters.twitter.manage import XApiError, list_rules, list_subscriptions, list_webhooks

    _settings, client = _x_client()
    try:
        hooks, subs = list_webhooks(client), list_subscriptions(client)
        try:
            rules = list_rules(client)
        except XApiError:
            rules = []  # the filtered stream is not on every plan
    except XApiError as exc:
        raise _refused(exc) from exc
    table = Table(title="Twitter/X webhooks")
    for column in ("id", "url", "valid", "subscriptions"):
        table.add_column(column)
    for hook in hooks:
        on_it = [s.get("event_type", "?") for s in subs if s.get("webhook_id") == hook.get("id")]
        valid = "ya / yes" if hook.get("valid") else "[red]TIDAK / NO[/]"
        table.add_row(str(hook.get("id")), str(hook.get("url")), valid, ", ".join(on_it) or "-")
    console.print(table)
    for rule in rules:
        console.print(f"stream rule {rule.get('id')}: {rule.get('value')} ({rule.get('tag')})")
    if any(not hook.get("valid") for hook in hooks):
        console.print("an invalid webhook gets no events: fix the CRC, then run `register`")
        sys.exit(1)


@webhook.command("delete")
@click.option("--id", "webhook_id", default="", help="The webhook id (default: ours by URL).")
def webhook_delete(webhook_id: str) -> None:
    """Remove our subscriptions and rules at X and delete our webhook."""
    from adapters.twitter.manage import XApiError, delete

    settings, client = _x_client()
    try:
        done = delete(client, settings, webhook_id)
    except XApiError as exc:
        raise _refused(exc) from exc
    if not done:
        raise click.ClickException("tidak ada webhook kami / no webhook of ours at X")
    for line in done:
        console.print(line)
