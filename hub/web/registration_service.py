"""The registration workflow (seed steps 3–6) as units of work: each step changes the registration and
its ticket together, in the caller's one write transaction. When the ticket cannot change, the step
raises :class:`WorkflowError`; the caller's transaction then rolls back, so neither change is kept.

The rules that decide whether a step may run are pure functions (:func:`save_problems`,
:func:`deliver_problems`), tested on their own.

Usage (needs a running hub; not run as a doctest)::

    with writing() as session:
        outcome = deliver(session, registration, actor="web:siti", now=clock())
    services().apply(outcome)
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub.db.models import Counter, Patient, Polyclinic, Queue, Registration
from hub.db.statuses import AT_LOKET, TicketStatus
from hub.dispatch.operation import lock_queue
from hub.dispatch.outcome import DispatchError, Outcome
from hub.dispatch.transitions import progress
from hub.web import visits
from hub.web.audit import record

logger = logging.getLogger(__name__)

CLOSED = ("completed", "cancelled")
PAYMENTS = {"bpjs": "BPJS", "umum": "Umum"}


class WorkflowError(Exception):
    """A step was refused (``status`` 400, nothing done) or failed (409: its ticket could not change).
    ``errors`` maps the page's fields to messages for staff."""

    def __init__(self, errors: dict[str, str], status: int) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


@dataclass(frozen=True)
class SaveChoice:
    """What Simpan & Daftarkan (or Bridge BPJS & Simpan) submitted, parsed."""

    poly_id: int | None
    doctor_id: int | None
    payment: str | None
    complaint: str | None
    with_bridge: bool
    kunj_sakit: bool | None = None  # this visit's BPJS type; None: the poly's


def save_problems(
    choice: SaveChoice,
    *,
    registration_status: str,
    bpjs_status: str | None,
    poly: Polyclinic | None,
    on_duty: Collection[tuple[int, int]],
    doctor_full: str | None = None,
) -> dict[str, str]:
    """Why ``choice`` cannot be saved (field → message); ``on_duty`` holds today's (doctor id, poly id);
    ``doctor_full`` says why the chosen doctor takes no more patients today (their schedule's max_patient)."""
    problems: dict[str, str] = {}
    if doctor_full:
        problems["doctor_id"] = doctor_full
    if choice.poly_id and (poly is None or not poly.is_active):
        problems["poly_id"] = "Poli tidak dikenal."
    if choice.doctor_id and (choice.doctor_id, choice.poly_id) not in on_duty:
        problems["doctor_id"] = "Dokter ini tidak praktek di poli tersebut hari ini."
    if registration_status in CLOSED:
        problems["form"] = "Registrasi ini sudah selesai."
    if choice.with_bridge:
        if choice.payment != "bpjs":
            problems["payment_type"] = "Bridging hanya untuk pasien BPJS."
        elif bpjs_status != "aktif":
            problems["payment_type"] = "Lakukan Cek BPJS dulu: peserta harus aktif."
        elif poly is not None and not poly.bpjs_poly_code:
            problems.setdefault("poly_id", "Poli ini tidak memiliki kode poli BPJS.")
    return problems


def deliver_problems(registration_status: str, consent_complete: bool) -> dict[str, str]:
    """Why the medical record cannot go to the poly yet."""
    if not consent_complete:
        return {"deliver": "Lengkapi dulu semua informasi wajib."}
    if registration_status != "registered":
        return {"deliver": "Simpan & Daftarkan dulu (poli tujuan wajib dipilih)."}
    return {}


def move_ticket(
    session: Session, queue: Queue, status: TicketStatus, *, actor: str, now: datetime
) -> Outcome:
    """The dispatcher's validated status change (as ``Dispatcher.set_status`` makes it), in this
    transaction. The caller has taken the queue lock (:func:`lock_queue`) before reading the ticket."""
    progress(session, queue, status, now, actor=actor)
    return Outcome(live=True, services=status == TicketStatus.CANCELLED)


def _ticket_to(
    session: Session, queue: Queue, status: TicketStatus, *, actor: str, now: datetime, key: str
) -> Outcome:
    try:
        return move_ticket(session, queue, status, actor=actor, now=now)
    except DispatchError as error:
        logger.error(
            "ticket %s could not become %s (%s): the registration step is rolled back",
            queue.queue_number,
            status,
            error.info.code,
        )
        message = f"Status antrean {queue.queue_number} tidak dapat diubah: {error.info.message}"
        raise WorkflowError({key: message}, 409) from error


