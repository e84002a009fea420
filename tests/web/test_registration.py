"""The registration workflow at the loket (seed steps 2–6) without BPJS: new and old patients, mandatory
information, poly and doctor on duty, Antar RM ke Poli."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from hub.db.models import Doctor, DoctorSchedule, MandatoryInfoConsent, Polyclinic, Queue, Registration
from hub.web.context import WebServices
from tests.web.conftest import Web, audit_actions, last_audit, patient_form
from tests.web.test_loket import act, issue, status_of

ALL_CONSENT = {
    "rights_informed": "1",
    "obligations_informed": "1",
    "service_info_given": "1",
    "general_consent": "1",
}


def doctor_on_duty(services: WebServices, poly_code: str = "A", name: str = "dr. Ahmad") -> tuple[int, int]:
    weekday = services.clock().astimezone(services.tz).isoweekday()
    with services.sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == poly_code))
        assert poly is not None
        doctor = Doctor(name=name, poly_id=poly.id)
        session.add(doctor)
        session.flush()
        session.add(
            DoctorSchedule(
                doctor_id=doctor.id,
                poly_id=poly.id,
                day_of_week=weekday,
                start_time=time(0, 0),
                end_time=time(23, 59),
            )
        )
        return doctor.id, poly.id


def registration(services: WebServices, registration_id: int) -> Registration:
    with services.sessions() as session:
        row = session.get(Registration, registration_id)
        assert row is not None
        return row


def test_new_patient_from_the_loket_to_the_poly(staff: Web, services: WebServices) -> None:
    doctor_id, poly_id = doctor_on_duty(services)
    number = issue(services, payment="umum")
    act(staff, "call")
    response = staff.post("/pasien/baru", {**patient_form(patient_type="umum", bpjs_number=""), "loket": "1"})
    assert response.status_code == 302 and "/registrasi/" in response.headers["Location"]
    registration_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert status_of(services, number) == "serving"
    reg = registration(services, registration_id)
    assert (
        reg.patient_type == "baru"
        and reg.status == "processing"
        and reg.registration_number.startswith("REG-")
    )
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert number in page and "Sari Wulandari" in page and "dr. Ahmad" in page

    early = staff.post(f"/registrasi/{registration_id}/antar")
    assert early.status_code == 400 and "Lengkapi dulu semua informasi wajib" in early.get_data(as_text=True)

    partial = staff.post(f"/registrasi/{registration_id}/informasi", {"rights_informed": "1"})
    assert partial.status_code == 302
    assert "belum lengkap" in staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    staff.post(f"/registrasi/{registration_id}/informasi", ALL_CONSENT)
    with services.sessions() as session:
        consent = session.scalar(select(MandatoryInfoConsent).order_by(MandatoryInfoConsent.id.desc()))
        assert consent is not None and consent.general_consent and consent.informed_by is not None
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert "Lengkap · dicatat oleh Siti" in page

    other_doctor, _ = doctor_on_duty(services, "B", "drg. Rina")
    wrong = staff.post(
        f"/registrasi/{registration_id}/simpan",
        {"poly_id": str(poly_id), "doctor_id": str(other_doctor), "payment_type": "umum", "action": "save"},
    )
    assert wrong.status_code == 400 and "tidak praktek di poli tersebut" in wrong.get_data(as_text=True)
    saved = staff.post(
        f"/registrasi/{registration_id}/simpan",
        {
            "poly_id": str(poly_id),
            "doctor_id": str(doctor_id),
            "payment_type": "umum",
            "keluhan": "demam",
            "action": "save",
        },
    )
    assert saved.status_code == 302
    assert status_of(services, number) == "registered"
    reg = registration(services, registration_id)
    assert (reg.status, reg.poly_id, reg.doctor_id) == ("registered", poly_id, doctor_id)

    delivered = staff.post(f"/registrasi/{registration_id}/antar")
    assert delivered.status_code == 302 and delivered.headers["Location"] == "/loket/1"
    assert status_of(services, number) == "directed_to_poly"
    reg = registration(services, registration_id)
    assert (reg.status, reg.rm_status) == ("completed", "delivered") and reg.rm_delivered_at is not None
    assert reg.info_consent_completed
    assert last_audit(services, "rm_delivered").record_id == registration_id
    for action in ("registration_start", "consent_record", "registration_save", "rm_delivered"):
        assert action in audit_actions(services)
    history = staff.get(f"/pasien/{reg.patient_id}").get_data(as_text=True)
    assert reg.registration_number in history and "Selesai (RM diantar)" in history


def test_old_patient_is_found_and_registered(staff: Web, services: WebServices) -> None:
    created = staff.post("/pasien/baru", patient_form())
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    number = issue(services)
    act(staff, "call")
    response = staff.post(f"/loket/1/layani/{patient_id}")
    registration_id = int(response.headers["Location"].rsplit("/", 1)[1])
    reg = registration(services, registration_id)
    assert reg.patient_type == "lama" and reg.payment_type == "bpjs"
    with services.sessions() as session:
        assert session.scalar(select(Queue.patient_id).where(Queue.queue_number == number)) == patient_id
    again = staff.post(f"/loket/1/layani/{patient_id}")  # the same patient again: the same registration
    assert again.headers["Location"].endswith(f"/registrasi/{registration_id}")
    assert "Lanjutkan pendaftaran" in staff.get("/loket/1/kini").get_data(as_text=True)


def test_bpjs_actions_without_a_configured_bridge(staff: Web, services: WebServices) -> None:
    created = staff.post("/pasien/baru", patient_form())
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    response = staff.post(f"/loket/1/layani/{patient_id}")
    registration_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert "Bridging BPJS belum aktif" in page
    check = staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": "0009876543210"})
    assert check.status_code == 503 and "belum dikonfigurasi" in check.get_data(as_text=True)
    invalid = staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": "123"})
    assert invalid.status_code == 400 and "Harus 13 digit" in invalid.get_data(as_text=True)
    bridge = staff.post(
        f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "bpjs", "action": "bridge"}
    )
    assert bridge.status_code == 400 and "Cek BPJS dulu" in bridge.get_data(as_text=True)
