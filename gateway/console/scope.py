"""Which cases an operator may see: all for the coordinator, their unit's for a unit's admin.

Every console URL that names a case loads it through ``load_case``, so another unit's case
answers 404 on the page, its actions and its attachments alike.
"""

from __future__ import annotations

from flask import abort

from casestore.casework import case_in_scope
from gateway.console.auth import operator
from normalizer.tracking import normalize_tracking_id


def scope() -> str | None:
    """The unit whose cases this operator sees; None for the coordinator (every case)."""
    me = operator()
    return None if me.is_coordinator else me.unit_code


def load_case(db, tracking_id: str, *, lock: bool = False):
    """The case if this operator may see it; 404 otherwise (and for malformed ids)."""
    canonical = normalize_tracking_id(tracking_id)
    if canonical is None:
        abort(404)
    complaint = case_in_scope(db, canonical, scope(), lock=lock)
    if complaint is None:
        abort(404)
    return complaint
