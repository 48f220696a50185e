"""The common record's JSON round trip and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from normalizer.records import Channel, ComplaintRecord, Intent, MalformedRecord, Media, Privacy


def make_record(**changes) -> ComplaintRecord:
    values = dict(
        idempotency_key="sms:SM123",
        tracking_id="7KQ2M9XD4T",
        intent=Intent.NEW,
        channel=Channel.SMS,
        provider="twilio",
        external_id="SM123",
        contact_urn="tel:+6281234567890",
        text="Jalan rusak di Bebesen 🙏",
        language="id",
        privacy=Privacy.PUBLIC,
        received_at=datetime(2026, 11, 28, 4, 5, 6, tzinfo=UTC),
        media=(Media("https://api.twilio.com/x/Media/ME1", "image/jpeg"),),
        category_candidates=("jalan", "air"),
        raw={"Body": "Jalan rusak", "Extra": ["a", "b"]},
    )
    values.update(changes)
    return ComplaintRecord(**values)


def test_json_round_trip_keeps_every_field():
    record = make_record()
    assert ComplaintRecord.from_json(record.to_json()) == record


def test_times_come_back_in_utc():
    wib = timezone(timedelta(hours=7))
    record = make_record(received_at=datetime(2026, 11, 28, 11, 0, tzinfo=wib))
    back = ComplaintRecord.from_json(record.to_json())
    assert back.received_at.utcoffset() == timedelta(0)
    assert back.received_at == record.received_at


@pytest.mark.parametrize(
    ("label", "mutate", "message"),
    [
        ("not an object", lambda d: [d], "must be an object"),
        ("missing intent", lambda d: d.pop("intent") and d, "missing field: intent"),
        ("unknown intent", lambda d: d | {"intent": "explode"}, "explode"),
        ("unknown field", lambda d: d | {"evil": 1}, "unknown fields: evil"),
        ("naive time", lambda d: d | {"received_at": "2026-11-28T04:05:06"}, "timezone"),
        ("bad time", lambda d: d | {"received_at": "yesterday"}, "yesterday"),
        ("text not a string", lambda d: d | {"text": 5}, "text must be a string"),
        ("empty tracking id", lambda d: d | {"tracking_id": ""}, "must not be empty"),
        ("media not objects", lambda d: d | {"media": ["x"]}, "mapping"),
    ],
)
def test_malformed_records_are_refused_with_a_reason(label, mutate, message):
    data = mutate(make_record().to_dict())
    with pytest.raises(MalformedRecord, match=message):
        ComplaintRecord.from_dict(data)


def test_not_json_is_malformed():
    with pytest.raises(MalformedRecord, match="not JSON"):
        ComplaintRecord.from_json("{nope")


def test_the_dict_form_shares_nothing_mutable_with_the_record():
    record = make_record(raw={"Body": "jalan rusak", "MediaUrl": ["a", "b"], "x": {"y": 1}})
    data = record.to_dict()
    data["raw"]["Body"] = "changed"
    data["raw"]["MediaUrl"].append("c")
    data["raw"]["x"]["y"] = 2
    assert record.raw == {"Body": "jalan rusak", "MediaUrl": ["a", "b"], "x": {"y": 1}}
    assert ComplaintRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.OPEN311])
def test_a_typed_channel_carries_an_update_address_never_an_identity(channel):
    # Issue 13: only a channel that proves its sender names a contact.
    with pytest.raises(MalformedRecord, match="proves no sender"):
        make_record(channel=channel, idempotency_key=f"{channel}:k1")
    record = make_record(channel=channel, contact_urn="", update_address="mailto:warga@example.id")
    assert ComplaintRecord.from_json(record.to_json()) == record


def test_a_typed_contact_queued_before_issue_13_reads_back_as_an_update_address():
    data = make_record(channel=Channel.SMS).to_dict()
    data.pop("update_address", None)
    data |= {"channel": "web", "idempotency_key": "web:k1"}  # as web records were written
    record = ComplaintRecord.from_dict(data)
    assert (record.contact_urn, record.update_address) == ("", "tel:+6281234567890")
    assert ComplaintRecord.from_dict(make_record().to_dict()).contact_urn == "tel:+6281234567890"
