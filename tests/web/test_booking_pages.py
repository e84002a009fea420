"""The public booking pages (Flask client): the form, the human check, throttling, the booking page,
cancel, finding it again, and arrival from the phone only on the puskesmas network."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub.bpjs.service import BpjsBridge
from hub.bpjs.simulator import SimulatorServer
from hub.config import BookingSettings
from hub.db.models import Booking, Polyclinic
from hub.db.statuses import BookingStatus
from hub.web.context import WebServices
from hub.web.public_app import create_public_app
from tests.web.conftest import Clock
from tests.web.test_bpjs import bridge  # noqa: F401  (the fixture: the real bridge on the simulator)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SOAL = re.compile(r'name="soal" value="([^"]+)"')
_WORDS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh"]
ACTIVE_NIK = "3509011205800001"  # a valid NIK, given in the test to the simulator's card 0001234567890
_QUESTION = re.compile(r'<span id="soal">Berapa (\w+) \+ (\w+)\?</span>')


def public_app(services: WebServices, **config: Any) -> Flask:
    settings = config.pop("BOOKING", BookingSettings(closed_weekdays=[]))
    return create_public_app(services, {"TESTING": True, "BOOKING": settings, **config})


@pytest.fixture
def public(services: WebServices) -> FlaskClient:
    return public_app(services).test_client()


def fill(client: FlaskClient, **overrides: str) -> dict[str, str]:
    """The form's hidden fields and the right answer, with a valid booking for the first open day."""
    page = client.get("/booking").get_data(as_text=True)
    question = _QUESTION.search(page)
    csrf, soal = _CSRF.search(page), _SOAL.search(page)
    assert question and csrf and soal
    day = re.search(r'<option value="(\d{4}-\d\d-\d\d)" +>', page)
    assert day
    values = {
        "csrf_token": csrf.group(1),
        "soal": soal.group(1),
        "jawaban": str(_WORDS.index(question.group(1)) + _WORDS.index(question.group(2))),
        "nama": "Sari Wulandari",
        "kategori": "umum",
        "pembayaran": "umum",
        "poli": "A",
        "tanggal": day.group(1),
        "hp": "0812-3456-7890",
        "setuju_wa": "1",
    }
    values.update(overrides)
    return values


def bookings(services: WebServices) -> list[Booking]:
    with services.sessions() as session:
        return list(session.scalars(select(Booking).order_by(Booking.id)))


def test_booking_made_on_the_page_holds_a_place(public: FlaskClient, services: WebServices) -> None:
    response = public.post("/booking", data=fill(public))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    page = public.get(response.headers["Location"]).get_data(as_text=True)
    [booking] = bookings(services)
    assert booking.booking_code in page and "data:image/svg+xml;base64," in page
    assert (
        booking.phone == "6281234567890"
        and booking.phone_consent
        and booking.patient_name == "Sari Wulandari"
    )
    assert "Menunggu kedatangan" in page and "btn-arrive" not in page  # not on the puskesmas network
    assert any(outcome.services for outcome in services.published)  # type: ignore[attr-defined]


def test_wrong_answers_and_bad_fields_are_refused_with_messages(
    public: FlaskClient, services: WebServices
) -> None:
    response = public.post(
        "/booking", data=fill(public, jawaban="99", hp="021-555", nik="123", kategori="prioritas")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Jawaban hitungan salah",
        "Nomor HP tidak valid",
        "Harus 16 digit",
        "Pilih alasan prioritas",
    ):
        assert message in page
    assert 'value="Sari Wulandari"' in page  # what was typed stays
    values = fill(public)
    assert public.post("/booking", data=values).status_code == 303
    replay = public.post("/booking", data=values)  # the same solved question twice
    assert replay.status_code == 400 and "sudah dijawab" in replay.get_data(as_text=True)
    assert len(bookings(services)) == 1


def test_closed_days_full_quotas_and_the_release_time(services: WebServices, clock: Clock) -> None:
    with services.sessions.begin() as session:
        session.execute(update(Polyclinic).where(Polyclinic.code == "B").values(booking_quota=0))
    today = clock.now.astimezone(services.tz).date()
    closed = (today + timedelta(days=1)).isoweekday()
    settings = BookingSettings(days_ahead=2, closed_weekdays=[closed], release_at="23:59")
    client = public_app(services, BOOKING=settings).test_client()
    page = client.get("/booking").get_data(as_text=True)
    assert re.search(rf'<option value="{today + timedelta(days=1)}" disabled', page) and "— Tutup" in page
    assert "Penuh" in page  # poly B takes no bookings
    full = client.post("/booking", data=fill(client, poli="B"))
    assert full.status_code == 400 and "sudah penuh" in full.get_data(as_text=True)


