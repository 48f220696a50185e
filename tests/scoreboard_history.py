"""A seeded history for the scoreboard whose figures are worked out by hand (issue 20): a
local holiday inside the clocks, a bounce, a case past its hard limit, a confidential case, two
ratings and two cases either side of a local month boundary. ``seed(session)`` writes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from casestore import complaints as store
from casestore.accountability import add_local_holiday, record_rating
from casestore.deadlines import install_policy
from casestore.lifecycle import Action, apply_action, start_clocks
from casestore.scoreboard import Period
from config.sla_policy import NATIONAL, PolicyVersion, SlaPolicy, load_sla_policy
from tests.case_records import complaint_record

TZ = "Asia/Jakarta"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOVEMBER = Period(
    "2026-11", datetime(2026, 10, 31, 17, 0, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
)
_serial = iter(range(1, 10**6))


def at(day: int, hour: int = 3, month: int = 11) -> datetime:  # 03:00 UTC is 10:00 WIB
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def case(session, received_at=None, *, privacy="public", category="jalan", kec="11.04.01", day=2):
    n = next(_serial)
    complaint = store.open_complaint(
        session,
        complaint_record(
            f"sms:sb{n}",
            received_at or at(day, 2),
            privacy=privacy,
            category=category,
            kecamatan_code=kec,
        ),
        tracking_id=f"SB{n:08d}",
        contact=None,
        owner_unit="diskominfo",
    )
    start_clocks(complaint, TZ)
    session.flush()
    return complaint


def act(session, complaint, action, when, **fields):
    apply_action(session, complaint, action, actor="op", now=when, tz=TZ, **fields)


def dispatched(session, to="dinas-pupr", day=2, **kw):
    complaint = case(session, day=day, **kw)
    act(session, complaint, Action.VERIFY, at(day, 3))
    act(session, complaint, Action.DISPATCH, at(day, 4), unit=to)
    return complaint


# The national rules, then from 3 November 2026 a stricter local SOP: resolve within 4.
MIDWAY = SlaPolicy(
    (
        load_sla_policy().versions[0],
        PolicyVersion(
            id="local-sop-2026-11",
            effective_from=date(2026, 11, 3),
            citation="SOP Pengaduan Kabupaten Aceh Tengah (test)",
            note="",
            terms=replace(NATIONAL, hard_limit_days=4),
        ),
    )
)


def seed(s) -> None:
    """Write the history in ``s`` (flushed, not committed) under the ``MIDWAY`` policy."""
    install_policy(MIDWAY)
    try:
        _seed(s)
    finally:
        install_policy(None)


def _seed(s) -> None:
    add_local_holiday(s, date(2026, 11, 4), "Hari jadi Takengon", "koord")
    a = dispatched(s)
    act(s, a, Action.START, at(5))  # 3 Nov, (4 Nov closed), 5 Nov: 2 working days
    act(s, a, Action.RESOLVE, at(9), message_to_reporter="Sudah diperbaiki")  # 3,5,6,9: 4
    b = dispatched(s, category="air", kec="11.04.02")
    act(s, b, Action.START, at(3))
    act(s, b, Action.RESOLVE, at(3), message_to_reporter="Selesai")  # 1
    c = dispatched(s, day=3)  # under the local SOP: hard limit 10 Nov 09:00 WIB
    act(s, c, Action.START, at(6))  # 5, 6: 2
    act(s, c, Action.RESOLVE, at(10), message_to_reporter="Selesai")  # 5,6,9,10: 4, an hour late
    d = dispatched(s)
    act(s, d, Action.BOUNCE, at(3), reason="not_authority")  # first response: 1
    act(s, d, Action.DISPATCH, at(5), unit="dinas-perkim")
    dispatched(s)  # never answered: overdue by 1 December
    secret = dispatched(s, privacy="confidential", category="air", kec="11.04.03")
    act(s, secret, Action.START, at(3))
    case(s, datetime(2026, 10, 31, 18, 0, tzinfo=UTC), kec="11.04.02")  # 1 Nov 01:00 WIB
    case(s, datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 31 Oct 23:00 WIB: October
    for complaint, score in ((a, 5), (b, 2)):
        record_rating(s, complaint, score, comment="kata-kata warga", channel="sms", now=at(12))
    s.flush()
