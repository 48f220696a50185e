"""A ComplaintRecord for tests that open cases in the store directly, without intake."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from normalizer.records import Channel, ComplaintRecord, Intent, Privacy


def complaint_record(
    idempotency_key: str,
    received_at: datetime,
    *,
    text: str = "Jalan rusak",
    privacy: str = "public",
    language: str = "id",
    contact_urn: str = "",
    **fields: Any,
) -> ComplaintRecord:
    """A new complaint whose channel and external id are its idempotency key's two parts."""
    channel, _, external_id = idempotency_key.partition(":")
    return ComplaintRecord(
        idempotency_key=idempotency_key,
        tracking_id="",
        intent=Intent.NEW,
        channel=Channel(channel) if channel in Channel._value2member_map_ else Channel.SMS,
        provider="test",
        external_id=external_id,
        contact_urn=contact_urn,
        text=text,
        language=language,
        privacy=Privacy(privacy),
        received_at=received_at,
        **fields,
    )
