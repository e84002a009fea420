"""What the public booking form offers and accepts: the days a patient may book (closed days and full
quotas shown) and the form's fields as clean values with Indonesian messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from antrean.config import parse_hhmm
from hub.config import BookingSettings
from hub.db.models import Polyclinic
from hub.dispatch.bookings import bookable
from hub.phone import PhoneError, normalise_phone
from hub.web.fields import Form
from hub.web.nik import nik_problem
from hub.web.templating import REASONS

PAYMENTS = {"bpjs": "BPJS", "umum": "Umum (bayar sendiri)"}
CATEGORIES = {"umum": "Umum", "prioritas": "Prioritas"}


@dataclass(frozen=True)
class BookingDay:
    day: date
    closed: str | None  # why no booking can be made for it (Indonesian), or None
    places: dict[str, int] = field(default_factory=dict)  # poly code → places left

    @property
    def value(self) -> str:
        return self.day.isoformat()


def booking_days(
    session: Session, today: date, now_local: datetime, settings: BookingSettings
) -> tuple[list[Polyclinic], list[BookingDay]]:
    """The active polys and the days from ``today`` to ``days_ahead`` with the places each poly has left."""
    polys = list(
        session.scalars(
            select(Polyclinic).where(Polyclinic.is_active).order_by(Polyclinic.sort_order, Polyclinic.code)
        )
    )
    days = []
    for offset in range(settings.days_ahead + 1):
        day = today + timedelta(days=offset)
        closed = None
        if day.isoweekday() in settings.closed_weekdays:
            closed = "Tutup"
        elif offset == 0 and now_local.time() >= parse_hhmm(settings.release_at):
            closed = f"Ditutup pukul {settings.release_at}"
        places = {} if closed else {p.code: bookable(session, day, p) for p in polys}
        days.append(BookingDay(day, closed, places))
    return polys, days


@dataclass
class BookingInput:
    values: dict[str, Any]
    errors: dict[str, str]


def read_booking(data: MultiDict[str, str], days: list[BookingDay], polys: list[Polyclinic]) -> BookingInput:
    """The booking form's fields; errors by field name (Indonesian)."""
    form = Form(data)
    name = form.text("nama", required=True, max_len=100)
    category = form.choice("kategori", CATEGORIES, required=True)
    reason = form.choice("alasan", REASONS) if category == "prioritas" else None
    if category == "prioritas" and reason is None:
        form.error("alasan", "Pilih alasan prioritas.")
    payment = form.choice("pembayaran", PAYMENTS, required=True)
    poly = form.choice("poli", [p.code for p in polys], required=True)
    by_value = {d.value: d for d in days}
    chosen = form.choice("tanggal", list(by_value), required=True)
    if chosen is not None:
        day = by_value[chosen]
        if day.closed:
            form.error("tanggal", f"Tanggal ini tidak melayani booking ({day.closed.lower()}).")
        elif poly is not None and day.places.get(poly, 0) <= 0:
            form.error("poli", "Kuota booking poli ini pada tanggal tersebut sudah penuh.")
    nik = form.digits("nik", length=16)
    if nik and "nik" not in form.errors and (problem := nik_problem(nik, None, None)):
        form.error("nik", problem)
    card = form.digits("kartu", length=13)
    phone = None
    if form.raw("hp"):
        try:
            phone = normalise_phone(form.raw("hp"))
        except PhoneError as error:
            form.error("hp", str(error))
    consent = form.flag("setuju_wa")
    if consent and not phone:
        form.error("hp", "Isi nomor HP untuk menerima pesan WhatsApp.")
    values = {
        "patient_name": name,
        "category": category,
        "reason": reason,
        "payment": payment,
        "poly_code": poly,
        "day": date.fromisoformat(chosen) if chosen else None,
        "nik": nik,
        "bpjs_number": card,
        "phone": phone,
        "phone_consent": consent and phone is not None,
    }
    return BookingInput(values, form.errors)
