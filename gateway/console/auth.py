"""Operators' access to the console: log in, log out, change the password, and who may see what.

Flask-Login keeps the operator id in the signed session cookie; the account is read again on
every console request. The session id also carries the operator's session epoch (a column),
which logout, a password change and disabling bump: a cookie saved before any of them no longer
opens the console, on any web process and after restarts. Login attempts are counted in Redis
per username and per client address *before* the password is checked (one atomic script), so
parallel guesses cannot slip past the limit. Sessions end after ``console_session_hours``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from casestore import operators as accounts
from casestore.audit import AuditKind
from casestore.models import Operator, Unit
from gateway import ratelimit
from gateway.console import trail
from gateway.context import runtime
from gateway.extensions import login_manager
from gateway.i18n import t

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

MAX_USERNAME_CHARS = 80


@dataclass(frozen=True)
class OperatorUser:
    """The logged-in operator as the console sees them for one request."""

    id: int
    username: str
    display_name: str
    role: str
    unit_code: str | None
    unit_name: str
    must_change_password: bool
    session_epoch: int

    is_authenticated = True
    is_active = True
    is_anonymous = False

    @property
    def is_coordinator(self) -> bool:
        return self.role == accounts.Role.COORDINATOR

    @property
    def actor(self) -> str:
        """How this operator is named in the audit trail."""
        return f"operator:{self.username}"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    def can_see(self, owner_unit: str) -> bool:
        return self.is_coordinator or owner_unit == self.unit_code


def _user(operator: Operator, unit: Unit | None) -> OperatorUser:
    return OperatorUser(
        id=operator.id,
        username=operator.username,
        display_name=operator.display_name or operator.username,
        role=operator.role,
        unit_code=operator.unit_code,
        unit_name=(unit.name if unit else "") if operator.unit_code else "",
        must_change_password=operator.must_change_password,
        session_epoch=operator.session_epoch or 0,
    )


@login_manager.user_loader
def load_operator(user_id: str) -> OperatorUser | None:
    number, _, epoch = user_id.partition(":")
    if not number.isdigit() or not epoch.isdigit():
        return None
    with runtime().sessions() as db:
        operator = db.get(Operator, int(number))
        if operator is None or not operator.active or operator.session_epoch != int(epoch):
            return None
        unit = db.get(Unit, operator.unit_code) if operator.unit_code else None
        return _user(operator, unit)


@login_manager.unauthorized_handler
def unauthorized():
    if _wants_fragment():
        return {"error": "login required"}, 401
    return redirect(url_for("console.auth.login", next=request.full_path.rstrip("?")))


def _wants_fragment() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or (
        request.accept_mimetypes.best == "application/json"
    )


# --- who may see what -------------------------------------------------------------------


def operator() -> OperatorUser:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def coordinator_only(view):
    """Pages and actions for the coordinator; for unit operators they do not exist (404)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not operator().is_coordinator:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


OPEN_ENDPOINTS = frozenset({"console.auth.login"})
PASSWORD_ENDPOINTS = frozenset({"console.auth.password", "console.auth.logout", "console.help"})


def require_operator():
    """Every console request: logged in, session not expired, first password changed."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    started = session.get("login_at", 0)
    if time.time() - started > runtime().settings.console_session_hours * 3600:
        _end_session()
        flash(t("console.login.expired"), "info")
        return current_app.login_manager.unauthorized()
    if operator().must_change_password and request.endpoint not in PASSWORD_ENDPOINTS:
        return redirect(url_for("console.auth.password"))
    return None


def _end_session() -> None:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


# --- the login throttle -----------------------------------------------------------------

# Reserve one attempt on every (this window, previous window) pair of counters, or none:
# refused (0) when any pair already holds its limit. One script, so twenty parallel tries
# cannot all read "4 of 5" before any of them counts.
_RESERVE = """
local n = #KEYS / 2
for i = 1, n do
  local used = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
    + tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if used >= tonumber(ARGV[i]) then return 0 end
end
for i = 1, n do
  redis.call('INCR', KEYS[2 * i - 1])
  redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[n + 1])
