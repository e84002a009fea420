"""Which Antrean FKTP calls the queue's changes mean (a follower of :mod:`hub.followers`).

A ticket is known to BPJS once it has a BPJS card: a Mobile JKN number at once (BPJS gave it), a booking
with a card number when the patient arrives, a kiosk ticket when the loket registers the patient with a
card. From then on, for a ticket paid by BPJS in a poly with a BPJS poly code:

- ``antrean/add`` once (not for Mobile JKN numbers: BPJS has them already);
- ``antrean/panggil`` status 1 once it was called (sent right after the add if it was called before the
  card was known), status 2 when it is marked absent (skipped);
- ``antrean/batal`` when it is cancelled before being called (not when Mobile JKN itself cancelled it),
  and when a Mobile JKN number is cancelled here or released unused before the patient arrived.

Every item is written once (its once-only key) and in that order for the number's subject.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import utcnow
from hub.db.models import Booking, Doctor, Patient, Polyclinic, Queue, Registration, TicketEvent
from hub.db.statuses import TicketStatus
from hub.dispatch.bookings import BookingEvent, BookingInfo
from hub.dispatch.rules import load_rules
from hub.jkn.sender import enqueue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """Who holds a ticket, as BPJS knows them."""

    card: str
    nik: str
    phone: str
    norm: str


def holder_of(session: Session, queue: Queue, booking: Booking | None) -> Holder | None:
    patient = session.scalar(
        select(Patient)
        .join(Registration, Registration.patient_id == Patient.id)
        .where(Registration.queue_id == queue.id)
        .limit(1)
    )
    if booking is not None and booking.bpjs_number:
        if patient is None:
            patient = session.scalar(
                select(Patient).where(Patient.bpjs_number == booking.bpjs_number).limit(1)
            )
        return Holder(
            booking.bpjs_number,
            booking.nik or (patient.nik if patient else None) or "",
            booking.phone or "",
            patient.medical_record if patient else "",
        )
    if patient is not None and patient.bpjs_number:
        return Holder(patient.bpjs_number, patient.nik or "", patient.phone or "", patient.medical_record)
    return None


def _doctor(session: Session, poly_id: int) -> tuple[int, str]:
    doctor = session.scalar(
        select(Doctor)
        .where(Doctor.poly_id == poly_id, Doctor.is_active.is_(True), Doctor.bpjs_doctor_code.is_not(None))
        .order_by(Doctor.id)
        .limit(1)
    )
    if doctor is None or not (doctor.bpjs_doctor_code or "").isdigit():
        return 0, "-"
    return int(doctor.bpjs_doctor_code or 0), doctor.name


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class JknTracker:
    """Writes the Antrean FKTP outbox items; ``enabled`` false (no ``[jkn] base_url``) writes nothing."""

    name = "jkn"

    def __init__(
        self,
        enabled: bool,
        wake: Any = None,
        *,
        sessions: sessionmaker[Session] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``sessions``: for :meth:`on_booking_event` (a listener of the dispatcher's booking events)."""
        self.enabled = enabled
        self._wake = wake
        self.sessions = sessions
        self._clock = clock

    def on_booking_event(self, kind: BookingEvent, info: BookingInfo) -> None:
        """A Mobile JKN number cancelled here (loket, booking page) or released unused: ``antrean/batal``.
        (Cancelled from Mobile JKN itself it emits nothing: BPJS knows.)"""
        if not self.enabled or self.sessions is None or kind not in ("cancelled", "released"):
            return
        if info.source != "jkn" or not info.bpjs_number:
            return
        with self.sessions.begin() as session:
            kodepoli = session.scalar(
                select(Polyclinic.bpjs_poly_code).where(Polyclinic.code == info.poly_code)
            )
            if not kodepoli:
                return
            day = info.service_date.isoformat()
            body = {
                "tanggalperiksa": day,
                "kodepoli": kodepoli,
                "nomorkartu": info.bpjs_number,
                "alasan": "Dibatalkan di puskesmas" if kind == "cancelled" else "Tidak datang",
            }
            subject = f"{info.bpjs_number}:{kodepoli}:{day}"
            written = enqueue(
                session, "jkn_batal", subject, f"jkn_batal:booking:{info.id}", body, self._clock()
            )
        if written and self._wake is not None:
            self._wake()

    def on_bookings(self, session: Session, bookings: Sequence[Booking], now: datetime) -> None:
        return None

    def on_tick(self, session: Session, now: datetime) -> None:
        return None

    def on_events(self, session: Session, events: Sequence[TicketEvent], now: datetime) -> None:
        if not self.enabled:
            return
        written = 0
        for queue_id in dict.fromkeys(event.queue_id for event in events):
            queue = session.get(Queue, queue_id)
            if queue is not None:
                written += self.reconcile(session, queue, now)
        if written and self._wake is not None:
            self._wake()

    def reconcile(self, session: Session, queue: Queue, now: datetime) -> int:
        """Write what BPJS should know of ``queue`` by now and has not been written; returns how many."""
        kodepoli = queue.poly.bpjs_poly_code
        if queue.payment_type != "bpjs" or not kodepoli:
            return 0
        booking = session.scalar(select(Booking).where(Booking.queue_id == queue.id).limit(1))
        holder = holder_of(session, queue, booking)
        if holder is None:
            return 0
        day = queue.queue_date.isoformat()
        subject = f"{holder.card}:{kodepoli}:{day}"
        key = {"tanggalperiksa": day, "kodepoli": kodepoli, "nomorkartu": holder.card}
        items: list[tuple[str, str, dict[str, Any]]] = []
        if queue.source != "jkn":
            rules = load_rules(session)
            kodedokter, namadokter = _doctor(session, queue.poly_id)
            add = {
                "nomorkartu": holder.card,
                "nik": holder.nik,
                "nohp": holder.phone,
                "kodepoli": kodepoli,
                "namapoli": queue.poly.name,
                "norm": holder.norm,
                "tanggalperiksa": day,
                "kodedokter": kodedokter,
                "namadokter": namadokter,
                "jampraktek": f"{rules.operating_start:%H:%M}-{rules.operating_end:%H:%M}",
                "nomorantrean": queue.queue_number,
                "angkaantrean": queue.queue_seq,
                "keterangan": "",
            }
            items.append(("jkn_add", f"jkn_add:queue:{queue.id}", add))
        if queue.called_at is not None:
            body = {**key, "status": 1, "waktu": _ms(queue.called_at)}
            items.append(("jkn_panggil", f"jkn_panggil1:queue:{queue.id}", body))
        if queue.status == TicketStatus.SKIPPED:
            body = {**key, "status": 2, "waktu": _ms(now)}
            items.append(("jkn_panggil", f"jkn_panggil2:queue:{queue.id}", body))
        if (
            queue.status == TicketStatus.CANCELLED
            and queue.called_at is None
            and queue.status_reason != "jkn"
        ):
            body = {**key, "alasan": (queue.status_reason or "Dibatalkan")[:50]}
            items.append(("jkn_batal", f"jkn_batal:queue:{queue.id}", body))
        written = sum(enqueue(session, kind, subject, dedup, body, now) for kind, dedup, body in items)
        if written:
            logger.info("Antrean FKTP: %d item(s) for ticket %s", written, queue.queue_number)
        return written
