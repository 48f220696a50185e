"""The intake monitor (/console/, coordinator only): queues, workers, spool, failed jobs,
quarantine, channels and the intake chart, refreshed in place every few seconds.

The page loads once; static/console.js then fetches the panel fragment (/console/monitor/panel)
and swaps it in, so nothing here depends on a client-side framework. Queue figures come from
the dispatcher (dispatcher/backlog.py), counts from the case store (casestore/stats.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from adapters.registry import provider_spec
from casestore import forwards
from casestore.casework import awaiting_verification, pending_quarantine
from casestore.provider_health import ProviderHealth, provider_health
from casestore.quarantine import QuarantineResolved
from casestore.stats import (
    CHART_HOURS,
    ChannelActivity,
    channel_activity,
    intake_by_hour,
    intake_by_step,
)
from dispatcher import abuse
from dispatcher.backlog import backlog_snapshot
from dispatcher.dead_letters import Replayed, discard, failed_jobs, replay
from dispatcher.twitter_poll import channel_status as twitter_channel_status
from gateway.console.auth import coordinator_only, operator
from gateway.console.chart import build_chart
from gateway.console.providers import (
    PROVIDERS,
    Provider,
    channel_switches,
    failures_of,
    signature_failures_by_provider,
)
from gateway.console.triage import verdict_line
from gateway.context import runtime
from gateway.i18n import t
from gateway.ops.refusals import HOUR_SECONDS, STEP_SECONDS, RefusedSeries, refused_series
from normalizer.records import Channel, MalformedRecord
from normalizer.urns import redact_urn

bp = Blueprint("monitor", __name__, url_prefix="/monitor")

REFRESH_SECONDS = 5
RECENT_STEPS = 72  # the last 6 hours in 5-minute steps
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
# Enough of a held message to judge it (spam or a citizen in a hurry), not the whole of it.
QUARANTINE_EXCERPT = 80
FAILED_SHOWN = 20


@dataclass(frozen=True)
class QuarantineRow:
    """A held message as the monitor shows it: the sender redacted, the text shortened."""

    id: int
    channel: str
    reason: str
    sender: str
    excerpt: str
    held_at: datetime
    verdict: str = ""  # what triage saw (gateway/console/triage.py)

    @classmethod
    def of(cls, held) -> QuarantineRow:
        text = str((held.record or {}).get("text", ""))
        return cls(
            id=held.id,
            channel=held.channel,
            reason=held.reason,
            sender=redact_urn(held.contact_urn) if held.contact_urn else "—",
            excerpt=text[:QUARANTINE_EXCERPT] + ("…" if len(text) > QUARANTINE_EXCERPT else ""),
            held_at=held.created_at,
            verdict=verdict_line(getattr(held, "triage", None)),
        )


@dataclass(frozen=True)
class FailedRow:
    """A dead letter as the monitor shows it: why it failed, and a preview safe to read."""

    id: str
    queue: str
    function: str
    reason: str
    failed_at: datetime | None
    preview: str

    @classmethod
    def of(cls, job) -> FailedRow:
        return cls(
            id=job.id,
            queue=job.queue,
            function=job.function.rpartition(".")[2],
            reason=job.reason,
            failed_at=job.failed_at,
            preview=redacted_preview(job.payload),
        )


# Record fields that say what a message was without saying who sent it or what it said.
SAFE_FIELDS = (
    "channel",
    "provider",
    "intent",
    "tracking_id",
    "target_tracking_id",
    "privacy",
    "language",
    "category",
    "kecamatan_code",
    "received_at",
    "external_id",
)


def redacted_preview(payload: Any) -> str:
    """A job's argument without phone numbers, names or message bodies in clear."""
    if payload is None:
        return "—"
    if isinstance(payload, bool | int | float):
        return f"#{payload}"  # a notify job's message id
    if not isinstance(payload, dict):
        return f"<{type(payload).__name__}>"
    shown = []
    for name in SAFE_FIELDS:
        value = payload.get(name)
        if value not in (None, "", [], ()):
            shown.append(f"{name}={str(value)[:64]}")
    urn = payload.get("contact_urn")
    if isinstance(urn, str) and urn:
        shown.append(f"contact_urn={redact_urn(urn)}")
    text = payload.get("text")
    if isinstance(text, str):
        shown.append(f"text=<{len(text)} chars>")
    media = payload.get("media")
    if isinstance(media, list) and media:
        shown.append(f"media=<{len(media)}>")
    others = sorted(
        k for k in payload if k not in SAFE_FIELDS and k not in {"contact_urn", "text", "media"}
    )
    if others:
        shown.append("+ " + ", ".join(str(k)[:32] for k in others[:12]))
    return " ".join(shown)


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    on: bool
    activity: ChannelActivity
    signature_failures: int | None  # SMS shadow mode: requests that would have been refused
    poll_error: str | None  # a pull channel's last error (Twitter)
    provider: str = ""
    turn_on: str = ""  # when off: the settings that turn it on
    refused_hour: int = 0
    refused_day: int = 0
    refused_reasons: tuple[tuple[str, int], ...] = ()  # the last 24 hours, most first
    health: ProviderHealth | None = None  # the provider's own (SMS has two)

    @property
    def flagged(self) -> bool:
        return self.on and self.activity.silent


