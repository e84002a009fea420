"""Online bookings (web / mobile / JKN): a code for a day, and a ticket when the patient arrives and
confirms it at a kiosk (status ``confirmed``, queued at that moment).

Usage (needs a running hub; not run as a doctest)::

    booking = create_booking(
        sessions, day=tomorrow, category="umum", reason=None, payment="bpjs", poly_code="A", source="mobile"
    )
    len(booking.booking_code)
    # → 8
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Booking, Polyclinic, Queue
from hub.db.statuses import BookingStatus, TicketStatus
from hub.dispatch.operation import Operation
from hub.dispatch.outcome import DispatchError
from hub.dispatch.transitions import change_status
from protocol.payloads import Category, PaymentType, PriorityReason, TicketSource

BOOKING_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"  # none of the look-alikes 0/O, 1/I, 2/Z, 5/S, 6/G, 8/B


class OnlineBooking(TypedDict):
    """What a patient books online (the keyword arguments of :func:`create_booking`)."""

    day: date
    category: Category
    reason: PriorityReason | None
    payment: PaymentType
    poly_code: str
    source: TicketSource
    nik: NotRequired[str | None]
    bpjs_number: NotRequired[str | None]
    phone: NotRequired[str | None]


def new_booking_code(session: Session) -> str:
    """A booking code no booking has yet."""
    while True:
        code = "".join(secrets.choice(BOOKING_ALPHABET) for _ in range(8))
        if session.scalar(select(Booking.id).where(Booking.booking_code == code)) is None:
            return code


def create_booking(sessions: sessionmaker[Session], **details: Unpack[OnlineBooking]) -> Booking:
    """An online booking for ``details["day"]``; not callable until confirmed at a kiosk."""
    category, reason = details["category"], details["reason"]
    if category == "prioritas" and reason is None:
        raise DispatchError("invalid_request", "Alasan prioritas wajib diisi.")
    with sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == details["poly_code"]))
        if poly is None or not poly.is_active:
            raise DispatchError("unknown_poly")
        booking = Booking(
            booking_code=new_booking_code(session),
            service_date=details["day"],
            source=details["source"],
            queue_category=category,
            priority_reason=reason if category == "prioritas" else None,
            payment_type=details["payment"],
            poly_id=poly.id,
            nik=details.get("nik"),
            bpjs_number=details.get("bpjs_number"),
            phone=details.get("phone"),
        )
        session.add(booking)
    return booking


def booked_for_today(op: Operation, booking_code: str) -> Booking:
    """The booking ``booking_code``, locked, if it can be confirmed today (refused otherwise)."""
    booking = op.session.scalar(
        select(Booking).where(Booking.booking_code == booking_code.upper()).with_for_update()
    )
    if booking is None:
        raise DispatchError("not_found", "Kode booking tidak ditemukan.")
    if booking.status == BookingStatus.CONFIRMED:
        raise DispatchError("conflict", "Kode booking ini sudah dikonfirmasi.")
    if booking.status != BookingStatus.BOOKED:
        raise DispatchError("conflict", "Booking ini sudah dibatalkan.")
    if booking.service_date != op.today:
        raise DispatchError("conflict", f"Booking ini untuk tanggal {booking.service_date:%d-%m-%Y}.")
    return booking


def advance_number(booking: Booking) -> tuple[str, int] | None:
    """The number given with the booking in advance (Mobile JKN), if any."""
    if booking.queue_prefix and booking.queue_seq:
        return booking.queue_prefix, booking.queue_seq
    return None


def poly_code_of(op: Operation, booking: Booking) -> str:
    poly = op.session.get(Polyclinic, booking.poly_id)
    assert poly is not None
    return poly.code


def confirm(op: Operation, booking: Booking, queue: Queue, actor: str) -> None:
    """``queue``, just issued for ``booking``, is its ticket: ``confirmed``, and the booking is used."""
    change_status(op.session, queue, TicketStatus.CONFIRMED, op.now, actor=actor, reason="booking")
    booking.status, booking.queue_id, booking.confirmed_at = BookingStatus.CONFIRMED, queue.id, op.now
