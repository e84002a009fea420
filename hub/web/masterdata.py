"""Validation of master data (polys, doctors, weekly schedules) and users, shared by the admin pages."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from hub.db.models import Counter, Doctor, DoctorSchedule, Polyclinic, User
from hub.web.auth import ROLES
from hub.web.fields import Form
from hub.web.passwords import password_problems

_CODE = re.compile(r"^[A-Z0-9]{1,10}$")
_PREFIX = re.compile(r"^[A-OQ-Z]{1,3}$")  # P is reserved for priority tickets
_USERNAME = re.compile(r"^[a-z0-9_.\-]{3,50}$")


def parse_poly(
    session: Session, data: MultiDict[str, str], poly_id: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    form = Form(data)
    values: dict[str, Any] = {
        "code": (form.text("code", required=True, max_len=10) or "").upper(),
        "name": form.text("name", required=True, max_len=100),
        "bpjs_poly_code": form.text("bpjs_poly_code", max_len=10),
        "queue_prefix": (form.text("queue_prefix", required=True, max_len=3) or "").upper(),
        "quota_per_day": form.integer("quota_per_day", required=True, low=1, high=999),
        "room": form.text("room", max_len=50),
        "is_24_hours": form.flag("is_24_hours"),
        "kunj_sakit": form.flag("kunj_sakit"),
        "is_active": form.flag("is_active"),
        "sort_order": form.integer("sort_order", low=0, high=999) or 0,
    }
    if values["code"] and not _CODE.match(values["code"]):
        form.error("code", "Kode hanya huruf besar dan angka.")
    if values["queue_prefix"] and not _PREFIX.match(values["queue_prefix"]):
        form.error("queue_prefix", "Awalan 1–3 huruf; P dipakai untuk nomor prioritas.")
    booking_quota = form.integer("booking_quota", low=0, high=999)  # blank: unchanged (new poly: 10)
    if booking_quota is not None:
        values["booking_quota"] = booking_quota
        if values["quota_per_day"] is not None and booking_quota > values["quota_per_day"]:
            form.error("booking_quota", "Tidak boleh melebihi kuota per hari.")
    for key, label in (("code", "Kode"), ("queue_prefix", "Awalan")):
        column = getattr(Polyclinic, key)
        other = session.scalar(select(Polyclinic).where(column == values[key]))
        if values[key] and other is not None and other.id != poly_id:
            form.error(key, f"{label} sudah dipakai {other.name}.")
    return values, form.errors


CATEGORY_LABELS = {"prioritas": "Prioritas", "umum": "Umum"}


def parse_counter(
    session: Session, data: MultiDict[str, str], counter_id: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A loket: its number (as on the buttons and the TV), name, the categories it calls, active."""
    form = Form(data)
    categories = [category for category in CATEGORY_LABELS if form.flag(f"cat_{category}")]
    values: dict[str, Any] = {
        "number": form.integer("number", required=True, low=1, high=99),
        "name": form.text("name", required=True, max_len=50),
        "categories": ",".join(categories),
        "is_active": form.flag("is_active"),
    }
    if not categories:
        form.error("categories", "Pilih minimal satu kategori yang dilayani loket ini.")
    other = session.scalar(select(Counter).where(Counter.number == values["number"]))
    if values["number"] is not None and other is not None and other.id != counter_id:
        form.error("number", f"Nomor loket sudah dipakai {other.name}.")
    return values, form.errors


def parse_doctor(session: Session, data: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    form = Form(data)
    values: dict[str, Any] = {
        "name": form.text("name", required=True),
        "nip": form.text("nip", max_len=30),
        "sip_number": form.text("sip_number", max_len=50),
        "specialization": form.text("specialization", max_len=100),
        "poly_id": form.integer("poly_id"),
        "bpjs_doctor_code": form.text("bpjs_doctor_code", max_len=20),
        "is_active": form.flag("is_active"),
    }
    if values["nip"] and not values["nip"].replace(" ", "").isdigit():
        form.error("nip", "NIP hanya angka.")
    if values["poly_id"] is not None and session.get(Polyclinic, values["poly_id"]) is None:
        form.error("poly_id", "Poli tidak dikenal.")
    return values, form.errors


def parse_schedule(session: Session, data: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    form = Form(data)
    values: dict[str, Any] = {
        "doctor_id": form.integer("doctor_id", required=True),
        "poly_id": form.integer("poly_id", required=True),
        "day_of_week": form.integer("day_of_week", required=True, low=1, high=7),
        "start_time": form.clock("start_time", required=True),
        "end_time": form.clock("end_time", required=True),
        "max_patient": form.integer("max_patient", required=True, low=1, high=500),
    }
    if values["doctor_id"] and session.get(Doctor, values["doctor_id"]) is None:
        form.error("doctor_id", "Dokter tidak dikenal.")
    if values["poly_id"] and session.get(Polyclinic, values["poly_id"]) is None:
        form.error("poly_id", "Poli tidak dikenal.")
    if values["start_time"] and values["end_time"] and values["end_time"] <= values["start_time"]:
        form.error("end_time", "Jam selesai harus setelah jam mulai.")
    if form.ok:
        clash = session.scalar(
            select(DoctorSchedule).where(
                DoctorSchedule.doctor_id == values["doctor_id"],
                DoctorSchedule.day_of_week == values["day_of_week"],
                DoctorSchedule.is_active,
                DoctorSchedule.start_time < values["end_time"],
                DoctorSchedule.end_time > values["start_time"],
            )
        )
        if clash is not None:
            form.error("start_time", "Bertabrakan dengan jadwal dokter ini yang lain pada hari yang sama.")
    return values, form.errors


def parse_user(
    session: Session, data: MultiDict[str, str], user: User | None
) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """User values, errors, and the new password (required for a new user, optional on edit)."""
    form = Form(data)
    values: dict[str, Any] = {
        "name": form.text("name", required=True),
        "role": form.choice("role", ROLES, required=True),
        "email": form.text("email", max_len=100),
        "phone": form.phone("phone"),
        "counter_number": form.integer("counter_number", low=1, high=99),
        "is_active": form.flag("is_active"),
    }
    if user is None:
        username = (form.text("username", required=True, max_len=50) or "").lower()
        values["username"] = username
        if username and not _USERNAME.match(username):
            form.error("username", "3–50 huruf kecil, angka, titik, garis bawah atau strip.")
        elif username and session.scalar(select(User).where(User.username == username)) is not None:
            form.error("username", "Username sudah dipakai.")
    if values["email"]:
        if "@" not in values["email"]:
            form.error("email", "Email tidak valid.")
        else:
            other = session.scalar(select(User).where(User.email == values["email"]))
            if other is not None and (user is None or other.id != user.id):
                form.error("email", "Email sudah dipakai.")
    password = form.raw("password") or None
    if user is None and not password:
        form.error("password", "Wajib diisi.")
    if password:
        problems = password_problems(password)
        if problems:
            form.error("password", "Kata sandi " + ", ".join(problems) + ".")
        elif password != form.raw("password2"):
            form.error("password2", "Konfirmasi kata sandi tidak sama.")
    return values, form.errors, password
