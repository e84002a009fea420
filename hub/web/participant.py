"""A PCare participant as the loket sees it, and what one Cek BPJS changes (pure: no session, no request).

>>> from hub.bpjs.models import Participant, ParticipantResult
>>> found = Participant("0001234567890", "BUDI", True, kelas_nama="Kelas III", nm_provider="PKM GLADAK")
>>> check = membership_check(ParticipantResult(True, found, None, "Peserta BPJS aktif."))
>>> check.bpjs_status, check.patient_fields["bpjs_class"], check.error
('aktif', 'Kelas III', None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.bpjs.models import Participant, ParticipantResult
from hub.db.models import Patient, Registration

BPJS_ERRORS = {
    "not_found": "Peserta tidak ditemukan.",
    "inactive": "Peserta tidak aktif.",
    "not_configured": "Bridging BPJS belum dikonfigurasi. Hubungi admin.",
}
CHECK_FAILED = "Cek BPJS gagal."


@dataclass(frozen=True)
class ParticipantView:
    """What the loket shows of a PCare participant (wireframe 8.3), cut to the columns' sizes."""

    aktif: bool
    nama: str
    kelas: str
    jenis: str
    provider: str
    berlaku: str
    keterangan: str


def participant_view(participant: Participant) -> ParticipantView:
    return ParticipantView(
        aktif=participant.aktif,
        nama=participant.nama,
        kelas=participant.kelas_nama[:20],
        jenis=participant.jenis_peserta_nama[:50],
        provider=participant.nm_provider[:100],
        berlaku=participant.tgl_akhir_berlaku,
        keterangan=participant.ket_aktif,
    )


@dataclass(frozen=True)
class MembershipCheck:
    """What a membership check changes: the registration's BPJS status, the patient's BPJS columns (none
    when PCare found no participant), the audit values, and the error the loket shows."""

    participant: ParticipantView | None
    bpjs_status: str
    patient_fields: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def membership_check(result: ParticipantResult, *, card: str | None = None) -> MembershipCheck:
    """The outcome of a Cek BPJS by ``card`` (or by NIK: ``card`` None) that answered ``result``."""
    view = participant_view(result.participant) if result.participant is not None else None
    active = view is not None and view.aktif
    audit = {"found": view is not None, "active": active, "error": result.error_code}
    if view is None:
        error = result.message or BPJS_ERRORS.get(result.error_code or "", CHECK_FAILED)
        return MembershipCheck(None, "not_checked", audit=audit, error=error)
    fields: dict[str, Any] = {
        "is_bpjs_active": active,
        "bpjs_class": view.kelas or None,
        "bpjs_type": view.jenis or None,
        "bpjs_provider": view.provider or None,
    }
    if card:
        fields["bpjs_number"] = card  # kept only where the patient has none yet (see apply_check)
    return MembershipCheck(view, "aktif" if active else "tidak_aktif", fields, audit)


def apply_check(check: MembershipCheck, registration: Registration, patient: Patient, now: datetime) -> None:
    """Write ``check`` onto the registration and the patient (in the caller's transaction)."""
    registration.bpjs_verified = check.participant is not None
    registration.bpjs_verification_time = now
    registration.bpjs_status = check.bpjs_status
    for key, value in check.patient_fields.items():
        if key == "bpjs_number" and patient.bpjs_number:
            continue
        setattr(patient, key, value)
