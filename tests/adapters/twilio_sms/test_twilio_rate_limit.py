"""The per-sender limit: what exceeds it waits in quarantine, never dropped, never a reply storm;
operators release (stored as if it just arrived) or reject it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from adapters import twilio_sms
from casestore.models import Contact, Message, Quarantine
from casestore.quarantine import QuarantineResolved
from dispatcher import abuse
from dispatcher.intake import store_record
from dispatcher.submit import seen_key
from normalizer import normalize

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


# Different complaints, so that none is taken for a repeat of another.
TOPICS = [
    "Jalan berlubang di Kampung Bale, Lut Tawar",
    "Lampu jalan mati di depan SD Negeri 2 Bebesen",
    "Air PDAM tidak mengalir di Desa Kute Lintang",
    "Pungutan liar di kantor camat Silih Nara",
    "Sampah menumpuk di pasar Paya Ilang",
    "Jembatan gantung di Rusip Antara rusak",
    "Puskesmas Ketol tutup pada jam kerja",
    "Guru honorer belum digaji di Linge",
    "Banjir lumpur menutup jalan di Atu Lintang",
]


def message(twilio, n: int, body: str | None = None, fixture: str = "sms_basic"):
    sid = f"SM{n:032x}"
    body = body if body is not None else TOPICS[n % len(TOPICS)]
    values = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "Body": body}
    return [(k, values.get(k, v)) for k, v in twilio.params(fixture)]


def count(runtime, model, *where) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def replies(runtime, intent: str) -> int:
    return count(runtime, Message, Message.direction == "out", Message.intent == intent)


@pytest.fixture
def limited(runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="3/600")
    return runtime


def test_messages_over_the_limit_wait_in_quarantine_with_one_reply(
    twilio, limited, work, fake_twilio
):
    for n in range(6):
        assert twilio.post(message(twilio, n)).status_code == 200
    work()
    assert count(limited, Message, Message.direction == "in") == 3
    assert count(limited, Quarantine, Quarantine.reason == "rate_limited") == 3
    assert replies(limited, "rate_limited") == 1
    bodies = [m["body"] for m in fake_twilio.sent()]
    assert sum("terlalu banyak" in body for body in bodies) == 1
    for n in range(6, 9):  # still flooding: held, and no further warning in the window
        twilio.post(message(twilio, n))
    work()
    assert count(limited, Quarantine) == 6
    assert replies(limited, "rate_limited") == 1
    with limited.sessions() as session:
        held = session.scalars(select(Quarantine).order_by(Quarantine.id)).first()
        assert held.contact_urn == "tel:+6281234567890" and held.channel == "sms"
        assert held.record["external_id"] == f"SM{3:032x}"  # the whole record, to replay


def test_a_provider_retry_of_a_held_message_is_held_once(twilio, limited, work):
    for n in range(4):
        twilio.post(message(twilio, n))
    work()
    # Two days later the "seen" key is gone; Twilio's retry reaches the store again.
    limited.redis.delete(seen_key(f"sms:SM{3:032x}"))
    twilio.post(message(twilio, 3))
    work()
    assert count(limited, Quarantine) == 1


def test_stop_always_goes_through(twilio, limited, work):
    for n in range(4):
        twilio.post(message(twilio, n))
    twilio.post(message(twilio, 99, body="STOP"))
    work()
    with limited.sessions() as session:
        assert session.scalars(select(Contact)).one().opted_out
    assert count(limited, Quarantine) == 1


def test_release_stores_the_message_and_answers_it(twilio, limited, work, fake_twilio):
    for n in range(5):
        twilio.post(message(twilio, n))
    work()
    sent_before = len(fake_twilio.sent())
    with limited.sessions() as session:
        first, second = session.scalars(select(Quarantine.id).order_by(Quarantine.id)).all()
    outcome = abuse.release(limited, first, "koordinator")
    assert outcome.created and outcome.tracking_id and not outcome.quarantined
    work()
    assert count(limited, Message, Message.direction == "in") == 4
    sent = fake_twilio.sent()
    assert len(sent) == sent_before + 1
    assert outcome.tracking_id[:5] in sent[-1]["body"]  # the ack names its tracking id
    with pytest.raises(QuarantineResolved, match="released"):
        abuse.release(limited, first, "koordinator")
    abuse.reject(limited, second, "koordinator")
    with pytest.raises(QuarantineResolved, match="rejected"):
        abuse.release(limited, second, "koordinator")
    with pytest.raises(QuarantineResolved, match="no quarantined record"):
        abuse.reject(limited, 10_000, "koordinator")
    with limited.sessions() as session:
        rows = {q.id: q for q in session.scalars(select(Quarantine))}
    assert (rows[first].resolution, rows[first].resolved_by) == ("released", "koordinator")
    assert rows[first].resolved_at is not None
    assert rows[second].resolution == "rejected"
    assert count(limited, Message, Message.direction == "in") == 4  # rejected: not stored


# --- the window, at the store, with times of our choosing --------------------------------


def record_at(twilio, runtime, n: int, at: datetime):
    inbound = twilio_sms.parse(MultiDict(message(twilio, n)), received_at=at)
    return normalize(inbound, runtime.rules)


def store(runtime, record):
    with runtime.sessions.begin() as session:
        return store_record(session, record, runtime)


def test_the_window_slides(twilio, runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="2/600")
    at = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2), T0 + timedelta(seconds=602)]
    outcomes = [store(runtime, record_at(twilio, runtime, n, when)) for n, when in enumerate(at)]
    assert [o.quarantined for o in outcomes] == [False, False, True, False]


def test_a_retry_of_a_stored_message_is_not_held(twilio, runtime):
    runtime.settings = runtime.settings.replace(sms_rate_limit="2/600")
    first = record_at(twilio, runtime, 0, T0)
    store(runtime, first)
    store(runtime, record_at(twilio, runtime, 1, T0 + timedelta(seconds=1)))
    again = store(runtime, first)
    assert again.duplicate_delivery and not again.quarantined
    assert count(runtime, Quarantine) == 0


@pytest.mark.parametrize(("limit", "held"), [("1/600", 4), ("off", 0), ("5/600", 0)])
def test_the_limit_is_configurable(twilio, runtime, limit, held):
    runtime.settings = runtime.settings.replace(sms_rate_limit=limit)
    for n in range(5):
        store(runtime, record_at(twilio, runtime, n, T0 + timedelta(seconds=n)))
    assert count(runtime, Quarantine) == held
