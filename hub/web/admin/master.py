"""Master data: polys, doctors and weekly schedules, validated and audited."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db.models import Counter, Doctor, DoctorSchedule, Polyclinic
from hub.web import masterdata
from hub.web.admin import bp, changed_master, columns, polys_in_order
from hub.web.audit import changes, record
from hub.web.db import db, writes, writing

logger = logging.getLogger(__name__)


def save_row(
    session: Any, model: type[Any], row: Any, parsed: dict[str, Any], stored: dict[str, Any], action: str
) -> Any:
    """Create ``model`` from ``parsed`` or update ``row`` with it, auditing ``{action}_create`` with the new
    values or ``{action}_update`` with only what changed (``stored`` holds the values before)."""
    table = model.__tablename__
    if row is None:
        row = model(**parsed)
        session.add(row)
        session.flush()
        record(session, f"{action}_create", table=table, record_id=row.id, new_values=parsed)
        return row
    old, new = changes(stored, parsed)
    for key, value in parsed.items():
        setattr(row, key, value)
    record(session, f"{action}_update", table=table, record_id=row.id, old_values=old, new_values=new)
    return row


# ---------------------------------------------------------------- polys


@bp.route("/poli", methods=["GET", "POST"])
@bp.route("/poli/<int:poly_id>", methods=["GET", "POST"])
def polys(poly_id: int | None = None) -> Any:
    session = db()
    poly = session.get(Polyclinic, poly_id) if poly_id else None
    if poly_id and poly is None:
        abort(404)
    errors: dict[str, str] = {}
    values: Any = (
        columns(
            poly,
            [
                "code",
                "name",
                "bpjs_poly_code",
                "queue_prefix",
                "quota_per_day",
                "booking_quota",
                "room",
                "is_24_hours",
                "kunj_sakit",
                "is_active",
                "sort_order",
            ],
        )
        if poly
        else {"is_active": True, "kunj_sakit": True}
    )
    if request.method == "POST":
        with writing() as unit:
            parsed, errors = masterdata.parse_poly(unit, request.form, poly_id)
            if not errors:
                poly = save_row(unit, Polyclinic, poly, parsed, values, "poly")
        if not errors:
            changed_master("polys")
            flash("Data poli disimpan.", "success")
            return redirect(url_for("admin.polys"))
        values = request.form
    return render_template(
        "admin/polys.html", polys=polys_in_order(), poly=poly, values=values, errors=errors
    ), (400 if errors else 200)


# ---------------------------------------------------------------- lokets


@bp.route("/loket", methods=["GET", "POST"])
@bp.route("/loket/<int:counter_id>", methods=["GET", "POST"])
def counters(counter_id: int | None = None) -> Any:
    """Lokets: number and name as the buttons and the TV show them, the categories each one calls."""
    session = db()
    loket = session.get(Counter, counter_id) if counter_id else None
    if counter_id and loket is None:
        abort(404)
    stored: dict[str, Any] = columns(loket, ["number", "name", "categories", "is_active"]) if loket else {}
    values: Any = (
        {**stored, **{f"cat_{c}": c in loket.categories.split(",") for c in masterdata.CATEGORY_LABELS}}
        if loket
        else {"is_active": True, "cat_prioritas": True, "cat_umum": True}
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        with writing() as unit:
            parsed, errors = masterdata.parse_counter(unit, request.form, counter_id)
            if not errors:
                loket = save_row(unit, Counter, loket, parsed, stored, "counter")
        if not errors:
            changed_master("lokets")
            flash("Data loket disimpan.", "success")
            return redirect(url_for("admin.counters"))
        values = request.form
    lokets = list(session.scalars(select(Counter).order_by(Counter.number)))
    return render_template(
        "admin/counters.html",
        lokets=lokets,
        loket=loket,
        values=values,
        errors=errors,
        labels=masterdata.CATEGORY_LABELS,
    ), (400 if errors else 200)


# ---------------------------------------------------------------- doctors


@bp.route("/dokter", methods=["GET", "POST"])
@bp.route("/dokter/<int:doctor_id>", methods=["GET", "POST"])
def doctors(doctor_id: int | None = None) -> Any:
    session = db()
    doctor = session.get(Doctor, doctor_id) if doctor_id else None
    if doctor_id and doctor is None:
        abort(404)
    keys = ["name", "nip", "sip_number", "specialization", "poly_id", "bpjs_doctor_code", "is_active"]
    errors: dict[str, str] = {}
    values: Any = columns(doctor, keys) if doctor else {"is_active": True}
    if request.method == "POST":
        with writing() as unit:
            parsed, errors = masterdata.parse_doctor(unit, request.form)
            if not errors:
                doctor = save_row(unit, Doctor, doctor, parsed, values, "doctor")
        if not errors:
            flash("Data dokter disimpan.", "success")
            return redirect(url_for("admin.doctors"))
        values = request.form
    rows = list(
        session.execute(
            select(Doctor, Polyclinic.name)
            .outerjoin(Polyclinic, Polyclinic.id == Doctor.poly_id)
            .order_by(Doctor.name)
        )
    )
    return render_template(
        "admin/doctors.html", rows=rows, doctor=doctor, values=values, errors=errors, polys=polys_in_order()
    ), (400 if errors else 200)


# ---------------------------------------------------------------- schedules


@bp.route("/jadwal", methods=["GET", "POST"])
def schedules() -> Any:
    session = db()
    errors: dict[str, str] = {}
    values: Any = {"max_patient": 30}
    if request.method == "POST":
        with writing() as unit:
            parsed, errors = masterdata.parse_schedule(unit, request.form)
            if not errors:
                row = DoctorSchedule(**parsed)
                unit.add(row)
                unit.flush()
                record(unit, "schedule_create", table="doctor_schedules", record_id=row.id, new_values=parsed)
        if not errors:
            flash("Jadwal ditambahkan.", "success")
            return redirect(url_for("admin.schedules"))
        values = request.form
    rows = list(
        session.execute(
            select(DoctorSchedule, Doctor.name, Polyclinic.name)
            .join(Doctor, Doctor.id == DoctorSchedule.doctor_id)
            .join(Polyclinic, Polyclinic.id == DoctorSchedule.poly_id)
            .where(DoctorSchedule.is_active)
            .order_by(DoctorSchedule.day_of_week, DoctorSchedule.start_time, Doctor.name)
        )
    )
    doctors = list(session.scalars(select(Doctor).where(Doctor.is_active).order_by(Doctor.name)))
    return render_template(
        "admin/schedules.html",
        rows=rows,
        values=values,
        errors=errors,
        doctors=doctors,
        polys=polys_in_order(),
    ), (400 if errors else 200)


@bp.route("/jadwal/<int:schedule_id>/hapus", methods=["POST"])
@writes
def schedule_delete(schedule_id: int) -> Response:
    session = db()
    row = session.get(DoctorSchedule, schedule_id)
    if row is None:
        abort(404)
    row.is_active = False
    record(
        session,
        "schedule_delete",
        table="doctor_schedules",
        record_id=row.id,
        old_values={
            "doctor_id": row.doctor_id,
            "day_of_week": row.day_of_week,
            "start_time": row.start_time,
            "end_time": row.end_time,
        },
    )
    flash("Jadwal dihapus.", "success")
    return redirect(url_for("admin.schedules"))
