"""Hostile values at every field of a signed Twilio webhook (issue 13): never a 5xx, and
every message acknowledged (the empty TwiML) is stored once the worker ran.

A form body cannot carry a lone surrogate (it arrives as bytes werkzeug replaces), so the
values are tests/hostile.py's odd strings: NUL bytes, huge text, odd digits, calendar edges.
"""

from __future__ import annotations

import itertools

from hostile import (
    DROP,
    FEW_STRINGS,
    ODD_STRINGS,
    SWEEP,
    Acknowledged,
    assert_no_server_error,
    grid,
)
from hostile import changes as hostile_changes
from hypothesis import given
from hypothesis import strategies as st

_sids = itertools.count()
EXTRA = ["ProfileName", "WaId", "Latitude", "Longitude", "MediaUrl0", "MediaContentType0"]


def test_the_sms_webhook_never_fails_and_keeps_what_it_acknowledged(twilio, runtime, work):
    base = twilio.params("sms_basic")
    names = list(dict.fromkeys([k for k, _ in base] + EXTRA))
    acknowledged = Acknowledged()

    def send(edits, duplicate=None, from_whatsapp=False):
        sid = f"SM{next(_sids):032x}"
        params = dict(base, MessageSid=sid, SmsSid=sid, SmsMessageSid=sid)
        if from_whatsapp:
            params["From"] = "whatsapp:+6281234567890"
        for name, value in edits:
            if value is DROP:
                params.pop(name, None)
            else:
                params[name] = value
        pairs = list(params.items())
        if duplicate is not None:
            pairs.append((duplicate, "dua kali"))
        response = twilio.post(pairs)
        assert_no_server_error(response, str(pairs)[:300])
        if response.status_code < 300:
            acknowledged.external_ids.append(params.get("MessageSid", ""))

    for edits in grid(names, FEW_STRINGS):
        send(edits)

    @given(
        edits=hostile_changes(names, st.sampled_from(ODD_STRINGS) | st.text(max_size=30)),
        duplicate=st.none() | st.sampled_from(names),
        from_whatsapp=st.booleans(),
    )
    @SWEEP
    def sweep(edits, duplicate, from_whatsapp):
        send(edits, duplicate, from_whatsapp)

    sweep()
    acknowledged.check(runtime, work)