def _twitter_error(rt) -> str | None:
    try:
        status = twitter_channel_status(rt)
    except redis.RedisError as exc:
        return type(exc).__name__
    if status.state == "off":
        return None
    error = status.last_error
    if status.state == "waiting" and status.waiting_until:
        error = f"{status.last_error or ''} (→ {status.waiting_until})".strip()
    # X's webhook validity and monthly read cap (issue 17), beside the poll's health.
    return " · ".join(part for part in (error, *status.notes) if part) or None


@dataclass(frozen=True)
class Refused:
    """Refused submissions (gateway/ops/refusals.py) over the monitor's two spans."""

    hourly: RefusedSeries
    recent: RefusedSeries  # the last 6 hours in 5-minute steps
    day: RefusedSeries  # the last 24 hours, for the reasons

    @classmethod
    def read(cls, connection, now: datetime) -> Refused:
        try:
            return cls(
                refused_series(connection, now, step_seconds=HOUR_SECONDS, steps=CHART_HOURS),
                refused_series(connection, now, step_seconds=STEP_SECONDS, steps=RECENT_STEPS),
                refused_series(connection, now, step_seconds=HOUR_SECONDS, steps=24),
            )
        except redis.RedisError:
            empty = RefusedSeries((), {}, {})
            return cls(empty, empty, empty)

    def last_hour(self, channel: str) -> int:
        return sum(self.recent.counts.get(channel, ())[-12:])

    def last_day(self, channel: str) -> int:
        return self.day.total(channel)


def channel_rows(
    db,
    now: datetime,
    sms_failures: dict[str, int] | None,
    twitter_error: str | None,
    refused: Refused,
) -> list[ChannelRow]:
    """One row per channel and provider, on or off (when off, with what turns it on)."""
    switches = channel_switches()
    rows = []
    settings = runtime().settings

    def is_on(provider: Provider) -> bool:
        spec = provider_spec(provider.key) if provider.key else None
        if spec is not None:
            return spec.webhook_enabled(settings)
        return switches.get(provider.channel.value, False)

    # A provider that is off says what turns it on only while its channel has none on.
    live = {provider.channel for provider in PROVIDERS if is_on(provider)}
    for provider in PROVIDERS:
        channel = provider.channel
        on = is_on(provider)
        reasons = refused.day.by_reason.get(channel.value, {})
        rows.append(
            ChannelRow(
                channel=channel.value,
                on=on,
                activity=channel_activity(db, channel.value, now),
                signature_failures=failures_of(provider, sms_failures),
                poll_error=twitter_error if channel is Channel.TWITTER else None,
                provider=provider.name,
                turn_on="" if on or channel in live else provider.turn_on,
                refused_hour=refused.last_hour(channel.value),
                refused_day=refused.last_day(channel.value),
                refused_reasons=tuple(sorted(reasons.items(), key=lambda item: -item[1])),
                health=provider_health(db, provider.key, now) if provider.key else None,
            )
        )
    return rows


