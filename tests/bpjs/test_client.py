"""The client against the simulator over real HTTP: every call, strict authentication, every fault."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import pytest
import requests

from hub.bpjs.client import CallContext, CallRecord, PcareClient
from hub.bpjs.errors import PcareError
from hub.bpjs.models import VisitRequest
from hub.bpjs.signing import signed_headers
from hub.bpjs.simulator import SimulatorServer
from tests.bpjs.conftest import ACTIVE, ASTRAL, CREDS, INACTIVE, JAKARTA, NON_ASCII, pcare_settings

TODAY = datetime.now(JAKARTA).date()


def client_for(
    sim: SimulatorServer, records: list[CallRecord] | None = None, **changes: object
) -> PcareClient:
    def observe(record: CallRecord, _context: CallContext | None) -> None:
        if records is not None:
            records.append(record)

    return PcareClient(pcare_settings(sim.url, **changes), observer=observe, sleep=lambda _s: None)


def test_participant_by_card_with_astral_name(sim: SimulatorServer) -> None:
    participant = client_for(sim).participant_by_card(ASTRAL)
    assert participant.nama == "TAN 𠮷 MEI LING 🌺 陈美玲"
    assert participant.aktif and participant.kelas_nama == "Kelas I"
    assert (participant.kd_provider, participant.nm_provider) == ("0901R001", "PUSKESMAS GLADAK PAKEM")
    assert participant.no_ktp == "3578123456780004"


def test_participant_by_nik_with_non_ascii_name(sim: SimulatorServer) -> None:
    participant = client_for(sim).participant_by_nik("5103123456780003")
    assert participant.no_kartu == NON_ASCII
    assert participant.nama == "NI WAYAN SÉKAR ÇAHYANI ‘AYU’"


def test_inactive_participant_is_returned_as_inactive(sim: SimulatorServer) -> None:
    participant = client_for(sim).participant_by_card(INACTIVE)
    assert not participant.aktif
    assert participant.ket_aktif == "TIDAK AKTIF KARENA PREMI"
    assert participant.jenis_peserta_nama == "Pekerja Bukan Penerima Upah"


def test_unknown_card_is_not_found(sim: SimulatorServer) -> None:
    with pytest.raises(PcareError) as caught:
        client_for(sim).participant_by_card("0009999999999")
    assert caught.value.code == "not_found"
    assert "tidak ditemukan" in caught.value.message


def test_polys_and_doctors(sim: SimulatorServer) -> None:
    client = client_for(sim)
    polys = client.polys()
    assert [p.kd_poli for p in polys] == ["001", "002", "003", "008", "020"]
    assert polys[0].poli_sakit and not polys[-1].poli_sakit
    assert [p.kd_poli for p in client.polys(1, 2)] == ["002", "003"]
    doctors = client.doctors()
    assert doctors[2].nm_dokter == "dr. Ni Komang Sari Déwi"


def test_register_get_list_cancel_round_trip(sim: SimulatorServer) -> None:
    client = client_for(sim)
    visit = VisitRequest("0901R001", TODAY, ASTRAL, "002", keluhan="Gigi sakit 😬", kunj_sakit=True)
    number = client.register(visit)
    assert number == "B1"
    fetched = client.get_registration(number, TODAY)
    assert (fetched.no_kartu, fetched.kd_poli, fetched.keluhan) == (ASTRAL, "002", "Gigi sakit 😬")
    assert fetched.nama == "TAN 𠮷 MEI LING 🌺 陈美玲"
    numbers = {v.no_urut for v in client.all_day_registrations(TODAY)}
    assert numbers == {"A1", "B1"}  # A1 is the simulator's seeded visit
    client.cancel(ASTRAL, TODAY, number, "002")
    assert {v.no_urut for v in client.all_day_registrations(TODAY)} == {"A1"}
    with pytest.raises(PcareError) as caught:
        client.get_registration(number, TODAY)
    assert caught.value.code == "not_found"


def test_day_list_pages(sim: SimulatorServer) -> None:
    client = client_for(sim)
    for card in (ACTIVE, ASTRAL, NON_ASCII):
        client.register(VisitRequest("0901R001", TODAY, card, "001"))
    count, page = client.day_registrations(TODAY, 1, 2)
    assert count == 4 and [v.no_urut for v in page] == ["A2", "A3"]
    assert len(client.all_day_registrations(TODAY)) == 4


def test_duplicate_registration_is_refused_by_pcare(sim: SimulatorServer) -> None:
    client = client_for(sim)
    client.register(VisitRequest("0901R001", TODAY, ACTIVE, "001"))
    with pytest.raises(PcareError) as caught:
        client.register(VisitRequest("0901R001", TODAY, ACTIVE, "001"))
    assert caught.value.code == "invalid" and "sudah terdaftar" in caught.value.detail
    assert sim.state.stats.registered == 1


@pytest.mark.parametrize(
    ("card", "poli", "reason"),
    [
        (INACTIVE, "001", "tidak aktif"),
        (ACTIVE, "999", "poli tidak terdaftar"),
        ("0009999999999", "001", "tidak ditemukan"),
    ],
)
def test_invalid_registrations_are_refused(sim: SimulatorServer, card: str, poli: str, reason: str) -> None:
    with pytest.raises(PcareError) as caught:
        client_for(sim).register(VisitRequest("0901R001", TODAY, card, poli))
    assert caught.value.code == "invalid" and reason in caught.value.detail.lower()


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "Application/x-www-form-urlencoded"]
)
def test_any_content_type_is_accepted(sim: SimulatorServer, content_type: str) -> None:
    assert client_for(sim, content_type=content_type).register(VisitRequest("0901R001", TODAY, ACTIVE, "001"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "wrong"}, "X-signature"),
        ({"cons_id": "9999"}, "X-cons-id"),
        ({"user_key": "wrong"}, "user_key"),
        ({"password": "wrong"}, "X-authorization"),
        ({"app_code": "096"}, "X-authorization"),
    ],
)
def test_simulator_rejects_bad_credentials(sim: SimulatorServer, change: dict[str, str], reason: str) -> None:
    records: list[CallRecord] = []
    with pytest.raises(PcareError) as caught:
        client_for(sim, records, **change).participant_by_card(ACTIVE)
    assert caught.value.code == "unauthorized"
    assert reason in caught.value.detail
    assert records[-1].http_status == 401 and len(records) == 1  # not retried
    assert sim.state.stats.rejected == 1


def test_simulator_rejects_a_stale_timestamp(sim: SimulatorServer) -> None:
    client = PcareClient(pcare_settings(sim.url), clock=lambda: time.time() - 3600)
    with pytest.raises(PcareError) as caught:
        client.participant_by_card(ACTIVE)
    assert caught.value.code == "unauthorized" and "kedaluwarsa" in caught.value.detail


def test_simulator_wants_user_key_spelled_with_an_underscore(sim: SimulatorServer) -> None:
    stamp = str(int(time.time()))
    settings = pcare_settings(sim.url)
    headers = signed_headers(settings.credentials, stamp)
    headers["user-key"] = headers.pop("user_key")
    response = requests.get(f"{sim.url}/peserta/{ACTIVE}", headers=headers, timeout=5)
    assert response.status_code == 401 and response.json()["metaData"]["code"] == 401


def test_lowercase_metadata_envelope_is_understood(sim: SimulatorServer) -> None:
    sim.state.metadata_key = "metadata"
    assert client_for(sim).participant_by_card(ACTIVE).nama == "BUDI SANTOSO"


def test_slow_answer_within_the_timeout_succeeds(sim: SimulatorServer) -> None:
    sim.state.set_fault("slow", delay_s=0.1, times=1)
    assert client_for(sim).participant_by_card(ACTIVE).aktif
    assert sim.state.stats.faults_applied == 1


def test_error_500_with_string_code_is_unavailable_and_reads_are_retried(sim: SimulatorServer) -> None:
    records: list[CallRecord] = []
    sim.state.set_fault("error500", times=1)
    assert client_for(sim, records).participant_by_card(ACTIVE).aktif  # the retry succeeds
    assert [(r.http_status, r.bpjs_code, r.error_code) for r in records] == [
        (500, 500, "unavailable"),
        (200, 200, None),
    ]
    sim.state.set_fault("error500")
    with pytest.raises(PcareError) as caught:
        client_for(sim).participant_by_card(ACTIVE)
    assert caught.value.code == "unavailable"


def test_timeout_is_reported_as_timeout(sim: SimulatorServer) -> None:
    sim.state.set_fault("timeout", delay_s=5)
    records: list[CallRecord] = []
    with pytest.raises(PcareError) as caught:
        client_for(sim, records).participant_by_card(ACTIVE)
    assert caught.value.code == "timeout"
    assert [r.attempt for r in records] == [1, 2]  # one retry of the read


def test_garbled_cipher_is_a_decryption_failure(
    sim: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    sim.state.set_fault("garbled")
    with pytest.raises(PcareError) as caught:
        client_for(sim).participant_by_card(ACTIVE)
    assert caught.value.code == "decrypt"
    logged = caplog.text
    assert "cannot decrypt" in logged and "peserta/*********7890" in logged
    assert ACTIVE not in logged and CREDS.secret not in logged and CREDS.password not in logged


def test_post_is_never_retried_by_the_client(sim: SimulatorServer) -> None:
    sim.state.set_fault("drop", delay_s=5, method="POST")
    with pytest.raises(PcareError) as caught:
        client_for(sim).register(VisitRequest("0901R001", TODAY, ACTIVE, "001"))
    assert caught.value.code == "timeout"
    assert sim.state.stats.posts == 1 and sim.state.stats.registered == 1  # accepted, answer lost


def test_breaker_opens_and_refuses_without_calling(sim: SimulatorServer) -> None:
    sim.state.set_fault("error500")
    client = client_for(sim, read_retries=0, breaker_failures=2)
    for _ in range(2):
        with pytest.raises(PcareError):
            client.participant_by_card(ACTIVE)
    seen = sim.state.stats.requests
    with pytest.raises(PcareError) as caught:
        client.participant_by_card(ACTIVE)
    assert caught.value.code == "unavailable" and caught.value.detail == "circuit open"
    assert sim.state.stats.requests == seen


def test_connection_refused_is_unavailable() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PcareClient(pcare_settings(f"http://127.0.0.1:{port}/pcare-rest", read_retries=0))
    with pytest.raises(PcareError) as caught:
        client.participant_by_card(ACTIVE)
    assert caught.value.code == "unavailable"


def test_not_configured_makes_no_call() -> None:
    with pytest.raises(PcareError) as caught:
        PcareClient(replace(pcare_settings("http://127.0.0.1:9"), secret="")).participant_by_card(ACTIVE)
    assert caught.value.code == "not_configured"


def test_fault_admin_endpoint(sim: SimulatorServer) -> None:
    base = sim.url.removesuffix("/pcare-rest")
    bad = requests.post(f"{base}/_sim/fault", json={"mode": "meteor"}, timeout=5)
    assert bad.status_code == 400
    set_ = requests.post(
        f"{base}/_sim/fault", json={"mode": "error500", "times": 1, "path": "poli"}, timeout=5
    )
    assert set_.status_code == 200 and set_.json()["fault"]["mode"] == "error500"
    records: list[CallRecord] = []
    client = client_for(sim, records)
    assert client.participant_by_card(ACTIVE).aktif  # path filter: peserta is not affected
    assert client.polys()  # first attempt 500, the retry succeeds (times=1)
    assert [r.http_status for r in records] == [200, 500, 200]
    requests.post(f"{base}/_sim/fault", json={"mode": "garbled"}, timeout=5)
    assert requests.delete(f"{base}/_sim/fault", timeout=5).json()["fault"] is None
    state = requests.get(f"{base}/_sim/state", timeout=5).json()
    assert state["stats"]["faults_applied"] == 1 and state["registrations"][0]["no_urut"] == "A1"


def test_clock_drift_is_logged_without_secrets(
    sim: SimulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = PcareClient(pcare_settings(sim.url), clock=lambda: time.time() + 120)  # within the tolerance
    assert client.participant_by_card(ACTIVE).aktif
    assert "clock offset to BPJS -12" in caplog.text and "check NTP" in caplog.text
