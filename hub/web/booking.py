"""Online booking on the public listener (phone-first, Indonesian, no script needed): book a place for a
day, see it with its code and QR, cancel it, and confirm arrival from the phone on the puskesmas Wi-Fi.

A booking's page lives at ``/booking/<secret>`` (24 random bytes, the link to keep); ``/booking/cari``
finds it again from the code and the phone number. Booking is throttled per client address and per phone,
and guarded by an arithmetic question signed with HMAC (:mod:`hub.web.humancheck`)."""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import logging
import re
from typing import Any, cast

import qrcode
import qrcode.image.svg
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select

from hub.config import BookingSettings
from hub.db.models import Booking, Polyclinic
from hub.dispatch.bookings import HOLDS_PLACE, info_of
from hub.dispatch.outcome import DispatchError, Outcome
from hub.phone import PhoneError, normalise_phone
from hub.web.booking_form import CATEGORIES, PAYMENTS, BookingDay, BookingInput, booking_days, read_booking
from hub.web.db import db, services, today
from hub.web.humancheck import HumanCheck
from hub.web.ratelimit import RateLimit
from hub.web.templating import REASONS

logger = logging.getLogger(__name__)
bp = Blueprint("booking", __name__, url_prefix="/booking")
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{20,64}$")
TOO_MANY = "Terlalu banyak permintaan dari perangkat ini. Coba lagi nanti."


class BookingGuards:
    """The human check and the rate limits of one public app."""

    def __init__(self, app: Flask, settings: BookingSettings) -> None:
        key = hashlib.sha256(b"human-check:" + str(app.config["SECRET_KEY"]).encode()).digest()
        self.human = HumanCheck(key)
        self.per_client = RateLimit(settings.per_client_per_hour, 3600.0)
        self.per_phone = RateLimit(settings.per_phone_per_day * 3, 86400.0)
        self.lookups = RateLimit(30, 3600.0)


def _settings() -> BookingSettings:
    return cast(BookingSettings, current_app.config["BOOKING"])


def _guards() -> BookingGuards:
    return cast(BookingGuards, current_app.extensions["antrean_booking"])