end
return 1
"""
_scripts: dict[str, Any] = {}  # source -> redis-py Script (it knows its SHA)


@dataclass(frozen=True)
class Attempt:
    """One login attempt counted before its password is checked (the counters it raised)."""

    connection: redis.Redis | None
    keys: tuple[str, ...] = ()

    def give_back(self) -> None:
        """The attempt succeeded (or checked no password): it does not count as a failure."""
        if self.connection is None or not self.keys:
            return
        try:
            pipe = self.connection.pipeline(transaction=True)
            for key in self.keys:
                pipe.decr(key)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("login attempt not given back, redis unavailable: %s", type(exc).__name__)


class LoginThrottle:
    """Login attempts per username and per client address, counted before the password check.

    Each attempt is reserved first; a success gives it back, so the counters hold failures.
    The keys are gateway.ratelimit's failure counters. When Redis is down the counters fail
    open: the console must stay usable to show that Redis is down, and argon2 keeps each
    guess slow regardless.
    """

    def __init__(self, connection: redis.Redis, *, per_user: int, per_ip: int, window: int):
        self.connection = connection
        self.per_user, self.per_ip, self.window = per_user, per_ip, window

    def _clients(self, username: str, address: str) -> list[tuple[str, str, int]]:
        return [
            ("login-user", accounts.normalize_username(username), self.per_user),
            ("login-ip", address, self.per_ip),
        ]

    def reserve(self, username: str, address: str) -> Attempt | None:
        """Count one attempt now; None when the pair is over its limit (refuse unchecked)."""
        bucket = int(time.time() // self.window)
        counted, keys, limits = [], [], []
        for scope, client, limit in self._clients(username, address):
            base = f"{ratelimit.client_key(scope, client)}:fail:"
            counted.append(f"{base}{bucket}")
            keys += [f"{base}{bucket}", f"{base}{bucket - 1}"]
            limits.append(limit)
        try:
            script = _scripts.get(_RESERVE)
            if script is None:
                script = _scripts[_RESERVE] = self.connection.register_script(_RESERVE)
            reserved = script(
                keys=keys, args=[*limits, 2 * self.window + 60], client=self.connection
            )
        except redis.RedisError as exc:
            log.warning("login attempt not counted, redis unavailable: %s", type(exc).__name__)
            return Attempt(None)
        return Attempt(self.connection, tuple(counted)) if reserved else None

    def retry_after(self) -> int:
        """Seconds until the current window ends (the earliest a refused pair may try again)."""
        return max(1, self.window - int(time.time()) % self.window)


def throttle() -> LoginThrottle:
    rt = runtime()
    s = rt.settings
    return LoginThrottle(
        rt.redis,
        per_user=s.console_login_max_failures,
        per_ip=s.console_login_max_failures_per_ip,
        window=s.console_login_window_seconds,
    )


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never another host (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and parts.path.startswith("/console")
            and "\\" not in target
        ):
            return target
    return url_for("console.home")


# --- views ------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("console.home"))
        return render_template("console/login.html", username="", error=None)
    username = request.form.get("username", "")[:MAX_USERNAME_CHARS].strip()
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    guard = throttle()
    attempt = guard.reserve(username, address)
    if attempt is None:
        wait = guard.retry_after()
        minutes = max(1, round(wait / 60))
        error = t("console.login.throttled").format(minutes=minutes)
        page = render_template("console/login.html", username=username, error=error)
        return page, 429, {"Retry-After": str(wait)}
    if not username or not password:
        attempt.give_back()  # no password checked
        error = t("console.login.failed")
        return render_template("console/login.html", username=username, error=error), 401
    rt = runtime()
    with rt.sessions.begin() as db:
        check = accounts.check_login(db, username, password, datetime.now(UTC))
        user = None
        if check.ok and check.operator is not None:
            unit = db.get(Unit, check.operator.unit_code) if check.operator.unit_code else None
            user = _user(check.operator, unit)
        kind = AuditKind.LOGIN if user else AuditKind.LOGIN_FAILED
        trail.note(db, kind, username=username, unit_code=user.unit_code if user else None)
    if user is None:  # the reserved attempt stays counted as a failure
        current_app.logger.info("console login refused for %r", username)
        error = t("console.login.failed")
        return render_template("console/login.html", username=username, error=error), 401
    attempt.give_back()
    target = _safe_next(request.args.get("next"))
    # A fresh session on login: nothing set before it (by anyone) survives into it.
    _end_session()
    login_user(user)
    session["login_at"] = time.time()
    current_app.logger.info("console login: %s (%s)", user.username, user.role)
    if user.must_change_password:
        return redirect(url_for("console.auth.password"))
    return redirect(target)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Server side too: the cookie alone (or a copy of it) must not open the console again.
        with runtime().sessions.begin() as db:
            account = db.get(Operator, operator().id)
            if account is not None:
                accounts.end_sessions(account)
                trail.note(db, AuditKind.LOGOUT)
    _end_session()
    flash(t("console.logout.done"), "info")
    return redirect(url_for("console.auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    me = operator()
    if request.method == "GET":
        return render_template("console/password.html", error=None)
    attempt = throttle().reserve(me.username, request.remote_addr or "unknown")
    if attempt is None:
        return render_template("console/password.html", error=t("console.login.too_many")), 429
    current = request.form.get("current", "")
    new = request.form.get("new", "")
    confirm = request.form.get("confirm", "")
    error = None
    if new != confirm:
        error = t("console.password.mismatch")
    elif new == current:
        error = t("console.password.same")
    elif accounts.password_problem(new, me.username):
        error = t("console.password.weak").format(chars=accounts.MIN_PASSWORD_CHARS)
    if error is not None:
        attempt.give_back()  # no password checked
    else:
        with runtime().sessions.begin() as db:
            account = db.get(Operator, me.id)
            if account is None or not accounts.check_password(account, current):
                # Guessing the current password from a hijacked session counts as a failed
                # login: the reserved attempt stays counted.
                error = t("console.password.wrong")
            else:
                attempt.give_back()
                accounts.set_password(account, new)
                trail.note(db, AuditKind.PASSWORD_CHANGED, target=account.username)
                unit = db.get(Unit, account.unit_code) if account.unit_code else None
                user = _user(account, unit)
    if error is not None:
        return render_template("console/password.html", error=error), 422
    # set_password ended every session of this operator: renew this one under the new epoch.
    login_user(user)
    flash(t("console.password.changed"), "info")
    return redirect(url_for("console.home"))
