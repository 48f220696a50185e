"""store_records: a drain batch into the case store, the common case set-wise.

Most of a batch is new complaints that touch nothing but rows of their own: a new case from
a new or known sender, not held (rate limit, junk, unsure, too thin), not joining the
sender's open case, no photos, no thread. Those are decided in memory from one query per
question for the whole batch and written with one multi-row INSERT per table
(casestore/bulk.py), exactly as ``store_record`` would write them one by one. Everything
else (commands, follow-ups, holds, ratings, media, typed addresses, provider retries, a key
or a sender met earlier in the batch) goes through ``store_record`` in the same transaction.

Arrival order is kept: the records are taken in order, new cases gather into a run, and a
record for ``store_record`` first has the run written, so it sees every earlier record of
the batch as stored (a sender's second message finds the case their first one opened). The
triage verdict comes first, for every record: what is held never reaches the routing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from casestore import batch_facts as facts
from casestore import bulk
from casestore.db import Session
from casestore.vocabulary import Status
from dispatcher.intake.evidence import citizen_secret_hash
from dispatcher.intake.holds import (
    RATE_LIMITED_CHANNEL_VALUES,
    media_only,
    rate_window,
    too_thin,
    triage_of,
)
from dispatcher.intake.outcome import StoreOutcome
from dispatcher.intake.store import UNTRIAGED, Untriaged, store_record
from dispatcher.rating import parse_rating, rating_channels
from dispatcher.reply_policy import (
    PUBLIC_REPLY_CHANNELS,
    REPLY_CHANNELS,
    REPLY_LIMITS,
    reply_values,
)
from dispatcher.runtime import Runtime
from dispatcher.similarity import DUPLICATE_THRESHOLD, FOLLOW_UP_THRESHOLD, Gist, similarity
from dispatcher.triage import route_record
from normalizer.records import Channel, ComplaintRecord, Intent, Privacy
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id
from normalizer.triage import Kind, Verdict

# dispatcher/dedupe.py's windows and limit, which the per-record path applies in SQL.
FOLLOW_UP_WINDOW = timedelta(hours=72)
DUPLICATE_WINDOW = timedelta(days=7)
MAX_CANDIDATES = 50
# Verdicts under which intake holds a record (dispatcher/intake/holds.py); any other kind
# opens a case. A record triage is unsure of is the per-record path's to decide.
HELD_KINDS = frozenset({Kind.JUNK, Kind.UNCERTAIN})
# The channels whose new cases tests/dispatcher/test_batch_store.py proves equal to the
# per-record path's; email, Open311 and the desk channels stay one by one.
SET_WISE_CHANNELS = frozenset(
    {Channel.SMS, Channel.WHATSAPP, Channel.TWITTER, Channel.API, Channel.WEB}
)


@dataclass
class BatchResult:
    """The replies to enqueue, and how many records went which way."""

    outbound_ids: list[int] = field(default_factory=list)
    set_wise: int = 0
    one_by_one: int = 0


def store_records(
    session: Session, records: Sequence[ComplaintRecord], runtime: Runtime
) -> BatchResult:
    """Store ``records`` (in arrival order) in the caller's transaction; storing them again
    changes nothing. The replies' ids are on the result, in the records' order."""
    verdicts = [None if media_only(r) else triage_of(r, runtime) for r in records]
    result = BatchResult()
    if not bulk.supports_bulk(session):
        for record, verdict in zip(records, verdicts, strict=True):
            _one_by_one(session, record, runtime, verdict, result)
        return result
    batch = _Batch(session, runtime, records, verdicts)
    for index, (record, verdict) in enumerate(zip(records, verdicts, strict=True)):
        if batch.plan(index):
            continue
        batch.write_run(result)
        outcome = _one_by_one(session, record, runtime, verdict, result)
        batch.after_one_by_one(outcome.tracking_id)
    batch.write_run(result)
    return result


def _one_by_one(
    session: Session,
    record: ComplaintRecord,
    runtime: Runtime,
    verdict: Verdict | Untriaged | None,
    result: BatchResult,
) -> StoreOutcome:
    # A reply in a thread may turn into a follow-up inside store_record, which is then
    # triaged as one: only a record it reads as it came has its verdict handed over.
    outcome = store_record(
        session, record, runtime, verdict=UNTRIAGED if record.thread_ids else verdict
    )
    result.outbound_ids.extend(outcome.outbound_ids)
    result.one_by_one += 1
    return outcome


@dataclass(frozen=True)
class _CaseView:
    """What reply_values reads of a case that is not written yet."""

    tracking_id: str
    owner_unit: str
    status: Status = Status.RECEIVED


@functools.lru_cache(maxsize=4096)
def _gist(text: str, category: str | None, kecamatan: str | None, desa: str | None) -> Gist:
    return Gist.of(text, category, kecamatan, desa)


def _newest(rows: list[Any], limit: int) -> list[Any] | None:
    """The ``limit`` newest rows (newest first), as ORDER BY received_at DESC LIMIT gives
    them; None when ties at the cut leave which ones to the database."""
    rows = sorted(rows, key=lambda r: r.received_at, reverse=True)
    if len(rows) > limit and rows[limit - 1].received_at == rows[limit].received_at:
        return None
    return rows[:limit]


@dataclass
class _Pending:
    """A new case of the run, as a master candidate of the ones after it."""

    case: bulk.NewCase
    description: str
    category: str | None
    kecamatan_code: str | None
    desa_code: str | None
    received_at: datetime
    position: int


@dataclass
class _Candidate:
    """A record that may open a new case set-wise, routed, with its sender as known."""

    record: ComplaintRecord  # as routing left it (the category it settled on)
    route: Any
    contact: facts.KnownContact | None
    verdict: Verdict | None


class _Batch:
    """What the batch's records need to know (one query each), and the run being planned.

    First, in memory and in order, which records may open a new case set-wise (``plan``
    then adds one to the run, or says it goes one by one); the duplicate candidates are
    read for the places of those, again after a record went one by one (it may have opened
    or closed one).
    """

    def __init__(
        self,
        session: Session,
        runtime: Runtime,
        records: Sequence[ComplaintRecord],
        verdicts: Sequence[Verdict | None],
    ) -> None:
        self.session, self.runtime = session, runtime
        self.tz = runtime.settings.timezone
        self.limit = runtime.settings.sms_rate
        self.records = records
        self.candidates: dict[int, _Candidate] = {}
        self.run: list[_Pending] = []
        self.new_contacts: dict[str, bulk.NewContact] = {}
        self.changes: dict[int, bulk.ContactChange] = {}
        self.used_ids: set[str] = set()
        self.masters: list[facts.CaseRow] = []
        self.stale = True
        pairs = enumerate(zip(records, verdicts, strict=True))
        maybe = {i for i, (r, v) in pairs if _may_be_new_case(r, v)}
        if not maybe:
            return
        session.flush()
        self._read_facts([records[i] for i in sorted(maybe)])
        seen_urns: set[str] = set()
        seen_keys: set[str] = set()
        seen_messages: set[tuple[str, str]] = set()
        for index, record in enumerate(records):
            if index in maybe and self._alone(record, seen_urns, seen_keys, seen_messages):
                candidate = self._candidate(record, verdicts[index])
                if candidate is not None:
                    self.candidates[index] = candidate
            seen_keys.add(record.idempotency_key)
            seen_messages.add((record.channel.value, record.external_id))
            if record.contact_urn:
                seen_urns.add(record.contact_urn)

    def _read_facts(self, records: list[ComplaintRecord]) -> None:
        session, runtime = self.session, self.runtime
        urns = {r.contact_urn for r in records if r.contact_urn}
        self.contacts = facts.contacts_by_urn(session, urns)
        self.stored = facts.stored_inbound(
            session, {(r.channel.value, r.external_id) for r in records}
        )
        self.taken_keys, self.taken_ids = facts.taken_keys(
            session, {r.idempotency_key for r in records}, {r.tracking_id for r in records}
        )
        known = {c.id for c in self.contacts.values()}
        first = min(r.received_at for r in records)
        last = max(r.received_at for r in records)
        self.inbound: dict[int, list[datetime]] = {}
        self.held: list[facts.HeldRow] = []
        self.open_cases: dict[int, list[facts.CaseRow]] = {}
        if known:
            window = max(self.limit[1] if self.limit else 0, runtime.settings.triage_media_wait)
            since = first - timedelta(seconds=window)
            if self.limit is not None:
                self.inbound = facts.inbound_times(
                    session, known, RATE_LIMITED_CHANNEL_VALUES, since
                )
            self.held = facts.held_rows(session, {c.urn for c in self.contacts.values()}, since)
            self.open_cases = facts.open_cases_of_contacts(
                session, known, first - FOLLOW_UP_WINDOW, last + FOLLOW_UP_WINDOW
            )
        self.closed = facts.local_holidays(session)

    def _alone(
        self,
        record: ComplaintRecord,
        seen_urns: set[str],
        seen_keys: set[str],
        seen_messages: set[tuple[str, str]],
    ) -> bool:
        """Nothing earlier (stored, or in this batch) shares the record's key, message,
        tracking id or sender."""
        message = (record.channel.value, record.external_id)
        return not (
            record.idempotency_key in seen_keys
            or record.idempotency_key in self.taken_keys
            or message in seen_messages
            or message in self.stored
            or record.tracking_id in self.taken_ids
            or (record.contact_urn and record.contact_urn in seen_urns)
        )

    def _candidate(self, record: ComplaintRecord, verdict: Verdict | None) -> _Candidate | None:
        contact = self.contacts.get(record.contact_urn) if record.contact_urn else None
        if self._over_rate_limit(record, contact) or self._media_waits(record, contact):
            return None
        joinable = contact is not None and record.channel in REPLY_CHANNELS
        if joinable and self._follow_up_of(record, contact) is not False:
            return None
        routed, route = route_record(record, self.runtime, verdict)
        return _Candidate(routed, route, contact, verdict)

    def _over_rate_limit(self, record: ComplaintRecord, contact: facts.KnownContact | None) -> bool:
        since = rate_window(record, self.runtime)
        if since is None or self.limit is None:
            return False
        recent = 0
        if contact is not None:  # a new sender has sent nothing yet
            recent = sum(1 for t in self.inbound.get(contact.id, ()) if t > since)
            recent += sum(
                1
                for h in self.held
                if h.contact_urn == contact.urn
                and h.channel in RATE_LIMITED_CHANNEL_VALUES
                and h.created_at >= since
            )
        return recent >= self.limit[0]

    def _media_waits(self, record: ComplaintRecord, contact: facts.KnownContact | None) -> bool:
        """Whether photos of a known sender wait for these words (join_waiting_media)."""
        if contact is None:
            return False
        since = record.received_at - timedelta(seconds=self.runtime.settings.triage_media_wait)
        return any(
            h.contact_urn == contact.urn
            and h.channel == record.channel.value
            and h.reason == facts.AWAITING_TEXT
            and not h.resolved
            and h.created_at >= since
            for h in self.held
        )

    def _follow_up_of(self, record: ComplaintRecord, contact: facts.KnownContact) -> Any:
        """The sender's open case the record repeats, or None when the candidates are the
        database's to choose (ties at the limit); False: it repeats none."""
        start, end = record.received_at - FOLLOW_UP_WINDOW, record.received_at + FOLLOW_UP_WINDOW
        rows = [r for r in self.open_cases.get(contact.id, ()) if start <= r.received_at <= end]
        newest = _newest(rows, MAX_CANDIDATES)
        if newest is None:
            return None
        gist = Gist.of(record.text, record.category, record.kecamatan_code, record.desa_code)
        for row in newest:
            other = _gist(row.description, row.category, row.kecamatan_code, row.desa_code)
            if similarity(gist, other) >= FOLLOW_UP_THRESHOLD:
                return row
        return False

    # --- the run ----------------------------------------------------------------------------

    def plan(self, index: int) -> bool:
        """Add the record at ``index`` to the run; False when it goes one by one."""
        candidate = self.candidates.get(index)
        if candidate is None or candidate.record.tracking_id in self.used_ids:
            return False
        suggestion = self._suggestion(candidate.record, candidate.contact)
        if suggestion is False:
            return False
        routed = candidate.record
        case = self._case(routed, candidate.route, candidate.contact, suggestion or None)
        self.run.append(
            _Pending(
                case,
                routed.text,
                routed.category,
                routed.kecamatan_code,
                routed.desa_code,
                routed.received_at,
                len(self.run),
            )
        )
        self.used_ids.add(routed.tracking_id)
        return True

    def _master_rows(self) -> list[facts.CaseRow]:
        if self.stale:
            places = {
                (c.record.category, c.record.kecamatan_code)
                for c in self.candidates.values()
                if c.record.category and c.record.kecamatan_code
            }
            times = [c.record.received_at for c in self.candidates.values()]
            self.masters = (
                facts.open_cases_in_places(
                    self.session, places, min(times) - DUPLICATE_WINDOW, max(times)
                )
                if places
                else []
            )
            self.stale = False
        return self.masters

    def _suggestion(
        self, routed: ComplaintRecord, contact: facts.KnownContact | None
    ) -> bulk.Suggestion | bool | None:
        """The master the new case may repeat (dispatcher/dedupe.py: suggest_master); None:
        none; False: which one is the database's to choose (ties at the limit)."""
        if not routed.category or not routed.kecamatan_code:
            return None
        start, end = routed.received_at - DUPLICATE_WINDOW, routed.received_at

        def same_place(row: Any) -> bool:
            return (
                row.category == routed.category
                and row.kecamatan_code == routed.kecamatan_code
                and start <= row.received_at <= end
            )

        own = contact.id if contact is not None else None
        stored = [
            r for r in self._master_rows() if same_place(r) and (own is None or r.contact_id != own)
        ]
        # The run's earlier new cases are other senders' (a sender is in a batch's run once).
        newest = _newest([*stored, *(p for p in self.run if same_place(p))], MAX_CANDIDATES)
        if newest is None:
            return False
        gist = _gist(routed.text, routed.category, routed.kecamatan_code, routed.desa_code)
        best: tuple[Any, Any] | None = None  # the closest; between equals the newest, then id
        for row in newest:
            other = _gist(row.description, row.category, row.kecamatan_code, row.desa_code)
            score = similarity(gist, other)
            if score < DUPLICATE_THRESHOLD:
                continue
            # Ids: the run's new cases come after every stored one, in the run's order.
            rank = (1, row.position) if isinstance(row, _Pending) else (0, row.id)
            key = (score, row.received_at, rank)
            if best is None or key > best[0]:
                best = (key, row)
        if best is None:
            return None
        (score, _, _), row = best
        if isinstance(row, _Pending):
            tracking_id, master_id, master_key = (
                row.case.tracking_id,
                None,
                row.case.idempotency_key,
            )
        else:
            tracking_id, master_id, master_key = row.tracking_id, row.id, None
        note = (
            f"Mungkin sama dengan aduan {format_tracking_id(tracking_id)} (kemiripan {score:.2f})."
        )
        return bulk.Suggestion(tracking_id, score, note, master_id, master_key)

    def _case(
        self,
        routed: ComplaintRecord,
        route: Any,
        contact: facts.KnownContact | None,
        suggestion: bulk.Suggestion | None,
    ) -> bulk.NewCase:
        urn = routed.contact_urn
        whatsapp = routed.received_at if routed.channel is Channel.WHATSAPP else None
        if contact is None and urn:
            self.new_contacts[urn] = bulk.NewContact(
                urn, routed.contact_name, routed.language, whatsapp
            )
        elif contact is not None:
            name = routed.contact_name if routed.contact_name and not contact.name else ""
            moved = whatsapp is not None and (
                contact.last_whatsapp_at is None or whatsapp > contact.last_whatsapp_at
            )
            if name or moved:
                self.changes[contact.id] = bulk.ContactChange(
                    contact.id, name, whatsapp if moved else None
                )
        values = bulk.complaint_values(routed, routed.category, citizen_secret_hash(routed))
        case = bulk.NewCase(
            idempotency_key=routed.idempotency_key,
            tracking_id=routed.tracking_id,
            channel=routed.channel.value,
            provider=routed.provider,
            external_id=routed.external_id,
            contact_urn=urn,
            contact_id=contact.id if contact is not None else None,
            owner_unit=route.unit,
            values=values,
            clocks=bulk.new_case_clocks(
                routed.received_at, routed.category, route.unit, self.tz, self.closed
            ),
            routed={
                "reason": route.reason,
                "note": route.explanation,
                "data": {"unit": route.unit, **(getattr(route, "data", None) or {})},
            },
            inbound={
                "intent": routed.intent.value,
                "body": routed.text,
                "reply_to": routed.reply_to,
                "received_at": routed.received_at,
                "raw": routed.raw,
            },
            suggestion=suggestion,
        )
        opted_out = contact is not None and contact.opted_out
        if urn and routed.channel in REPLY_CHANNELS and not opted_out:
            case.reply = self._ack(routed, route.unit)
        return case

    def _ack(self, record: ComplaintRecord, unit: str) -> bulk.Reply:
        """new_case's acknowledgement, as answer() and send_answers() write it."""
        confidential = record.privacy is Privacy.CONFIDENTIAL
        template = "ack_confidential" if confidential else "ack"
        if confidential and record.channel in PUBLIC_REPLY_CHANNELS:
            template = "received"
        view = cast(Any, _CaseView(record.tracking_id, unit))
        body = render_reply(
            self.runtime.replies,
            template,
            record.language,
            fits_channel=REPLY_LIMITS.get(record.channel),
            **reply_values(self.runtime, view, record.language),
        )
        return bulk.Reply(
            dedupe_key=f"ack:{record.idempotency_key}",
            body=body,
            reply_to=record.reply_to or record.external_id,
            intent=template,
        )

    def write_run(self, result: BatchResult) -> None:
        """Write the run's new cases set-wise; one by one when another transaction won a
        race for one of their keys (nothing of the run is written then)."""
        if not self.run:
            return
        run, contacts, changes = self.run, list(self.new_contacts.values()), self.changes
        self.run, self.new_contacts, self.changes = [], {}, {}
        cases = [p.case for p in run]
        try:
            with self.session.begin_nested():
                bulk.write_new_cases(self.session, cases, contacts, list(changes.values()))
        except bulk.LostRace:
            by_key = {c.record.idempotency_key: c for c in self.candidates.values()}
            for case in cases:
                candidate = by_key[case.idempotency_key]
                # The record as it came, not as routing left it: store_record routes it.
                record = next(r for r in self.records if r.idempotency_key == case.idempotency_key)
                _one_by_one(self.session, record, self.runtime, candidate.verdict, result)
            self.stale = True
            return
        for case in cases:
            if case.outbound_id is not None:
                result.outbound_ids.append(case.outbound_id)
        result.set_wise += len(cases)

    def after_one_by_one(self, tracking_id: str | None) -> None:
        """A record went through store_record: what it wrote may be a later case's master,
        and its case's tracking id is taken."""
        if tracking_id:
            self.used_ids.add(tracking_id)
        self.stale = True


def _may_be_new_case(record: ComplaintRecord, verdict: Verdict | None) -> bool:
    """What the record alone says: a new complaint with words and no photos, not in a
    thread, not a rating, not held by triage or as too thin."""
    if record.intent is not Intent.NEW or record.channel not in SET_WISE_CHANNELS:
        return False
    if record.media or record.thread_ids:
        return False
    if record.update_address:  # a typed address: its email receipt or its phone's code
        return False  # are written by new_case (dispatcher/address_replies.py)
    if not record.text.strip():
        return False
    if record.channel in rating_channels() and parse_rating(record.text) is not None:
        return False
    if verdict is not None and verdict.kind in HELD_KINDS:
        return False
    return not too_thin(record)
