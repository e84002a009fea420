"""Online bookings (web / mobile / JKN): a code for a day that holds a place in the poly's quota, and a
ticket when the patient arrives and confirms it (status ``confirmed``, queued at that moment).

The places: a poly takes at most ``booking_quota`` bookings a day (booked or confirmed), and an open
booking counts against the poly's ``quota_per_day`` like a ticket until it is confirmed (then its ticket
counts), cancelled or released (unconfirmed at ``[booking] release_at``). Creating a booking runs in one
write transaction that locks the poly row, so two patients can never take the last place both.

Whoever wants to know (WhatsApp, Mobile JKN) subscribes to :class:`BookingEvents`; listeners run after the
commit, each in a ``try``, so a failing listener never undoes or delays a booking.

Usage (needs a running hub; not run as a doctest)::

    booking = dispatcher.create_booking(
        day=tomorrow, category="umum", reason=None, payment="bpjs", poly_code="A", source="web",
        phone="6281234567890", phone_consent=True, patient_name="Sari",
    )
    len(booking.booking_code)
    # → 8
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NotRequired, TypedDict, Unpack

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Booking, Polyclinic, Queue
from hub.db.statuses import BookingStatus, TicketStatus
from hub.dispatch.operation import Operation
from hub.dispatch.outcome import DispatchError
from hub.dispatch.transitions import change_status
from protocol.payloads import Category, PaymentType, PriorityReason, TicketSource

logger = logging.getLogger(__name__)

BOOKING_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"  # none of the look-alikes 0/O, 1/I, 2/Z, 5/S, 6/G, 8/B
HOLDS_PLACE = (BookingStatus.BOOKED, BookingStatus.CONFIRMED)  # counted against booking_quota
BookingEvent = Literal["created", "confirmed", "cancelled", "released"]


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
    phone: NotRequired[str | None]  # normalised: hub.phone.normalise_phone
    phone_consent: NotRequired[bool]  # the patient agreed to WhatsApp messages
    patient_name: NotRequired[str | None]


@dataclass(frozen=True)
class BookingInfo:
    """A booking as its listeners and pages see it, read in the transaction that changed it."""

    id: int
    code: str
    secret: str | None
    service_date: date
    source: str
    category: str
    reason: str | None
    payment: str
    poly_code: str
    poly_name: str
    status: BookingStatus
    patient_name: str | None
    phone: str | None
    phone_consent: bool
    nik: str | None
    bpjs_number: str | None
    ticket_number: str | None
    status_token: str | None  # the ticket page's token once confirmed


Listener = Callable[[BookingEvent, BookingInfo], None]


class BookingEvents:
    """Who is told when a booking is created, confirmed, cancelled or released.

    >>> events, seen = BookingEvents(), []
    >>> events.subscribe(lambda kind, info: seen.append(kind))
    >>> events.subscribe(lambda kind, info: 1 / 0)  # a failing listener is logged, never raised
    >>> events.emit("created", None)  # type: ignore[arg-type]
    >>> seen
    ['created']
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def emit(self, kind: BookingEvent, info: BookingInfo) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(kind, info)
            except Exception:
                logger.exception("booking %s listener failed", kind)


def info_of(session: Session, booking: Booking) -> BookingInfo:
    poly = session.get(Polyclinic, booking.poly_id)
    assert poly is not None
    queue = session.get(Queue, booking.queue_id) if booking.queue_id is not None else None
    return BookingInfo(
        id=booking.id,
        code=booking.booking_code,
        secret=booking.secret,
        service_date=booking.service_date,
        source=booking.source,
        category=booking.queue_category,
        reason=booking.priority_reason,
        payment=booking.payment_type,
        poly_code=poly.code,
        poly_name=poly.name,
        status=BookingStatus(booking.status),
        patient_name=booking.patient_name,
        phone=booking.phone,
        phone_consent=bool(booking.phone_consent),
        nik=booking.nik,
        bpjs_number=booking.bpjs_number,
        ticket_number=queue.queue_number if queue is not None else None,
        status_token=queue.status_token if queue is not None else None,
    )


def open_bookings(session: Session, day: date, poly_id: int) -> int:
    """Bookings for ``day`` still holding a place in ``poly_id``'s daily quota (booked, not yet a ticket)."""
    query = select(func.count()).where(
        Booking.service_date == day, Booking.poly_id == poly_id, Booking.status == BookingStatus.BOOKED
    )
    return int(session.scalar(query) or 0)


def bookable(session: Session, day: date, poly: Polyclinic) -> int:
    """Places ``poly`` still has for bookings on ``day``."""
    online = session.scalar(
        select(func.count()).where(
            Booking.service_date == day, Booking.poly_id == poly.id, Booking.status.in_(HOLDS_PLACE)
        )
    )
    tickets = session.scalar(
        select(func.count()).where(
            Queue.queue_date == day, Queue.poly_id == poly.id, Queue.status != TicketStatus.CANCELLED
        )
    )
    taken = int(tickets or 0) + open_bookings(session, day, poly.id)
    return max(0, min(poly.booking_quota - int(online or 0), poly.quota_per_day - taken))


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(BOOKING_ALPHABET) for _ in range(8))
        if session.scalar(select(Booking.id).where(Booking.booking_code == code)) is None:
            return code


