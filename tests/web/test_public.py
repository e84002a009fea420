"""The public ticket page behind the QR code: no login, nothing personal, unguessable, live."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from hub.db.models import Queue
from hub.web.context import WebServices
from protocol import TicketRequest
from tests.web.conftest import Web, patient_form
from tests.web.test_loket import act


def ticket_token(services: WebServices) -> tuple[str, str]:
    outcome = services.dispatcher.issue_ticket(
        TicketRequest(request_id=uuid.uuid4().hex, category="umum", payment_type="bpjs", poly_code="A"),
        node="kiosk-1",
    )
    assert outcome.reply is not None and outcome.reply.ticket is not None
    ticket = outcome.reply.ticket
    token = ticket.status_url.rsplit("/", 1)[1]
    assert len(token) >= 32
    return ticket.number, token


def test_ticket_page_shows_number_status_and_people_ahead(web: Web, services: WebServices) -> None:
    _first, _ = ticket_token(services)
    number, token = ticket_token(services)
    response = web.get(f"/t/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and number in page and "Menunggu" in page
    assert "<b>1</b> orang di depan Anda" in page and "Perkiraan tunggu" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert 'data-live="/t/' in page


def test_ticket_page_follows_the_ticket_and_stays_impersonal(
    web: Web, staff: Web, services: WebServices
) -> None:
    number, token = ticket_token(services)
    act(staff, "call")
    created = staff.post("/pasien/baru", {**patient_form(), "loket": "1"})
    assert created.status_code == 302
    card = web.get(f"/t/{token}/kartu").get_data(as_text=True)
    assert number in card and "Dilayani" in card and "orang di depan" not in card
    for personal in ("Sari", "3509015503950001", "Mastrip", "RM-"):
        assert personal not in web.get(f"/t/{token}").get_data(as_text=True)


def test_unknown_or_malformed_tokens(web: Web, services: WebServices) -> None:
    ticket_token(services)
    assert web.get("/t/" + "a" * 32).status_code == 404
    assert web.get("/t/short").status_code == 404
    assert web.get("/t/" + "%27or%201=1--" * 3).status_code == 404
    with services.sessions() as session:
        assert session.scalar(select(Queue.status_token)) is not None
