"""What the Antrean FKTP web service does with BPJS' calls: take a number from Mobile JKN (a booking of
source ``jkn`` with its own number series per poly), the status of a poly's queue, a participant's place,
cancel a number, and register a new patient.

Every answer is a :class:`WsAnswer`: the ``metadata`` code as BPJS defines it for the Antrean FKTP web
service (200 OK, 201 refused — with the reason in Indonesian —, 202 patient not known here yet) and the
``response`` object.

Numbers: a Mobile JKN number is ``J`` + the poly's prefix (``JA-001``, ``JA-002`` ...) in its own
``queue_counters`` row per day, so it can never take a kiosk number (``A-001``) and two takes at once never
get the same one. The ticket issued when the patient arrives carries that number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import MultiDict

from hub.db.models import Booking, Patient, Polyclinic, Queue
from hub.db.statuses import CALLABLE, BookingStatus, TicketStatus
from hub.dispatch import sql
from hub.dispatch.bookings import bookable, new_booking_code, open_bookings
from hub.dispatch.numbering import format_number, next_seq
from hub.dispatch.operation import Operation, lock_queue
from hub.dispatch.outcome import Outcome
from hub.dispatch.service import Dispatcher
from hub.dispatch.transitions import change_status
from hub.phone import phone_or_none
from hub.web.records import create_patient, duplicate_errors, parse_patient

logger = logging.getLogger(__name__)
JKN_PREFIX = "J"
ACTIVE_BOOKING = (BookingStatus.BOOKED, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class WsAnswer:
    code: int
    message: str
    response: dict[str, Any] | None = None
    outcome: Outcome | None = field(default=None, compare=False)  # queue changes to publish


class Refused(Exception):
    """A call refused with metadata code 201 (or 202) and an Indonesian message."""

    def __init__(self, message: str, code: int = 201) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def jkn_prefix(poly: Polyclinic) -> str:
    """The Mobile JKN series of ``poly``: ``J`` + its prefix (``A`` → ``JA``)."""
    return f"{JKN_PREFIX}{poly.queue_prefix}"[:5]


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return "" if value is None else str(value).strip()


def _digits(body: dict[str, Any], name: str, length: int, label: str) -> str:
    value = _text(body, name)
    if not (value.isdigit() and len(value) == length):
        raise Refused(f"{label} tidak valid (harus {length} digit angka).")
    return value


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("x")
    except ValueError as error:
        raise Refused("Format tanggal periksa tidak sesuai, gunakan yyyy-mm-dd.") from error


class JknAntrean:
    """The web service's work on the database. ``days_ahead``: how far ahead a number may be taken."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        dispatcher: Dispatcher,
        *,
        days_ahead: int = 7,
        closed_weekdays: Sequence[int] = (7,),
    ) -> None:
        """``closed_weekdays``: 1 = Monday … 7 = Sunday, as ``[booking] closed_weekdays``."""
        self.sessions = sessions
        self.dispatcher = dispatcher
        self.days_ahead = days_ahead
        self.closed_weekdays = frozenset(closed_weekdays)

    # -- shared checks -----------------------------------------------------------------------------

    @staticmethod
    def _poly(session: Session, kodepoli: str) -> Polyclinic:
        poly = session.scalar(
            select(Polyclinic).where(Polyclinic.bpjs_poly_code == kodepoli, Polyclinic.is_active.is_(True))
        )
        if poly is None or not kodepoli:
            raise Refused("Poli tidak ditemukan.")
        return poly

    def _check_day(self, session: Session, op: Operation, poly: Polyclinic, day: date) -> None:
        """Refuse a past date, one too far ahead, a day the poly is closed, and today after hours."""
        if day < op.today:
            raise Refused("Tanggal periksa sudah lewat.")
        if day > op.today + timedelta(days=self.days_ahead):
            raise Refused(f"Tanggal periksa paling lambat {self.days_ahead} hari ke depan.")
        if poly.is_24_hours:
            return
        if day.isoweekday() in self.closed_weekdays:
            raise Refused(f"{poly.name} tutup pada tanggal tersebut.")
        if day == op.today and not op.open_now and op.now.astimezone(op.tz).time() >= op.rules.operating_end:
            raise Refused(f"Pendaftaran {poly.name} hari ini sudah ditutup.")

    @staticmethod
    def used(session: Session, poly: Polyclinic, day: date) -> int:
        """Places of ``poly``'s quota taken on ``day``: tickets, and bookings not yet arrived."""
        tickets = sql.run(session, sql.QUOTA_USED, day=day, poly_id=poly.id).scalar() or 0
        return int(tickets) + open_bookings(session, day, poly.id)

    @staticmethod
    def _called_number(session: Session, poly: Polyclinic, day: date) -> str:
        number = session.scalar(
            select(Queue.queue_number)
            .where(Queue.poly_id == poly.id, Queue.queue_date == day, Queue.called_at.is_not(None))
            .order_by(Queue.called_at.desc(), Queue.id.desc())
            .limit(1)
        )
        return number or "-"

    @staticmethod
    def _waiting(session: Session, poly: Polyclinic, day: date) -> int:
        callable_tickets = session.scalar(
            select(func.count(Queue.id)).where(
                Queue.poly_id == poly.id, Queue.queue_date == day, Queue.status.in_(CALLABLE)
            )
        )
        return int(callable_tickets or 0) + open_bookings(session, day, poly.id)

    @staticmethod
    def _find(session: Session, card: str, day: date, poly: Polyclinic | None = None) -> Booking | None:
        query = select(Booking).where(
            Booking.source == "jkn",
            Booking.bpjs_number == card,
            Booking.service_date == day,
            Booking.status.in_(ACTIVE_BOOKING),
        )
        if poly is not None:
            query = query.where(Booking.poly_id == poly.id)
        return session.scalar(query.order_by(Booking.id.desc()).limit(1))

    # -- the calls ---------------------------------------------------------------------------------

    def take(self, body: dict[str, Any]) -> WsAnswer:
        """``POST antrean``: a number for a BPJS participant from Mobile JKN."""
        try:
            card = _digits(body, "nomorkartu", 13, "Nomor kartu")
            nik = _digits(body, "nik", 16, "NIK")
            day = parse_day(_text(body, "tanggalperiksa"))
            phone = phone_or_none(
                _text(body, "nohp")
            )  # no mobile number: no WhatsApp, the number all the same
            complaint = _text(body, "keluhan")[:500] or None
            with self.sessions.begin() as session:
                lock_queue(session)
                op = self.dispatcher.day.begin(session)
                poly = self._poly(session, _text(body, "kodepoli"))
                self._check_day(session, op, poly, day)
                patient = session.scalar(
                    select(Patient).where((Patient.bpjs_number == card) | (Patient.nik == nik)).limit(1)
                )
                if patient is None:
                    raise Refused(
                        "Data pasien ini tidak ditemukan, silakan melakukan registrasi pasien baru.", code=202
                    )
                if self._find(session, card, day) is not None:
                    raise Refused("Nomor kartu ini sudah mengambil antrean pada tanggal tersebut.")
                if bookable(session, day, poly) <= 0:  # the places online bookings may hold
                    raise Refused(f"Kuota {poly.name} pada tanggal tersebut sudah penuh.")
                prefix = jkn_prefix(poly)
                seq = next_seq(session, day, prefix)
                booking = Booking(
                    booking_code=new_booking_code(session),
                    service_date=day,
                    source="jkn",
                    queue_category="umum",
                    payment_type="bpjs",
                    poly_id=poly.id,
                    nik=nik,
                    bpjs_number=card,
                    phone=phone or phone_or_none(patient.phone),
                    # the participant gave the number to Mobile JKN for this queue: its messages may go there
                    phone_consent=bool(phone or phone_or_none(patient.phone)),
                    patient_name=patient.name[:100],
                    queue_prefix=prefix,
                    queue_seq=seq,
                    complaint=complaint,
                    created_at=op.now,  # the release of unconfirmed bookings compares it (dispatcher's clock)
                )
                session.add(booking)
                session.flush()
                waiting = self._waiting(session, poly, day) - 1
                number = format_number(prefix, seq)
                response = {
                    "nomorantrean": number,
                    "angkaantrean": seq,
                    "namapoli": poly.name,
                    "sisaantrean": max(0, waiting),
                    "antreanpanggil": self._called_number(session, poly, day),
                    "keterangan": (
                        f"Kode booking {booking.booking_code}. Datang dan konfirmasi kedatangan di kiosk "
                        "atau loket pada tanggal periksa. Apabila antrean terlewat, harap mengambil antrean "
                        "kembali."
                    ),
                }
            logger.info("Mobile JKN number %s taken for %s (poly %s)", number, day, poly.code)
            return WsAnswer(200, "Ok", response)
        except Refused as refused:
            return WsAnswer(refused.code, refused.message)

    def status(self, kodepoli: str, tanggal: str) -> WsAnswer:
        """``GET antrean/status/{kodepoli}/{tanggalperiksa}``."""
        try:
            day = parse_day(tanggal)
            with self.sessions() as session:
                poly = self._poly(session, kodepoli)
                total = self.used(session, poly, day)
                response = {
                    "namapoli": poly.name,
                    "totalantrean": total,
                    "sisaantrean": self._waiting(session, poly, day),
                    "antreanpanggil": self._called_number(session, poly, day),
                    "keterangan": "",
                    "kodedokter": None,
                    "namadokter": None,
                    "jampraktek": None,
                }
            return WsAnswer(200, "Ok", response)
        except Refused as refused:
            return WsAnswer(refused.code, refused.message)

    def remaining(self, card: str, kodepoli: str, tanggal: str) -> WsAnswer:
        """``GET antrean/sisapeserta/{nomorkartu}/{kodepoli}/{tanggalperiksa}``: the participant's place."""
        try:
            day = parse_day(tanggal)
            with self.sessions() as session:
                poly = self._poly(session, kodepoli)
                booking = self._find(session, card, day, poly)
                if booking is None:
                    raise Refused("Antrean tidak ditemukan.")
                number = format_number(booking.queue_prefix or "", booking.queue_seq or 0)
                queue = session.get(Queue, booking.queue_id) if booking.queue_id else None
                token = queue.status_token if queue is not None and queue.status in CALLABLE else None
                if queue is not None and token is None:
                    ahead = 0  # called already
                elif token is not None:
                    ticket = self.dispatcher.ticket_by_token(token)
                    ahead = ticket.ahead if ticket is not None else 0
                else:
                    ahead = self._ahead_of_booking(session, booking)
                response = {
                    "nomorantrean": number,
                    "namapoli": poly.name,
                    "sisaantrean": ahead,
                    "antreanpanggil": self._called_number(session, poly, day),
                    "keterangan": "",
                }
            return WsAnswer(200, "Ok", response)
        except Refused as refused:
            return WsAnswer(refused.code, refused.message)

    @staticmethod
    def _ahead_of_booking(session: Session, booking: Booking) -> int:
        """Before arrival: the poly's tickets still waiting, and Mobile JKN numbers taken before it."""
        waiting = session.scalar(
            select(func.count(Queue.id)).where(
                Queue.poly_id == booking.poly_id,
                Queue.queue_date == booking.service_date,
                Queue.status.in_(CALLABLE),
            )
        )
        earlier = session.scalar(
            select(func.count(Booking.id)).where(
                Booking.poly_id == booking.poly_id,
                Booking.service_date == booking.service_date,
                Booking.status == BookingStatus.BOOKED,
                Booking.queue_seq < (booking.queue_seq or 0),
            )
        )
        return int(waiting or 0) + int(earlier or 0)

    def cancel(self, body: dict[str, Any]) -> WsAnswer:
        """``PUT antrean/batal``: cancelled in Mobile JKN (refused once the number was called)."""
        try:
            card = _digits(body, "nomorkartu", 13, "Nomor kartu")
            day = parse_day(_text(body, "tanggalperiksa"))
            reason = _text(body, "alasan")[:100]
            with self.sessions.begin() as session:
                lock_queue(session)
                op = self.dispatcher.day.begin(session)
                poly = self._poly(session, _text(body, "kodepoli"))
                booking = self._find(session, card, day, poly)
                if booking is None:
                    raise Refused("Antrean tidak ditemukan atau sudah dibatalkan.")
                queue = session.get(Queue, booking.queue_id) if booking.queue_id else None
                if queue is not None and queue.status not in CALLABLE:
                    raise Refused("Antrean sudah dipanggil atau dilayani, tidak dapat dibatalkan.")
                booking.status = BookingStatus.CANCELLED
                changed = queue is not None
                if queue is not None:
                    # reason "jkn": cancelled by BPJS itself, nothing to tell BPJS back (hub.jkn.tracker)
                    change_status(session, queue, TicketStatus.CANCELLED, op.now, actor="jkn", reason="jkn")
            logger.info("Mobile JKN number of %s on %s cancelled (%s)", poly.code, day, reason or "no reason")
            outcome = Outcome(live=True, services=True) if changed else None
            return WsAnswer(200, "Ok", None, outcome)
        except Refused as refused:
            return WsAnswer(refused.code, refused.message)

    def new_patient(self, body: dict[str, Any], today: date | None = None) -> WsAnswer:
        """``POST peserta``: register a participant not yet known here; answers the new ``norm``."""
        rt, rw = _text(body, "rt"), _text(body, "rw")
        form = MultiDict(
            {
                "name": _text(body, "nama"),
                "nik": _text(body, "nik"),
                "bpjs_number": _text(body, "nomorkartu"),
                "birth_place": _text(body, "namadati2") or "-",
                "birth_date": _text(body, "tanggallahir"),
                "gender": _text(body, "jeniskelamin").upper(),
                "address": _text(body, "alamat"),
                "rt_rw": f"{rt}/{rw}" if rt and rw else "",
                "kelurahan": _text(body, "namakel"),
                "kecamatan": _text(body, "namakec"),
                "kabupaten": _text(body, "namadati2"),
                "phone": _text(body, "nohp"),
                "patient_type": "bpjs",
            }
        )
        values, errors = parse_patient(form)
        if errors:
            field_name, problem = next(iter(errors.items()))
            return WsAnswer(201, f"Data peserta tidak lengkap ({field_name}): {problem}")
        with self.sessions.begin() as session:
            duplicates = duplicate_errors(session, values, None)
            if duplicates:
                return WsAnswer(201, next(iter(duplicates.values())))
            day = today or self.dispatcher.day.begin(session).today
            patient = create_patient(session, values, day)
            norm = patient.medical_record
        logger.info("new patient %s registered through Mobile JKN", norm)
        return WsAnswer(
            200, "Pasien berhasil mendapatkan nomor RM, silakan lanjutkan ambil antrean.", {"norm": norm}
        )
