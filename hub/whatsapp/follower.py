"""Which WhatsApp messages the queue's changes mean (a follower of :mod:`hub.followers`), for bookings that
gave a phone number (online bookings, Mobile JKN):

- ``booking_confirmed`` once the booking has its number: at once for a Mobile JKN number, on arrival for
  other bookings (number, poly, date, estimate, booking code);
- ``reminder`` the day before, from ``[whatsapp] reminder_time``, for bookings not yet used;
- ``soon`` when at most ``[whatsapp] notify_before`` tickets are ahead;
- ``called`` (with the loket) and ``skipped``.

Only to patients who agreed (``bookings.phone_consent``; a Mobile JKN number: the participant gave the
number to Mobile JKN for this queue). Each at most once per booking or ticket (the notification's
``event_key``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from antrean.config import parse_hhmm
from hub.config import WhatsAppConfig
from hub.db.models import Booking, Counter, Polyclinic, Queue, TicketEvent
from hub.db.statuses import CALLABLE, BookingStatus, TicketStatus
from hub.dispatch.numbering import format_number
from hub.dispatch.rules import load_rules
from hub.whatsapp.outbox import notify
from protocol import Ticket

logger = logging.getLogger(__name__)


def _day(value: datetime | object) -> str:
    return f"{value:%d-%m-%Y}"


class WhatsAppFollower:
    """``ticket_of(status_token)`` gives a waiting ticket's place (the dispatcher's ``ticket_by_token``)."""

    name = "whatsapp"

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        site_name: str,
        tz: ZoneInfo,
        ticket_of: Callable[[str], Ticket | None],
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.site_name = site_name
        self.tz = tz
        self.ticket_of = ticket_of
        self._wake = wake
        self._written = 0
        self._reminders_checked: datetime | None = None

    def _notify(
        self,
        session: Session,
        event: str,
        key: str,
        phone: str,
        values: dict[str, str],
        now: datetime,
        **ids: int | None,
    ) -> None:
        if notify(session, event, key, phone, {"puskesmas": self.site_name, **values}, now, **ids):
            self._written += 1

    def _done(self) -> None:
        if self._written and self._wake is not None:
            self._wake()
        self._written = 0

    def _estimate(self, session: Session, booking: Booking) -> str:
        """When an advance number may be served: opening time plus the service time of those before it."""
        rules = load_rules(session)
        lokets = len(list(session.scalars(select(Counter.id).where(Counter.is_active.is_(True))))) or 1
        start = datetime.combine(booking.service_date, rules.operating_start)
        at = start + timedelta(minutes=rules.avg_service_min * max(0, (booking.queue_seq or 1) - 1) / lokets)
        return f"sekitar pukul {at:%H:%M}"

    def on_bookings(self, session: Session, bookings: Sequence[Booking], now: datetime) -> None:
        for seen in bookings:
            booking = session.get(Booking, seen.id)
            if (
                booking is None
                or not (booking.phone and booking.phone_consent)
                or booking.status != BookingStatus.BOOKED
            ):
                continue
            if booking.queue_prefix and booking.queue_seq:
                poly = session.get(Polyclinic, booking.poly_id)
                values = {
                    "nomor": format_number(booking.queue_prefix, booking.queue_seq),
                    "poli": poly.name if poly else "",
                    "tanggal": _day(booking.service_date),
                    "perkiraan": self._estimate(session, booking),
                    "kode_booking": booking.booking_code,
                }
                self._notify(
                    session,
                    "booking_confirmed",
                    f"booking:{booking.id}",
                    booking.phone,
                    values,
                    now,
                    booking_id=booking.id,
                )
        self._done()

    def on_events(self, session: Session, events: Sequence[TicketEvent], now: datetime) -> None:
        for event in events:
            booking = session.scalar(select(Booking).where(Booking.queue_id == event.queue_id).limit(1))
            if booking is None or not (booking.phone and booking.phone_consent):
                continue
            queue = session.get(Queue, event.queue_id)
            assert queue is not None
            ids = {"queue_id": queue.id, "booking_id": booking.id}
            values = {"nomor": queue.queue_number, "poli": queue.poly.name, "tanggal": _day(queue.queue_date)}
            if event.to_status == TicketStatus.CONFIRMED:
                ticket = self.ticket_of(queue.status_token)
                low, high = ticket.estimated_wait_min if ticket is not None else (0, 0)
                values |= {
                    "perkiraan": f"sekitar {low}–{high} menit lagi" if high else "segera",
                    "kode_booking": booking.booking_code,
                }
                self._notify(
                    session, "booking_confirmed", f"booking:{booking.id}", booking.phone, values, now, **ids
                )
            elif event.to_status == TicketStatus.CALLED:
                loket = session.scalar(select(Counter.name).where(Counter.number == event.counter_number))
                values["loket"] = loket or f"Loket {event.counter_number or ''}".strip()
                self._notify(session, "called", f"queue:{queue.id}", booking.phone, values, now, **ids)
            elif event.to_status == TicketStatus.SKIPPED:
                self._notify(session, "skipped", f"queue:{queue.id}", booking.phone, values, now, **ids)
        if events:
            self._soon(session, now)
        self._done()

    def _soon(self, session: Session, now: datetime) -> None:
        """``soon`` for today's waiting booked tickets with at most ``notify_before`` tickets ahead."""
        rows = session.execute(
            select(Queue, Booking)
            .join(Booking, Booking.queue_id == Queue.id)
            .where(Queue.status.in_(CALLABLE), Booking.phone.is_not(None), Booking.phone_consent.is_(True))
        ).all()
        for queue, booking in rows:
            ticket = self.ticket_of(queue.status_token)
            if ticket is None or ticket.ahead > self.config.notify_before:
                continue
            values = {"nomor": queue.queue_number, "sisa": str(ticket.ahead), "poli": queue.poly.name}
            self._notify(
                session,
                "soon",
                f"queue:{queue.id}",
                booking.phone or "",
                values,
                now,
                queue_id=queue.id,
                booking_id=booking.id,
            )

    def on_tick(self, session: Session, now: datetime) -> None:
        """The reminders for tomorrow's bookings, looked for once a minute from ``reminder_time``."""
        if self._reminders_checked is not None and now - self._reminders_checked < timedelta(minutes=1):
            return
        self._reminders_checked = now
        local = now.astimezone(self.tz)
        if local.time() < parse_hhmm(self.config.reminder_time):
            return
        tomorrow = local.date() + timedelta(days=1)
        for booking in session.scalars(
            select(Booking).where(
                Booking.service_date == tomorrow,
                Booking.status == BookingStatus.BOOKED,
                Booking.phone.is_not(None),
                Booking.phone_consent.is_(True),
            )
        ):
            poly = session.get(Polyclinic, booking.poly_id)
            number = (
                format_number(booking.queue_prefix, booking.queue_seq)
                if booking.queue_prefix and booking.queue_seq
                else "diberikan saat datang"
            )
            values = {
                "nomor": number,
                "poli": poly.name if poly else "",
                "tanggal": _day(booking.service_date),
                "kode_booking": booking.booking_code,
            }
            self._notify(
                session,
                "reminder",
                f"booking:{booking.id}",
                booking.phone or "",
                values,
                now,
                booking_id=booking.id,
            )
        self._done()
