"""Online bookings: places held in the poly's quota, never overbooked, released when unconfirmed, events."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from hub.db.models import Booking, Polyclinic
from hub.db.statuses import BookingStatus
from hub.dispatch.bookings import BookingInfo
from hub.dispatch.outcome import DispatchError
from protocol import BookingRequest, TicketReply
from tests.hub.dispatch_support import Desk

TODAY = date(2026, 2, 26)


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    with closing(Desk(database_url, operating_start="00:00", operating_end="00:00")) as made:
        yield made


def set_quota(desk: Desk, poly: str, *, per_day: int, bookable: int) -> None:
    with desk.sessions.begin() as session:
        session.execute(
            update(Polyclinic)
            .where(Polyclinic.code == poly)
            .values(quota_per_day=per_day, booking_quota=bookable)
        )


def book(desk: Desk, poly: str = "A", day: date = TODAY, **extra: Any) -> Booking:
    return desk.dispatcher.create_booking(
        day=day, category="umum", reason=None, payment="bpjs", poly_code=poly, source="web", **extra
    )


def confirm(desk: Desk, code: str, request_id: str = "b1") -> TicketReply:
    reply = desk.dispatcher.confirm_booking(
        BookingRequest(request_id=request_id, booking_code=code), node="k1"
    ).reply
    assert isinstance(reply, TicketReply)
    return reply


def remaining(desk: Desk, poly: str = "A") -> int:
    return next(p.remaining for p in desk.dispatcher.services().polys if p.code == poly)


def test_a_booking_holds_a_place_the_kiosk_cannot_take(desk: Desk) -> None:
    set_quota(desk, "A", per_day=2, bookable=1)
    booking = book(desk)
    assert remaining(desk) == 1
    desk.ticket()
    refused = desk.take()
    assert refused.error is not None and refused.error.code == "quota_full"
    reply = confirm(desk, booking.booking_code)  # the held place is its own
    assert reply.ok and reply.ticket is not None and reply.ticket.status == "confirmed"
    assert remaining(desk) == 0


def test_booking_quota_and_the_daily_quota_both_bound_bookings(desk: Desk) -> None:
    set_quota(desk, "B", per_day=3, bookable=2)
    book(desk, "B"), book(desk, "B")
    with pytest.raises(DispatchError) as full:
        book(desk, "B")
    assert full.value.info.code == "quota_full" and "penuh" in full.value.info.message
    tomorrow = date(2026, 2, 27)
    set_quota(desk, "C", per_day=1, bookable=5)
    desk.ticket("umum", "C")
    with pytest.raises(DispatchError):
        book(desk, "C")  # today is full at the kiosk
    assert book(desk, "C", tomorrow).service_date == tomorrow


def test_cancel_frees_the_place_and_is_final(desk: Desk) -> None:
    set_quota(desk, "A", per_day=5, bookable=1)
    booking = book(desk)
    desk.dispatcher.cancel_booking(booking.booking_code)
    again = book(desk)
    with pytest.raises(DispatchError) as twice:
        desk.dispatcher.cancel_booking(booking.booking_code)
    assert twice.value.info.code == "conflict"
    refused = confirm(desk, booking.booking_code)
    assert refused.error is not None and "dibatalkan" in refused.error.message
    assert confirm(desk, again.booking_code, "b2").ok


def test_unconfirmed_bookings_are_released_at_the_release_time(desk: Desk) -> None:
    set_quota(desk, "A", per_day=3, bookable=3)
    early, late = book(desk), book(desk)
    tomorrow = book(desk, day=date(2026, 2, 27))
    assert confirm(desk, early.booking_code).ok
    assert not desk.dispatcher.release_bookings(time(10, 0)).services  # 08:00: nothing yet
    assert remaining(desk) == 1
    desk.clock.advance(hours=2)
    assert desk.dispatcher.release_bookings(time(10, 0)).services
    assert remaining(desk) == 2
    with desk.sessions() as session:
        states = {b.booking_code: b.status for b in session.scalars(select(Booking))}
    assert states == {
        early.booking_code: BookingStatus.CONFIRMED,
        late.booking_code: BookingStatus.EXPIRED,
        tomorrow.booking_code: BookingStatus.BOOKED,
    }
    refused = confirm(desk, late.booking_code, "b2")
    assert refused.error is not None and "batas waktu" in refused.error.message


def test_listeners_hear_every_change_after_commit(desk: Desk) -> None:
    heard: list[tuple[str, BookingInfo]] = []
    desk.dispatcher.booking_events.subscribe(lambda kind, info: heard.append((kind, info)))
    first = book(desk, phone="6281234567890", phone_consent=True, patient_name="Sari")
    second = book(desk)
    confirm(desk, first.booking_code)
    confirm(desk, first.booking_code)  # the same request again: no second event
    desk.dispatcher.cancel_booking(second.booking_code)
    third = book(desk)
    desk.clock.advance(hours=3)
    desk.dispatcher.release_bookings(time(10, 0))
    kinds = [(kind, info.code) for kind, info in heard]
    assert kinds == [
        ("created", first.booking_code),
        ("created", second.booking_code),
        ("confirmed", first.booking_code),
        ("cancelled", second.booking_code),
        ("created", third.booking_code),
        ("released", third.booking_code),
    ]
    confirmed = heard[2][1]
    assert (
        confirmed.ticket_number == "A-001" and confirmed.phone == "6281234567890" and confirmed.phone_consent
    )
    assert confirmed.poly_name and confirmed.status == BookingStatus.CONFIRMED and confirmed.status_token


def test_concurrent_bookings_never_overbook_nor_share_a_code(tmp_path: Path) -> None:
    with closing(Desk(f"sqlite:///{tmp_path / 'antrean.db'}")) as desk:
        set_quota(desk, "A", per_day=100, bookable=7)
        made: list[str] = []
        refused: list[str] = []
        start = threading.Barrier(12)

        def worker() -> None:
            start.wait()
            for _ in range(2):
                try:
                    made.append(book(desk).booking_code)
                except DispatchError as error:
                    refused.append(error.info.code)

        threads = [threading.Thread(target=worker) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(made) == 7 and len(set(made)) == 7
        assert refused == ["quota_full"] * 17
        with desk.sessions() as session:
            assert len(session.scalars(select(Booking)).all()) == 7


def test_a_booking_made_after_the_release_time_keeps_its_place_that_day(desk: Desk) -> None:
    desk.clock.advance(hours=3)  # 11:00, after the 10:00 release
    desk.dispatcher.release_bookings(time(10, 0))
    late = book(desk)  # e.g. a Mobile JKN number taken for today at 11:00
    desk.dispatcher.release_bookings(time(10, 0))
    assert confirm(desk, late.booking_code).ok
    stays = book(desk)
    desk.clock.advance(days=1)  # the next day: yesterday's unconfirmed booking is released
    desk.dispatcher.release_bookings(time(10, 0))
    with desk.sessions() as session:
        assert session.get(Booking, stays.id).status == BookingStatus.EXPIRED  # type: ignore[union-attr]


def test_kiosk_tickets_and_bookings_racing_for_the_last_places_never_exceed_the_quota(tmp_path: Path) -> None:
    with closing(
        Desk(f"sqlite:///{tmp_path / 'antrean.db'}", operating_start="00:00", operating_end="00:00")
    ) as desk:
        set_quota(desk, "A", per_day=6, bookable=6)
        issued: list[str] = []
        start = threading.Barrier(8)

        def kiosk(n: int) -> None:
            start.wait()
            for i in range(3):
                reply = desk.take(request_id=f"k{n}-{i}")
                if reply.ok:
                    issued.append("ticket")

        def patient() -> None:
            start.wait()
            for _ in range(3):
                try:
                    book(desk)
                    issued.append("booking")
                except DispatchError:
                    pass

        threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(4)]
        threads += [threading.Thread(target=patient) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(issued) == 6 and remaining(desk) == 0
