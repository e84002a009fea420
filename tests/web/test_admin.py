"""Admin pages: master data with validation and audit, queue configuration applied live, users, the audit
log viewer, node health and the dashboard."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hub.db.models import Counter, Doctor, DoctorSchedule, NodeHealth, Polyclinic, User
from hub.dispatch.rules import load_settings
from hub.web.context import WebServices
from protocol import CounterCommand
from tests.web.conftest import Web, audit_actions, last_audit, patient_form
from tests.web.test_loket import act, issue

POLY = {
    "code": "F",
    "name": "Poli Lansia",
    "bpjs_poly_code": "010",
    "queue_prefix": "F",
    "quota_per_day": "20",
    "room": "Ruang 6",
    "sort_order": "6",
    "is_active": "1",
}


def test_polys_create_validate_update(admin: Web, services: WebServices) -> None:
    published = []
    services.publish_all = lambda: published.append(True)
    assert admin.post("/admin/poli", POLY).status_code == 302
    assert published, "kiosks must learn about the new poly (retained services state)"
    with services.sessions() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "F"))
        assert poly is not None and poly.quota_per_day == 20
    assert last_audit(services, "poly_create").new_values["name"] == "Poli Lansia"  # type: ignore[index]
    bad = admin.post("/admin/poli", {**POLY, "code": "A", "queue_prefix": "P", "quota_per_day": "0"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert (
        "Kode sudah dipakai Poli Umum" in page
        and "P dipakai untuk nomor prioritas" in page
        and "Minimal 1" in page
    )
    assert admin.post(f"/admin/poli/{poly.id}", {**POLY, "quota_per_day": "25"}).status_code == 302
    row = last_audit(services, "poly_update")
    assert row.old_values == {"quota_per_day": 20} and row.new_values == {"quota_per_day": 25}
    assert "Poli Lansia" in admin.get("/admin/poli").get_data(as_text=True)
    assert admin.get("/admin/poli/999").status_code == 404


def test_doctors_and_schedules(admin: Web, services: WebServices) -> None:
    response = admin.post(
        "/admin/dokter", {"name": "dr. Ahmad", "nip": "1987", "poly_id": "1", "is_active": "1"}
    )
    assert response.status_code == 302
    assert admin.post("/admin/dokter", {"name": "", "nip": "abc"}).status_code == 400
    with services.sessions() as session:
        doctor_id = session.scalar(select(Doctor.id).where(Doctor.name == "dr. Ahmad"))
    slot = {
        "doctor_id": str(doctor_id),
        "poly_id": "1",
        "day_of_week": "1",
        "start_time": "08:00",
        "end_time": "12:00",
        "max_patient": "30",
    }
    assert admin.post("/admin/jadwal", slot).status_code == 302
    clash = admin.post("/admin/jadwal", {**slot, "start_time": "11:00", "end_time": "13:00"})
    assert clash.status_code == 400 and "Bertabrakan" in clash.get_data(as_text=True)
    backwards = admin.post(
        "/admin/jadwal", {**slot, "day_of_week": "2", "start_time": "12:00", "end_time": "08:00"}
    )
    assert "Jam selesai harus setelah jam mulai" in backwards.get_data(as_text=True)
    page = admin.get("/admin/jadwal").get_data(as_text=True)
    assert "Senin" in page and "08:00–12:00" in page
    with services.sessions() as session:
        schedule_id = session.scalar(select(DoctorSchedule.id))
    assert admin.post(f"/admin/jadwal/{schedule_id}/hapus").status_code == 302
    assert "Belum ada jadwal" in admin.get("/admin/jadwal").get_data(as_text=True)
    assert {"doctor_create", "schedule_create", "schedule_delete"} <= set(audit_actions(services))


def test_queue_configuration_is_applied_live(admin: Web, services: WebServices) -> None:
    published = []
    services.publish_all = lambda: published.append(True)
    form = {
        "priority_ratio": "strict",
        "max_general_wait_min": "45",
        "avg_service_minutes": "4",
        "operating_start": "00:00",
        "operating_end": "00:00",
        "reset_time": "00:00",
        "running_text": "Jaga kebersihan",
        "rm_pattern": "{YY}-{SEQ:6}",
        "tts_enabled": "1",
    }
    assert admin.post("/admin/antrean", form).status_code == 302
    assert published
    with services.sessions() as session:
        settings = load_settings(session)
    assert (settings.priority_ratio, settings.max_general_wait_min, settings.running_text) == (
        "strict",
        45,
        "Jaga kebersihan",
    )
    assert services.dispatcher.display_state().running_text == "Jaga kebersihan"
    row = last_audit(services, "queue_config_update")
    assert (
        row.new_values
        and row.new_values["priority_ratio"] == "strict"
        and row.new_values["rm_pattern"] == "{YY}-{SEQ:6}"
    )
    bad = admin.post(
        "/admin/antrean", {**form, "priority_ratio": "3-1", "reset_time": "25:00", "rm_pattern": "X"}
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "2:1" in page and "Jam tidak valid" in page and "{SEQ:n}" in page
    created = admin.post("/pasien/baru", patient_form())
    assert created.status_code == 302
    assert f"{services.clock().astimezone(services.tz):%y}-000001" in admin.get(
        created.headers["Location"]
    ).get_data(as_text=True)


def test_users_are_created_with_strong_passwords(admin: Web, services: WebServices, app: Flask) -> None:
    weak = admin.post(
        "/admin/pengguna",
        {
            "username": "budi",
            "name": "Budi",
            "role": "receptionist",
            "password": "budi1234",
            "password2": "budi1234",
            "is_active": "1",
        },
    )
    assert weak.status_code == 400 and "harus memuat simbol" in weak.get_data(as_text=True)
    mismatch = admin.post(
        "/admin/pengguna",
        {
            "username": "budi",
            "name": "Budi",
            "role": "receptionist",
            "password": "Budi#1234",
            "password2": "Budi#12345",
            "is_active": "1",
        },
    )
    assert "tidak sama" in mismatch.get_data(as_text=True)
    ok = admin.post(
        "/admin/pengguna",
        {
            "username": "budi",
            "name": "Budi",
            "role": "receptionist",
            "counter_number": "2",
            "password": "Budi#1234",
            "password2": "Budi#1234",
            "is_active": "1",
        },
    )
    assert ok.status_code == 302
    row = last_audit(services, "user_create")
    assert "password" not in str(row.new_values) and row.new_values["username"] == "budi"  # type: ignore[index]
    budi = Web(app.test_client())
    assert budi.login("budi", "Budi#1234").status_code == 302
    assert budi.get("/loket/").headers["Location"].endswith("/loket/2")
    with services.sessions() as session:
        me = session.scalar(select(User.id).where(User.username == "admin"))
    demote = admin.post(f"/admin/pengguna/{me}", {"name": "Admin", "role": "receptionist", "is_active": "1"})
    assert demote.status_code == 400 and "akun sendiri" in demote.get_data(as_text=True)
    duplicate = admin.post(
        "/admin/pengguna",
        {"username": "budi", "name": "B", "role": "admin", "password": "Budi#1234", "password2": "Budi#1234"},
    )
    assert "Username sudah dipakai" in duplicate.get_data(as_text=True)


def test_audit_viewer_filters(admin: Web, staff: Web, services: WebServices) -> None:
    issue(services)
    act(staff, "call")
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "queue_call" in everything and "login" in everything and "127.0.0.1" in everything
    only_calls = admin.get("/admin/audit", query_string={"action": "queue_call"}).get_data(as_text=True)
    assert "queue_call" in only_calls and "<td>login</td>" not in only_calls
    by_admin = admin.get("/admin/audit", query_string={"username": "admin"}).get_data(as_text=True)
    assert "queue_call" not in by_admin.split("<tbody>")[1]
    day = services.clock().astimezone(services.tz).date().isoformat()
    today = admin.get("/admin/audit", query_string={"dari": day, "sampai": day}).get_data(as_text=True)
    assert "queue_call" in today
    future = admin.get("/admin/audit", query_string={"dari": "2099-01-01"}).get_data(as_text=True)
    assert "Tidak ada catatan" in future


def test_nodes_page(admin: Web, services: WebServices) -> None:
    with services.sessions.begin() as session:
        session.add(
            NodeHealth(
                node="kiosk-1",
                role="kiosk",
                state="online",
                version="0.1.0",
                details={"printer": "paper_out"},
            )
        )
        session.add(
            NodeHealth(node="display-1", role="display", state="offline", version="0.1.0", details={})
        )
    page = admin.get("/admin/node").get_data(as_text=True)
    assert "kiosk-1" in page and "Kertas habis" in page and "display-1" in page and "Offline" in page


def test_dashboard_counts_today(admin: Web, staff: Web, services: WebServices) -> None:
    issue(services)
    issue(services, "prioritas", payment="umum")
    issue(services, poly="B")
    act(staff, "call")
    panel = admin.get("/dashboard/panel").get_data(as_text=True)
    assert '<b id="stat-total">3</b>' in panel
    assert '<b id="stat-waiting">2</b>' in panel
    assert '<b id="stat-priority">1</b>' in panel
    assert '<b id="stat-serving">1</b>' in panel
    assert 'id="stat-bpjs">2 (67%)' in panel and 'id="stat-umum">1 (33%)' in panel
    assert "Poli Gigi" in panel and "mnt" in panel


def test_bpjs_page_without_a_bridge(admin: Web) -> None:
    page = admin.get("/admin/bpjs").get_data(as_text=True)
    assert "Modul BPJS belum terpasang" in page


def test_lokets_limit_categories_and_the_dispatcher_follows(admin: Web, services: WebServices) -> None:
    published = []
    services.publish_all = lambda: published.append(True)
    with services.sessions() as session:
        loket2 = session.scalar(select(Counter).where(Counter.number == 2))
        assert loket2 is not None
        loket2_id = loket2.id
    form = {"number": "2", "name": "Loket 2 (Umum)", "cat_umum": "1", "is_active": "1"}
    assert admin.post(f"/admin/loket/{loket2_id}", form).status_code == 302
    assert published, "nodes must see the renamed loket (retained state)"
    row = last_audit(services, "counter_update")
    assert row.old_values == {"name": "Loket 2", "categories": "prioritas,umum"}
    assert row.new_values == {"name": "Loket 2 (Umum)", "categories": "umum"}
    none = admin.post("/admin/loket", {"number": "1", "name": "X", "is_active": "1"})
    page = none.get_data(as_text=True)
    assert none.status_code == 400
    assert "Pilih minimal satu kategori" in page and "Nomor loket sudah dipakai Loket 1" in page
    assert (
        admin.post("/admin/loket", {"number": "3", "name": "Loket 3", "cat_prioritas": "1"}).status_code
        == 302
    )
    assert "Loket 2 (Umum)" in admin.get("/admin/loket").get_data(as_text=True)
    assert admin.get("/admin/loket/999").status_code == 404
    # the dispatcher obeys the new limit: loket 2 skips the priority ticket waiting first
    issue(services, "prioritas")
    general = issue(services, "umum")
    reply = services.dispatcher.command(
        2, CounterCommand(request_id="lim-1", action="call", source="web"), actor="web:admin"
    ).reply
    assert reply is not None and reply.ticket is not None and reply.ticket.number == general


def test_the_admin_sets_the_bookable_places_of_a_poly(admin: Web, services: WebServices) -> None:
    with services.sessions() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "A"))
        assert poly is not None and poly.booking_quota == 10
    values = {"code": "A", "name": poly.name, "queue_prefix": poly.queue_prefix, "quota_per_day": "30",
              "is_active": "1"}  # fmt: skip
    too_many = admin.post(f"/admin/poli/{poly.id}", {**values, "booking_quota": "31"})
    assert too_many.status_code == 400 and "melebihi kuota" in too_many.get_data(as_text=True)
    assert admin.post(f"/admin/poli/{poly.id}", {**values, "booking_quota": "4"}).status_code == 302
    with services.sessions() as session:
        assert session.get(Polyclinic, poly.id).booking_quota == 4  # type: ignore[union-attr]
    assert "Kuota booking online/hari" in admin.get(f"/admin/poli/{poly.id}").get_data(as_text=True)