def start(
    session: Session,
    *,
    loket: Counter | None,
    patient: Patient,
    new_patient: bool,
    user_id: int,
    actor: str,
    now: datetime,
    tz: ZoneInfo,
    today: date,
) -> tuple[Registration, Outcome | None]:
    """Open (or reuse) the registration of ``patient`` for the ticket at ``loket``; a called ticket
    becomes ``serving``. A registration still in progress there for another patient is cancelled."""
    lock_queue(session)
    current = session.get(Queue, loket.current_queue_id) if loket and loket.current_queue_id else None
    if current is not None and current.status not in AT_LOKET:
        current = None
    existing = visits.open_registration_for(session, current.id) if current else None
    if existing is not None and existing.patient_id != patient.id and existing.status == "processing":
        existing.status = "cancelled"
        record(
            session,
            "registration_cancel",
            table="registrations",
            record_id=existing.id,
            old_values={"patient_id": existing.patient_id},
            new_values={"reason": "patient_changed"},
        )
        existing = None
    if existing is not None and existing.patient_id == patient.id:
        return existing, None
    registration = visits.start(
        session,
        patient=patient,
        queue=current,
        user_id=user_id,
        new_patient=new_patient,
        now=now,
        tz=tz,
        today=today,
    )
    record(
        session,
        "registration_start",
        table="registrations",
        record_id=registration.id,
        new_values={
            "patient_id": patient.id,
            "ticket": current.queue_number if current else None,
            "loket": loket.number if loket else None,
        },
    )
    outcome = None
    if current is not None and current.status == "called":
        outcome = _ticket_to(session, current, TicketStatus.SERVING, actor=actor, now=now, key="form")
    return registration, outcome


def doctor_full(
    session: Session, registration: Registration, choice: SaveChoice, duty: list[visits.OnDuty], today: date
) -> str | None:
    """The Indonesian refusal when the chosen doctor's schedule today has its ``max_patient`` already
    (this registration not counted, so saving it again is no new patient)."""
    if choice.doctor_id is None or choice.doctor_id == registration.doctor_id:
        return None
    for entry in duty:
        if (entry.doctor.id, entry.poly.id) == (choice.doctor_id, choice.poly_id):
            load = visits.doctor_load(session, entry.doctor.id, today, besides=registration.id)
            if load >= entry.schedule.max_patient:
                return (
                    f"Jadwal {entry.doctor.name} hari ini sudah penuh ({entry.schedule.max_patient} pasien). "
                    "Pilih dokter lain atau biarkan kosong."
                )
    return None


def save(
    session: Session,
    registration: Registration,
    choice: SaveChoice,
    *,
    actor: str,
    now: datetime,
    today: date,
    form_errors: Mapping[str, str] | None = None,
) -> Outcome | None:
    """Simpan & Daftarkan: poly, doctor, payment and complaint; the registration becomes ``registered``
    and so does its ticket while it is at a loket. ``form_errors`` (found parsing the form) come first."""
    lock_queue(session)
    poly = session.get(Polyclinic, choice.poly_id) if choice.poly_id else None
    duty = visits.doctors_on_duty(session, today)
    on_duty = {(d.doctor.id, d.poly.id) for d in duty}
    problems = save_problems(
        choice,
        registration_status=registration.status,
        bpjs_status=registration.bpjs_status,
        poly=poly,
        on_duty=on_duty,
        doctor_full=doctor_full(session, registration, choice, duty, today),
    )
    problems = {**problems, **(form_errors or {})}
    if problems:
        raise WorkflowError(problems, 400)
    old = {
        "poly_id": registration.poly_id,
        "doctor_id": registration.doctor_id,
        "payment_type": registration.payment_type,
        "kunj_sakit": registration.kunj_sakit,
        "status": registration.status,
    }
    registration.poly_id, registration.doctor_id = choice.poly_id, choice.doctor_id
    registration.kunj_sakit = choice.kunj_sakit
    registration.payment_type = choice.payment or "umum"
    registration.notes = choice.complaint
    registration.status = "registered"
    record(
        session,
        "registration_save",
        table="registrations",
        record_id=registration.id,
        old_values=old,
        new_values={
            "poly_id": choice.poly_id,
            "doctor_id": choice.doctor_id,
            "payment_type": choice.payment,
            "kunj_sakit": choice.kunj_sakit,
            "status": "registered",
        },
    )
    queue = session.get(Queue, registration.queue_id) if registration.queue_id is not None else None
    if queue is None or queue.status not in AT_LOKET:
        return None
    return _ticket_to(session, queue, TicketStatus.REGISTERED, actor=actor, now=now, key="form")


def deliver(session: Session, registration: Registration, *, actor: str, now: datetime) -> Outcome | None:
    """Antar RM ke Poli: the registration becomes ``completed`` and its ticket ``directed_to_poly``."""
    lock_queue(session)
    consent = visits.consent_complete(visits.consent_of(session, registration.id))
    problems = deliver_problems(registration.status, consent)
    if problems:
        raise WorkflowError(problems, 400)
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
    queue = session.get(Queue, registration.queue_id) if registration.queue_id is not None else None
    if queue is None:
        return None
    return _ticket_to(session, queue, TicketStatus.DIRECTED_TO_POLY, actor=actor, now=now, key="deliver")
