"""Statuses, directions and kinds are enums in the code and the same lowercase strings in
the tables: rows come back as members, and a value that is no member never reaches a row."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from casestore.models import Message
from casestore.vocabulary import DeliveryStatus, Direction, EventKind


def test_rows_come_back_as_members_and_the_table_holds_the_plain_value(store_session):
    message = Message(direction="out", channel="sms", status="queued", body="x")
    store_session.add(message)
    store_session.flush()
    store_session.expire(message)
    assert message.direction is Direction.OUT
    assert message.status is DeliveryStatus.QUEUED
    raw = store_session.execute(
        text("SELECT direction, status FROM messages WHERE id = :id"), {"id": message.id}
    ).one()
    assert tuple(raw) == ("out", "queued")
    found = store_session.scalar(select(Message.id).where(Message.status == "queued"))
    assert found == message.id


def test_a_value_that_is_no_member_is_refused(store_session):
    store_session.add(Message(direction="out", channel="sms", status="lost", body="x"))
    with pytest.raises(StatementError, match="lost"):
        store_session.flush()


def test_an_event_kind_is_an_action_or_an_intake_mark(store_session):
    from casestore.models import StatusEvent
    from casestore.vocabulary import Action

    assert not {a.value for a in Action} & {k.value for k in EventKind}  # one reading each
    column = StatusEvent.__table__.c.kind.type
    assert column.process_result_value("verify", None) is Action.VERIFY
    assert column.process_result_value("routed", None) is EventKind.ROUTED
    with pytest.raises(ValueError, match="Action or EventKind"):
        column.process_bind_param("launched", None)
