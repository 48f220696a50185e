"""Who is answered on which channel, and in what words: shared by intake and notifications.

The channel facts come from ``adapters.registry``: the gateway answers only channels with a
sender (web, API and Open311 citizens are told at the address they typed, when a channel
reaches it: ``typed_address_channel``), a channel whose replies are
public (a reply tweet) tells a confidential case only that it arrived, and a reply meets the
channel's own length limit on top of the two-SMS budget of every reply.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.registry import CHANNELS, channels_where, sender_for, spec_for
from casestore.models import Complaint
from dispatcher.runtime import Runtime
from normalizer.records import Channel
from normalizer.replies import render_reply
from normalizer.tracking import format_tracking_id

# Channels the gateway can answer on by itself; web and API citizens read the tracking page.
REPLY_CHANNELS = channels_where(lambda spec: spec.answers_citizens)
# Channels whose replies anyone can read (a reply tweet): a confidential case is only
# ever told there that it arrived.
PUBLIC_REPLY_CHANNELS = channels_where(lambda spec: spec.public_replies)
# A channel's own length limit on top of the SMS budget every reply meets.
REPLY_LIMITS: dict[Channel, Callable[[str], bool]] = {
    c: spec.reply_fits for c, spec in CHANNELS.items() if spec.reply_fits is not None
}


def means_unsubscribed(channel: Channel | str, error_code: str | None) -> bool:
    """Whether the provider's error code says the citizen opted out with the provider."""
    spec = spec_for(channel)
    return error_code is not None and spec is not None and error_code in spec.unsubscribed_codes


def reply_values(runtime: Runtime, complaint: Complaint | None, language: str) -> dict[str, str]:
    """The placeholders every reply template may use."""
    if complaint is None:
        return {"track_url": runtime.public_url}
    unit = next((u for u in runtime.units if u.code == complaint.owner_unit), None)
    unit_name = (
        complaint.owner_unit if unit is None else (unit.name_en if language == "en" else unit.name)
    )
    shown = format_tracking_id(complaint.tracking_id)
    status_label = render_reply(runtime.replies, f"status.{complaint.status}", language)
    return {
        "tracking_id": shown,
        "track_url": f"{runtime.public_url}/track/{complaint.tracking_id}",
        "status": status_label,
        "unit": unit_name,
        "note": "",
    }


def typed_address_channel(address: str, settings: object) -> Channel | None:
    """The channel that reaches an address typed on a form (issue 18), or None: email when
    SMTP is configured, a phone by SMS when an SMS channel is on (its sender in the
    registry: Twilio, or Kannel)."""
    scheme = address.partition(":")[0]
    channel = {"mailto": Channel.EMAIL, "tel": Channel.SMS}.get(scheme)
    if channel is None or sender_for(channel, settings) is None:
        return None
    return channel
