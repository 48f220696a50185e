"""The SLA policy (issue 20): the deadlines of a complaint as versioned, cited rules, with
overrides per category and per unit for local SOPs (config/data/sla_policy.toml, or the file
in SATUPINTU_SLA_POLICY_FILE).

A case is stamped with the version in force on the local day it was received
(``SlaPolicy.version_on``) and keeps it: a new version applies to new cases only. The clocks
(casestore/clock.py) read a version's ``Terms`` for the case's category and owning unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from config.reference import DATA_DIR, ReferenceDataError, read_toml

SLA_POLICY_FILE = DATA_DIR / "sla_policy.toml"
DAY_FIELDS = (
    "verify_days", "follow_up_days", "hard_limit_days", "answer_days", "warn_days_before",
)  # fmt: skip
# What happens to a case whose wait for the reporter ran out (``on_wait_expired``): back to
# the status it had, the owner's clock running again ("resume"), or archived as no response.
WAIT_EXPIRY = ("resume", "archive")


@dataclass(frozen=True)
class Terms:
    """The numbers a clock runs on, in working days."""

    verify_days: int = 3
    follow_up_days: int = 5
    hard_limit_days: int = 60
    answer_days: int = 10
    warn_days_before: int = 1
    # Waiting for the reporter (issue 20): whether the owner's clocks stop while the case
    # waits for the citizen's answer, how long it waits at most, and what happens then.
    # Optional in a version (a version written before them gets these).
    pause_while_waiting: bool = True
    max_wait_days: int = 10
    on_wait_expired: str = "resume"


# PermenPANRB 62/2018 as SatuPintu has always used it: the terms of a case with no version.
NATIONAL = Terms()


@dataclass(frozen=True)
class Override:
    category: str | None
    unit: str | None
    changes: Mapping[str, Any]

    def matches(self, category: str | None, unit: str | None) -> bool:
        return (self.category is None or self.category == category) and (
            self.unit is None or self.unit == unit
        )

    @property
    def specificity(self) -> int:
        return (self.category is not None) + 2 * (self.unit is not None)


@dataclass(frozen=True)
class PolicyVersion:
    id: str
    effective_from: date
    citation: str
    note: str
    terms: Terms
    overrides: tuple[Override, ...] = field(default=())

    def terms_for(self, category: str | None = None, unit: str | None = None) -> Terms:
        """The terms for a case of ``category`` owned by ``unit``: the version's, changed by
        every matching override, the most specific last (so it wins)."""
        terms = self.terms
        found = [o for o in self.overrides if o.matches(category, unit)]
        for override in sorted(found, key=lambda o: o.specificity):
            terms = replace(terms, **override.changes)
        return terms


@dataclass(frozen=True)
class SlaPolicy:
    versions: tuple[PolicyVersion, ...]  # oldest first

    def version_on(self, day: date) -> PolicyVersion:
        """The version in force on local ``day`` (the oldest one for a day before them all)."""
        current = self.versions[0]
        for version in self.versions:
            if version.effective_from <= day:
                current = version
        return current

    def version(self, version_id: str | None) -> PolicyVersion | None:
        return next((v for v in self.versions if v.id == version_id), None)


def load_sla_policy(path: str | Path | None = None) -> SlaPolicy:
    """The policy in ``path`` (default config/data/sla_policy.toml), checked."""
    return _default_policy() if path is None else _read_policy(Path(path))


@cache
def _default_policy() -> SlaPolicy:
    return _read_policy(SLA_POLICY_FILE)


def _days(where: str, entry: Mapping[str, Any], name: str, low: int) -> int:
    value = entry[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ReferenceDataError(f"{where}: {name} must be a whole number >= {low}")
    return value


def _changes(where: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(Terms)}
    changes: dict[str, Any] = {}
    for name in entry:
        if name in ("id", "effective_from", "citation", "note", "override", "category", "unit"):
            continue
        if name not in known:
            raise ReferenceDataError(f"{where}: unknown field {name!r}")
        if name == "pause_while_waiting":
            if not isinstance(entry[name], bool):
                raise ReferenceDataError(f"{where}: {name} must be true or false")
            changes[name] = entry[name]
            continue
        if name == "on_wait_expired":
            if entry[name] not in WAIT_EXPIRY:
                raise ReferenceDataError(f"{where}: {name} must be one of {', '.join(WAIT_EXPIRY)}")
            changes[name] = entry[name]
            continue
        changes[name] = _days(where, entry, name, 0 if name == "warn_days_before" else 1)
    return changes


def _version(path: Path, index: int, entry: Mapping[str, Any]) -> PolicyVersion:
    where = f"{path}: [[version]] #{index + 1}"
    for name in ("id", "citation"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            raise ReferenceDataError(f"{where}: {name} is required")
    if len(entry["id"]) > 40:
        raise ReferenceDataError(f"{where}: id must be at most 40 characters")
    effective = entry.get("effective_from")
    if not isinstance(effective, date):
        raise ReferenceDataError(f"{where}: effective_from must be a date (YYYY-MM-DD)")
    changes = _changes(where, entry)
    missing = [name for name in DAY_FIELDS if name not in changes]
    if missing:
        raise ReferenceDataError(f"{where}: missing {', '.join(missing)}")
    overrides = []
    for n, raw in enumerate(entry.get("override", [])):
        place = f"{where} override #{n + 1}"
        category, unit = raw.get("category"), raw.get("unit")
        if category is None and unit is None:
            raise ReferenceDataError(f"{place}: needs a category, a unit or both")
        overrides.append(Override(category, unit, _changes(place, raw)))
    return PolicyVersion(
        id=entry["id"].strip(),
        effective_from=effective,
        citation=entry["citation"].strip(),
        note=str(entry.get("note", "")).strip(),
        terms=Terms(**changes),
        overrides=tuple(overrides),
    )


def _read_policy(path: Path) -> SlaPolicy:
    entries = read_toml(path).get("version")
    if not isinstance(entries, list) or not entries:
        raise ReferenceDataError(f"{path}: needs at least one [[version]] entry")
    versions = sorted(
        (_version(path, n, e) for n, e in enumerate(entries)), key=lambda v: v.effective_from
    )
    ids = [v.id for v in versions]
    if len(set(ids)) != len(ids):
        raise ReferenceDataError(f"{path}: version ids must be unique")
    days = [v.effective_from for v in versions]
    if len(set(days)) != len(days):
        raise ReferenceDataError(f"{path}: two versions take effect on the same day")
    return SlaPolicy(tuple(versions))