def add_booking(session: Session, now: datetime, **details: Unpack[OnlineBooking]) -> Booking:
    """Insert a booking made ``now`` in ``session``'s write transaction if its poly has a place left."""
    category, reason = details["category"], details["reason"]
    if category == "prioritas" and reason is None:
        raise DispatchError("invalid_request", "Alasan prioritas wajib diisi.")
    poly = session.scalar(select(Polyclinic).where(Polyclinic.code == details["poly_code"]).with_for_update())
    if poly is None or not poly.is_active:
        raise DispatchError("unknown_poly")
    if bookable(session, details["day"], poly) <= 0:
        raise DispatchError(
            "quota_full", f"Kuota booking {poly.name} tanggal {details['day']:%d-%m-%Y} sudah penuh."
        )
    booking = Booking(
        booking_code=_new_code(session),
        secret=secrets.token_urlsafe(24),
        service_date=details["day"],
        source=details["source"],
        queue_category=category,
        priority_reason=reason if category == "prioritas" else None,
        payment_type=details["payment"],
        poly_id=poly.id,
        nik=details.get("nik"),
        bpjs_number=details.get("bpjs_number"),
        phone=details.get("phone"),
        phone_consent=bool(details.get("phone_consent", False) and details.get("phone")),
        patient_name=details.get("patient_name"),
        created_at=now,
    )
    session.add(booking)
    session.flush()
    logger.info("booking %s for %s, poly %s (%s)", booking.booking_code, booking.service_date, poly.code,
                booking.source)  # fmt: skip
    return booking


def find(session: Session, code: str, *, lock: bool = False) -> Booking | None:
    query = select(Booking).where(Booking.booking_code == code.strip().upper())
    return session.scalar(query.with_for_update() if lock else query)


def booked_for_today(op: Operation, booking_code: str) -> Booking:
    """The booking ``booking_code``, locked, if it can be confirmed today (refused otherwise)."""
    booking = find(op.session, booking_code, lock=True)
    if booking is None:
        raise DispatchError("not_found", "Kode booking tidak ditemukan.")
    if booking.status == BookingStatus.CONFIRMED:
        raise DispatchError("conflict", "Kode booking ini sudah dikonfirmasi.")
    if booking.status == BookingStatus.EXPIRED:
        raise DispatchError("conflict", "Booking ini sudah lewat batas waktu konfirmasi.")
    if booking.status != BookingStatus.BOOKED:
        raise DispatchError("conflict", "Booking ini sudah dibatalkan.")
    if booking.service_date != op.today:
        raise DispatchError("conflict", f"Booking ini untuk tanggal {booking.service_date:%d-%m-%Y}.")
    return booking


def poly_code_of(op: Operation, booking: Booking) -> str:
    poly = op.session.get(Polyclinic, booking.poly_id)
    assert poly is not None
    return poly.code


def confirm(op: Operation, booking: Booking, queue: Queue, actor: str) -> None:
    """``queue``, just issued for ``booking``, is its ticket: ``confirmed``, and the booking is used."""
    change_status(op.session, queue, TicketStatus.CONFIRMED, op.now, actor=actor, reason="booking")
    booking.status, booking.queue_id, booking.confirmed_at = BookingStatus.CONFIRMED, queue.id, op.now


def cancel(session: Session, booking: Booking) -> None:
    """The patient cancels a booking not yet confirmed: its place is free again."""
    if booking.status != BookingStatus.BOOKED:
        raise DispatchError("conflict", "Booking ini tidak dapat dibatalkan lagi.")
    booking.status = BookingStatus.CANCELLED
    logger.info("booking %s cancelled", booking.booking_code)


def release_unconfirmed(session: Session, today: date, moment: datetime | None) -> list[Booking]:
    """Unconfirmed bookings of earlier days, and of ``today`` made before the release ``moment`` (None:
    not yet reached): expired, their places free again. One made after the release time for the same day
    (e.g. through Mobile JKN) keeps its place until the day ends."""
    due = Booking.service_date < today
    if moment is not None:
        due = or_(due, and_(Booking.service_date == today, Booking.created_at < moment))
    stale = list(
        session.scalars(select(Booking).where(due, Booking.status == BookingStatus.BOOKED).with_for_update())
    )
    for booking in stale:
        booking.status = BookingStatus.EXPIRED
    if stale:
        logger.info("%d unconfirmed bookings up to %s released", len(stale), today)
    return stale


def search(session: Session, day: date, text: str, limit: int = 50) -> list[Booking]:
    """The day's bookings, newest first; ``text`` matches the code, the name, the card or the NIK."""
    query = select(Booking).where(Booking.service_date == day)
    needle = text.strip()
    if needle:
        like = f"%{needle.lower()}%"
        query = query.where(
            or_(
                Booking.booking_code == needle.upper(),
                func.lower(Booking.patient_name).like(like),
                Booking.bpjs_number == needle,
                Booking.nik == needle,
            )
        )
    return list(session.scalars(query.order_by(Booking.id.desc()).limit(limit)))
