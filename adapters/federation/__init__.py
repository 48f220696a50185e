"""Connectors to organizations outside the district: a case handed over and followed.

Not a channel (no citizen writes through them); they send as adapters do. ``connector_for``
builds the one a unit's ``connector`` names, with the key from its environment variable.
"""

from __future__ import annotations

from adapters.federation.base import (
    REMOTE_STATES,
    Connector,
    Handover,
    RemoteCase,
    RemoteRefused,
    RemoteUnavailable,
)
from adapters.federation.open311 import Open311Connector
from adapters.federation.satupintu import SatuPintuConnector

CONNECTORS: dict[str, type] = {"open311": Open311Connector, "satupintu": SatuPintuConnector}


def connector_for(connector: str, endpoint: str, key: str) -> Connector:
    """The connector named ``connector`` for ``endpoint``; KeyError for an unknown name."""
    return CONNECTORS[connector](endpoint, key)


__all__ = [
    "CONNECTORS",
    "REMOTE_STATES",
    "Connector",
    "Handover",
    "RemoteCase",
    "RemoteRefused",
    "RemoteUnavailable",
    "connector_for",
]
