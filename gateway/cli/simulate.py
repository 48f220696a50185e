"""`satupintu simulate`: realistic citizen traffic on every channel to a running gateway.

For drills and demos: signed Twilio SMS webhooks, JSON API submissions, web form posts and,
when X is configured, signed Account Activity events, at a fixed rate on a clock (see
tools/loadgen.py), with a progress bar and a summary. It reads the same SATUPINTU_*
settings as the gateway, so its signatures are the ones the gateway checks.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console()

DEFAULT_MIX = "sms=80,api=10,web=5,twitter=5"


@click.command()
@click.option(
    "--url", help="Where the gateway listens (default SATUPINTU_PUBLIC_URL or HOST:PORT)."
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Messages per second, sent on a clock whatever the answers.",
)
@click.option("--count", type=click.IntRange(min=1), help="Distinct messages to send.")
@click.option(
    "--duration",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds to send for, when --count is not given.",
)
@click.option(
    "--mix",
    default=DEFAULT_MIX,
    show_default=True,
    help="Channel shares; channels the gateway is not configured for are left out.",
)
@click.option(
    "--retries",
    type=click.FloatRange(0, 1),
    default=0.02,
    show_default=True,
    help="Share of messages sent again, as providers retry.",
)
@click.option(
    "--commands",
    type=click.FloatRange(0, 1),
    default=0.1,
    show_default=True,
    help="Share of SMS that are commands (CEK, INFO, BANTUAN) instead of complaints.",
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Message texts: a CSV with a text column, or one text per line.",
)
@click.option("--connections", type=click.IntRange(1, 512), default=16, show_default=True)
@click.option("--seed", type=int, help="Repeat the same traffic (message ids change with it).")
def simulate(
    url: str | None,
    rate: float,
    count: int | None,
    duration: float,
    mix: str,
    retries: float,
    commands: float,
    corpus: Path | None,
    connections: int,
    seed: int | None,
) -> None:
    """Send realistic traffic on every channel to a running gateway and summarize it."""
    from gateway.cli.context import shell_settings
    from tools import loadgen
    from tools.traffic import TEXTS, load_texts, parse_mix, plan_traffic
    from tools.wire import Target, fetch_form_session

    settings = shell_settings()
    base = url or settings.public_url or f"http://{settings.host}:{settings.port}"
    target = Target(
        url=base.rstrip("/"),
        public_url=settings.public_url or "",
        twilio_auth_token=settings.twilio_auth_token,
        twilio_account_sid=settings.twilio_account_sid or Target.twilio_account_sid,
        shortcode=settings.twilio_from or Target.shortcode,
        twitter_consumer_secret=settings.twitter_consumer_secret,
        twitter_user_id=settings.twitter_user_id,
    )
    try:
        wanted = parse_mix(mix)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--mix") from exc
    available = target.channels()
    shares = {c: s for c, s in wanted.items() if c in available and s > 0}
    skipped = sorted(c for c, s in wanted.items() if s > 0 and c not in available)
    if skipped:
        console.print(f"[yellow]not configured here, left out: {', '.join(skipped)}[/]")
    if not shares:
        raise click.ClickException("no channel of the mix is configured for this gateway")
    texts = load_texts(corpus) if corpus else TEXTS
    total = count or max(1, math.ceil(rate * duration))
    try:
        # Each web citizen loads the form in their own browser, as a crowd behind one
        # carrier address does: the gateway limits each browser, not the address alone.
        plan = plan_traffic(
            target,
            total,
            shares,
            retries=retries,
            commands=commands,
            texts=texts,
            browsers=lambda: fetch_form_session(target),
            seed=seed,
        )
    except (OSError, RuntimeError) as exc:
        message = f"cannot load the web form at {target.url}/: {exc}"
        raise click.ClickException(message) from exc
    console.print(
        f"sending {total} messages (+{plan.retries} retries) to {target.url} at {rate:g}/s: "
        + ", ".join(f"{c} {n}" for c, n in sorted(plan.unique.items()))
    )
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[errors]} errors"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("sent", total=len(plan.requests), errors=0)
        failed = 0

        def done(outcome: loadgen.Outcome) -> None:
            nonlocal failed
            failed += 0 if outcome.ok else 1
            progress.update(task, advance=1, errors=failed)

        try:
            result = loadgen.run(
                target.url, plan.requests, rate, connections=connections, on_done=done
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    _print_summary(loadgen.summarize(result), plan.unique)


def _print_summary(summary, unique: dict[str, int]) -> None:
    table = Table(title="simulate: summary", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("requests sent", f"{summary.sent} ({summary.retries} of them retries)")
    table.add_row("acknowledged", str(summary.ok))
    for channel, n in sorted(summary.by_channel.items()):
        table.add_row(f"  {channel}", f"{n} acknowledged of {unique.get(channel, 0)} messages")
    errors = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.errors.items()))
    table.add_row("errors", errors or "none")
    table.add_row("ack latency p50 / p99", f"{summary.p50_ms:.1f} / {summary.p99_ms:.1f} ms")
    table.add_row("throughput", f"{summary.throughput:.1f} answers/s")
    console.print(table)
    if summary.errors.get("http_429"):
        console.print(
            "[yellow]429: a submission limit refused web/API submissions: per address "
            "(SATUPINTU_SUBMIT_RATE_LIMIT), per browser (_PER_BROWSER) or the same text "
            "again (_SAME_TEXT, a small --corpus repeats itself); raise it for the drill.[/]"
        )
    if summary.sent and summary.ok < summary.sent:
        raise SystemExit(1)
