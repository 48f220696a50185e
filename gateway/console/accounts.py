"""/console/accounts: the coordinator manages operator accounts in the console (issue 19).

Add a unit's admin (a one-time password, shown once, changed at first login), disable and
enable accounts, reset a password (a new one-time password). Every change is in the audit
trail. A unit's admin gets 404 on every URL here. The `satupintu operator` CLI stays.

A one-time password is rendered in the POST's own answer, never flashed: the flash would
travel in the session cookie.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from casestore import operators as store
from casestore.audit import AuditKind
from gateway.console import trail
from gateway.console.auth import operator
from gateway.context import runtime
from gateway.i18n import t

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

MAX_NAME_CHARS = 200


@bp.before_request
def coordinator_only():
    if not operator().is_coordinator:
        abort(404)


def _one_time_password(username: str) -> str:
    """A generated password the account rules accept (it never contains the username)."""
    while True:
        password = store.generate_password()
        if store.password_problem(password, username) is None:
            return password


def _units() -> dict[str, str]:
    return {u.code: u.name for u in runtime().units if u.kind != "coordinator"}


def _page(status: int = 200, *, error: str | None = None, issued: dict | None = None, form=None):
    with runtime().sessions() as db:
        people = [
            {
                "username": o.username,
                "display_name": o.display_name,
                "role": o.role,
                "unit_code": o.unit_code,
                "active": o.active,
                "last_login_at": o.last_login_at,
                "must_change_password": o.must_change_password,
            }
            for o in store.list_operators(db)
        ]
    page = render_template(
        "console/accounts.html",
        people=people,
        units=_units(),
        error=error,
        issued=issued,
        form=form or {},
    )
    return page, status


@bp.get("")
def account_list():
    return _page()


@bp.post("")
def add_account():
    """A new unit admin, with a one-time password shown once."""
    username = store.normalize_username(request.form.get("username", "")[:200])
    unit = request.form.get("unit", "")
    name = request.form.get("display_name", "").strip()[:MAX_NAME_CHARS]
    form = {"username": username, "unit": unit, "display_name": name}
    if not store.USERNAME.match(username):
        return _page(422, error=t("console.accounts.bad_username"), form=form)
    if unit not in _units():
        return _page(422, error=t("console.accounts.bad_unit"), form=form)
    password = _one_time_password(username)
    with runtime().sessions.begin() as db:
        taken = store.operator_by_username(db, username) is not None
        if not taken:
            store.create_operator(
                db,
                username=username,
                password=password,
                role=store.Role.UNIT,
                unit_code=unit,
                display_name=name,
                must_change_password=True,
            )
            detail = {"role": "unit", "unit": unit}
            trail.note(db, AuditKind.ACCOUNT_CREATED, target=username, detail=detail)
    # The page is read in its own transaction, after this one (SQLite has one writer).
    if taken:
        return _page(422, error=t("console.accounts.exists"), form=form)
    return _page(201, issued={"username": username, "password": password})


def _account(db, username: str):
    account = store.operator_by_username(db, username)
    if account is None:
        abort(404)
    return account


@bp.post("/<username>/active")
def set_active(username: str):
    """Disable (its sessions end at once) or enable an account; never one's own."""
    active = request.form.get("active") == "1"
    if store.normalize_username(username) == operator().username:
        flash(t("console.accounts.not_yourself"), "error")
        return redirect(url_for("console.accounts.account_list"), 303)
    with runtime().sessions.begin() as db:
        account = _account(db, username)
        store.set_active(db, account.username, active)
        change = "enabled" if active else "disabled"
        trail.note(
            db, AuditKind.ACCOUNT_CHANGED, target=account.username, detail={"change": change}
        )
    flash(t(f"console.accounts.{'enabled' if active else 'disabled'}"), "info")
    return redirect(url_for("console.accounts.account_list"), 303)


@bp.post("/<username>/password")
def reset_password(username: str):
    """A new one-time password, shown once; the old one and every session end now."""
    if store.normalize_username(username) == operator().username:
        flash(t("console.accounts.not_yourself"), "error")
        return redirect(url_for("console.accounts.account_list"), 303)
    password = _one_time_password(store.normalize_username(username))
    with runtime().sessions.begin() as db:
        account = _account(db, username)
        store.set_password(account, password, must_change=True)
        detail = {"change": "password_reset"}
        trail.note(db, AuditKind.ACCOUNT_CHANGED, target=account.username, detail=detail)
        name = account.username
    return _page(issued={"username": name, "password": password})
