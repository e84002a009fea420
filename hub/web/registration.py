"""One visit's registration page (seed steps 3–6): Cek BPJS, Daftarkan ke BPJS / batal, mandatory
information, poly and doctor on duty, and Antar RM ke Poli."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db.models import MandatoryInfoConsent, Patient, Polyclinic, Queue, Registration, User
from hub.db.statuses import AT_LOKET, TicketStatus
from hub.dispatch.service import DispatchError
from hub.web import bridge, visits
from hub.web.audit import record
from hub.web.auth import login_required
from hub.web.db import db, release, services, today
from hub.web.fields import Form

logger = logging.getLogger(__name__)
bp = Blueprint("registration", __name__, url_prefix="/registrasi")

BPJS_ERRORS = {
    "not_found": "Peserta tidak ditemukan.",
    "inactive": "Peserta tidak aktif.",
    "not_configured": "Bridging BPJS belum dikonfigurasi. Hubungi admin.",
}


def registration_or_404(registration_id: int) -> tuple[Registration, Patient]:
    registration = db().get(Registration, registration_id)
    if registration is None:
        abort(404)
    patient = db().get(Patient, registration.patient_id)
    assert patient is not None
    return registration, patient


def back(registration: Registration) -> Response:
    return redirect(url_for("registration.show", registration_id=registration.id))


def actor() -> str:
    return f"web:{g.user.username}"


def _render(
    registration: Registration,
    patient: Patient,
    errors: dict[str, str] | None = None,
    participant: Any = None,
    status: int = 200,
) -> Any:
    session = db()
    queue = session.get(Queue, registration.queue_id) if registration.queue_id else None
    day = today()
    on_duty = visits.doctors_on_duty(session, day)
    polys = list(
        session.scalars(select(Polyclinic).where(Polyclinic.is_active).order_by(Polyclinic.sort_order))
    )
    consent = visits.consent_of(session, registration.id)
    informer = session.get(User, consent.informed_by) if consent and consent.informed_by else None
    outbox = bridge.outbox_summary()
    release()
    return render_template(
        "registration.html",
        r=registration,
        p=patient,
        queue=queue,
        polys=polys,
        on_duty=on_duty,
        consent=consent,
        informer=informer,
        consent_items=visits.CONSENT_ITEMS,
        consent_done=visits.consent_complete(consent),
        status_names=visits.STATUS_NAMES,
        errors=errors or {},
        participant=participant,
        bpjs_available=bridge.available(),
        outbox=outbox,
    ), status


@bp.route("/<int:registration_id>")
@login_required
def show(registration_id: int) -> Any:
    registration, patient = registration_or_404(registration_id)
    return _render(registration, patient)


@bp.route("/<int:registration_id>/cek-bpjs", methods=["POST"])
@login_required
def check_bpjs(registration_id: int) -> Any:
    registration, patient = registration_or_404(registration_id)
    form = Form(request.form)
    card = form.digits("card", length=13)
    nik = None if card else form.digits("nik", length=16)
    if not card and not nik and not form.errors:
        form.error("card", "Isi No. BPJS (13 digit) atau NIK.")
    if not form.ok:
        return _render(registration, patient, errors=form.errors, status=400)
    release()
    if not bridge.available():
        return _render(registration, patient, errors={"card": BPJS_ERRORS["not_configured"]}, status=503)
    result = bridge.bridge().check_participant(card=card, nik=nik, user_id=g.user.id, patient_id=patient.id)
    session = db()
    registration, patient = registration_or_404(registration_id)
    participant = participant_view(getattr(result, "participant", None))
    now = services().clock()
    active = bool(participant and participant["aktif"])
    registration.bpjs_verified = participant is not None
    registration.bpjs_verification_time = now
    registration.bpjs_status = "aktif" if active else ("tidak_aktif" if participant else "not_checked")
    if participant is not None:
        patient.is_bpjs_active = active
        patient.bpjs_class = participant["kelas"] or None
        patient.bpjs_type = participant["jenis"] or None
        patient.bpjs_provider = participant["provider"] or None
        if card and not patient.bpjs_number:
            patient.bpjs_number = card
    record(
        session,
        "bpjs_check",
        table="registrations",
        record_id=registration.id,
        new_values={
            "found": participant is not None,
            "active": active,
            "error": getattr(result, "error_code", None),
        },
    )
    session.commit()
    errors = {}
    if participant is None:
        code = getattr(result, "error_code", "") or ""
        errors["card"] = getattr(result, "message", None) or BPJS_ERRORS.get(code, "Cek BPJS gagal.")
    return _render(registration, patient, errors=errors, participant=participant)


def participant_view(participant: Any) -> dict[str, Any] | None:
    """What the loket shows of a PCare participant (wireframe 8.3)."""
    if participant is None:
        return None
    return {
        "aktif": bool(getattr(participant, "aktif", False)),
        "nama": getattr(participant, "nama", ""),
        "kelas": (getattr(participant, "kelas_nama", "") or "")[:20],
        "jenis": (getattr(participant, "jenis_peserta_nama", "") or "")[:50],
        "provider": (getattr(participant, "nm_provider", "") or "")[:100],
        "berlaku": getattr(participant, "tgl_akhir_berlaku", "") or "",
        "keterangan": getattr(participant, "ket_aktif", "") or "",
    }


@bp.route("/<int:registration_id>/informasi", methods=["POST"])
@login_required
def consent(registration_id: int) -> Any:
    registration, patient = registration_or_404(registration_id)
    form = Form(request.form)
    flags = {key: form.flag(key) for key in visits.CONSENT_ITEMS}
    session = db()
    row = MandatoryInfoConsent(
        registration_id=registration.id,
        patient_id=patient.id,
        informed_by=g.user.id,
        informed_at=services().clock(),
        **flags,
    )
    session.add(row)
    registration.info_consent_completed = all(flags.values())
    record(
        session,
        "consent_record",
        table="mandatory_info_consents",
        record_id=registration.id,
        new_values=flags,
    )
    session.commit()
    if not all(flags.values()):
        flash("Informasi wajib disimpan, tetapi belum lengkap.", "error")
    else:
        flash("Informasi wajib tercatat lengkap.", "success")
    return back(registration)


@bp.route("/<int:registration_id>/simpan", methods=["POST"])
@login_required
def save(registration_id: int) -> Any:
    """Simpan & Daftarkan (or Bridge BPJS & Simpan): poly, doctor, payment; the ticket is registered."""
    registration, patient = registration_or_404(registration_id)
    session = db()
    form = Form(request.form)
    poly_id = form.integer("poly_id", required=True)
    doctor_id = form.integer("doctor_id")
    payment = form.choice("payment_type", {"bpjs": "BPJS", "umum": "Umum"}, required=True)
    complaint = form.text("keluhan", max_len=500)
    with_bridge = request.form.get("action") == "bridge"
    poly = session.get(Polyclinic, poly_id) if poly_id else None
    if poly_id and (poly is None or not poly.is_active):
        form.error("poly_id", "Poli tidak dikenal.")
    on_duty = visits.doctors_on_duty(session, today())
    if doctor_id and not any(d.doctor.id == doctor_id and d.poly.id == poly_id for d in on_duty):
        form.error("doctor_id", "Dokter ini tidak praktek di poli tersebut hari ini.")
    if registration.status in ("completed", "cancelled"):
        form.error("form", "Registrasi ini sudah selesai.")
    if with_bridge:
        if payment != "bpjs":
            form.error("payment_type", "Bridging hanya untuk pasien BPJS.")
        elif registration.bpjs_status != "aktif":
            form.error("payment_type", "Lakukan Cek BPJS dulu: peserta harus aktif.")
        elif poly is not None and not poly.bpjs_poly_code:
            form.error("poly_id", "Poli ini tidak memiliki kode poli BPJS.")
    if not form.ok:
        return _render(registration, patient, errors=form.errors, status=400)
    old = {
        "poly_id": registration.poly_id,
        "doctor_id": registration.doctor_id,
        "payment_type": registration.payment_type,
        "status": registration.status,
    }
    registration.poly_id, registration.doctor_id = poly_id, doctor_id
    registration.payment_type = payment or "umum"
    registration.notes = complaint
    registration.status = "registered"
    record(
        session,
        "registration_save",
        table="registrations",
        record_id=registration.id,
        old_values=old,
        new_values={
            "poly_id": poly_id,
            "doctor_id": doctor_id,
            "payment_type": payment,
            "status": "registered",
        },
    )
    session.commit()
    queue_id = registration.queue_id
    if queue_id is not None:
        queue = session.get(Queue, queue_id)
        release()
        if queue is not None and queue.status in AT_LOKET:
            try:
                services().apply(
                    services().dispatcher.set_status(queue_id, TicketStatus.REGISTERED, actor=actor())
                )
            except DispatchError as error:
                logger.info("ticket could not become registered: %s", error.info.code)
    if with_bridge:
        return _bridge(registration_id, complaint)
    flash("Pendaftaran disimpan.", "success")
    return back(registration)


def _bridge(registration_id: int, complaint: str | None) -> Any:
    registration, _patient = registration_or_404(registration_id)
    poly = db().get(Polyclinic, registration.poly_id) if registration.poly_id else None
    release()
    if not bridge.available():
        flash(BPJS_ERRORS["not_configured"], "error")
        return back(registration)
    result = bridge.bridge().register_visit(
        registration.id,
        kd_poli=(poly.bpjs_poly_code or "") if poly else "",
        keluhan=complaint or "",
        kunj_sakit=True,
        user_id=g.user.id,
    )
    services().notifier.notify()  # the dashboard counts bridged visits
    session = db()
    registration, _patient = registration_or_404(registration_id)
    status = getattr(result, "status", "failed")
    record(
        session,
        "bpjs_register",
        table="registrations",
        record_id=registration.id,
        new_values={"status": status},
    )
    session.commit()
    message = getattr(result, "message", "") or ""
    if status == "registered":
        flash(message or "Kunjungan terdaftar di BPJS PCare.", "success")
    elif status == "queued":
        flash(message or "BPJS sedang tidak dapat dihubungi: pendaftaran masuk antrean kirim ulang.", "info")
    else:
        flash(message or "Bridging BPJS gagal.", "error")
    return back(registration)


@bp.route("/<int:registration_id>/batal-bpjs", methods=["POST"])
@login_required
def cancel_bpjs(registration_id: int) -> Any:
    registration, _patient = registration_or_404(registration_id)
    release()
    if not bridge.available():
        flash(BPJS_ERRORS["not_configured"], "error")
        return back(registration)
    result = bridge.bridge().cancel_visit(registration.id, user_id=g.user.id)
    services().notifier.notify()
    session = db()
    status = getattr(result, "status", "failed")
    record(
        session,
        "bpjs_cancel",
        table="registrations",
        record_id=registration.id,
        new_values={"status": status},
    )
    session.commit()
    message = getattr(result, "message", "") or ""
    flash(message or "Pembatalan dikirim.", "success" if status != "failed" else "error")
    return back(registration)


@bp.route("/<int:registration_id>/antar", methods=["POST"])
@login_required
def deliver(registration_id: int) -> Any:
    """Antar RM ke Poli: the ticket becomes ``directed_to_poly`` and the registration ``completed``."""
    registration, patient = registration_or_404(registration_id)
    session = db()
    problems = {}
    if registration.status != "registered":
        problems["deliver"] = "Simpan & Daftarkan dulu (poli tujuan wajib dipilih)."
    if not visits.consent_complete(visits.consent_of(session, registration.id)):
        problems["deliver"] = "Lengkapi dulu semua informasi wajib."
    if problems:
        return _render(registration, patient, errors=problems, status=400)
    now = services().clock()
    registration.status, registration.rm_status = "completed", "delivered"
    registration.rm_delivered_at = registration.completed_at = now
    record(
        session,
        "rm_delivered",
        table="registrations",
        record_id=registration.id,
        old_values={"status": "registered"},
        new_values={"status": "completed", "rm_status": "delivered"},
    )
    session.commit()
    queue_id = registration.queue_id
    if queue_id is not None:
        try:
            services().apply(
                services().dispatcher.set_status(queue_id, TicketStatus.DIRECTED_TO_POLY, actor=actor())
            )
        except DispatchError as error:
            logger.info("ticket could not become directed_to_poly: %s", error.info.code)
    flash("RM diantar ke poli. Pendaftaran selesai.", "success")
    queue = db().get(Queue, queue_id) if queue_id else None
    counter = queue.counter_number if queue else g.user.counter_number
    release()
    if counter:
        return redirect(url_for("loket.page", number=counter))
    return back(registration)
