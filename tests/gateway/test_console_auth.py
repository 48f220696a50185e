"""Console access: logging in and out, CSRF, the login throttle, sessions, roles."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from console_support import (  # noqa: F401 (fast_hashing is a fixture)
    OTHER_UNIT,
    PASSWORD,
    UNIT,
    add_operator,
    csrf,
    fast_hashing,
    login,
)
from sqlalchemy import select

from casestore import operators as accounts
from casestore.models import Operator

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def staff(runtime):
    add_operator(runtime, "koord", display_name="Bu Koordinator")
    add_operator(runtime, "camat-lt", role="unit", unit=UNIT)
    add_operator(runtime, "camat-linge", role="unit", unit=OTHER_UNIT)


def test_console_pages_need_a_login(client, staff):
    for path in ("/console/", "/console/cases", "/console/help", "/console/password"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/console/login?next=" in response.headers["Location"]


def test_the_monitor_fragment_answers_401_not_a_redirect(client, staff):
    response = client.get("/console/monitor/panel", headers={"X-Requested-With": "fetch"})
    assert response.status_code == 401


def test_login_page_is_indonesian_first_with_an_english_toggle(client):
    page = client.get("/console/login").get_data(as_text=True)
    assert "Masuk petugas" in page and "Kata sandi" in page
    assert "Operator login" in client.get("/console/login?lang=en").get_data(as_text=True)


def test_coordinator_logs_in_sees_the_monitor_and_logs_out(client, runtime, staff):
    response = login(client, "koord")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/")
    page = client.get("/console/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Pantauan penerimaan laporan" in text and "Bu Koordinator" in text
    with runtime.sessions() as db:
        assert accounts.operator_by_username(db, "koord").last_login_at is not None
    logout = client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    assert logout.status_code == 302
    assert client.get("/console/").status_code == 302


def test_login_follows_next_only_inside_the_console(client, staff):
    token = csrf(client)
    form = {"csrf_token": token, "username": "koord", "password": PASSWORD}
    response = client.post("/console/login?next=/console/cases?status=received", data=form)
    assert response.headers["Location"] == "/console/cases?status=received"
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    for hostile in ("https://evil.example/", "//evil.example/console", "/\\evil.example", "/track"):
        token = csrf(client)
        form["csrf_token"] = token
        response = client.post(f"/console/login?next={hostile}", data=form)
        assert response.headers["Location"] == "/console/", hostile
        client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})


@pytest.mark.parametrize(
    ("label", "username", "password"),
    [
        ("wrong password", "koord", "salah-salah-salah"),
        ("unknown user", "nobody", PASSWORD),
        ("empty password", "koord", ""),
        ("empty username", "", PASSWORD),
        ("oversized password", "koord", "x" * 100_000),
        ("hostile username", "koord' OR 1=1 --", PASSWORD),
    ],
)
def test_bad_logins_are_refused_in_the_same_words(client, staff, label, username, password):
    response = login(client, username, password)
    assert response.status_code == 401, label
    assert "Nama pengguna atau kata sandi salah" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_a_disabled_operator_cannot_log_in_and_loses_open_sessions(client, app, runtime, staff):
    other = app.test_client()
    assert login(other, "camat-lt").status_code == 302
    assert other.get("/console/cases").status_code == 200
    with runtime.sessions.begin() as db:
        accounts.set_active(db, "camat-lt", False)
    assert other.get("/console/cases").status_code == 302  # the open session ends at once
    response = login(client, "camat-lt")
    assert response.status_code == 401


def test_login_without_csrf_is_refused(client, staff):
    response = client.post("/console/login", data={"username": "koord", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302


def test_logout_needs_csrf_too(client, staff):
    login(client, "koord")
    assert client.post("/console/logout").status_code == 400
    assert client.get("/console/").status_code == 200


def test_failed_logins_are_rate_limited_per_username(client, runtime, staff):
    limit = runtime.settings.console_login_max_failures
    for _ in range(limit):
        assert login(client, "koord", "salah-salah-salah").status_code == 401
    # Even the right password is refused now, without being checked.
    response = login(client, "koord")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
    # Another operator on the same address is not affected (below the address's limit).
    assert login(client, "camat-lt").status_code == 302


def test_failed_logins_are_rate_limited_per_address(app, runtime, staff):
    limit = 8
    runtime.settings = runtime.settings.replace(console_login_max_failures_per_ip=limit)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for n in range(limit):
        assert login(client, f"guess{n}", "salah-salah-salah").status_code == 401
    assert login(client, "koord").status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert login(elsewhere, "koord").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, staff):
    response = login(client, "koord")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_when_the_public_url_is_https(runtime):
    from gateway.app import create_app

    app = create_app(runtime.settings.replace(public_url="https://lapor.example.go.id"))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_console_responses_are_private(client, staff):
    login(client, "koord")
    response = client.get("/console/cases")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sessions_expire_after_the_configured_hours(client, staff):
    login(client, "koord")
    with client.session_transaction() as session:
        session["login_at"] -= 13 * 3600
    response = client.get("/console/cases")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_first_password_must_be_changed_before_anything_else(client, runtime):
    with runtime.sessions.begin() as db:
        one_time = accounts.ensure_first_coordinator(db)
        assert accounts.ensure_first_coordinator(db) is None  # only on an empty store
    response = login(client, "koordinator", one_time)
    assert response.headers["Location"].endswith("/console/password")
    assert client.get("/console/cases").headers["Location"].endswith("/console/password")
    token = csrf(client, "/console/password")
    form = {"csrf_token": token, "current": one_time, "new": "short", "confirm": "short"}
    assert client.post("/console/password", data=form).status_code == 422
    form.update(new="koordinator-baru-1", confirm="koordinator-baru-1")
    assert client.post("/console/password", data=form).status_code == 422  # has the username
    form.update(current="wrong", new="sandi-baru-yang-kuat", confirm="sandi-baru-yang-kuat")
    assert client.post("/console/password", data=form).status_code == 422
    form.update(current=one_time)
    response = client.post("/console/password", data=form)
    assert response.status_code == 302
    assert client.get("/console/cases").status_code == 200
    with runtime.sessions() as db:
        account = db.scalars(select(Operator).where(Operator.username == "koordinator")).one()
        assert not account.must_change_password
        assert account.password_hash.startswith("$argon2id$")
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    assert login(client, "koordinator", one_time).status_code == 401
    assert login(client, "koordinator", "sandi-baru-yang-kuat").status_code == 302


def test_a_password_change_ends_the_operators_other_sessions(app, runtime, staff):
    first, second = app.test_client(), app.test_client()
    login(first, "koord")
    login(second, "koord")
    token = csrf(first, "/console/password")
    new = "ganti-sandi-sekarang"
    form = {"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new}
    assert first.post("/console/password", data=form).status_code == 302
    assert first.get("/console/cases").status_code == 200
    assert second.get("/console/cases").status_code == 302


def test_unit_operators_land_on_their_work_and_never_see_coordinator_pages(client, staff):
    login(client, "camat-lt")
    home = client.get("/console/")  # what needs the unit now (issue 18)
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/today")
    assert client.get("/console/monitor/panel").status_code == 404


# --- issue 13: a saved session cookie ends with the session ---------------------------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    """A fresh browser holding a cookie captured earlier (same address and user agent)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_cookie_saved_before_logout_no_longer_opens_the_console(client, app, staff):
    login(client, "koord")
    assert client.get("/console/cases").status_code == 200
    saved = _cookie(client)
    assert _replay(app, saved).get("/console/cases").status_code == 200  # the replay works
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    replay = _replay(app, saved)
    response = replay.get("/console/cases")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    fragment = replay.get("/console/monitor/panel", headers={"X-Requested-With": "fetch"})
    assert fragment.status_code == 401


