"""The public listener: the ticket page and booking on their own app, never a loket or admin page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.app import public_url
from hub.config import HubConfig
from hub.web.context import WebServices
from hub.web.public_app import create_public_app
from tests.web.test_public import ticket_token


@pytest.fixture
def public(services: WebServices) -> FlaskClient:
    return create_public_app(services, {"TESTING": True}).test_client()


def staff_urls(app: Flask) -> list[str]:
    """Every URL of the staff web (path parameters filled with 1), minus the public ones it shares."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("public.") or rule.endpoint == "main.events":
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "1")
            url = url.replace(f"<path:{argument}>", "1")
        urls.append(url)
    return urls


def test_every_staff_url_is_missing_on_the_public_listener(app: Flask, public: FlaskClient) -> None:
    urls = staff_urls(app)
    assert "/login" in urls and "/dashboard" in urls and "/loket/" in urls and len(urls) >= 30
    for url in urls:
        for method in ("GET", "POST"):
            response = public.open(url, method=method)
            assert response.status_code in (404, 405), (method, url, response.status_code)
            assert response.status_code == 404 or method == "POST"
    staff = app.test_client()
    assert staff.get("/booking").status_code == 404  # booking lives on the public listener only


def test_the_ticket_page_is_served_on_the_public_listener(public: FlaskClient, services: WebServices) -> None:
    number, token = ticket_token(services)
    response = public.get(f"/t/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and number in page and "Menunggu" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    missing = public.get("/t/" + "a" * 32)
    assert missing.status_code == 404 and "Halaman tidak ditemukan" in missing.get_data(as_text=True)


def test_the_public_listener_streams_changes(public: FlaskClient) -> None:
    response = public.get("/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    first = next(response.response)  # type: ignore[call-overload]
    assert b"event: change" in (first if isinstance(first, bytes) else first.encode())
    response.close()


def test_the_public_port_cannot_be_the_staff_port() -> None:
    with pytest.raises(ValueError, match=r"\[public\] port must differ"):
        HubConfig.model_validate({"web": {"port": 8080}, "public": {"port": 8080}})
    assert HubConfig.model_validate({"public": {"port": 8081}}).public.port == 8081
    with pytest.raises(ValueError, match="not a network"):
        HubConfig.model_validate({"public": {"lan_networks": ["192.168.1.0/33"]}})
    with pytest.raises(ValueError, match="not an IP address"):
        HubConfig.model_validate({"public": {"trusted_proxies": ["proxy.local"]}})
    with pytest.raises(ValueError, match="HH:MM"):
        HubConfig.model_validate({"booking": {"release_at": "10.00"}})


def test_new_qr_codes_open_the_public_listener() -> None:
    public = {"port": 8081, "url": "https://antrean.pkm.id/"}
    assert public_url(HubConfig.model_validate({"public": public})) == "https://antrean.pkm.id"
    staff = {"public_url": "http://10.0.0.2:8080"}
    assert (
        public_url(HubConfig.model_validate({"web": staff, "public": {"url": "https://x.id"}}))
        == staff["public_url"]
    )
