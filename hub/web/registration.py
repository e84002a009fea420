"""One visit's registration page (seed steps 3–6): Cek BPJS, Daftarkan ke BPJS / batal, mandatory
information, poly and doctor on duty, and Antar RM ke Poli. The views are thin: the workflow is in
:mod:`hub.web.registration_service`, the participant mapping in :mod:`hub.web.participant`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.bpjs.models import BridgeResult
from hub.db.models import MandatoryInfoConsent, Patient, Polyclinic, Queue, Registration, User
from hub.web import bridge, registration_service, visits
from hub.web.audit import record
from hub.web.auth import login_required
from hub.web.db import db, services, today, writing
from hub.web.fields import Form
from hub.web.participant import BPJS_ERRORS, ParticipantView, apply_check, membership_check

logger = logging.getLogger(__name__)
bp = Blueprint("registration", __name__, url_prefix="/registrasi")


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
    participant: ParticipantView | None = None,
    status: int = 200,
) -> Any:
    session = db()
    queue = session.get(Queue, registration.queue_id) if registration.queue_id else None
    on_duty = visits.doctors_on_duty(session, today())
    loads = {d.doctor.id: visits.doctor_load(session, d.doctor.id, today()) for d in on_duty}
    polys = list(
        session.scalars(select(Polyclinic).where(Polyclinic.is_active).order_by(Polyclinic.sort_order))
    )
    consent = visits.consent_of(session, registration.id)
    informer = session.get(User, consent.informed_by) if consent and consent.informed_by else None
    return render_template(
        "registration.html",
        r=registration,
        p=patient,
        queue=queue,
        polys=polys,
        on_duty=on_duty,
        loads=loads,
        consent=consent,
        informer=informer,
        consent_items=visits.CONSENT_ITEMS,
        consent_done=visits.consent_complete(consent),
        status_names=visits.STATUS_NAMES,
        rm_status_names=visits.RM_STATUS_NAMES,
        errors=errors or {},
        participant=participant,
        bpjs_available=bridge.available(),
        outbox=bridge.outbox_summary(),
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
    the_bridge = bridge.ready()
    if the_bridge is None:
        return _render(registration, patient, errors={"card": BPJS_ERRORS["not_configured"]}, status=503)
    result = the_bridge.check_participant(card=card, nik=nik, user_id=g.user.id, patient_id=patient.id)
    check = membership_check(result, card=card)
    with writing() as session:
        registration, patient = registration_or_404(registration_id)
        apply_check(check, registration, patient, services().clock())
        record(
            session, "bpjs_check", table="registrations", record_id=registration.id, new_values=check.audit
        )
    errors = {"card": check.error} if check.error else {}
    return _render(registration, patient, errors=errors, participant=check.participant)


@bp.route("/<int:registration_id>/informasi", methods=["POST"])
@login_required
def consent(registration_id: int) -> Any:
    form = Form(request.form)
    flags = {key: form.flag(key) for key in visits.CONSENT_ITEMS}
    with writing() as session:
        registration, patient = registration_or_404(registration_id)
        previous = visits.consent_of(session, registration.id)
        row = MandatoryInfoConsent(
            registration_id=registration.id,
            patient_id=patient.id,
            informed_by=g.user.id,
            informed_at=services().clock(),
            consent_signature_file=previous.consent_signature_file if previous else None,  # still signed
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
    form = Form(request.form)
    choice = registration_service.SaveChoice(
        poly_id=form.integer("poly_id", required=True),
        doctor_id=form.integer("doctor_id"),
        payment=form.choice("payment_type", registration_service.PAYMENTS, required=True),
        complaint=form.text("keluhan", max_len=500),
        with_bridge=request.form.get("action") == "bridge",
        kunj_sakit=visits.VISIT_TYPES.get(form.choice("kunj_sakit", list(visits.VISIT_TYPES)) or ""),
    )
    try:
        with writing() as session:
            outcome = registration_service.save(
                session,
                registration,
                choice,
                actor=actor(),
                now=services().clock(),
                today=today(),
                form_errors=form.errors,
            )
    except registration_service.WorkflowError as refused:
        return _render(registration, patient, errors=refused.errors, status=refused.status)
    if outcome is not None:
        services().apply(outcome)
    if choice.with_bridge:
        return _bridge(registration, choice.complaint)
    flash("Pendaftaran disimpan.", "success")
    return back(registration)


def bridged(registration: Registration, action: str, result: BridgeResult) -> None:
    """After a PCare registration or cancellation: audit what it answered, wake the dashboard."""
    services().notifier.notify()  # the dashboard counts bridged visits
    with writing() as session:
        record(
            session,
            action,
            table="registrations",
            record_id=registration.id,
            new_values={"status": result.status},
        )


def visit_is_sick(registration: Registration, poly: Polyclinic | None) -> bool:
    """PCare's kunjSakit: the loket's choice for this visit, else the poly's type (KIA, KB: healthy)."""
    if registration.kunj_sakit is not None:
        return registration.kunj_sakit
    return poly.kunj_sakit if poly is not None else True


def _bridge(registration: Registration, complaint: str | None) -> Any:
    poly = db().get(Polyclinic, registration.poly_id) if registration.poly_id else None
    the_bridge = bridge.ready()
    if the_bridge is None:
        flash(BPJS_ERRORS["not_configured"], "error")
        return back(registration)
    result = the_bridge.register_visit(
        registration.id,
        kd_poli=(poly.bpjs_poly_code or "") if poly else "",
        keluhan=complaint or "",
        kunj_sakit=visit_is_sick(registration, poly),
        user_id=g.user.id,
    )
    bridged(registration, "bpjs_register", result)
    if result.status == "registered":
        flash(result.message or "Kunjungan terdaftar di BPJS PCare.", "success")
    elif result.status == "queued":
        flash(
            result.message or "BPJS sedang tidak dapat dihubungi: pendaftaran masuk antrean kirim ulang.",
            "info",
        )
    else:
        flash(result.message or "Bridging BPJS gagal.", "error")
    return back(registration)


@bp.route("/<int:registration_id>/batal-bpjs", methods=["POST"])
@login_required
def cancel_bpjs(registration_id: int) -> Any:
    registration, _patient = registration_or_404(registration_id)
    the_bridge = bridge.ready()
    if the_bridge is None:
        flash(BPJS_ERRORS["not_configured"], "error")
        return back(registration)
    result = the_bridge.cancel_visit(registration.id, user_id=g.user.id)
    bridged(registration, "bpjs_cancel", result)
    flash(result.message or "Pembatalan dikirim.", "success" if result.status != "failed" else "error")
    return back(registration)


@bp.route("/<int:registration_id>/antar", methods=["POST"])
@login_required
def deliver(registration_id: int) -> Any:
    """Antar RM ke Poli: the ticket becomes ``directed_to_poly`` and the registration ``completed``."""
    registration, patient = registration_or_404(registration_id)
    try:
        with writing() as session:
            outcome = registration_service.deliver(
                session, registration, actor=actor(), now=services().clock()
            )
    except registration_service.WorkflowError as refused:
        return _render(registration, patient, errors=refused.errors, status=refused.status)
    if outcome is not None:
        services().apply(outcome)
    flash("RM diantar ke poli. Pendaftaran selesai.", "success")
    queue = db().get(Queue, registration.queue_id) if registration.queue_id else None
    counter = queue.counter_number if queue else g.user.counter_number
    if counter:
        return redirect(url_for("loket.page", number=counter))
    return back(registration)
