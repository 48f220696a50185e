"""A seeded history for the scoreboard whose figures are worked out by hand (issue 20): a
local holiday inside the clocks, a bounce, a case past its hard limit, a confidential case, two
ratings and two cases either side of a local month boundary. ``seed(session)`` writes it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from casestore import complaints as store
from casestore.lifecycle import Action, apply_action, start_clocks
from casestore.models import LocalHoliday, Rating
from casestore.scoreboard import Period
from tests.case_records import complaint_record

TZ = "Asia/Jakarta"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOVEMBER = Period(
    "2026-11", datetime(2026, 10, 31, 17, 0, tzinfo=UTC), datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
)
_serial = iter(range(1, 10**6))


def at(day: int, hour: int = 3, month: int = 11) -> datetime:  # 03:00 UTC is 10:00 WIB
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def case(session, received_at=None, *, privacy="public", category="jalan", kec="11.04.01"):
    n = next(_serial)
    complaint = store.open_complaint(
        session,
        complaint_record(
            f"sms:sb{n}",
            received_at or at(2),
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


def dispatched(session, to="dinas-pupr", **kw):
    complaint = case(session, **kw)
    act(session, complaint, Action.VERIFY, at(2, 3))
    act(session, complaint, Action.DISPATCH, at(2, 4), unit=to)
    return complaint


def seed(s) -> None:
    """Write the history in ``s`` (flushed, not committed)."""
    s.add(LocalHoliday(day=date(2026, 11, 4), name="Hari jadi Takengon", added_by="koord"))
    a = dispatched(s)
    act(s, a, Action.START, at(5))  # 3 Nov, (4 Nov closed), 5 Nov: 2 working days
    act(s, a, Action.RESOLVE, at(9), message_to_reporter="Sudah diperbaiki")  # 3,5,6,9: 4
    b = dispatched(s, category="air", kec="11.04.02")
    act(s, b, Action.START, at(3))
    act(s, b, Action.RESOLVE, at(3), message_to_reporter="Selesai")  # 1
    c = dispatched(s)
    act(s, c, Action.START, at(6))  # 3, 5, 6: 3
    c.hard_due_at = at(9)  # a stricter local SOP: resolved after its hard limit
    act(s, c, Action.RESOLVE, at(10), message_to_reporter="Selesai")  # 3,5,6,9,10: 5
    d = dispatched(s)
    act(s, d, Action.BOUNCE, at(3), reason="not_authority")  # first response: 1
    act(s, d, Action.DISPATCH, at(5), unit="dinas-perkim")
    dispatched(s)  # never answered: overdue by 1 December
    secret = dispatched(s, privacy="confidential", category="air", kec="11.04.03")
    act(s, secret, Action.START, at(3))
    case(s, datetime(2026, 10, 31, 18, 0, tzinfo=UTC), kec="11.04.02")  # 1 Nov 01:00 WIB
    case(s, datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 31 Oct 23:00 WIB: October
    for complaint, score in ((a, 5), (b, 2)):
        s.add(
            Rating(
                complaint_id=complaint.id,
                score=score,
                comment="kata-kata warga",
                channel="sms",
                unit_code="dinas-pupr",
                low=score <= 2,
                rated_at=at(12),
            )
        )
    s.flush()
