"""Patients: the seed's fields with validation, search, creation with an atomic RM number, edits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from hub.db.models import Patient, VisitCard
from hub.web.fields import Form
from hub.web.nik import nik_problem
from hub.web.sequences import next_medical_record

logger = logging.getLogger(__name__)

GENDERS = {"L": "Laki-laki", "P": "Perempuan"}
BLOOD_TYPES = ["A", "B", "AB", "O", "-"]
MARITAL = {
    "belum_kawin": "Belum kawin",
    "kawin": "Kawin",
    "cerai_hidup": "Cerai hidup",
    "cerai_mati": "Cerai mati",
}
PATIENT_TYPES = {"umum": "Umum", "bpjs": "BPJS"}
EDITABLE = (
    "nik",
    "bpjs_number",
    "name",
    "birth_place",
    "birth_date",
    "gender",
    "address",
    "rt_rw",
    "kelurahan",
    "kecamatan",
    "kabupaten",
    "phone",
    "blood_type",
    "marital_status",
    "occupation",
    "allergy",
    "patient_type",
)
SEARCH_LIMIT = 20


def choices() -> dict[str, Any]:
    """The option lists the patient form shows."""
    from hub.web.uploads import DOCUMENT_TYPES

    return {
        "genders": GENDERS,
        "blood_types": BLOOD_TYPES,
        "marital": MARITAL,
        "patient_types": PATIENT_TYPES,
        "document_types": DOCUMENT_TYPES,
    }


def name_key(name: str) -> str:
    """The lower-cased, single-spaced form kept in ``name_search``."""
    return " ".join(name.lower().split())


def snapshot(patient: Patient) -> dict[str, Any]:
    return {key: getattr(patient, key) for key in EDITABLE}


def parse_patient(data: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validated patient values and errors by field name."""
    form = Form(data)
    values: dict[str, Any] = {
        "name": form.text("name", required=True),
        "nik": form.digits("nik", length=16, required=True),
        "bpjs_number": form.digits("bpjs_number", length=13),
        "birth_place": form.text("birth_place", required=True, max_len=100),
        "birth_date": form.day("birth_date", required=True, not_future=True),
        "gender": form.choice("gender", GENDERS, required=True),
        "address": form.text("address", required=True, max_len=500),
        "rt_rw": form.text("rt_rw", max_len=10),
        "kelurahan": form.text("kelurahan", required=True, max_len=100),
        "kecamatan": form.text("kecamatan", required=True, max_len=100),
        "kabupaten": form.text("kabupaten", required=True, max_len=100),
        "phone": form.phone("phone"),
        "blood_type": form.choice("blood_type", BLOOD_TYPES),
        "marital_status": form.choice("marital_status", MARITAL),
        "occupation": form.text("occupation", max_len=100),
        "allergy": form.text("allergy", max_len=1000),
        "patient_type": form.choice("patient_type", PATIENT_TYPES) or "umum",
    }
    rt_rw = values["rt_rw"]
    if rt_rw and not all(part.isdigit() for part in rt_rw.split("/")):
        form.error("rt_rw", "Format RT/RW: 003/007.")
    if values["nik"] and "nik" not in form.errors:
        problem = nik_problem(values["nik"], values["birth_date"], values["gender"])
        if problem:
            form.error("nik", problem)
    if values["patient_type"] == "bpjs" and not values["bpjs_number"]:
        form.error("bpjs_number", "Wajib diisi untuk pasien BPJS.")
    return values, form.errors


def duplicate_errors(session: Session, values: dict[str, Any], patient_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if values.get("nik"):
        other = session.scalar(select(Patient).where(Patient.nik == values["nik"]))
        if other is not None and other.id != patient_id:
            errors["nik"] = f"NIK sudah terdaftar atas No. RM {other.medical_record}."
    if values.get("bpjs_number"):
        other = session.scalar(select(Patient).where(Patient.bpjs_number == values["bpjs_number"]))
        if other is not None and other.id != patient_id:
            errors["bpjs_number"] = f"No. BPJS sudah terdaftar atas No. RM {other.medical_record}."
    return errors


def create_patient(session: Session, values: dict[str, Any], today: date) -> Patient:
    """Insert a patient with a new RM number and its visit card, in the caller's transaction."""
    while True:
        number = next_medical_record(session, today)
        if session.scalar(select(Patient.id).where(Patient.medical_record == number)) is None:
            break
        logger.warning("RM number already taken (pattern changed?); taking the next one")
    patient = Patient(medical_record=number, name_search=name_key(values["name"]), **values)
    session.add(patient)
    session.flush()
    session.add(VisitCard(patient_id=patient.id, card_number=number, issued_date=today))
    return patient


def update_patient(patient: Patient, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(patient, key, value)
    patient.name_search = name_key(patient.name)


def starts_with(session: Session, column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, in a form the column's index serves: a range on SQLite (whose
    LIKE is case-insensitive and skips the index), LIKE 'prefix%' elsewhere."""
    if session.get_bind().dialect.name == "sqlite":
        return (column >= prefix) & (column < prefix + "\uffff")
    return column.startswith(prefix, autoescape=True)


@dataclass(frozen=True)
class Query:
    rm: str = ""
    nik: str = ""
    bpjs: str = ""
    name: str = ""

    @property
    def empty(self) -> bool:
        return not (self.rm or self.nik or self.bpjs or self.name)


def search(session: Session, query: Query, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """Patients matching every filled field: RM, NIK and BPJS exactly (RM also by prefix), the name as a
    case-insensitive part. Name prefixes come first from the index; other matches fill the rest."""
    if query.empty:
        return []
    conditions = []
    if query.rm:
        rm = query.rm.upper()
        conditions.append(starts_with(session, Patient.medical_record, rm))
    if query.nik:
        conditions.append(Patient.nik == query.nik)
    if query.bpjs:
        conditions.append(Patient.bpjs_number == query.bpjs)
    key = name_key(query.name)
    found: list[Patient] = []
    if key:
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        prefix = list(
            session.scalars(
                select(Patient)
                .where(*conditions, starts_with(session, Patient.name_search, key))
                .order_by(Patient.name_search)
                .limit(limit)
            )
        )
        found = prefix
        if len(found) < limit:
            seen = [p.id for p in found]
            found += list(
                session.scalars(
                    select(Patient)
                    .where(
                        *conditions,
                        Patient.name_search.like(f"%{escaped}%", escape="\\"),
                        Patient.id.not_in(seen) if seen else Patient.id.is_not(None),
                    )
                    .limit(limit - len(found))
                )
            )
        return found
    return list(session.scalars(select(Patient).where(*conditions).order_by(Patient.id).limit(limit)))
