"""Admin pages: master data (polys, doctors, schedules), queue configuration, BPJS configuration,
users, the audit log and node health. Admin only."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hub.config import QueueSettings
from hub.db.models import AuditLog, Doctor, DoctorSchedule, NodeHealth, Polyclinic, QueueConfig, User
from hub.dispatch.rules import load_settings, store_settings
from hub.web import bridge, masterdata
from hub.web.audit import changes, record
from hub.web.auth import ROLES, role_required
from hub.web.db import db, release, services
from hub.web.fields import Form
from hub.web.passwords import hash_password
from hub.web.sequences import DEFAULT_RM_PATTERN, RM_PATTERN_KEY, render_rm, rm_pattern, rm_pattern_problem

logger = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE = 50
QUEUE_LABELS = {
    "priority_ratio": "Rasio prioritas : umum",
    "max_general_wait_min": "Batas tunggu pasien umum (menit)",
    "reset_time": "Reset harian",
    "operating_start": "Jam buka",
    "operating_end": "Jam tutup",
    "avg_service_minutes": "Rata-rata waktu layanan loket (menit)",
    "tts_enabled": "Panggilan suara (TTS)",
    "running_text": "Running text",
}


@bp.before_request
@role_required("admin")
def _admin_only() -> None:
    return None


def _polys() -> list[Polyclinic]:
    return list(db().scalars(select(Polyclinic).order_by(Polyclinic.sort_order, Polyclinic.code)))


def _columns(row: Any, keys: list[str]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in keys}


def _changed_master(what: str) -> None:
    """Polys reach the kiosks through the retained ``services`` state."""
    release()
    services().publish_all()
    services().notifier.notify()
    logger.info("%s changed: republishing state", what)


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
        _columns(
            poly,
            [
                "code",
                "name",
                "bpjs_poly_code",
                "queue_prefix",
                "quota_per_day",
                "room",
                "is_24_hours",
                "is_active",
                "sort_order",
            ],
        )
        if poly
        else {"is_active": True}
    )
    if request.method == "POST":
        parsed, errors = masterdata.parse_poly(session, request.form, poly_id)
        if not errors:
            if poly is None:
                poly = Polyclinic(**parsed)
                session.add(poly)
                session.flush()
                record(session, "poly_create", table="polyclinics", record_id=poly.id, new_values=parsed)
            else:
                old, new = changes(values, parsed)
                for key, value in parsed.items():
                    setattr(poly, key, value)
                record(
                    session,
                    "poly_update",
                    table="polyclinics",
                    record_id=poly.id,
                    old_values=old,
                    new_values=new,
                )
            session.commit()
            _changed_master("polys")
            flash("Data poli disimpan.", "success")
            return redirect(url_for("admin.polys"))
        values = request.form
    return render_template("admin/polys.html", polys=_polys(), poly=poly, values=values, errors=errors), (
        400 if errors else 200
    )


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
    values: Any = _columns(doctor, keys) if doctor else {"is_active": True}
    if request.method == "POST":
        parsed, errors = masterdata.parse_doctor(session, request.form)
        if not errors:
            if doctor is None:
                doctor = Doctor(**parsed)
                session.add(doctor)
                session.flush()
                record(session, "doctor_create", table="doctors", record_id=doctor.id, new_values=parsed)
            else:
                old, new = changes(values, parsed)
                for key, value in parsed.items():
                    setattr(doctor, key, value)
                record(
                    session,
                    "doctor_update",
                    table="doctors",
                    record_id=doctor.id,
                    old_values=old,
                    new_values=new,
                )
            session.commit()
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
        "admin/doctors.html", rows=rows, doctor=doctor, values=values, errors=errors, polys=_polys()
    ), (400 if errors else 200)


# ---------------------------------------------------------------- schedules


@bp.route("/jadwal", methods=["GET", "POST"])
def schedules() -> Any:
    session = db()
    errors: dict[str, str] = {}
    values: Any = {"max_patient": 30}
    if request.method == "POST":
        parsed, errors = masterdata.parse_schedule(session, request.form)
        if not errors:
            row = DoctorSchedule(**parsed)
            session.add(row)
            session.flush()
            record(session, "schedule_create", table="doctor_schedules", record_id=row.id, new_values=parsed)
            session.commit()
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
        "admin/schedules.html", rows=rows, values=values, errors=errors, doctors=doctors, polys=_polys()
    ), (400 if errors else 200)


@bp.route("/jadwal/<int:schedule_id>/hapus", methods=["POST"])
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
    session.commit()
    flash("Jadwal dihapus.", "success")
    return redirect(url_for("admin.schedules"))


# ---------------------------------------------------------------- queue configuration


@bp.route("/antrean", methods=["GET", "POST"])
def queue_config() -> Any:
    session = db()
    current = load_settings(session).model_dump()
    current[RM_PATTERN_KEY] = rm_pattern(session)
    errors: dict[str, str] = {}
    values: Any = current
    if request.method == "POST":
        form = Form(request.form)
        submitted: dict[str, Any] = {key: form.raw(key) for key in QUEUE_LABELS if key != "tts_enabled"}
        submitted["tts_enabled"] = form.flag("tts_enabled")
        try:
            QueueSettings.model_validate({**load_settings(session).model_dump(), **submitted})
        except ValidationError as error:
            for item in error.errors():
                key = str(item["loc"][0]) if item["loc"] else "form"
                errors.setdefault(key, _queue_error(key))
        pattern = form.raw(RM_PATTERN_KEY) or DEFAULT_RM_PATTERN
        problem = rm_pattern_problem(pattern)
        if problem:
            errors[RM_PATTERN_KEY] = problem
        if not errors:
            changed = store_settings(session, submitted, g.user.id)
            old_pattern = current[RM_PATTERN_KEY]
            if pattern != old_pattern:
                row = session.scalar(select(QueueConfig).where(QueueConfig.config_key == RM_PATTERN_KEY))
                if row is None:
                    session.add(
                        QueueConfig(
                            config_key=RM_PATTERN_KEY,
                            config_value=pattern,
                            description="Pola nomor rekam medis",
                            updated_by=g.user.id,
                        )
                    )
                else:
                    row.config_value, row.updated_by = pattern, g.user.id
                changed[RM_PATTERN_KEY] = (old_pattern, pattern)
            if changed:
                record(
                    session,
                    "queue_config_update",
                    table="queue_configs",
                    old_values={k: old for k, (old, _new) in changed.items()},
                    new_values={k: new for k, (_old, new) in changed.items()},
                )
            session.commit()
            _changed_master("queue configuration")
            flash(
                "Konfigurasi antrean disimpan dan diterapkan." if changed else "Tidak ada perubahan.",
                "success",
            )
            return redirect(url_for("admin.queue_config"))
        values = {**request.form, "tts_enabled": form.flag("tts_enabled")}
    example = render_rm(values.get(RM_PATTERN_KEY) or DEFAULT_RM_PATTERN, services().clock().date(), 1)
    return render_template(
        "admin/queue.html",
        values=values,
        errors=errors,
        labels=QUEUE_LABELS,
        rm_key=RM_PATTERN_KEY,
        example=example,
    ), (400 if errors else 200)


def _queue_error(key: str) -> str:
    if key == "priority_ratio":
        return 'Isi "N:M" (mis. 2:1) atau "strict".'
    if key in ("reset_time", "operating_start", "operating_end"):
        return "Jam tidak valid (JJ:MM)."
    return "Nilai tidak valid."


# ---------------------------------------------------------------- BPJS configuration


BPJS_FIELDS = [
    ("base_url", "URL dasar PCare", False),
    ("cons_id", "Consumer ID", False),
    ("secret", "Consumer secret", True),
    ("user_key", "User key", True),
    ("username", "Username PCare", False),
    ("password", "Password PCare", True),
    ("app_code", "Kode aplikasi", False),
    ("provider_code", "Kode FKTP (provider)", False),
    ("provider_name", "Nama FKTP", False),
    ("connect_timeout_s", "Batas waktu koneksi (detik)", False),
    ("read_timeout_s", "Batas waktu baca (detik)", False),
]


@bp.route("/bpjs", methods=["GET", "POST"])
def bpjs_config() -> Any:
    the_bridge = bridge.bridge()
    errors: dict[str, str] = {}
    release()
    if request.method == "POST" and the_bridge is not None:
        known = {key for key, _label, _secret in BPJS_FIELDS}
        secrets = {key for key, _label, secret in BPJS_FIELDS if secret}
        values = {k: v.strip() for k, v in request.form.items() if k in known}
        values = {k: v for k, v in values.items() if v or k not in secrets}
        try:
            changed = the_bridge.save_settings(values, g.user.id)
        except ValueError as error:
            message = str(error)
            key = message.split(":", 1)[0] if ":" in message else "form"
            errors[key if key in known else "form"] = message
        else:
            record(
                db(),
                "bpjs_config_update",
                table="bpjs_configs",
                new_values={k: ("(rahasia diubah)" if k in secrets else values.get(k)) for k in changed},
            )
            db().commit()
            flash("Konfigurasi BPJS disimpan." if changed else "Tidak ada perubahan.", "success")
            return redirect(url_for("admin.bpjs_config"))
    settings: dict[str, Any] = {}
    if the_bridge is not None:
        try:
            settings = dict(the_bridge.settings_view())
        except Exception:
            logger.exception("BPJS settings could not be loaded")
    if errors:
        settings.update({k: v for k, v in request.form.items() if k not in ("csrf_token",)})
    return render_template(
        "admin/bpjs.html",
        items=bridge.outbox_items(),
        installed=the_bridge is not None,
        settings=settings,
        errors=errors,
        available=bridge.available(),
        outbox=bridge.outbox_summary(),
        fields=BPJS_FIELDS,
    ), (400 if errors else 200)


@bp.route("/bpjs/outbox/<int:item_id>/kirim", methods=["POST"])
def outbox_retry(item_id: int) -> Response:
    """Kirim ulang sekarang: a waiting or failed PCare registration/cancellation is tried again at once."""
    the_bridge = bridge.bridge()
    done = bool(the_bridge is not None and the_bridge.retry_outbox(item_id))
    record(db(), "bpjs_outbox_retry", table="bpjs_outbox", record_id=item_id, new_values={"accepted": done})
    db().commit()
    flash(
        "Dikirim ulang sekarang." if done else "Item ini tidak dapat dikirim ulang.",
        "success" if done else "error",
    )
    return redirect(url_for("admin.bpjs_config"))


# ---------------------------------------------------------------- users


@bp.route("/pengguna", methods=["GET", "POST"])
@bp.route("/pengguna/<int:user_id>", methods=["GET", "POST"])
def users(user_id: int | None = None) -> Any:
    session = db()
    user = session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    keys = ["name", "role", "email", "phone", "counter_number", "is_active"]
    errors: dict[str, str] = {}
    values: Any = _columns(user, keys) if user else {"is_active": True, "role": "receptionist"}
    if request.method == "POST":
        parsed, errors, password = masterdata.parse_user(session, request.form, user)
        if (
            user is not None
            and user.id == g.user.id
            and (parsed["role"] != "admin" or not parsed["is_active"])
        ):
            errors["role"] = "Anda tidak dapat menurunkan peran atau menonaktifkan akun sendiri."
        if not errors:
            if user is None:
                user = User(password_hash=hash_password(password or ""), **parsed)
                session.add(user)
                session.flush()
                record(session, "user_create", table="users", record_id=user.id, new_values=parsed)
            else:
                old, new = changes(values, parsed)
                for key, value in parsed.items():
                    setattr(user, key, value)
                if password:
                    user.password_hash = hash_password(password)
                    new["password"] = "(diubah)"
                record(
                    session, "user_update", table="users", record_id=user.id, old_values=old, new_values=new
                )
            session.commit()
            flash("Pengguna disimpan.", "success")
            return redirect(url_for("admin.users"))
        values = request.form
    rows = list(session.scalars(select(User).order_by(User.username)))
    return render_template(
        "admin/users.html",
        rows=rows,
        user=user,
        values=values,
        errors=errors,
        roles=ROLES,
        now=services().clock(),
    ), (400 if errors else 200)


@bp.route("/pengguna/<int:user_id>/buka", methods=["POST"])
def unlock(user_id: int) -> Response:
    session = db()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    user.locked_until, user.failed_logins = None, 0
    record(session, "user_unlock", table="users", record_id=user.id)
    session.commit()
    flash(f"Akun {user.username} dibuka.", "success")
    return redirect(url_for("admin.users"))


# ---------------------------------------------------------------- audit log and nodes


@bp.route("/audit")
def audit() -> str:
    session = db()
    args = request.args
    query = select(AuditLog)
    if args.get("username"):
        query = query.where(AuditLog.username == args["username"])
    if args.get("action"):
        query = query.where(AuditLog.action == args["action"])
    if args.get("table"):
        query = query.where(AuditLog.table_name == args["table"])
    tz = services().tz
    for key, op in (("dari", "ge"), ("sampai", "lt")):
        raw = args.get(key, "")
        try:
            day = datetime.strptime(raw, "%Y-%m-%d") if raw else None
        except ValueError:
            day = None
        if day is not None:
            moment = datetime.combine(day.date(), time(), tzinfo=tz) + (
                timedelta(days=1) if op == "lt" else timedelta()
            )
            query = query.where(AuditLog.created_at >= moment if op == "ge" else AuditLog.created_at < moment)
    page = max(1, args.get("hal", 1, type=int) or 1)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(query.order_by(AuditLog.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE))
    )
    actions = list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
    usernames = list(session.scalars(select(User.username).order_by(User.username)))
    return render_template(
        "admin/audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // AUDIT_PAGE)),
        actions=actions,
        usernames=usernames,
        args=args,
    )


@bp.route("/node")
def nodes() -> str:
    rows = list(db().scalars(select(NodeHealth).order_by(NodeHealth.role, NodeHealth.node)))
    return render_template("admin/nodes.html", rows=rows)