def on_lan() -> bool:
    """Whether this request comes from the puskesmas network (``[public] lan_networks``)."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in current_app.config["LAN_NETWORKS"])


def _qr(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def booking_days_now() -> tuple[list[Polyclinic], list[BookingDay]]:
    web = services()
    return booking_days(db(), today(), web.clock().astimezone(web.tz), _settings())


def _form(entry: BookingInput | None = None, status: int = 200, problem: str | None = None) -> Any:
    polys, days = booking_days_now()
    question = _guards().human.new()
    return render_template(
        "public/booking_form.html",
        polys=polys,
        days=days,
        values=entry.values if entry else {},
        errors=entry.errors if entry else {},
        problem=problem,
        question=question,
        categories=CATEGORIES,
        payments=PAYMENTS,
        reasons=REASONS,
    ), status


@bp.route("", methods=["GET"])
def form() -> Any:
    return _form()


def _participant_problem(values: dict[str, Any]) -> tuple[str, str] | None:
    """For a BPJS booking with a card or a NIK: (field, why) when PCare refuses the participant; None when
    it accepts (the card found from a NIK is kept), or when the bridge is off or does not answer (the loket
    checks again on arrival)."""
    bridge = services().bpjs
    card, nik = values["bpjs_number"], values["nik"]
    if values["payment"] != "bpjs" or not (card or nik) or bridge is None or not bridge.configured():
        return None
    result = bridge.check_participant(card=card) if card else bridge.check_participant(nik=nik)
    if result.ok:
        if result.participant is not None and not card:
            values["bpjs_number"] = result.participant.no_kartu
        return None
    if result.error_code in ("inactive", "not_found"):
        field = "kartu" if card else "nik"
        return field, result.message or "Peserta BPJS tidak aktif atau tidak ditemukan."
    logger.warning("booking: PCare check failed (%s); the loket checks it on arrival", result.error_code)
    return None


def _phone_full(values: dict[str, Any]) -> bool:
    if not values["phone"]:
        return False
    held = db().scalar(
        select(func.count()).where(
            Booking.phone == values["phone"],
            Booking.service_date == values["day"],
            Booking.status.in_(HOLDS_PLACE),
        )
    )
    return int(held or 0) >= _settings().per_phone_per_day


@bp.route("", methods=["POST"])
def create() -> Any:
    guards = _guards()
    polys, days = booking_days_now()
    entry = read_booking(request.form, days, polys)
    wrong = guards.human.verify(request.form.get("soal", ""), request.form.get("jawaban", ""))
    if wrong:
        entry.errors["jawaban"] = wrong
    if entry.errors:
        return _form(entry, 400)
    values = entry.values
    client = request.remote_addr or "?"
    if not guards.per_client.allow(client):  # before PCare: the form is no oracle for card numbers
        logger.warning("booking: rate limit reached for client %s", client)
        return _form(entry, 429, TOO_MANY)
    if problem := _participant_problem(values):
        entry.errors[problem[0]] = problem[1]
        return _form(entry, 400)
    if _phone_full(values):
        return _form(entry, 429, "Nomor HP ini sudah memiliki booking untuk tanggal tersebut.")
    if values["phone"] and not guards.per_phone.allow(values["phone"]):
        logger.warning("booking: rate limit reached for a phone number (client %s)", client)
        return _form(entry, 429, TOO_MANY)
    try:
        booking = services().dispatcher.create_booking(source="web", **values)
    except DispatchError as error:
        return _form(entry, 409, error.info.message)
    services().apply(Outcome(services=True))
    return redirect(url_for("booking.show", secret=booking.secret), 303)


def _booking(secret: str) -> Booking:
    if not _SECRET.match(secret):
        abort(404)
    booking = db().scalar(select(Booking).where(Booking.secret == secret))
    if booking is None:
        abort(404)
    return booking


def _page(booking: Booking, message: str | None = None, ok: bool = True, status: int = 200) -> Any:
    info = info_of(db(), booking)
    return render_template(
        "public/booking.html",
        b=info,
        qr=_qr(info.code),
        today=today(),
        lan=on_lan(),
        message=message,
        ok=ok,
        reasons=REASONS,
    ), status


@bp.route("/<secret>")
def show(secret: str) -> Any:
    return _page(_booking(secret))


@bp.route("/<secret>/batal", methods=["POST"])
def cancel(secret: str) -> Any:
    booking = _booking(secret)
    try:
        services().apply(services().dispatcher.cancel_booking(booking.booking_code))
    except DispatchError as error:
        return _page(booking, error.info.message, ok=False, status=409)
    db().rollback()  # a fresh read: the dispatcher committed in its own transaction
    return _page(_booking(secret), "Booking dibatalkan. Kuota dikembalikan.")


@bp.route("/<secret>/datang", methods=["POST"])
def arrive(secret: str) -> Any:
    """Confirm arrival from the phone: only from the puskesmas network, and only on the booked day."""
    booking = _booking(secret)
    if not on_lan():
        message = "Konfirmasi kedatangan dari HP hanya bisa lewat Wi-Fi puskesmas, atau di kiosk / loket."
        return _page(booking, message, ok=False, status=403)
    outcome = services().dispatcher.confirm_booking_here(booking.booking_code, actor="phone")
    reply = outcome.reply
    if reply is None or not reply.ok:
        message = reply.error.message if reply is not None and reply.error is not None else "Gagal."
        return _page(booking, message, ok=False, status=409)
    services().apply(outcome)
    db().rollback()  # a fresh read: the dispatcher committed in its own transaction
    return _page(_booking(secret), "Kedatangan dikonfirmasi. Anda sudah masuk antrean.")


@bp.route("/cari", methods=["GET", "POST"])
def find() -> Any:
    """Find a booking again from its code and the phone number given when booking."""
    if request.method == "GET":
        return render_template("public/booking_find.html", problem=None)
    if not _guards().lookups.allow(request.remote_addr or "?"):
        return render_template("public/booking_find.html", problem=TOO_MANY), 429
    code = request.form.get("kode", "").strip().upper()[:16]
    try:
        phone = normalise_phone(request.form.get("hp", ""))
    except PhoneError as error:
        return render_template("public/booking_find.html", problem=str(error)), 400
    booking = db().scalar(select(Booking).where(Booking.booking_code == code, Booking.phone == phone))
    if booking is None or booking.secret is None:
        problem = "Booking dengan kode dan nomor HP tersebut tidak ditemukan."
        return render_template("public/booking_find.html", problem=problem), 404
    return redirect(url_for("booking.show", secret=booking.secret), 303)
