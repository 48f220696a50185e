"""A typed phone answers its one-time code through Kannel (the shortcode over SMPP), as
smsbox calls our webhook: the same confirmation as through Twilio (issue 18)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from email_support import act, file_typed

from casestore.lifecycle import Action

PHONE = "tel:+6281234567890"


def answer(kannel, load_request, text: str):
    captured = load_request("sms_keyword_cek")
    query = []
    for key, value in captured.query:
        if key in {"text", "bin"}:
            value = text.encode()
        elif key == "id":
            value = str(uuid.uuid4()).encode()
        elif key == "time":
            value = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S").encode()
        query.append((key, value))
    response = kannel.send(captured.with_query(query))
    assert response.status_code in (200, 202), response.data


def test_a_typed_phone_confirmed_by_an_sms_through_kannel_gets_its_updates(
    runtime, work, kannel, fake_sendsms, load_request
):
    tracking_id = file_typed(runtime, PHONE, at=datetime.now(UTC))
    work()
    (asked,) = fake_sendsms.sent
    assert asked.to == "+6281234567890" and "Balas YA" in asked.text
    code = re.search(r"YA (\d{4})", asked.text).group(1)
    act(runtime, tracking_id, Action.VERIFY)
    work()
    assert len(fake_sendsms.sent) == 1  # not yet confirmed: the tracking page only
    answer(kannel, load_request, f"YA {code}")
    work()
    assert "Terima kasih" in fake_sendsms.sent[-1].text
    act(runtime, tracking_id, Action.DISPATCH, unit="dinas-pupr", message_to_reporter="Besok.")
    work()
    assert "Besok." in fake_sendsms.sent[-1].text and len(fake_sendsms.sent) == 3
