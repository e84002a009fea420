"""Login, throttling (no lockout), idle timeout, CSRF, security headers, audit of account actions."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Flask
from sqlalchemy import select

from hub.db.models import User
from hub.web.auth import REFUSED
from hub.web.context import WebServices
from hub.web.passwords import hash_password
from hub.web.throttle import ThrottleRules
from tests.web.conftest import PASSWORD, Web, audit_actions, last_audit


def test_login_and_logout_are_audited(web: Web, services: WebServices) -> None:
    response = web.login("siti")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert web.get("/").headers["Location"].endswith("/loket/")
    row = last_audit(services, "login")
    assert row.username == "siti" and row.ip_address == "127.0.0.1" and row.user_agent
    assert web.post("/logout").status_code == 302
    assert "logout" in audit_actions(services)
    assert web.get("/dashboard").status_code == 302  # logged out


def test_logout_needs_post(staff: Web) -> None:
    assert staff.get("/logout").status_code == 405


def test_wrong_password_is_refused_and_audited(web: Web, services: WebServices) -> None:
    response = web.login("siti", "Salah#1234")
    assert response.status_code == 401
    assert REFUSED in response.get_data(as_text=True)
    assert last_audit(services, "login_failed").username == "siti"
    unknown = web.login("nobody", "Salah#1234")
    assert unknown.status_code == 401  # same answer: no account enumeration
    assert REFUSED in unknown.get_data(as_text=True)


def test_failures_slow_down_one_client_and_the_admin_sees_and_lifts_it(
    app: Flask, services: WebServices, caplog: pytest.LogCaptureFixture
) -> None:
    """No account lock any more (issue 11): the failing client waits, the admin sees the failures and can
    lift the wait; tries that came too soon are audited apart."""
    web = Web(app.test_client())
    with caplog.at_level(logging.WARNING, logger="hub.web.auth"):
        for _ in range(5):
            assert web.login("siti", "Salah#1234").status_code == 401
    assert "further tries from there are slowed down" in caplog.text
    slowed = web.login("siti")  # the right password, too soon
    assert slowed.status_code == 401 and REFUSED in slowed.get_data(as_text=True)
    assert audit_actions(services)[-1] == "login_throttled"
    admin = Web(app.test_client())
    assert admin.login("admin").status_code == 302
    with services.sessions() as session:
        uid = session.scalar(select(User.id).where(User.username == "siti"))
    page = admin.get("/admin/pengguna").get_data(as_text=True)
    assert f'id="failures-{uid}"' in page and "Cabut pembatasan" in page
    assert admin.post(f"/admin/pengguna/{uid}/buka").status_code == 302
    assert web.login("siti").status_code == 302
    assert "user_unlock" in audit_actions(services)
    assert f'id="failures-{uid}"' not in admin.get("/admin/pengguna").get_data(as_text=True)


def test_slow_down_passes_with_time(web: Web, app: Flask) -> None:
    now = [0.0]
    app.extensions["antrean_throttle"].clock = lambda: now[0]
    for _ in range(3):
        assert web.login("siti", "Salah#1234").status_code == 401  # free tries; the next waits 1 s
    now[0] = 0.5
    assert web.login("siti").status_code == 401
    now[0] = 1.0
    assert web.login("siti", "Salah#1234").status_code == 401  # counted: the next waits 2 s
    now[0] = 2.5
    assert web.login("siti").status_code == 401
    now[0] = 3.0
    assert web.login("siti").status_code == 302


def test_failures_per_address_are_capped(app: Flask) -> None:
    loket_pc = Web(app.test_client())
    assert loket_pc.login("siti").status_code == 302 and loket_pc.post("/logout").status_code == 302
    app.extensions["antrean_throttle"].rules = ThrottleRules(client_limit=3)
    web = Web(app.test_client())
    for name in ("a", "b", "c"):
        web.login(name, "Salah#1234")
    response = web.login("siti")
    assert response.status_code == 401
    assert REFUSED in response.get_data(as_text=True)
    assert loket_pc.login("siti").status_code == 302  # same address, but it logged in before


def test_idle_timeout_after_30_minutes(staff: Web) -> None:
    assert staff.get("/dashboard").status_code == 200
    with staff.client.session_transaction() as session:
        session["seen"] = time.time() - 29 * 60
    assert staff.get("/dashboard").status_code == 200  # activity renews the timer
    with staff.client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = staff.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Sesi Anda berakhir karena tidak ada aktivitas" in staff.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert staff.get("/dashboard").status_code == 302  # still logged out


def test_live_fragments_do_not_keep_a_session_alive(staff: Web) -> None:
    with staff.client.session_transaction() as session:
        session["seen"] = seen = time.time() - 10 * 60
    assert staff.get("/loket/1/antrean").status_code == 200
    with staff.client.session_transaction() as session:
        assert session["seen"] == seen


def test_live_refreshes_leave_the_cookie_alone(staff: Web) -> None:
    """A refresh still in flight must not overwrite what a click just stored (e.g. a flash message)."""
    assert "Set-Cookie" not in staff.get("/loket/1/antrean").headers
    assert "Set-Cookie" not in staff.get("/dashboard/panel").headers
    assert "Set-Cookie" in staff.get("/loket/1").headers  # activity: the idle timer moves


def test_password_change_ends_other_sessions(staff: Web, services: WebServices) -> None:
    with services.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == "siti"))
        assert user is not None
        user.password_hash = hash_password("Baru#20261")
    assert staff.get("/dashboard").status_code == 302


def test_deactivated_user_is_logged_out(staff: Web, services: WebServices) -> None:
    with services.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == "siti"))
        assert user is not None
        user.is_active = False
    assert staff.get("/dashboard").status_code == 302
    assert Web(staff.client).login("siti").status_code == 401


def test_csrf_is_required_on_every_form(staff: Web, web: Web) -> None:
    refused = staff.client.post("/loket/1/aksi/call", data={"request_id": "r1"})
    assert refused.status_code == 400
    assert "Formulir kedaluwarsa" in refused.get_data(as_text=True)
    assert web.client.post("/login", data={"username": "siti", "password": PASSWORD}).status_code == 400
    bad = staff.client.post("/pasien/baru", data={"csrf_token": "forged"})
    assert bad.status_code == 400
    header = staff.client.post(
        "/loket/1/aksi/call", headers={"X-CSRFToken": staff.token(), "X-Requested-With": "fetch"}
    )
    assert header.status_code == 409  # past the CSRF check (the header works for fetch()): nobody waiting
    assert header.get_json() == {"ok": False, "message": "Tidak ada antrean yang menunggu."}


def test_security_headers(staff: Web, web: Web) -> None:
    for response in (staff.get("/dashboard"), web.get("/login")):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert staff.get("/dashboard").headers["Cache-Control"] == "no-store"
    cookie = staff.client.get_cookie("antrean_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_open_redirect_refused(web: Web) -> None:
    response = web.post("/login?next=//evil.example/x", {"username": "siti", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    web.post("/logout")
    response = web.post("/login?next=/admin/audit", {"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/audit"