def test_cancel_and_find_again(public: FlaskClient, services: WebServices) -> None:
    location = public.post("/booking", data=fill(public)).headers["Location"]
    [booking] = bookings(services)
    found = public.post(
        "/booking/cari",
        data={
            "kode": booking.booking_code.lower(),
            "hp": "+62 812 3456 7890",
            "csrf_token": fill(public)["csrf_token"],
        },
    )
    assert found.status_code == 303 and found.headers["Location"] == location
    wrong = public.post(
        "/booking/cari",
        data={"kode": booking.booking_code, "hp": "081299999999", "csrf_token": fill(public)["csrf_token"]},
    )
    assert wrong.status_code == 404 and "tidak ditemukan" in wrong.get_data(as_text=True)
    cancelled = public.post(f"{location}/batal", data={"csrf_token": fill(public)["csrf_token"]})
    assert cancelled.status_code == 200 and "Booking dibatalkan" in cancelled.get_data(as_text=True)
    assert bookings(services)[0].status == BookingStatus.CANCELLED
    again = public.post(f"{location}/batal", data={"csrf_token": fill(public)["csrf_token"]})
    assert again.status_code == 409
    assert public.get("/booking/" + "x" * 32).status_code == 404


def test_arrival_from_the_phone_only_on_the_puskesmas_network(services: WebServices) -> None:
    app = public_app(services, LAN_NETWORKS=["192.168.10.0/24"], TRUSTED_PROXIES=["127.0.0.1"])
    client = app.test_client()
    location = client.post("/booking", data=fill(client)).headers["Location"]
    outside = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "36.80.1.2"}
    spoofed = {"REMOTE_ADDR": "36.80.1.2", "HTTP_X_FORWARDED_FOR": "192.168.10.7"}
    inside = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "192.168.10.7"}
    assert "btn-arrive" not in client.get(location, environ_base=outside).get_data(as_text=True)
    for environ in (outside, spoofed):
        refused = client.post(
            f"{location}/datang", data={"csrf_token": fill(client)["csrf_token"]}, environ_base=environ
        )
        assert refused.status_code == 403 and "Wi-Fi puskesmas" in refused.get_data(as_text=True)
    assert "btn-arrive" in client.get(location, environ_base=inside).get_data(as_text=True)
    arrived = client.post(
        f"{location}/datang", data={"csrf_token": fill(client)["csrf_token"]}, environ_base=inside
    )
    page = arrived.get_data(as_text=True)
    assert (
        arrived.status_code == 200
        and "Kedatangan dikonfirmasi" in page
        and 'id="ticket-number">A-001' in page
    )
    assert bookings(services)[0].status == BookingStatus.CONFIRMED


def test_bookings_are_throttled_per_client_and_per_phone(services: WebServices) -> None:
    settings = BookingSettings(closed_weekdays=[], per_client_per_hour=3, per_phone_per_day=1)
    client = public_app(services, BOOKING=settings).test_client()
    assert client.post("/booking", data=fill(client)).status_code == 303
    same_phone = client.post("/booking", data=fill(client))
    assert same_phone.status_code == 429 and "sudah memiliki booking" in same_phone.get_data(as_text=True)
    assert client.post("/booking", data=fill(client, hp="081311112222")).status_code == 303
    third = client.post("/booking", data=fill(client, hp="081311113333"))
    assert third.status_code == 429 and "Terlalu banyak" in third.get_data(as_text=True)
    assert len(bookings(services)) == 2


def test_a_bpjs_booking_is_checked_with_pcare_by_card_or_nik(
    services: WebServices,
    bridge: BpjsBridge,  # noqa: F811
    pcare_sim: SimulatorServer,
) -> None:
    pcare_sim.state.participants["0001234567890"]["noKTP"] = ACTIVE_NIK
    client = public_app(services).test_client()
    inactive = client.post("/booking", data=fill(client, pembayaran="bpjs", kartu="0002345678901"))
    assert inactive.status_code == 400 and "tidak aktif" in inactive.get_data(as_text=True).lower()
    by_nik = client.post("/booking", data=fill(client, pembayaran="bpjs", nik=ACTIVE_NIK))
    assert by_nik.status_code == 303
    [booking] = bookings(services)
    assert booking.nik == ACTIVE_NIK and booking.bpjs_number == "0001234567890"  # the card PCare knows
    unknown = client.post(
        "/booking", data=fill(client, pembayaran="bpjs", kartu="0009999999999", hp="", setuju_wa="")
    )
    assert unknown.status_code == 400 and 'id="err-kartu"' in unknown.get_data(as_text=True)
