"""`satupintu status | replay | spool drain`: what an operator runs when intake looks stuck.

``status`` prints the queues, the spool, the workers, the failed jobs and the channels as
tables; it exits 1 when Redis does not answer, so it can serve as a check in scripts.
``replay`` re-runs failed jobs after a fix: by id, by filter (queue, age, reason) or all.
``spool drain`` re-submits this host's spool now (web and worker processes also do it every
two seconds by themselves).
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dispatcher.queues import QUEUE_NAMES
from gateway.cli.context import shell_runtime

console = Console()

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)\s*$", re.IGNORECASE)
UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def age(seconds: float | None) -> str:
    """A short human age: 4 s, 12 min, 3 h, 2 d."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``30m``, ``2h``, ``3d`` (that long ago) or an ISO time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    match = DURATION.match(value)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        return now - timedelta(seconds=amount * UNIT_SECONDS[unit])
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(
            "a duration (30m, 2h, 3d) or an ISO time (2026-11-28T08:00+07:00)", param_hint="--since"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


# --- status -------------------------------------------------------------------------------


def _queue_table(snapshot) -> Table:
    table = Table(title="Antrean / Queues", title_justify="left")
    for header in ("queue", "queued", "oldest", "running", "retrying", "waiting", "failed"):
        table.add_column(header, justify="left" if header == "queue" else "right")
    for q in snapshot.queues:
        table.add_row(
            q.name,
            str(q.queued),
            age(q.oldest_age_seconds),
            str(q.started),
            str(q.scheduled),
            str(q.deferred),
            f"[red]{q.failed}[/]" if q.failed else "0",
        )
    return table


def _spool_table(snapshot) -> Table:
    spool = snapshot.spool
    table = Table(title="Spool (menunggu Redis / waiting for Redis)", title_justify="left")
    for header in ("records", "segments", "oldest", "bytes"):
        table.add_column(header, justify="right")
    style = "[yellow]" if spool.records else ""
    table.add_row(
        f"{style}{spool.records}",
        str(spool.segments),
        age(spool.oldest_age_seconds),
        str(spool.bytes),
    )
    return table


def _worker_table(snapshot) -> Table:
    table = Table(title=f"Worker ({snapshot.workers_alive} hidup / alive)", title_justify="left")
    for header in ("name", "host", "pid", "state", "queues", "heartbeat"):
        table.add_column(header)
    for worker in snapshot.workers:
        table.add_row(
            worker.name[:12],
            worker.hostname,
            str(worker.pid or "-"),
            worker.state,
            ",".join(worker.queues),
            age(worker.last_heartbeat_age_seconds),
        )
    return table


def _failed_table(jobs, zone: ZoneInfo, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("job", "queue", "function", "failed at", "reason"):
        table.add_column(header, overflow="fold")
    for job in jobs:
        table.add_row(
            job.id,
            job.queue,
            job.function.rsplit(".", 1)[-1],
            _local(job.failed_at, zone),
            job.reason,
        )
    return table


def _channel_table(runtime) -> Table:
    from adapters.registry import sender_for
    from casestore.stats import channel_activity
    from normalizer.records import Channel

    zone = ZoneInfo(runtime.settings.timezone)
    now = datetime.now(UTC)
    table = Table(title="Kanal / Channels", title_justify="left")
    for header in ("channel", "replies", "last hour", "last day", "last message", "note"):
        table.add_column(header)
    with runtime.sessions() as session:
        for channel in Channel:
            activity = channel_activity(session, channel.value, now)
            sends = sender_for(channel.value, runtime.settings) is not None
            if activity.last_received_at is None and not sends:
                continue  # never used here
            table.add_row(
                channel.value,
                "on" if sends else "-",
                str(activity.last_hour),
                str(activity.last_day),
                _local(activity.last_received_at, zone),
                "[yellow]unusually quiet[/]" if activity.silent else "",
            )
    if not table.rows:
        table.add_row("-", "-", "0", "0", "-", "belum ada pesan / no messages yet")
    return table


def _forward_table(runtime) -> Table | None:
    """Cases handed to external units, when there are any: what waits, what fails."""
    from casestore.forwards import forward_summary

    with runtime.sessions() as session:
        summary = forward_summary(session)
    if not summary:
        return None
    table = Table(title="Diteruskan ke luar daerah / Forwarded outside", title_justify="left")
    table.add_column("unit", no_wrap=True)
    for header in ("queued", "sent", "refused", "done", "failing", "last error"):
        table.add_column(header)
    for unit in summary:
        table.add_row(
            unit.unit_code,
            *(str(unit.counts.get(state, 0)) for state in ("queued", "sent", "refused", "done")),
            f"[yellow]{unit.failing}[/]" if unit.failing else "0",
            unit.last_error or "",
        )
    return table


def _push_table(runtime) -> Table | None:
    """Status changes pushed back to where cases forwarded to us came from (issue 21)."""
    from casestore.forwards import push_summary

    with runtime.sessions() as session:
        summary = push_summary(session)
    if not summary:
        return None
    table = Table(title="Kabar ke asal laporan / Pushed to origins", title_justify="left")
    table.add_column("origin", no_wrap=True)
    for header in ("queued", "sent", "refused", "failing", "last error"):
        table.add_column(header)
    for peer in summary:
        table.add_row(
            peer.peer,
            *(str(peer.counts.get(state, 0)) for state in ("queued", "sent", "refused")),
            f"[yellow]{peer.failing}[/]" if peer.failing else "0",
            peer.last_error or "",
        )
    return table


def _email_line(settings) -> str:
    """Whether email updates and operators' alerts can go out (issue 18)."""
    from adapters.email import problem

    why = problem(settings)
    if why is None:
        return f"Email: on, from {settings.mail_from}"
    return (
        f"[yellow]Email: off / mati[/] ({why}): "
        "web/API citizens read the tracking page, operators get no alerts"
    )


def _typed_lines(settings) -> list[str]:
    """Typed phones' codes, operators' texts and late bounces: on or off (issue 18)."""
    from adapters.email import problem
    from adapters.email.bounce import return_path
    from adapters.registry import reply_route

    route = reply_route("sms", settings)
    if route is None:
        lines = [
            "[yellow]SMS to typed phones and operators: off / mati[/] (no Kannel or Twilio): "
            "typed phones read the tracking page"
        ]
    else:
        lines = [
            f"SMS to typed phones and operators: on, through {route[0]} "
            "(a typed phone gets its code, updates after YA <code>)"
        ]
    whatsapp = reply_route("whatsapp", settings)
    lines.append(
        f"WhatsApp texts to operators: on, through {whatsapp[0]}"
        if whatsapp
        else "WhatsApp texts to operators: off / mati"
    )
    if problem(settings) is None:
        verp = return_path(
            kind="reply",
            key=0,
            secret_key=settings.secret_key,
            mail_from=settings.mail_from,
            bounce_address=settings.bounce_address,
        )
        local, domain = verp.partition("+")[0], verp.rpartition("@")[2]
        lines.append(
            f"Late bounces: to {local}+<id>-<tag>@{domain}; pipe them to `satupintu mail bounce`"
        )
    return lines


@click.command()
@click.option(
    "--failed", "failed_limit", default=10, show_default=True, help="Failed jobs to list."
)
def status(failed_limit: int) -> None:
    """Queues, spool, workers, failed jobs and channels, as tables."""
    from dispatcher.backlog import backlog_snapshot
    from dispatcher.dead_letters import failed_jobs

    runtime = shell_runtime()
    zone = ZoneInfo(runtime.settings.timezone)
    snapshot = backlog_snapshot(runtime)
    if snapshot.redis_ok:
        console.print(_queue_table(snapshot))
    else:
        console.print(f"[red]Redis tidak menjawab / not answering: {snapshot.redis_error}[/]")
    console.print(_spool_table(snapshot))
    if snapshot.redis_ok:
        console.print(_worker_table(snapshot))
        if snapshot.failed:
            jobs = failed_jobs(runtime.redis, limit=failed_limit)
            title = f"Pekerjaan gagal / Failed jobs ({snapshot.failed}; `satupintu replay`)"
            console.print(_failed_table(jobs, zone, title))
    console.print(_email_line(runtime.settings))
    for line in _typed_lines(runtime.settings):
        console.print(line)
    try:
        console.print(_channel_table(runtime))
        forwarded = _forward_table(runtime)
        if forwarded is not None:
            console.print(forwarded)
        pushed = _push_table(runtime)
        if pushed is not None:
            console.print(pushed)
    except Exception as exc:  # the queues are still worth showing without the database
        console.print(
            f"[red]Basis data tidak menjawab / database not answering: {type(exc).__name__}[/]"
        )
    runtime.close()
    sys.exit(0 if snapshot.redis_ok else 1)


# --- replay -------------------------------------------------------------------------------


@click.command()
@click.argument("job_ids", nargs=-1)
@click.option(
    "--queue", "queues", multiple=True, type=click.Choice(QUEUE_NAMES), help="Only this queue."
)
@click.option("--since", help="Only jobs failed since: 30m, 2h, 3d or an ISO time.")
@click.option("--reason", help="Only jobs whose failure reason contains this text.")
@click.option("--all", "everything", is_flag=True, help="Every failed job.")
@click.option("--dry-run", is_flag=True, help="List what would be replayed; change nothing.")
def replay(
    job_ids: tuple[str, ...],
    queues: tuple[str, ...],
    since: str | None,
    reason: str | None,
    everything: bool,
    dry_run: bool,
) -> None:
    """Re-run failed jobs after a fix: JOB_IDS, a filter, or --all."""
    from dispatcher import dead_letters

    filtered = bool(queues or since or reason)
    if not (job_ids or filtered or everything):
        raise click.UsageError("name job ids, a filter (--queue, --since, --reason) or --all")
    if job_ids and (filtered or everything):
        raise click.UsageError("give job ids or a filter, not both")
    runtime = shell_runtime()
    connection = runtime.redis
    zone = ZoneInfo(runtime.settings.timezone)
    missing: list[str] = []
    if job_ids:
        jobs = []
        for job_id in job_ids:
            found = dead_letters.failed_job(connection, job_id)
            if found is None:
                missing.append(job_id)
            else:
                jobs.append(found)
    else:
        jobs = dead_letters.failed_jobs(
            connection,
            queues=queues or QUEUE_NAMES,
            since=parse_since(since) if since else None,
            reason=reason,
        )
    for job_id in missing:
        console.print(f"[yellow]{job_id}: tidak ada di daftar gagal / not a failed job[/]")
    if dry_run or not jobs:
        console.print(_failed_table(jobs, zone, f"Akan diulang / would replay: {len(jobs)}"))
        sys.exit(1 if missing else 0)

    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    started = time.monotonic()
    with Progress(
        TextColumn("Mengulang / replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("replay", total=len(jobs))
        for job in jobs:
            outcome = dead_letters.replay(connection, job.id)
            outcomes[outcome.value] += 1
            if outcome is dead_letters.Replayed.REQUEUED:
                reasons[job.reason] += 1
            progress.advance(task)

    summary = Table(title="Ringkasan / Summary", title_justify="left")
    summary.add_column("outcome")
    summary.add_column("jobs", justify="right")
    for outcome in dead_letters.Replayed:
        summary.add_row(outcome.value, str(outcomes[outcome.value]))
    if missing:
        summary.add_row("not found", str(len(missing)))
    console.print(summary)
    if reasons:
        by_reason = Table(title="Diulang menurut alasan / Replayed by reason", title_justify="left")
        by_reason.add_column("reason", overflow="fold")
        by_reason.add_column("jobs", justify="right")
        for text, count in reasons.most_common():
            by_reason.add_row(text, str(count))
        console.print(by_reason)
    console.print(
        f"{outcomes['requeued']} job(s) back on their queues in {time.monotonic() - started:.1f} s"
    )
    runtime.close()
    sys.exit(1 if missing else 0)


# --- spool --------------------------------------------------------------------------------


@click.group()
def spool() -> None:
    """The local spool where messages wait while Redis is away."""


@spool.command("drain")
@click.option("--watch", is_flag=True, help="Keep draining every 2 s until Ctrl-C.")
def spool_drain(watch: bool) -> None:
    """Re-submit this host's spooled messages to Redis now."""
    import redis

    from dispatcher.drainer import DRAIN_EVERY_SECONDS
    from dispatcher.submit import drain_spool

    runtime = shell_runtime()
    while True:
        before = runtime.spool.stats().records
        try:
            drained = drain_spool(runtime.redis, runtime.spool)
        except redis.RedisError as exc:
            console.print(
                f"[yellow]Redis belum menjawab / not answering yet: {type(exc).__name__}[/]"
            )
            drained = 0
            if not watch:
                sys.exit(1)
        left = runtime.spool.stats().records
        if drained or not watch:
            console.print(f"spool: {drained} re-submitted, {left} left (was {before})")
        if not watch:
            return
        try:
            time.sleep(DRAIN_EVERY_SECONDS)
        except KeyboardInterrupt:
            return