def monitor_context() -> dict:
    rt = runtime()
    now = datetime.now(UTC)
    backlog = backlog_snapshot(rt)
    failed = []
    if backlog.redis_ok:
        try:
            failed = [FailedRow.of(job) for job in failed_jobs(rt.redis, limit=FAILED_SHOWN)]
        except redis.RedisError:
            failed = []
    # Read before the session opens: the Twitter status reads the store in a session of its own.
    sms_failures, twitter_error = signature_failures_by_provider(rt.redis), _twitter_error(rt)
    refused = Refused.read(rt.redis, now)
    with rt.sessions() as db:
        channels = channel_rows(db, now, sms_failures, twitter_error, refused)
        # Charts: the channels that are on or had messages (an empty row helps nobody).
        shown = [row.channel for row in channels if row.on or row.activity.last_received_at]
        intake = intake_by_hour(db, shown, now)
        recent = intake_by_step(db, shown, now, timedelta(minutes=5), RECENT_STEPS)
        new_cases = awaiting_verification(db)
        held = [QuarantineRow.of(row) for row in pending_quarantine(db)]
        # Outside the district (issue 21): forwards out and pushes back, failing ones first.
        federation = (forwards.forward_summary(db), forwards.push_summary(db))
    zone = rt.settings.timezone
    return {
        "now": now,
        "backlog": backlog,
        "channels": channels,
        "shadow_mode": rt.settings.twilio_signature_mode == "shadow",
        "chart": build_chart(intake, zone, refused=refused.hourly.counts),
        "recent_chart": build_chart(
            recent, zone, tick_every=timedelta(hours=1), refused=refused.recent.counts
        ),
        "new_cases": new_cases,
        "quarantine": held,
        "failed": failed,
        "federation_forwards": federation[0],
        "federation_pushes": federation[1],
        "refresh_seconds": REFRESH_SECONDS,
    }


def monitor_page():
    """The whole page (served at /console/ for the coordinator)."""
    return render_template("console/monitor.html", **monitor_context())


@bp.get("/panel")
@coordinator_only
def panel():
    """The part of the page that refreshes itself."""
    return render_template("console/_monitor_panel.html", **monitor_context())


@bp.post("/jobs/<job_id>/retry")
@coordinator_only
def retry_job(job_id: str):
    """Run a failed job again with a fresh retry budget (every job is idempotent)."""
    if not JOB_ID.match(job_id) or replay(runtime().redis, job_id) is not Replayed.REQUEUED:
        return _back("console.monitor.gone")
    current_app.logger.info("failed job %s retried by %s", job_id, operator().username)
    return _back("console.monitor.done")


@bp.post("/jobs/<job_id>/discard")
@coordinator_only
def discard_job(job_id: str):
    """Delete a failed job that no fix will make storable; the decision is logged."""
    if not JOB_ID.match(job_id) or not discard(runtime().redis, job_id):
        return _back("console.monitor.gone")
    current_app.logger.info("failed job %s discarded by %s", job_id, operator().username)
    return _back("console.monitor.done")


@bp.post("/quarantine/<int:quarantine_id>/release")
@coordinator_only
def release(quarantine_id: int):
    """Store a held message as if it had just arrived (past the sender's limit)."""
    try:
        abuse.release(runtime(), quarantine_id, operator().actor)
    except QuarantineResolved:
        return _back("console.monitor.gone")
    except MalformedRecord as exc:  # held by an older version in a shape this one cannot read
        flash(t("console.action.failed").format(reason=exc), "error")
        return redirect(url_for("console.home"), 303)
    return _back("console.monitor.done")


@bp.post("/quarantine/<int:quarantine_id>/reject")
@coordinator_only
def reject(quarantine_id: int):
    """Close a held message without storing it; it stays in the table for the audit trail."""
    try:
        abuse.reject(runtime(), quarantine_id, operator().actor)
    except QuarantineResolved:
        return _back("console.monitor.gone")
    return _back("console.monitor.done")


def _back(message_key: str):
    flash(t(message_key), "info")
    return redirect(url_for("console.home"), 303)
