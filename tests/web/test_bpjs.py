"""The loket's BPJS steps through the real bridge and the PCare simulator: Cek BPJS (active, inactive),
Daftarkan ke BPJS and cancel, the outbox when PCare is down, and the admin's write-only secrets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from hub.bpjs.secretbox import SecretBox
from hub.bpjs.service import BpjsBridge
from hub.bpjs.simulator import SimulatorServer
from hub.config import BpjsSettings
from hub.db.models import BpjsConfig, Registration
from hub.web.context import WebServices
from hub.web.nik import nik_for
from tests.web.conftest import Clock, Web, last_audit, patient_form
from tests.web.live import CREDS
from tests.web.test_registration import ALL_CONSENT

ACTIVE, INACTIVE = "0001234567890", "0002345678901"


@pytest.fixture
def bridge(services: WebServices, pcare_sim: SimulatorServer, clock: Clock) -> Iterator[BpjsBridge]:
    config = BpjsSettings(
        **CREDS.settings(pcare_sim.url),
        provider_code="0901R001",
        connect_timeout_s=0.5,
        read_timeout_s=0.5,
        read_retries=0,
        breaker_failures=50,
    )
    instance = BpjsBridge(
        services.sessions, config, tz=services.tz, box=SecretBox(bytes(range(32))), clock=clock
    )
    services.bpjs = instance
    yield instance
    instance.stop()


def registration_for(staff: Web, card: str) -> int:
    form = patient_form(
        bpjs_number=card,
        name="Budi Santoso",
        gender="L",
        birth_date="15-01-1990",
        nik=nik_for("350912", date(1990, 1, 15), "L", 1),
    )
    created = staff.post("/pasien/baru", form)
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    response = staff.post(f"/loket/1/layani/{patient_id}")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_check_active_participant(staff: Web, services: WebServices, bridge: BpjsBridge) -> None:
    registration_id = registration_for(staff, ACTIVE)
    page = staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": ACTIVE}).get_data(as_text=True)
    assert "PESERTA AKTIF" in page and "BUDI SANTOSO" in page and "Kelas III" in page
    assert "PUSKESMAS GLADAK PAKEM" in page
    with services.sessions() as session:
        registration = session.get(Registration, registration_id)
        assert registration is not None and registration.bpjs_status == "aktif" and registration.bpjs_verified
    assert last_audit(services, "bpjs_check").new_values == {"found": True, "active": True, "error": None}


def test_check_inactive_participant(staff: Web, services: WebServices, bridge: BpjsBridge) -> None:
    registration_id = registration_for(staff, INACTIVE)
    page = staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": INACTIVE}).get_data(as_text=True)
    assert "PESERTA TIDAK AKTIF" in page and "arahkan bayar umum" in page and "PREMI" in page
    with services.sessions() as session:
        registration = session.get(Registration, registration_id)
        assert registration is not None and registration.bpjs_status == "tidak_aktif"
    refused = staff.post(
        f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "bpjs", "action": "bridge"}
    )
    assert refused.status_code == 400 and "peserta harus aktif" in refused.get_data(as_text=True)


def test_bridge_then_cancel(
    staff: Web, services: WebServices, bridge: BpjsBridge, pcare_sim: SimulatorServer
) -> None:
    registration_id = registration_for(staff, ACTIVE)
    staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": ACTIVE})
    staff.post(f"/registrasi/{registration_id}/informasi", ALL_CONSENT)
    response = staff.post(
        f"/registrasi/{registration_id}/simpan",
        {"poly_id": "1", "payment_type": "bpjs", "keluhan": "batuk", "action": "bridge"},
    )
    assert response.status_code == 302
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert "Terdaftar di BPJS" in page and 'id="bridged"' in page
    [visit] = pcare_sim.state.registrations_of(ACTIVE)
    assert (visit.kd_poli, visit.keluhan, visit.cancelled) == ("001", "batuk", False)
    assert last_audit(services, "bpjs_register").new_values == {"status": "registered"}
    cancel = staff.post(f"/registrasi/{registration_id}/batal-bpjs")
    assert cancel.status_code == 302
    assert 'id="bridged"' not in staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert pcare_sim.state.registrations_of(ACTIVE) == []  # only live visits are listed
    assert last_audit(services, "bpjs_cancel").new_values != {"status": "failed"}


def test_pcare_down_goes_to_the_outbox(
    staff: Web, services: WebServices, bridge: BpjsBridge, pcare_sim: SimulatorServer
) -> None:
    registration_id = registration_for(staff, ACTIVE)
    staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": ACTIVE})
    pcare_sim.state.set_fault("error500", times=100)
    response = staff.post(
        f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "bpjs", "action": "bridge"}
    )
    assert response.status_code == 302
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert 'id="outbox"' in page and "1 menunggu" in page
    assert last_audit(services, "bpjs_register").new_values == {"status": "queued"}
    dashboard = staff.get("/dashboard/panel").get_data(as_text=True)
    assert '<dd id="bridge-pending">1</dd>' in dashboard
    assert staff.post("/admin/bpjs/outbox/1/kirim").status_code == 403


def test_admin_retries_the_outbox(
    admin: Web, staff: Web, services: WebServices, bridge: BpjsBridge, pcare_sim: SimulatorServer
) -> None:
    registration_id = registration_for(staff, ACTIVE)
    staff.post(f"/registrasi/{registration_id}/cek-bpjs", {"card": ACTIVE})
    pcare_sim.state.set_fault("error500", times=100)
    staff.post(
        f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "bpjs", "action": "bridge"}
    )
    page = admin.get("/admin/bpjs").get_data(as_text=True)
    assert 'id="outbox-items"' in page and "Menunggu" in page and f"#{registration_id}" in page
    item_id = bridge.outbox_items()[0].id
    pcare_sim.state.clear_fault()
    assert admin.post(f"/admin/bpjs/outbox/{item_id}/kirim").status_code == 302
    bridge.process_outbox()
    assert "Terkirim" in admin.get("/admin/bpjs").get_data(as_text=True)
    assert pcare_sim.state.registrations_of(ACTIVE)
    assert last_audit(services, "bpjs_outbox_retry").new_values == {"accepted": True}


def test_admin_secrets_are_write_only(admin: Web, services: WebServices, bridge: BpjsBridge) -> None:
    page = admin.get("/admin/bpjs").get_data(as_text=True)
    assert '<dd id="bpjs-state">Aktif</dd>' in page and CREDS.secret not in page
    response = admin.post(
        "/admin/bpjs",
        {
            "base_url": "https://apijkn.bpjs-kesehatan.go.id/pcare-rest",
            "secret": "rahasia-baru-123",
            "provider_code": "0901R002",
        },
    )
    assert response.status_code == 302
    page = admin.get("/admin/bpjs").get_data(as_text=True)
    assert "rahasia-baru-123" not in page and "tersimpan" in page and "0901R002" in page
    row = last_audit(services, "bpjs_config_update")
    assert (
        "rahasia-baru-123" not in str(row.new_values)
        and row.new_values
        and row.new_values["secret"] == "(rahasia diubah)"
    )
    with services.sessions() as session:
        stored = session.scalar(
            select(BpjsConfig.config_value).where(BpjsConfig.config_key == "consumer_secret")
        )
    assert stored is not None and "rahasia-baru-123" not in stored  # encrypted at rest
    bad = admin.post("/admin/bpjs", {"base_url": "ftp://x"})
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)


def test_loket_page_shows_bridge_unavailable_when_bridge_missing(staff: Web, app: Flask) -> None:
    registration_id = registration_for(staff, ACTIVE)
    assert "Bridging BPJS belum aktif" in staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
