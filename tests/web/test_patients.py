"""Patients: new patient with validation and documents, RM numbers, search, edits with a change trail,
documents for staff only, the visit card PDF."""

from __future__ import annotations

import io
from datetime import date

from flask import Flask
from sqlalchemy import select

from hub.db.models import Patient, PatientDocument, QueueConfig, VisitCard
from hub.web.context import WebServices
from hub.web.nik import nik_for
from hub.web.records import name_key
from tests.web.conftest import Web, audit_actions, last_audit, patient_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def create(web: Web, **overrides: object) -> tuple[int, str]:
    response = web.post("/pasien/baru", {**patient_form(), **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)
    patient_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return patient_id, web.get(response.headers["Location"]).get_data(as_text=True)


def test_new_patient_gets_an_rm_number_card_and_audit(staff: Web, services: WebServices) -> None:
    patient_id, page = create(staff)
    year = services.clock().astimezone(services.tz).year
    with services.sessions() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        assert patient.medical_record == f"RM-{year}-00001"
        assert patient.name_search == "sari wulandari"
        card = session.scalar(select(VisitCard).where(VisitCard.patient_id == patient_id))
        assert card is not None and card.card_number == patient.medical_record
    assert f"RM-{year}-00001" in page and "Sari Wulandari" in page
    row = last_audit(services, "patient_create")
    assert row.record_id == patient_id and row.new_values and row.new_values["nik"] == "3509015503950001"
    second, _ = create(
        staff,
        nik=nik_for("350901", date(1990, 1, 2), "L", 3),
        gender="L",
        birth_date="1990-01-02",
        bpjs_number="0001111111111",
        name="Budi",
    )
    with services.sessions() as session:
        other = session.get(Patient, second)
        assert other is not None and other.medical_record == f"RM-{year}-00002"


def test_rm_pattern_is_configurable(staff: Web, services: WebServices) -> None:
    with services.sessions.begin() as session:
        session.add(QueueConfig(config_key="rm_pattern", config_value="{YY}{MM}-{SEQ:4}"))
    patient_id, _ = create(staff)
    local = services.clock().astimezone(services.tz)
    with services.sessions() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.medical_record == f"{local:%y%m}-0001"


def test_errors_are_shown_next_to_the_field(staff: Web, services: WebServices) -> None:
    response = staff.post("/pasien/baru", patient_form(nik="3509011503950001", name="", phone="abc"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="err-nik"' in page and "jenis kelamin" in page  # a man's NIK for a woman
    assert 'id="err-name"' in page and "Wajib diisi." in page
    assert 'id="err-phone"' in page
    assert 'value="Jl. Mastrip No. 10"' in page  # what was typed is kept
    with services.sessions() as session:
        assert session.scalar(select(Patient.id)) is None


def test_nik_must_match_birth_date_and_be_unique(staff: Web) -> None:
    wrong_date = staff.post("/pasien/baru", patient_form(birth_date="1995-03-16"))
    assert "tidak sesuai dengan tanggal lahir" in wrong_date.get_data(as_text=True)
    short = staff.post("/pasien/baru", patient_form(nik="12345"))
    assert "16 digit" in short.get_data(as_text=True)
    create(staff)
    again = staff.post("/pasien/baru", patient_form(bpjs_number="0009999999999"))
    assert again.status_code == 400 and "NIK sudah terdaftar" in again.get_data(as_text=True)


def test_bpjs_patient_needs_a_card_number(staff: Web) -> None:
    response = staff.post("/pasien/baru", patient_form(bpjs_number=""))
    assert response.status_code == 400 and "Wajib diisi untuk pasien BPJS" in response.get_data(as_text=True)


def test_documents_checked_by_content_and_size(staff: Web, services: WebServices, app: Flask) -> None:
    app.config["UPLOAD_MAX_BYTES"] = 4096  # the 5 MB default, scaled down to keep the test light
    fake = staff.post(
        "/pasien/baru",
        {**patient_form(), "doc_ktp": (io.BytesIO(b"<script>x</script>"), "ktp.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400 and "hanya JPG, PNG atau PDF" in fake.get_data(as_text=True)
    big = staff.post(
        "/pasien/baru",
        {**patient_form(), "doc_kk": (io.BytesIO(PDF + b"0" * 4096), "kk.pdf")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 400 and "maksimal 4 KB" in big.get_data(as_text=True)
    good = staff.post(
        "/pasien/baru",
        {**patient_form(), "doc_ktp": (io.BytesIO(PNG), "ktp.jpg"), "doc_kk": (io.BytesIO(PDF), "kk.pdf")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    with services.sessions() as session:
        documents = list(session.scalars(select(PatientDocument).order_by(PatientDocument.document_type)))
    assert [(d.document_type, d.content_type) for d in documents] == [
        ("kk", "application/pdf"),
        ("ktp", "image/png"),
    ]
    stored = services.data_dir / "uploads" / documents[1].file_path
    assert stored.read_bytes() == PNG and stored.suffix == ".png"  # named by content, not by upload name
    assert "document_upload" in audit_actions(services)


def test_documents_are_served_to_staff_only(staff: Web, web: Web, services: WebServices) -> None:
    patient_id, _ = create(staff)
    upload = staff.post(
        f"/pasien/{patient_id}/dokumen",
        {"doc_bpjs_card": (io.BytesIO(PNG), "kartu.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    with services.sessions() as session:
        document_id = session.scalar(select(PatientDocument.id))
    url = f"/pasien/{patient_id}/dokumen/{document_id}"
    response = staff.get(url)
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()
    anonymous = web.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert staff.get(f"/pasien/{patient_id + 1}/dokumen/{document_id}").status_code == 404
    assert "document_view" in audit_actions(services)


def test_visit_card_pdf(staff: Web, services: WebServices) -> None:
    patient_id, _ = create(staff)
    response = staff.get(f"/pasien/{patient_id}/kartu.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert "RM-" in response.headers["Content-Disposition"]
    assert "visit_card_print" in audit_actions(services)


def test_search_by_rm_nik_bpjs_and_partial_name(staff: Web, services: WebServices) -> None:
    create(staff)
    create(
        staff,
        name="Budi SANTOSO",
        nik=nik_for("350912", date(1990, 1, 15), "L", 1),
        gender="L",
        birth_date="1990-01-15",
        bpjs_number="0001234567890",
    )
    year = services.clock().astimezone(services.tz).year

    def found(**query: str) -> str:
        return staff.get("/loket/1", query_string=query).get_data(as_text=True)

    assert "Budi SANTOSO" in found(nama="santo") and "Sari" not in found(nama="santo")
    assert "Sari Wulandari" in found(nama="WULAN")
    assert "Budi SANTOSO" in found(nama="budi")
    assert "Sari Wulandari" in found(rm=f"RM-{year}-00001")
    assert "Budi SANTOSO" in found(nik=nik_for("350912", date(1990, 1, 15), "L", 1))
    assert "Budi SANTOSO" in found(bpjs="0001234567890")
    assert 'id="no-results"' in found(nama="tidak ada orang ini")
    assert 'id="no-results"' in found(nama="%")  # wildcards are literal


def test_edit_keeps_a_change_trail(staff: Web, services: WebServices) -> None:
    patient_id, _ = create(staff)
    edit_page = staff.get(f"/pasien/{patient_id}/ubah").get_data(as_text=True)
    assert 'value="15-03-1995"' in edit_page and 'value="3509015503950001"' in edit_page
    form = patient_form(phone="085700001111", allergy="Penisilin", name="Sari  Wulandari Putri")
    response = staff.post(f"/pasien/{patient_id}/ubah", form)
    assert response.status_code == 302
    row = last_audit(services, "patient_update")
    assert row.old_values == {"name": "Sari Wulandari", "phone": "081234567890", "allergy": None}
    assert row.new_values == {
        "name": "Sari  Wulandari Putri",
        "phone": "085700001111",
        "allergy": "Penisilin",
    }
    with services.sessions() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.name_search == name_key("Sari Wulandari Putri")
    page = staff.get(f"/pasien/{patient_id}").get_data(as_text=True)
    assert "Riwayat perubahan data" in page and "085700001111" in page and "Penisilin" in page
    unchanged = staff.post(f"/pasien/{patient_id}/ubah", form)
    assert unchanged.status_code == 302
    assert audit_actions(services).count("patient_update") == 1
    invalid = staff.post(f"/pasien/{patient_id}/ubah", patient_form(gender="L"))
    assert invalid.status_code == 400 and "jenis kelamin" in invalid.get_data(as_text=True)
