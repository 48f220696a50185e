"""Bounces ("bukan wewenang", issue 19): past SATUPINTU_MAX_BOUNCES units may bounce a case no
more and the coordinator decides; the dispatch form never pre-selects a unit and, after a
bounce, suggests the unit the rules rank next, without the one that bounced."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    UNIT,
    act,
    case,
    fast_hashing,
    login,
    set_owner,
    web_complaint,
)

from casestore.lifecycle import Action, Refusal, TransitionError, allowed_actions, apply_action
from casestore.models import Complaint
from config.settings import ConfigError, load_settings

pytestmark = pytest.mark.usefixtures("fast_hashing")


def dispatch_options(html: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of each option of the dispatch form's unit select."""
    form = re.search(r'data-action="dispatch".*?</form>', html, re.S).group(0)
    select = re.search(r'<select[^>]*name="unit".*?</select>', form, re.S).group(0)
    return [
        (value, "selected" in attrs, label.strip())
        for value, attrs, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select
        )
    ]


def bounce_by(app, runtime, tracking_id: str, unit: str, username: str):
    """The coordinator dispatches the case to ``unit``, whose admin bounces it."""
    coordinator = app.test_client()
    login(coordinator, "koord")
    assert act(coordinator, tracking_id, "dispatch", unit=unit).status_code == 303
    admin = app.test_client()
    login(admin, username)
    return admin, act(admin, tracking_id, "bounce", reason="not_authority", note="Bukan kami")


def test_after_the_limit_a_unit_may_not_bounce_and_the_coordinator_decides(
    app, runtime, work, staff
):
    assert runtime.settings.max_bounces == 2
    tracking_id = web_complaint(runtime, "desk-bounce-limit-0001")
    work()
    set_owner(runtime, tracking_id, runtime.coordinator, status="verified")
    for _ in range(2):
        _, response = bounce_by(app, runtime, tracking_id, UNIT, "camat-lt")
        assert response.status_code == 303
        assert case(runtime, tracking_id).status == "bounced"

    # A third dispatch: the unit's page offers no bounce, and one sent anyway is refused.
    admin, response = bounce_by(app, runtime, tracking_id, UNIT, "camat-lt")
    assert response.status_code == 303
    assert case(runtime, tracking_id).status == "dispatched"
    assert case(runtime, tracking_id).owner_unit == UNIT
    page = admin.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    assert "sudah 2 kali dikembalikan (batas 2)" in page  # the refusal, flashed
    assert 'data-action="bounce"' not in page
    assert "Batas 2 kali tercapai" in page  # shown on the case page
    assert 'data-action="start"' in page  # the unit's work is still theirs

    # The coordinator still decides: re-dispatch elsewhere.
    coordinator = app.test_client()
    login(coordinator, "koord")
    assert act(coordinator, tracking_id, "dispatch", unit=OTHER_UNIT).status_code == 303
    assert case(runtime, tracking_id).owner_unit == OTHER_UNIT


def test_the_limit_speaks_both_languages_and_is_a_setting(runtime, work, staff):
    tracking_id = web_complaint(runtime, "desk-bounce-limit-0002")
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched")
    now = datetime.now(UTC)
    with runtime.sessions() as db:
        complaint = db.query(Complaint).filter_by(tracking_id=tracking_id).one()
        assert Action.BOUNCE in allowed_actions(complaint, now, max_bounces=1)
        assert Action.BOUNCE not in allowed_actions(complaint, now, max_bounces=0)
        with pytest.raises(TransitionError) as refused:
            apply_action(
                db,
                complaint,
                Action.BOUNCE,
                actor="operator:camat-lt",
                now=now,
                reason="not_authority",
                max_bounces=0,
            )
    assert refused.value.code is Refusal.BOUNCE_LIMIT
    assert "bounced 0 times (the limit is 0)" in refused.value.message("en")
    assert "0 kali dikembalikan" in refused.value.message("id")
    assert load_settings({"SATUPINTU_MAX_BOUNCES": "5"}, data_dir=runtime.settings.data_dir)
    with pytest.raises(ConfigError, match="MAX_BOUNCES"):
        load_settings({"SATUPINTU_MAX_BOUNCES": "-1"}, data_dir=runtime.settings.data_dir)


def test_the_dispatch_form_suggests_the_next_unit_and_selects_none(app, runtime, work, staff):
    # Public order in Linge: the camat's office first (routing.toml's override), then Satpol PP.
    tracking_id = web_complaint(runtime, "desk-bounce-suggest-01", kecamatan="11.04.01")
    work()
    set_owner(runtime, tracking_id, runtime.coordinator, status="verified", category="ketertiban")
    coordinator = app.test_client()
    login(coordinator, "koord")
    before = dispatch_options(
        coordinator.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    )
    assert [value for value, selected, _ in before if selected] == [""]  # "choose", disabled
    assert before[1][0] == OTHER_UNIT and "disarankan" in before[1][2]

    _, response = bounce_by(app, runtime, tracking_id, OTHER_UNIT, "camat-linge")
    assert response.status_code == 303
    after = dispatch_options(
        coordinator.get(f"/console/cases/{tracking_id}").get_data(as_text=True)
    )
    assert [value for value, selected, _ in after if selected] == [""]
    assert after[1][0] == "satpol-pp" and "disarankan" in after[1][2]
    marked = [value for value, _, label in after if "disarankan" in label]
    assert marked == ["satpol-pp"]  # the unit that bounced it is not suggested again


def test_a_units_api_key_is_held_to_the_limit_too(client, runtime, work, staff):
    from casestore import api_keys

    tracking_id = web_complaint(runtime, "desk-bounce-limit-api1")
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched")
    with runtime.sessions.begin() as session:
        key = api_keys.create_key(session, "sistem camat", UNIT).key
    limited = runtime.settings.replace(max_bounces=0)
    runtime.settings = limited
    response = client.post(
        f"/api/v1/cases/{tracking_id}/actions",
        json={"action": "bounce", "reason": "not_authority"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 409, response.get_data(as_text=True)
    problem = response.get_json()
    assert problem["code"] == "bounce_limit" and "the limit is 0" in problem["detail"]
    assert case(runtime, tracking_id).status == "dispatched"


def test_an_external_units_refusal_comes_back_past_the_limit(runtime, work, staff):
    """Jobs act for systems: a case an external unit refused returns to the coordinator
    whatever the count (it must never stay with an owner who will not act)."""
    from dispatcher.casework import apply_and_tell

    tracking_id = web_complaint(runtime, "desk-bounce-limit-fed1")
    work()
    set_owner(runtime, tracking_id, UNIT, status="dispatched")
    runtime.settings = runtime.settings.replace(max_bounces=0)
    with runtime.sessions.begin() as db:
        complaint = db.query(Complaint).filter_by(tracking_id=tracking_id).one()
        apply_and_tell(
            db,
            complaint,
            Action.BOUNCE,
            runtime,
            actor="federation:pupr-aceh",
            now=datetime.now(UTC),
            reason="other",
            note="Tidak diterima oleh Dinas PUPR Aceh: bukan wewenang provinsi",
        )
    assert case(runtime, tracking_id).status == "bounced"
    assert case(runtime, tracking_id).owner_unit == runtime.coordinator
