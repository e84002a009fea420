"""The seed's role table over every route: petugas loket is refused master data, users, configuration,
audit and nodes; anonymous visitors get the login page; public pages stay public."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.web.conftest import Web

PUBLIC = {
    "auth.login",
    "main.home",
    "main.events",
    "public.ticket",
    "public.card",
    "static",
    "wheels.index",  # the nodes fetch their wheels without an account (LAN staff listener only)
    "wheels.wheel",
}
SAMPLE: dict[str, Any] = {  # url_for's values
    "number": 1,
    "counter_id": 1,
    "poly_id": 1,
    "doctor_id": 1,
    "schedule_id": 1,
    "user_id": 1,
    "patient_id": 1,
    "document_id": 1,
    "registration_id": 1,
    "queue_id": 1,
    "item_id": 1,
    "action": "call",
    "token": "x" * 32,
    "code": "ACDEFGHJ",
    "filename": "app.css",
    "name": "antrean-0.1.0-py3-none-any.whl",
    "node": "kiosk-1",
    "key": "nomor",  # a word of the voice recording script
}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route of the app."""
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            url = url_for(rule.endpoint, **{arg: SAMPLE[arg] for arg in rule.arguments})
            methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
            found += [(rule.endpoint, method, url) for method in sorted(methods)]
    return found


def test_every_route_is_classified(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _m, _u in routes(app)}
    admin_only = {e for e in endpoints if e.startswith("admin.")}
    assert admin_only >= {
        "admin.polys",
        "admin.counters",
        "admin.doctors",
        "admin.schedules",
        "admin.queue_config",
        "admin.bpjs_config",
        "admin.users",
        "admin.audit",
        "admin.nodes",
        "admin.unlock",
        "admin.schedule_delete",
        "admin.outbox_retry",
        "admin.voice",
        "admin.voice_save",
        "admin.voice_clip",
        "admin.voice_publish",
        "admin.voice_upload",
        "admin.voice_remove",
    }
    assert {"loket.page", "loket.act", "patients.new", "registration.deliver", "main.dashboard"} <= endpoints


@pytest.mark.slow  # requests every route
def test_anonymous_gets_the_login_page(app: Flask) -> None:
    web = Web(app.test_client())
    for endpoint, method, url in routes(app):
        if endpoint in PUBLIC or method != "GET":
            continue
        response = web.get(url)
        response.close()
        assert response.status_code in (302, 401), (endpoint, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], endpoint
    for endpoint, method, url in routes(app):
        if method == "POST" and endpoint not in PUBLIC:
            response = web.post(url, {})
            response.close()
            assert response.status_code in (302, 401), (endpoint, response.status_code)


@pytest.mark.slow  # requests every route
def test_petugas_loket_is_refused_admin_areas(staff: Web, app: Flask) -> None:
    for endpoint, method, url in routes(app):
        if endpoint in ("auth.logout", "main.events"):
            continue
        response = staff.get(url) if method == "GET" else staff.post(url, {})
        response.close()
        if endpoint.startswith("admin."):
            assert response.status_code == 403, (endpoint, method)
            assert "tidak memiliki akses" in response.get_data(as_text=True)
        else:
            assert response.status_code != 403, (endpoint, method)


@pytest.mark.slow  # requests every route
def test_admin_reaches_everything(admin: Web, app: Flask) -> None:
    for endpoint, method, url in routes(app):
        if method != "GET" or endpoint == "main.events":
            continue
        response = admin.get(url)
        response.close()
        assert response.status_code in (200, 302, 404), (endpoint, response.status_code)
        recording = url.endswith(".wav")  # a word not recorded yet is a 404
        if (
            "<" not in url
            and endpoint.startswith("admin.")
            and not any(c.isdigit() for c in url)
            and not recording
        ):
            assert response.status_code == 200, endpoint


def test_petugas_loket_views_dashboard_and_works_the_loket(staff: Web) -> None:
    for url in (
        "/dashboard",
        "/dashboard/panel",
        "/loket/1",
        "/loket/1/antrean",
        "/loket/1/kini",
        "/pasien/baru",
        "/laporan/",
        "/laporan/bpjs",
        "/laporan/bulanan",
        "/laporan/unduh?jenis=ringkasan&format=xlsx",
    ):
        assert staff.get(url).status_code == 200, url
    page = staff.get("/dashboard").get_data(as_text=True)
    assert "Master Data" not in page and "Audit" not in page  # navigation hides admin areas
