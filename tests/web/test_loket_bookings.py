"""The loket's bookings of the day (search, confirm arrival) and the dashboard's online figures."""

from __future__ import annotations

from datetime import timedelta

from hub.db.models import Notification
from hub.web.context import WebServices
from tests.web.conftest import Clock, Web


def book(services: WebServices, clock: Clock, name: str, card: str | None = None, days: int = 0) -> str:
    day = clock.now.astimezone(services.tz).date() + timedelta(days=days)
    booking = services.dispatcher.create_booking(
        day=day, category="umum", reason=None, payment="bpjs", poly_code="A", source="web",
        patient_name=name, bpjs_number=card,
    )  # fmt: skip
    return booking.booking_code


def test_the_loket_lists_searches_and_confirms_todays_bookings(
    staff: Web, services: WebServices, clock: Clock
) -> None:
    sari = book(services, clock, "Sari Wulandari", "0009876543210")
    budi = book(services, clock, "Budi Santoso")
    later = book(services, clock, "Besok Saja", days=1)
    page = staff.get("/loket/1/booking").get_data(as_text=True)
    assert sari in page and budi in page and later not in page and page.count("Belum datang") == 2
    for query in ("wulan", sari.lower(), "0009876543210"):
        found = staff.get(f"/loket/1/booking?q={query}").get_data(as_text=True)
        assert sari in found and budi not in found, query
    confirmed = staff.post(f"/loket/1/booking/{sari}/datang", headers={"X-Requested-With": "fetch"})
    assert confirmed.status_code == 200 and confirmed.get_json() == {
        "ok": True, "message": "Kedatangan dikonfirmasi: nomor antrean A-001."
    }  # fmt: skip
    twice = staff.post(f"/loket/1/booking/{sari}/datang", headers={"X-Requested-With": "fetch"})
    assert twice.status_code == 409 and "sudah dikonfirmasi" in twice.get_json()["message"]
    not_today = staff.post(f"/loket/1/booking/{later}/datang", headers={"X-Requested-With": "fetch"})
    assert not_today.status_code == 409
    page = staff.get("/loket/1/booking").get_data(as_text=True)
    assert "Sudah datang · <b>A-001</b>" in page
    queue = staff.get("/loket/1/antrean").get_data(as_text=True)
    assert "A-001" in queue
    assert 'id="tab-booking"' in staff.get("/loket/1").get_data(as_text=True)


def test_the_dashboard_counts_bookings_and_notifications(
    admin: Web, services: WebServices, clock: Clock
) -> None:
    codes = [book(services, clock, f"Pasien {n}") for n in range(3)]
    services.dispatcher.cancel_booking(codes[0])
    with services.sessions.begin() as session:
        session.add_all(
            [
                Notification(type="called", channel="whatsapp", is_sent=True),
                Notification(type="called", channel="whatsapp", is_sent=True),
                Notification(type="near", channel="whatsapp", error_message="HTTP 500"),
                Notification(type="near", channel="whatsapp"),
            ]
        )
    page = admin.get("/dashboard/panel").get_data(as_text=True)
    assert 'id="booking-booked">2<' in page and 'id="booking-cancelled">1<' in page
    assert 'id="notif-sent">2<' in page and 'id="notif-failed">1<' in page and 'id="notif-pending">1<' in page