def test_logging_in_again_after_logout_works(client, staff):
    login(client, "koord")
    client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    assert login(client, "koord").status_code == 302
    assert client.get("/console/cases").status_code == 200


def test_a_cookie_saved_before_a_password_change_is_dead_after_it(client, app, staff):
    login(client, "koord")
    saved = _cookie(client)
    token = csrf(client, "/console/password")
    new = "ganti-sandi-sekarang"
    form = {"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new}
    assert client.post("/console/password", data=form).status_code == 302
    assert client.get("/console/cases").status_code == 200  # the current session is renewed
    assert _replay(app, saved).get("/console/cases").status_code == 302


def test_disabling_and_enabling_again_does_not_revive_old_cookies(client, app, runtime, staff):
    login(client, "camat-lt")
    saved = _cookie(client)
    with runtime.sessions.begin() as db:
        accounts.set_active(db, "camat-lt", False)
    with runtime.sessions.begin() as db:
        accounts.set_active(db, "camat-lt", True)
    assert _replay(app, saved).get("/console/cases").status_code == 302
    assert login(app.test_client(), "camat-lt").status_code == 302


def test_the_cli_disable_ends_sessions_for_good(client, app, staff, cli_settings):
    from click.testing import CliRunner

    from gateway.cli import main

    login(client, "camat-lt")
    saved = _cookie(client)
    runner = CliRunner()
    assert runner.invoke(main, ["operator", "disable", "camat-lt"]).exit_code == 0
    assert client.get("/console/cases").status_code == 302
    assert runner.invoke(main, ["operator", "enable", "camat-lt"]).exit_code == 0
    assert _replay(app, saved).get("/console/cases").status_code == 302


class CountingHasher(PasswordHasher):
    """argon2 at its real cost, counting how many passwords it really checked."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash, password) -> bool:
        with self._lock:
            self.checks += 1
        return super().verify(hash, password)


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    app, runtime, staff, monkeypatch
):
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    limit, tries = runtime.settings.console_login_max_failures, 20
    clients = [app.test_client() for _ in range(tries)]
    tokens = [csrf(client) for client in clients]
    start = threading.Barrier(tries)

    def attempt(n: int) -> int:
        form = {"csrf_token": tokens[n], "username": "koord", "password": "salah-salah-salah"}
        start.wait()
        return clients[n].post("/console/login", data=form).status_code

    with ThreadPoolExecutor(max_workers=tries) as pool:
        statuses = list(pool.map(attempt, range(tries)))
    assert hasher.checks <= limit
    assert statuses.count(401) == hasher.checks
    assert statuses.count(429) == tries - hasher.checks
    # The window is spent: even the right password is refused now, without a check.
    checks = hasher.checks
    assert login(app.test_client(), "koord").status_code == 429
    assert hasher.checks == checks


def test_a_successful_login_gives_its_attempt_back(client, runtime, staff):
    limit = runtime.settings.console_login_max_failures
    for _ in range(limit + 2):
        assert login(client, "koord").status_code == 302
        client.post("/console/logout", data={"csrf_token": csrf(client, "/console/cases")})
    for _ in range(limit):
        assert login(client, "koord", "salah-salah-salah").status_code == 401
    assert login(client, "koord").status_code == 429
