"""Which external unit and connector a forward speaks to, and the token it goes under.

Shared by the forward, poll and push jobs: nothing here touches a case.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.federation import Connector, RemoteRefused, connector_for
from config.external_units import connector_key
from config.reference import Unit
from dispatcher.runtime import Runtime


def token_for(tracking_id: str, unit_code: str) -> str:
    """The idempotency key of a case's handover to a unit (16-64 of [A-Za-z0-9_-])."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in unit_code)
    return f"sp-{tracking_id}-{safe}"[:64]


def unit_of_token(units: Sequence[Unit], token: str) -> Unit | None:
    """The SatuPintu-connected external unit a handover token of ours was made for."""
    for unit in units:
        if unit.link is None or unit.link.connector != "satupintu":
            continue
        suffix = token_for("", unit.code)[len("sp-") :]
        tracking_id = token[len("sp-") : -len(suffix)] if token.endswith(suffix) else ""
        if token.startswith("sp-") and tracking_id.isalnum():
            return unit
    return None


def unit_for(rt: Runtime, code: str) -> Unit:
    """The external unit ``code``, switched on; RemoteRefused when it is not (any more)."""
    unit = next((u for u in rt.units if u.code == code), None)
    if unit is None or unit.link is None or not unit.link.enabled:
        raise RemoteRefused(f"unit {code} is not an external unit with an endpoint any more")
    return unit


def connector_of(unit: Unit) -> Connector:
    """The unit's connector, with its key from the environment."""
    assert unit.link is not None
    return connector_for(unit.link.connector, unit.link.endpoint, connector_key(unit.code))
