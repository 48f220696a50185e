"""External units: organizations outside the district that a case can be handed to.

A unit in the units file with ``external = true`` is owned elsewhere (the province's public
works, the land office, the police, the electricity company). Its ``connector`` says how
cases reach it: ``open311`` (any GeoReport v2 server) or ``satupintu`` (another SatuPintu's
JSON API). ``endpoint`` is its base URL; without one the unit is listed but switched off
(a case cannot be dispatched to it). ``service_code`` is the default Open311 service and
``[unit.service_codes]`` maps our category codes to the remote's. The connector's key is
never in a file: it comes from ``SATUPINTU_CONNECTOR_KEY_<UNIT CODE>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

CONNECTORS = ("open311", "satupintu")
EXTERNAL_KEYS = frozenset({"external", "connector", "endpoint", "service_code", "service_codes"})
KEY_PREFIX = "SATUPINTU_CONNECTOR_KEY_"


class ExternalUnitError(ValueError):
    """An external unit's entry is malformed; the message names the entry and the key."""


@dataclass(frozen=True)
class ExternalLink:
    """How cases reach an external unit."""

    connector: str
    endpoint: str = ""
    service_code: str | None = None
    service_codes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def enabled(self) -> bool:
        """Switched on: it has somewhere to send to."""
        return bool(self.endpoint)

    def service_for(self, category: str | None) -> str | None:
        """The remote's service code for one of our categories, else the default."""
        return dict(self.service_codes).get(category or "", self.service_code)


def key_variable(unit_code: str) -> str:
    """``SATUPINTU_CONNECTOR_KEY_<UNIT CODE>``: upper case, ``-`` and ``.`` as ``_``."""
    return KEY_PREFIX + unit_code.upper().replace("-", "_").replace(".", "_")


def connector_key(unit_code: str, environ: Mapping[str, str] | None = None) -> str:
    """The unit's connector key from the environment ('' when unset)."""
    env = os.environ if environ is None else environ
    return env.get(key_variable(unit_code), "").strip()


def external_link(where: str, entry: Mapping[str, Any]) -> ExternalLink | None:
    """The entry's link when it says ``external = true``; checks every external key."""
    external = entry.get("external", False)
    if not isinstance(external, bool):
        raise ExternalUnitError(f"{where}: external must be true or false")
    if not external:
        stray = sorted((EXTERNAL_KEYS - {"external"}) & entry.keys())
        if stray:
            raise ExternalUnitError(f"{where}: {', '.join(stray)} only for external = true")
        return None
    if entry.get("kind") != "agency":
        raise ExternalUnitError(f"{where}: an external unit has kind = 'agency'")
    connector = entry.get("connector")
    if connector not in CONNECTORS:
        raise ExternalUnitError(f"{where}: connector must be one of {', '.join(CONNECTORS)}")
    endpoint = entry.get("endpoint", "")
    if not isinstance(endpoint, str):
        raise ExternalUnitError(f"{where}: endpoint must be a URL string")
    endpoint = endpoint.strip().rstrip("/")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ExternalUnitError(f"{where}: endpoint must be an http(s) URL")
    service_code = entry.get("service_code")
    if service_code is not None and (not isinstance(service_code, str) or not service_code):
        raise ExternalUnitError(f"{where}: service_code must be a non-empty string")
    codes = entry.get("service_codes", {})
    if not isinstance(codes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in codes.items()
    ):
        raise ExternalUnitError(f"{where}: service_codes maps category codes to service codes")
    return ExternalLink(
        connector=connector,
        endpoint=endpoint,
        service_code=service_code,
        service_codes=tuple(sorted(codes.items())),
    )
