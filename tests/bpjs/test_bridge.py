"""The bridge the loket uses, against the simulator and a real database: checks, registration without
duplicates, the outbox through every fault, cancellation, and the audit log."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from hub.bpjs.service import BpjsBridge
from hub.db.models import BpjsLog, BpjsOutbox, Registration, User
from tests.bpjs.conftest import ACTIVE, ASTRAL, CREDS, INACTIVE, BridgeKit, add_registration

pytestmark = pytest.mark.slow  # the bridge thread against the PCare simulator, with back-off timings

MakeBridge = Callable[..., BridgeKit]


def registration(kit: BridgeKit, reg_id: int) -> Registration:
    with kit.sessions() as session:
        reg = session.get(Registration, reg_id)
        assert reg is not None
        return reg


def sim_visits(kit: BridgeKit, card: str) -> list[str]:
    return [r.no_urut for r in kit.sim.state.registrations_of(card)]


def test_check_active_participant(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    result = kit.bridge.check_participant(card=ASTRAL)
    assert result.ok and result.error_code is None and result.active
    assert result.participant is not None and result.participant.nama == "TAN 𠮷 MEI LING 🌺 陈美玲"
    by_nik = kit.bridge.check_participant(nik="3509123456780001")
    assert by_nik.ok and by_nik.participant is not None and by_nik.participant.no_kartu == ACTIVE


def test_check_inactive_participant(make_bridge: MakeBridge) -> None:
    result = make_bridge().bridge.check_participant(card=INACTIVE)
    assert not result.ok and result.error_code == "inactive"
    assert result.participant is not None and result.participant.nama == "SITI AMINAH"
    assert "tidak aktif" in result.message and "PREMI" in result.message


def test_check_not_found_and_bad_input(make_bridge: MakeBridge) -> None:
    bridge = make_bridge().bridge
    missing = bridge.check_participant(card="0009999999999")
    assert (missing.ok, missing.error_code) == (False, "not_found")
    assert "tidak ditemukan" in missing.message
    for kwargs in ({}, {"card": "123"}, {"nik": "12345"}, {"card": ACTIVE, "nik": "3509123456780001"}):
        assert bridge.check_participant(**kwargs).error_code == "invalid"  # type: ignore[arg-type]


def test_not_configured(make_bridge: MakeBridge) -> None:
    kit = make_bridge(secret="")
    assert not kit.bridge.configured()
    assert kit.bridge.check_participant(card=ACTIVE).error_code == "not_configured"
    reg_id = add_registration(kit.sessions)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").error_code == "not_configured"
    assert kit.stats.requests == 0


def test_register_visit_once(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    assert kit.bridge.check_participant(card=ACTIVE, patient_id=None).ok
    result = kit.bridge.register_visit(reg_id, kd_poli="001", keluhan="Demam")
    assert (result.status, result.visit_number) == ("registered", "A2")  # A1 was seeded in the simulator
    assert "A2" in result.message
    reg = registration(kit, reg_id)
    assert reg.bpjs_bridged and reg.bpjs_visit_id == "A2" and reg.bpjs_bridge_time is not None
    again = kit.bridge.register_visit(reg_id, kd_poli="001", keluhan="Demam")
    assert (again.status, again.visit_number) == ("registered", "A2")
    assert kit.stats.posts == 1 and sim_visits(kit, ACTIVE) == ["A2"]
    assert kit.bridge.outbox_summary() == {"pending": 0, "sent": 1, "failed": 0}


def test_register_without_a_prior_check_looks_the_provider_up(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions, ASTRAL)
    result = kit.bridge.register_visit(reg_id, kd_poli="002", keluhan="Gigi 😬")
    assert result.status == "registered" and result.visit_number == "B1"
    assert kit.sim.state.registrations[-1].keluhan == "Gigi 😬"


def test_inactive_or_missing_card_is_not_sent(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    inactive = kit.bridge.register_visit(add_registration(kit.sessions, INACTIVE), kd_poli="001")
    assert (inactive.status, inactive.error_code) == ("failed", "inactive")
    no_card = kit.bridge.register_visit(add_registration(kit.sessions, None), kd_poli="001")
    assert (no_card.status, no_card.error_code) == ("failed", "invalid")
    assert kit.stats.posts == 0


def test_bpjs_down_queues_and_the_outbox_drains(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    kit.sim.state.set_fault("error500")
    regs = [add_registration(kit.sessions, card) for card in (ACTIVE, ASTRAL)]
    kit.bridge.check_participant(card=ACTIVE)  # two failed reads (one retry)
    results = [kit.bridge.register_visit(reg_id, kd_poli="001") for reg_id in regs]
    assert [r.status for r in results] == ["queued", "queued"]
    assert "antrean kirim ulang" in results[0].message
    assert kit.bridge.outbox_summary()["pending"] == 2
    items = kit.bridge.outbox_items(10)
    assert {i.registration_id for i in items} == set(regs) and all(i.last_error for i in items)
    kit.sim.state.clear_fault()
    assert kit.bridge.process_outbox() == 0  # backing off: nothing due yet
    kit.clock.advance(3600)
    assert kit.bridge.process_outbox() == 2
    assert kit.bridge.outbox_summary() == {"pending": 0, "sent": 2, "failed": 0}
    assert {registration(kit, r).bpjs_visit_id for r in regs} == {"A2", "A3"}
    assert kit.stats.registered == 2


def test_lost_answer_after_pcare_accepted_never_registers_twice(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("drop", delay_s=5, method="POST", times=1)
    first = kit.bridge.register_visit(reg_id, kd_poli="001")
    assert (first.status, first.error_code) == ("queued", "timeout")
    assert kit.stats.registered == 1  # PCare has it, we do not know
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "queued"  # backing off: no re-send
    kit.clock.advance(3600)
    retried = kit.bridge.register_visit(reg_id, kd_poli="001")  # staff press again once due
    assert (retried.status, retried.visit_number) == ("registered", "A2")
    assert kit.stats.posts == 1 and kit.stats.registered == 1 and sim_visits(kit, ACTIVE) == ["A2"]
    with kit.sessions() as session:
        item = session.scalars(select(BpjsOutbox)).one()
        assert item.result == {"no_urut": "A2", "adopted": True} and item.attempts == 2


def test_garbled_answer_to_a_registration_is_resolved_by_lookup(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("garbled", method="POST", times=1)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").error_code == "decrypt"
    kit.clock.advance(3600)
    assert kit.bridge.process_outbox() == 1
    assert registration(kit, reg_id).bpjs_visit_id == "A2"
    assert kit.stats.registered == 1 and kit.stats.posts == 1


@pytest.mark.slow  # waits out real timeouts
def test_dead_bpjs_costs_the_loket_only_the_first_timeouts(make_bridge: MakeBridge) -> None:
    kit = make_bridge(breaker_failures=2)
    kit.sim.state.set_fault("timeout", delay_s=5)
    first = kit.bridge.check_participant(card=ACTIVE)
    assert first.error_code == "timeout" and "tepat waktu" in first.message
    seen = kit.stats.requests
    assert kit.bridge.breaker.state == "open"
    second = kit.bridge.check_participant(card=ACTIVE)
    assert second.error_code == "unavailable"
    queued = kit.bridge.register_visit(add_registration(kit.sessions), kd_poli="001")
    assert queued.status == "queued"
    assert kit.bridge.process_outbox() == 0  # the worker waits for the circuit too
    assert kit.stats.requests == seen  # nothing reached BPJS while the circuit was open


def test_two_lokets_pressing_at_once_send_one_registration(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("slow", delay_s=0.2, method="POST")
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(kit.bridge.register_visit(reg_id, kd_poli="001").status)
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "registered" in results and set(results) <= {"registered", "queued"}
    assert kit.stats.posts == 1 and sim_visits(kit, ACTIVE) == ["A2"]


def test_cancel_a_registered_visit(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "registered"
    result = kit.bridge.cancel_visit(reg_id)
    assert (result.status, result.visit_number) == ("cancelled", "A2")
    assert sim_visits(kit, ACTIVE) == [] and kit.stats.cancelled == 1
    reg = registration(kit, reg_id)
    assert not reg.bpjs_bridged and reg.bpjs_visit_id is None
    assert kit.bridge.cancel_visit(reg_id).status == "failed"  # nothing left to cancel
    again = kit.bridge.register_visit(reg_id, kd_poli="001")  # registering anew after a mistake
    assert again.status == "registered" and again.visit_number == "A3"


def test_cancel_while_bpjs_is_down_is_queued(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.register_visit(reg_id, kd_poli="001")
    kit.sim.state.set_fault("error500")
    assert kit.bridge.cancel_visit(reg_id).status == "queued"
    assert kit.bridge.cancel_visit(reg_id).status == "queued"  # still one item
    assert kit.bridge.outbox_summary()["pending"] == 1
    kit.sim.state.clear_fault()
    kit.clock.advance(3600)
    assert kit.bridge.process_outbox() == 1
    assert sim_visits(kit, ACTIVE) == [] and not registration(kit, reg_id).bpjs_bridged


def test_cancel_a_queued_registration_that_pcare_secretly_accepted(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("drop", delay_s=5, method="POST", times=1)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "queued"
    assert sim_visits(kit, ACTIVE) == ["A2"]
    assert kit.bridge.cancel_visit(reg_id).status == "cancelled"
    assert kit.bridge.process_outbox() == 1  # looks the visit up in PCare and cancels it there
    assert sim_visits(kit, ACTIVE) == []
    assert kit.bridge.outbox_summary() == {"pending": 0, "sent": 1, "failed": 1}
    assert not registration(kit, reg_id).bpjs_bridged


def test_staff_can_retry_a_failed_item(make_bridge: MakeBridge) -> None:
    kit = make_bridge(outbox_max_attempts=1)
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("error500", method="POST", times=1)
    failed = kit.bridge.register_visit(reg_id, kd_poli="001")
    assert failed.status == "failed" and failed.outbox_id is not None
    assert kit.bridge.retry_outbox(failed.outbox_id)
    assert kit.bridge.process_outbox() == 1
    assert registration(kit, reg_id).bpjs_visit_id == "A2"


def test_worker_thread_drains_the_outbox(make_bridge: MakeBridge) -> None:
    kit = make_bridge(outbox_interval_s=0.05)
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("error500", method="POST", times=1)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "queued"
    kit.clock.advance(3600)
    kit.bridge.start()
    deadline = time.monotonic() + 10
    while kit.bridge.outbox_summary()["pending"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert registration(kit, reg_id).bpjs_visit_id == "A2"


def test_every_call_is_logged_and_redacted(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    with kit.sessions.begin() as session:
        user = User(username="loket1", password_hash="x", name="Petugas", role="receptionist")
        session.add(user)
        session.flush()
        user_id = user.id
    reg_id = add_registration(kit.sessions, ASTRAL, name="Tan")
    kit.bridge.check_participant(
        card=ASTRAL, user_id=user_id, patient_id=registration(kit, reg_id).patient_id
    )
    kit.bridge.check_participant(card="0009999999999", user_id=user_id)
    kit.bridge.register_visit(reg_id, kd_poli="001", keluhan="Sesak napas", user_id=user_id)
    with kit.sessions() as session:
        rows = session.scalars(select(BpjsLog).order_by(BpjsLog.id)).all()
        assert [r.action_type for r in rows] == ["check_peserta", "check_peserta", "pendaftaran"]
        check, missing, post = rows
        assert check.is_success and check.status_code == 200 and check.patient_id is not None
        assert check.user_id == user_id and check.http_method == "GET" and check.duration_ms is not None
        assert check.api_endpoint == "peserta/*********0123"
        assert check.response_body is not None and check.response_body["data"]["aktif"] is True
        assert not missing.is_success and missing.error_message is not None
        assert missing.error_message.startswith("not_found")
        assert post.registration_id == reg_id and post.request_body is not None
        assert post.request_body["kdPoli"] == "001" and post.request_body["keluhan"] == "***"
        dumped = json.dumps(
            [[r.api_endpoint, r.request_body, r.response_body, r.error_message] for r in rows],
            ensure_ascii=False,
        )
    for private in (
        ASTRAL,
        "0009999999999",
        "TAN 𠮷",
        "3578123456780004",
        "081355556666",
        "Sesak",
        "01-12-1978",
    ):
        assert private not in dumped
    for secret in (CREDS.secret, CREDS.user_key, CREDS.password):
        assert secret not in dumped


def test_reference_lists(make_bridge: MakeBridge) -> None:
    bridge: BpjsBridge = make_bridge().bridge
    assert [p.nm_poli for p in bridge.polys()][:2] == ["UMUM", "GIGI & MULUT"]
    assert len(bridge.doctors()) == 3


def test_queued_registration_of_a_past_day_is_not_sent(make_bridge: MakeBridge) -> None:
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("error500", method="POST", times=1)
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "queued"
    seen = kit.stats.requests
    kit.clock.advance(2 * 86400)
    assert kit.bridge.process_outbox() == 1
    assert kit.bridge.outbox_summary() == {"pending": 0, "sent": 0, "failed": 1}
    assert kit.bridge.outbox_items(1)[0].last_error == "expired: tanggal sudah lewat"
    assert kit.stats.requests == seen and not registration(kit, reg_id).bpjs_bridged


def test_registering_again_after_giving_up_looks_first(make_bridge: MakeBridge) -> None:
    kit = make_bridge(outbox_max_attempts=1)
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.sim.state.set_fault("drop", delay_s=5, method="POST", times=1)
    gave_up = kit.bridge.register_visit(reg_id, kd_poli="001")
    assert (gave_up.status, gave_up.error_code) == ("failed", "timeout")
    assert sim_visits(kit, ACTIVE) == ["A2"]  # PCare has it although we gave up
    again = kit.bridge.register_visit(reg_id, kd_poli="001")
    assert (again.status, again.visit_number) == ("registered", "A2")
    assert kit.stats.posts == 1 and kit.stats.duplicates_refused == 0


def test_a_night_visit_of_the_service_day_is_still_sent_after_midnight(make_bridge: MakeBridge) -> None:
    """At 00:30 a registration still carries the service day that began the morning before (reset 06:00)."""
    kit = make_bridge()
    reg_id = add_registration(kit.sessions)
    kit.bridge.check_participant(card=ACTIVE)
    kit.clock.advance(15.5 * 3600)  # 09:00 → 00:30 the next calendar day
    assert kit.bridge.register_visit(reg_id, kd_poli="001").status == "registered"
