"""The registration of one visit (seed section 3.2 steps 2–6): patient, BPJS status, mandatory
information, destination poly and doctor, delivery of the record to the poly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import (
    Doctor,
    DoctorSchedule,
    MandatoryInfoConsent,
    Patient,
    Polyclinic,
    Queue,
    Registration,
)
from hub.web.sequences import next_registration_number

CONSENT_ITEMS = {
    "rights_informed": "Hak pasien disampaikan",
    "obligations_informed": "Kewajiban pasien disampaikan",
    "service_info_given": "Info pelayanan diberikan",
    "general_consent": "Persetujuan umum ditandatangani",
}
RM_STATUS_NAMES = {  # the seed's rm_status values
    "pending": "Belum disiapkan",
    "created": "RM baru dibuat",
    "retrieved": "RM lama diambil",
    "delivered": "RM diantar ke poli",
}
VISIT_TYPES = {"sakit": True, "sehat": False}  # the BPJS visit type (PCare kunjSakit)
STATUS_NAMES = {
    "processing": "Diproses",
    "registered": "Terdaftar",
    "completed": "Selesai (RM diantar)",
    "cancelled": "Dibatalkan",
}


@dataclass(frozen=True)
class OnDuty:
    doctor: Doctor
    poly: Polyclinic
    schedule: DoctorSchedule


def doctors_on_duty(session: Session, day: date) -> list[OnDuty]:
    """Doctors scheduled on ``day``'s weekday (1 = Senin ... 7 = Minggu), by poly."""
    rows = session.execute(
        select(Doctor, Polyclinic, DoctorSchedule)
        .join(DoctorSchedule, DoctorSchedule.doctor_id == Doctor.id)
        .join(Polyclinic, Polyclinic.id == DoctorSchedule.poly_id)
        .where(
            DoctorSchedule.day_of_week == day.isoweekday(),
            DoctorSchedule.is_active,
            Doctor.is_active,
            Polyclinic.is_active,
        )
        .order_by(Polyclinic.sort_order, DoctorSchedule.start_time, Doctor.name)
    )
    return [OnDuty(doctor, poly, schedule) for doctor, poly, schedule in rows]


def start(
    session: Session,
    *,
    patient: Patient,
    queue: Queue | None,
    user_id: int,
    new_patient: bool,
    now: datetime,
    tz: ZoneInfo,
    today: date,
) -> Registration:
    """Open the registration of ``patient`` for the ticket being served (or a walk-in without one)."""
    local = now.astimezone(tz)
    registration = Registration(
        registration_number=next_registration_number(session, today),
        queue_id=queue.id if queue else None,
        patient_id=patient.id,
        registration_date=today,
        registration_time=local.time().replace(microsecond=0, tzinfo=None),
        patient_type="baru" if new_patient else "lama",
        payment_type=(queue.payment_type if queue else patient.patient_type) or "umum",
        bpjs_status="not_checked",
        poly_id=queue.poly_id if queue else None,
        status="processing",
        registered_by=user_id,
        # seed step 4: a new patient's record is created now, a returning patient's is taken from the files
        rm_status="created" if new_patient else "retrieved",
    )
    session.add(registration)
    if queue is not None and queue.patient_id is None:
        queue.patient_id = patient.id
    session.flush()
    return registration


def doctor_load(session: Session, doctor_id: int, day: date, *, besides: int | None = None) -> int:
    """How many of ``day``'s registrations (not cancelled) are for ``doctor_id``, ``besides`` not counted."""
    query = (
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.doctor_id == doctor_id,
            Registration.registration_date == day,
            Registration.status != "cancelled",
        )
    )
    if besides is not None:
        query = query.where(Registration.id != besides)
    return int(session.scalar(query) or 0)


def open_registration_for(session: Session, queue_id: int) -> Registration | None:
    return session.scalar(
        select(Registration)
        .where(Registration.queue_id == queue_id, Registration.status != "cancelled")
        .order_by(Registration.id.desc())
    )


def consent_of(session: Session, registration_id: int) -> MandatoryInfoConsent | None:
    return session.scalar(
        select(MandatoryInfoConsent)
        .where(MandatoryInfoConsent.registration_id == registration_id)
        .order_by(MandatoryInfoConsent.id.desc())
    )


def consent_complete(consent: MandatoryInfoConsent | None) -> bool:
    return consent is not None and all(getattr(consent, key) for key in CONSENT_ITEMS)


def history(session: Session, patient_id: int, limit: int = 50) -> list[tuple[Registration, str | None]]:
    rows = session.execute(
        select(Registration, Polyclinic.name)
        .outerjoin(Polyclinic, Polyclinic.id == Registration.poly_id)
        .where(Registration.patient_id == patient_id)
        .order_by(Registration.registration_date.desc(), Registration.id.desc())
        .limit(limit)
    )
    return list(rows)
