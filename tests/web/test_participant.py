"""Pure rules of the registration page: a PCare participant mapped to what the loket shows and stores,
and when Simpan & Daftarkan / Antar RM ke Poli may run."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.bpjs.models import Participant, ParticipantResult
from hub.db.models import Patient, Polyclinic, Registration
from hub.web.participant import apply_check, membership_check, participant_view
from hub.web.registration_service import SaveChoice, deliver_problems, save_problems

NOW = datetime(2026, 2, 26, 1, 0, tzinfo=UTC)
BUDI = Participant(
    "0001234567890",
    "BUDI SANTOSO",
    True,
    ket_aktif="",
    tgl_akhir_berlaku="31-12-2026",
    nm_provider="PUSKESMAS GLADAK PAKEM " * 6,
    kelas_nama="Kelas III (tiga) yang sangat panjang",
    jenis_peserta_nama="PBI (APBN)",
)


def test_the_view_cuts_texts_to_the_columns() -> None:
    view = participant_view(BUDI)
    assert view.aktif and view.nama == "BUDI SANTOSO" and view.berlaku == "31-12-2026"
    assert len(view.kelas) == 20 and len(view.provider) == 100 and view.jenis == "PBI (APBN)"


def test_active_participant_by_card() -> None:
    check = membership_check(ParticipantResult(True, BUDI, None, "Peserta BPJS aktif."), card=BUDI.no_kartu)
    assert check.bpjs_status == "aktif" and check.error is None
    assert check.audit == {"found": True, "active": True, "error": None}
    assert check.patient_fields["is_bpjs_active"] is True
    assert check.patient_fields["bpjs_number"] == BUDI.no_kartu


def test_inactive_participant_by_nik_keeps_the_data_and_no_card() -> None:
    inactive = Participant(
        "0002345678901", "SITI", False, ket_aktif="PREMI", kelas_nama="", jenis_peserta_nama=""
    )
    check = membership_check(ParticipantResult(False, inactive, "inactive", "Peserta tidak aktif."))
    assert check.bpjs_status == "tidak_aktif" and check.error is None
    assert check.participant is not None and check.participant.keterangan == "PREMI"
    assert check.patient_fields == {
        "is_bpjs_active": False,
        "bpjs_class": None,
        "bpjs_type": None,
        "bpjs_provider": None,
    }
    assert check.audit == {"found": True, "active": False, "error": "inactive"}


def test_not_found_uses_the_bridge_message_or_a_known_one() -> None:
    told = membership_check(ParticipantResult(False, None, "not_found", "Peserta tidak ada di PCare."))
    assert (told.participant, told.bpjs_status, told.error) == (
        None,
        "not_checked",
        "Peserta tidak ada di PCare.",
    )
    assert told.patient_fields == {}
    assert membership_check(ParticipantResult(False, None, "not_found")).error == "Peserta tidak ditemukan."
    assert membership_check(ParticipantResult(False, None, "timeout")).error == "Cek BPJS gagal."


def test_applying_a_check_keeps_a_card_number_already_stored() -> None:
    registration, patient = Registration(), Patient(bpjs_number="0009999999999")
    check = membership_check(ParticipantResult(True, BUDI, None), card=BUDI.no_kartu)
    apply_check(check, registration, patient, NOW)
    assert (registration.bpjs_verified, registration.bpjs_status) == (True, "aktif")
    assert registration.bpjs_verification_time == NOW
    assert patient.bpjs_number == "0009999999999" and patient.is_bpjs_active is True
    fresh = Patient(bpjs_number=None)
    apply_check(check, Registration(), fresh, NOW)
    assert fresh.bpjs_number == BUDI.no_kartu


def test_a_failed_check_leaves_the_patient_alone() -> None:
    registration, patient = Registration(), Patient(bpjs_class="Kelas I")
    apply_check(membership_check(ParticipantResult(False, None, "timeout")), registration, patient, NOW)
    assert (registration.bpjs_verified, registration.bpjs_status) == (False, "not_checked")
    assert patient.bpjs_class == "Kelas I"


def choice(**changes: object) -> SaveChoice:
    values: dict[str, object] = {
        "poly_id": 1,
        "doctor_id": None,
        "payment": "bpjs",
        "complaint": None,
        "with_bridge": False,
    }
    values.update(changes)
    return SaveChoice(**values)  # type: ignore[arg-type]


UMUM = Polyclinic(id=1, is_active=True, bpjs_poly_code="001")


def problems(
    made: SaveChoice, *, status: str = "processing", bpjs: str = "aktif", poly: Polyclinic | None = UMUM
) -> dict[str, str]:
    """The save rules with doctor 7 on duty at poly 1 today."""
    return save_problems(made, registration_status=status, bpjs_status=bpjs, poly=poly, on_duty={(7, 1)})


def test_save_rules() -> None:
    assert problems(choice()) == {}
    assert problems(choice(poly_id=9), poly=None) == {"poly_id": "Poli tidak dikenal."}
    assert problems(choice(), poly=Polyclinic(id=1, is_active=False)) == {"poly_id": "Poli tidak dikenal."}
    assert problems(choice(doctor_id=7)) == {}
    assert "doctor_id" in problems(choice(doctor_id=8))
    assert problems(choice(), status="completed") == {"form": "Registrasi ini sudah selesai."}


def test_bridging_rules() -> None:
    assert problems(choice(with_bridge=True)) == {}
    assert problems(choice(with_bridge=True, payment="umum")) == {
        "payment_type": "Bridging hanya untuk pasien BPJS."
    }
    assert "peserta harus aktif" in problems(choice(with_bridge=True), bpjs="tidak_aktif")["payment_type"]
    no_code = Polyclinic(id=1, is_active=True, bpjs_poly_code=None)
    assert problems(choice(with_bridge=True), poly=no_code) == {
        "poly_id": "Poli ini tidak memiliki kode poli BPJS."
    }


def test_deliver_rules() -> None:
    assert deliver_problems("registered", True) == {}
    assert deliver_problems("processing", True) == {
        "deliver": "Simpan & Daftarkan dulu (poli tujuan wajib dipilih)."
    }
    assert deliver_problems("processing", False) == {"deliver": "Lengkapi dulu semua informasi wajib."}
