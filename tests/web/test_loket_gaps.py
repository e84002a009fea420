"""Loket gaps of the spec: the BPJS visit type (kunjSakit) per poly and per visit, polys without a BPJS code
flagged for the admin, the RM status values, and a doctor's max_patient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.bpjs.simulator import SimulatorServer
from hub.db.models import DoctorSchedule, Polyclinic
from hub.web.context import WebServices
from tests.web.conftest import Web, last_audit, patient_form
from tests.web.test_bpjs import ACTIVE, bridge, registration_for  # noqa: F401  (bridge is a fixture)
from tests.web.test_loket import act, issue
from tests.web.test_registration import ALL_CONSENT, doctor_on_duty, registration


def poly_id(services: WebServices, code: str) -> int:
    with services.sessions() as session:
        found = session.scalar(select(Polyclinic.id).where(Polyclinic.code == code))
        assert found is not None
        return found


def bridge_visit(staff: Web, services: WebServices, poly_code: str, visit_type: str = "") -> int:
    registration_id = registration_for(staff, ACTIVE)
    staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": ACTIVE})
    staff.post(f"/registrasi/{registration_id}/informasi", ALL_CONSENT)
    response = staff.post(
        f"/registrasi/{registration_id}/simpan",
        {
            "poly_id": str(poly_id(services, poly_code)),
            "payment_type": "bpjs",
            "keluhan": "kontrol KB",
            "kunj_sakit": visit_type,
            "action": "bridge",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-400:]
    return registration_id


def test_seed_polys_have_their_visit_type(services: WebServices) -> None:
    with services.sessions() as session:
        types = {code: sick for code, sick in session.execute(select(Polyclinic.code, Polyclinic.kunj_sakit))}
    assert types == {"A": True, "B": True, "C": False, "D": False, "E": True}


@pytest.mark.usefixtures("bridge")
def test_a_kb_visit_goes_to_pcare_as_a_healthy_visit(
    staff: Web, services: WebServices, pcare_sim: SimulatorServer
) -> None:
    registration_id = bridge_visit(staff, services, "C")
    [visit] = pcare_sim.state.registrations_of(ACTIVE)
    assert (visit.kd_poli, visit.kunj_sakit) == ("003", False)
    assert registration(services, registration_id).kunj_sakit is None  # the poly's type, not a choice


@pytest.mark.usefixtures("bridge")
def test_the_loket_changes_the_visit_type_for_one_visit(
    staff: Web, services: WebServices, pcare_sim: SimulatorServer
) -> None:
    registration_id = bridge_visit(staff, services, "C", "sakit")  # a sick child at the KIA poly
    [visit] = pcare_sim.state.registrations_of(ACTIVE)
    assert visit.kunj_sakit is True
    assert registration(services, registration_id).kunj_sakit is True
    assert last_audit(services, "registration_save").new_values["kunj_sakit"] is True  # type: ignore[index]
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert '<option value="sakit" selected>' in page


def test_an_unknown_visit_type_is_refused(staff: Web, services: WebServices) -> None:
    issue(services)
    act(staff, "call")
    created = staff.post("/pasien/baru", {**patient_form(), "loket": "1"})
    registration_id = int(created.headers["Location"].rsplit("/", 1)[1])
    refused = staff.post(
        f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "umum", "kunj_sakit": "x"}
    )
    assert refused.status_code == 400 and "Pilihan tidak dikenal" in refused.get_data(as_text=True)


def test_admin_sees_polys_without_a_bpjs_code_until_one_is_set(admin: Web, services: WebServices) -> None:
    page = admin.get("/admin/poli").get_data(as_text=True)
    assert 'id="polys-no-bpjs"' in page and "Poli Imunisasi, UGD" in page
    for code, bpjs in (("D", "004"), ("E", "005")):
        pid = poly_id(services, code)
        with services.sessions() as session:
            poly = session.get(Polyclinic, pid)
            assert poly is not None
            form = {
                "code": poly.code,
                "name": poly.name,
                "bpjs_poly_code": bpjs,
                "queue_prefix": poly.queue_prefix,
                "quota_per_day": str(poly.quota_per_day),
                "is_active": "1",
                **({"kunj_sakit": "1"} if poly.kunj_sakit else {}),
                **({"is_24_hours": "1"} if poly.is_24_hours else {}),
            }
        assert admin.post(f"/admin/poli/{pid}", form).status_code == 302
    assert 'id="polys-no-bpjs"' not in admin.get("/admin/poli").get_data(as_text=True)
    with services.sessions() as session:
        immunisation = session.get(Polyclinic, poly_id(services, "D"))
        assert immunisation is not None and immunisation.kunj_sakit is False  # kept: still a healthy visit


def test_rm_status_created_retrieved_delivered(staff: Web, services: WebServices) -> None:
    issue(services)
    act(staff, "call")
    created = staff.post("/pasien/baru", {**patient_form(), "loket": "1"})
    new_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert registration(services, new_id).rm_status == "created"
    assert "RM baru dibuat" in staff.get(f"/registrasi/{new_id}").get_data(as_text=True)
    staff.post(f"/registrasi/{new_id}/informasi", ALL_CONSENT)
    staff.post(f"/registrasi/{new_id}/simpan", {"poly_id": "1", "payment_type": "umum"})
    staff.post(f"/registrasi/{new_id}/antar")
    assert registration(services, new_id).rm_status == "delivered"
    # the same patient comes back: the record is taken from the files
    issue(services)
    act(staff, "call")
    patient_id = registration(services, new_id).patient_id
    again = staff.post(f"/loket/1/layani/{patient_id}")
    old_id = int(again.headers["Location"].rsplit("/", 1)[1])
    assert old_id != new_id and registration(services, old_id).rm_status == "retrieved"


def test_a_full_doctor_schedule_is_refused_in_indonesian(staff: Web, services: WebServices) -> None:
    doctor_id, poly = doctor_on_duty(services)
    with services.sessions.begin() as session:
        schedule = session.scalar(select(DoctorSchedule).where(DoctorSchedule.doctor_id == doctor_id))
        assert schedule is not None
        schedule.max_patient = 1
    ids = []
    for nik, card, name in (("3509015503950001", "0009876543210", "Sari"), ("3509015503950002", "", "Dewi")):
        issue(services)
        act(staff, "call")
        created = staff.post(
            "/pasien/baru",
            {
                **patient_form(nik=nik, name=name, bpjs_number=card, patient_type="bpjs" if card else "umum"),
                "loket": "1",
            },
        )
        assert created.status_code == 302, created.get_data(as_text=True)[-300:]
        ids.append(int(created.headers["Location"].rsplit("/", 1)[1]))
    choice = {"poly_id": str(poly), "doctor_id": str(doctor_id), "payment_type": "umum"}
    assert staff.post(f"/registrasi/{ids[0]}/simpan", choice).status_code == 302
    assert (
        staff.post(f"/registrasi/{ids[0]}/simpan", choice).status_code == 302
    )  # saved again: no new patient
    assert "1/1 pasien — penuh" in staff.get(f"/registrasi/{ids[1]}").get_data(as_text=True)  # warned first
    refused = staff.post(f"/registrasi/{ids[1]}/simpan", choice)
    assert refused.status_code == 400
    assert "Jadwal dr. Ahmad hari ini sudah penuh (1 pasien)" in refused.get_data(as_text=True)
    assert registration(services, ids[1]).doctor_id is None
    without = staff.post(f"/registrasi/{ids[1]}/simpan", {**choice, "doctor_id": ""})
    assert without.status_code == 302


def test_the_estimated_time_is_stored_at_issue(staff: Web, services: WebServices) -> None:
    from hub.db.models import Queue

    for _ in range(3):
        issue(services)
    act(staff, "call")  # one loket open: the estimate counts the ones ahead
    issue(services)
    with services.sessions() as session:
        rows = list(session.scalars(select(Queue).order_by(Queue.id)))
    assert all(row.estimated_time is not None for row in rows)
    offsets = [row.estimated_time - row.queued_at for row in rows if row.estimated_time is not None]
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0]  # two waiting ahead of the last one


def test_dashboard_shows_skips_and_bpjs_figures_of_the_day_only(
    staff: Web, admin: Web, services: WebServices
) -> None:
    from datetime import time, timedelta

    from hub.db.models import BpjsOutbox, Registration

    issue(services)
    issue(services)
    act(staff, "call")
    act(staff, "skip")  # the first one did not come
    created = staff.post("/pasien/baru", {**patient_form(), "loket": "1"})
    today_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with services.sessions.begin() as session:
        today = registration(services, today_id)
        yesterday = Registration(
            registration_number="REG-LALU-0001",
            patient_id=today.patient_id,
            registration_date=today.registration_date - timedelta(days=1),
            registration_time=time(8, 0),
            patient_type="lama",
            payment_type="bpjs",
            bpjs_bridged=True,
        )
        session.add(yesterday)
        session.flush()
        for registration_id, status in (
            (today_id, "pending"),
            (yesterday.id, "failed"),
            (yesterday.id, "pending"),
        ):
            session.add(
                BpjsOutbox(registration_id=registration_id, kind="pendaftaran", payload={}, status=status)
            )
    panel = admin.get("/dashboard/panel").get_data(as_text=True)
    assert 'id="stat-skipped">1<' in panel
    assert '<dd id="bridge-pending">1</dd>' in panel and '<dd id="bridge-failed">0</dd>' in panel
    assert '<dd id="bridge-sent">0</dd>' in panel  # yesterday's bridged visit is not today's


def test_admin_page_says_what_wins_under_strict(admin: Web) -> None:
    form = {
        "priority_ratio": "strict",
        "max_general_wait_min": "45",
        "avg_service_minutes": "4",
        "operating_start": "00:00",
        "operating_end": "00:00",
        "reset_time": "00:00",
        "running_text": "Jaga kebersihan",
        "rm_pattern": "{YY}-{SEQ:6}",
    }
    assert admin.post("/admin/antrean", form).status_code == 302
    page = admin.get("/admin/antrean").get_data(as_text=True)
    assert 'id="cap-note"' in page and "(45 menit) <b>tidak diterapkan</b>" in page
    assert admin.post("/admin/antrean", {**form, "priority_ratio": "2:1"}).status_code == 302
    assert 'id="cap-note"' not in admin.get("/admin/antrean").get_data(as_text=True)
