"""Patients: new patient with documents and visit card, detail with history and change trail, edits,
document download (staff only)."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from hub.db.models import AuditLog, Counter, Patient, PatientDocument
from hub.web import records, uploads, visits
from hub.web.audit import changes, record
from hub.web.auth import login_required
from hub.web.cards import visit_card_pdf
from hub.web.db import db, services, today, writing
from hub.web.loket import begin
from hub.web.urls import db_int

logger = logging.getLogger(__name__)
bp = Blueprint("patients", __name__, url_prefix="/pasien")


def patient_or_404(patient_id: int) -> Patient:
    patient = db().get(Patient, patient_id)
    if patient is None:
        abort(404)
    return patient


def _choices() -> dict[str, Any]:
    return records.choices()


def _uploaded_files() -> list[tuple[str, FileStorage]]:
    files = []
    for kind in uploads.DOCUMENT_TYPES:
        storage = request.files.get(f"doc_{kind}")
        if storage is not None and storage.filename:
            files.append((kind, storage))
    return files


def _limit() -> int:
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def _read(storage: FileStorage) -> bytes:
    try:
        return storage.stream.read(_limit() + 1)
    finally:
        storage.close()


def save_documents(session: Session, patient: Patient, files: list[tuple[str, bytes, str]]) -> None:
    for kind, content, filename in files:
        stored = uploads.store(services().data_dir, patient.id, content, _limit())
        document = PatientDocument(
            patient_id=patient.id,
            document_type=kind,
            file_path=stored.relative_path,
            file_name=filename[:255],
            file_size=stored.size,
            content_type=stored.content_type,
            uploaded_by=g.user.id,
        )
        session.add(document)
        session.flush()
        record(
            session,
            "document_upload",
            table="patient_documents",
            record_id=document.id,
            new_values={"patient_id": patient.id, "type": kind, "size": stored.size},
        )


def _checked_files(errors: dict[str, str]) -> list[tuple[str, bytes, str]]:
    checked = []
    for kind, storage in _uploaded_files():
        content = _read(storage)
        try:
            uploads.check(content, _limit())
        except uploads.UploadError as error:
            errors[f"doc_{kind}"] = str(error)
            continue
        checked.append((kind, content, storage.filename or kind))
    return checked


@bp.route("/baru", methods=["GET", "POST"])
@login_required
def new() -> Any:
    counter = request.values.get("loket", type=db_int)
    if request.method == "GET":
        return render_template(
            "patient_form.html", values={}, errors={}, patient=None, loket=counter, **_choices()
        )
    values, errors = records.parse_patient(request.form)
    files = _checked_files(errors)
    with writing() as session:
        errors.update(
            {k: v for k, v in records.duplicate_errors(session, values, None).items() if k not in errors}
        )
        patient = None if errors else records.create_patient(session, values, today())
        if patient is not None:
            record(
                session,
                "patient_create",
                table="patients",
                record_id=patient.id,
                new_values={"medical_record": patient.medical_record, **records.snapshot(patient)},
            )
            save_documents(session, patient, files)
    if patient is None:
        return render_template(
            "patient_form.html", values=request.form, errors=errors, patient=None, loket=counter, **_choices()
        ), 400
    flash(f"Pasien baru terdaftar dengan No. RM {patient.medical_record}.", "success")
    loket = db().scalar(select(Counter).where(Counter.number == counter)) if counter else None
    if loket is not None:
        return begin(loket, patient, new_patient=True)
    return redirect(url_for("patients.show", patient_id=patient.id))


@bp.route("/<int:patient_id>")
@login_required
def show(patient_id: int) -> str:
    session = db()
    patient = patient_or_404(patient_id)
    documents = list(
        session.scalars(
            select(PatientDocument)
            .where(PatientDocument.patient_id == patient.id)
            .order_by(PatientDocument.id.desc())
        )
    )
    trail = list(
        session.scalars(
            select(AuditLog)
            .where(
                AuditLog.table_name == "patients",
                AuditLog.record_id == patient.id,
                AuditLog.action.in_(("patient_create", "patient_update")),
            )
            .order_by(AuditLog.id.desc())
            .limit(50)
        )
    )
    return render_template(
        "patient.html",
        p=patient,
        documents=documents,
        trail=trail,
        history=visits.history(session, patient.id),
        status_names=visits.STATUS_NAMES,
        errors={},
        loket=request.args.get("loket", type=db_int),
        **_choices(),
    )


@bp.route("/<int:patient_id>/ubah", methods=["GET", "POST"])
@login_required
def edit(patient_id: int) -> Any:
    patient = patient_or_404(patient_id)
    if request.method == "GET":
        values = records.snapshot(patient)
        if patient.birth_date is not None:
            values["birth_date"] = f"{patient.birth_date:%d-%m-%Y}"
        return render_template(
            "patient_form.html",
            values=values,
            errors={},
            patient=patient,
            loket=None,
            **_choices(),
        )
    values, errors = records.parse_patient(request.form)
    with writing() as session:
        errors.update(
            {
                k: v
                for k, v in records.duplicate_errors(session, values, patient.id).items()
                if k not in errors
            }
        )
        old, new = changes(records.snapshot(patient), values)
        if new and not errors:
            records.update_patient(patient, values)
            record(
                session,
                "patient_update",
                table="patients",
                record_id=patient.id,
                old_values=old,
                new_values=new,
            )
    if errors:
        return render_template(
            "patient_form.html", values=request.form, errors=errors, patient=patient, loket=None, **_choices()
        ), 400
    if new:
        flash("Data pasien diperbarui.", "success")
    else:
        flash("Tidak ada perubahan.", "info")
    return redirect(url_for("patients.show", patient_id=patient.id))


@bp.route("/<int:patient_id>/dokumen", methods=["POST"])
@login_required
def upload(patient_id: int) -> Any:
    patient = patient_or_404(patient_id)
    errors: dict[str, str] = {}
    files = _checked_files(errors)
    if not files and not errors:
        errors["doc_ktp"] = "Pilih minimal satu berkas."
    if errors:
        for message in errors.values():
            flash(message, "error")
        return redirect(url_for("patients.show", patient_id=patient.id)), 400
    with writing() as session:
        save_documents(session, patient, files)
    flash("Dokumen diunggah.", "success")
    return redirect(url_for("patients.show", patient_id=patient.id))


@bp.route("/<int:patient_id>/dokumen/<int:document_id>")
@login_required
def document(patient_id: int, document_id: int) -> Response:
    row = db().get(PatientDocument, document_id)
    if row is None or row.patient_id != patient_id:
        abort(404)
    return uploads.send_upload(
        row.file_path,
        row.content_type or "application/octet-stream",
        action="document_view",
        table="patient_documents",
        record_id=row.id,
    )


@bp.route("/<int:patient_id>/kartu.pdf")
@login_required
def card(patient_id: int) -> Response:
    patient = patient_or_404(patient_id)
    address = ", ".join(x for x in (patient.address, patient.kelurahan) if x)
    pdf = visit_card_pdf(
        site_name=services().site_name,
        medical_record=patient.medical_record,
        name=patient.name,
        birth_date=patient.birth_date,
        gender=patient.gender,
        address=address,
    )
    with writing() as session:
        record(session, "visit_card_print", table="patients", record_id=patient.id)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="kartu-{patient.medical_record}.pdf"'
    return response
