"""Issue 11, finding 5 (web): ``/login?next=/%09/evil.example`` redirected to ``//evil.example``, and logout
did not revoke a copied session cookie. Each test here (but the ones that keep good behaviour) failed on that
code."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from hub.db.models import User
from hub.web.context import WebServices
from tests.security.web.conftest import client
from tests.web.conftest import PASSWORD, Web

# ---------------------------------------------------------------- open redirect

OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/x",
    "///evil.example",
    "////evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d/evil.example",
    "/%20/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http:evil.example",
    "http:/evil.example",
    "https:/\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "@evil.example",
    "/%00/evil.example",
    "/%E3%80%80/evil.example",
    "/%C2%A0/evil.example",
    "/%E2%80%A8/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site(app: Flask, target: str) -> None:
    """Before: ``/login?next=/%09/evil.example`` redirected to ``/\\t/evil.example``, which browsers read as
    ``//evil.example``."""
    response = client(app).post(f"/login?next={target}", {"username": "siti", "password": PASSWORD})
    if "%00" in target:  # a NUL in any input is refused before a view reads it
        assert response.status_code == 400 and "Location" not in response.headers, target
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/", target


def test_next_keeps_paths_of_this_site(app: Flask) -> None:
    pc = client(app)
    response = pc.post("/login?next=/admin/audit%3Fhal%3D2", {"username": "admin", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/audit?hal=2"


# ---------------------------------------------------------------- session revocation


def _copied_session(browser: Web) -> str:
    cookie = browser.client.get_cookie("antrean_session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> Web:
    thief = Web(app.test_client())
    thief.client.set_cookie("antrean_session", value)
    return thief


def test_logout_revokes_a_copied_session_cookie(app: Flask, staff: Web) -> None:
    """Before: the cookie is signed client-side state, so a copy taken before logout still worked after it."""
    copied = _copied_session(staff)
    assert _with_cookie(app, copied).get("/dashboard").status_code == 200
    assert staff.post("/logout").status_code == 302
    assert _with_cookie(app, copied).get("/dashboard").status_code == 302


def test_logout_ends_every_session_of_the_account(app: Flask) -> None:
    first, second = client(app), client(app, "10.0.0.20")
    assert first.login("siti").status_code == 302 and second.login("siti").status_code == 302
    assert first.post("/logout").status_code == 302
    assert second.get("/dashboard").status_code == 302


def test_password_change_revokes_copied_session_cookies(
    app: Flask, admin: Web, staff: Web, services: WebServices
) -> None:
    copied = _copied_session(staff)
    with services.sessions() as session:
        uid = session.scalar(select(User.id).where(User.username == "siti"))
    form = {
        "name": "Siti",
        "role": "receptionist",
        "is_active": "1",
        "password": "Baru#20261",
        "password2": "Baru#20261",
    }
    assert admin.post(f"/admin/pengguna/{uid}", form).status_code == 302
    assert _with_cookie(app, copied).get("/dashboard").status_code == 302
    assert staff.get("/dashboard").status_code == 302
