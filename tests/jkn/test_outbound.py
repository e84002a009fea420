"""Puskesmas → BPJS: the queue's changes reach the strict simulator as antrean/add, panggil and batal,
through the PCare bridge's outbox (retried with back-off, in order, never twice)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from hub.db.models import BpjsOutbox, Patient, Queue, Registration
from hub.db.statuses import TicketStatus
from protocol import BookingRequest
from tests.jkn.conftest import CARD, Bpjs, Site
from tests.jkn.test_ws import DAY, take


def register_at_loket(pkm: Site, number: str, patient_id: int) -> None:
    """The loket registers the ticket's patient (what the registration page stores)."""
    with pkm.desk.sessions.begin() as session:
        queue = session.scalars(select(Queue).where(Queue.queue_number == number)).one()
        session.add(
            Registration(
                registration_number=f"REG-{queue.id}",
                queue_id=queue.id,
                patient_id=patient_id,
                registration_date=queue.queue_date,
                registration_time=time(8, 5),
                patient_type="lama",
                payment_type="bpjs",
            )
        )
    pkm.desk.dispatcher.set_status(queue.id, TicketStatus.REGISTERED, actor="web:loket")


def test_a_kiosk_ticket_is_added_and_called_once_its_card_is_known(pkm: Site, bpjs: Bpjs) -> None:
    patient = pkm.add_patient()
    pkm.desk.ticket()  # A-001, BPJS
    assert pkm.desk.call() == "A-001"
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == []  # no card yet: BPJS cannot know this number
    register_at_loket(pkm, "A-001", patient)
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == ["add", "panggil"]
    add, panggil = (body for _, body in bpjs.sim.events)
    assert (add["nomorantrean"], add["angkaantrean"], add["nomorkartu"], add["kodepoli"]) == (
        "A-001",
        1,
        CARD,
        "001",
    )
    assert add["jampraktek"] == "07:30-14:00" and add["norm"] == "RM567890"
    assert (panggil["status"], panggil["tanggalperiksa"]) == (1, DAY)
    bpjs.flush(pkm.desk)  # the same events again write nothing
    assert bpjs.sim.kinds() == ["add", "panggil"] and bpjs.sim.refused == []


def test_a_mobile_jkn_number_is_called_and_marked_absent_without_an_add(pkm: Site, bpjs: Bpjs) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    code = take(pkm).response["keterangan"].split()[2].rstrip(".")
    pkm.desk.dispatcher.confirm_booking(BookingRequest(request_id="b1", booking_code=code), node="k1")
    assert pkm.desk.call() == "JA-001"
    pkm.desk.act(1, "skip")
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == ["panggil", "panggil"]
    assert [body["status"] for _, body in bpjs.sim.events] == [1, 2]
    assert bpjs.sim.refused == []


def test_a_cancelled_mobile_jkn_number_is_not_told_back(pkm: Site, bpjs: Bpjs) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    code = take(pkm).response["keterangan"].split()[2].rstrip(".")
    pkm.desk.dispatcher.confirm_booking(BookingRequest(request_id="b1", booking_code=code), node="k1")
    assert pkm.mobile.cancel(CARD, "001", DAY).code == 200
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == []


def test_cancel_before_the_call_sends_batal_after_the_add(pkm: Site, bpjs: Bpjs) -> None:
    patient = pkm.add_patient()
    pkm.desk.ticket()
    register_at_loket_before_call(pkm, patient)
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == ["add", "batal"]


def register_at_loket_before_call(pkm: Site, patient_id: int) -> None:
    """A booking-like case: the card is known while the ticket waits; then the ticket is cancelled."""
    with pkm.desk.sessions.begin() as session:
        queue = session.scalars(select(Queue)).one()
        session.add(
            Registration(
                registration_number="REG-1",
                queue_id=queue.id,
                patient_id=patient_id,
                registration_date=queue.queue_date,
                registration_time=time(8, 5),
                patient_type="lama",
                payment_type="bpjs",
            )
        )
        queue_id = queue.id
    pkm.desk.dispatcher.set_status(queue_id, TicketStatus.CANCELLED, actor="web:loket", reason="batal")


def test_bpjs_down_is_retried_with_back_off_in_order_and_never_twice(pkm: Site, bpjs: Bpjs) -> None:
    patient = pkm.add_patient()
    pkm.desk.ticket()
    assert pkm.desk.call() == "A-001"
    register_at_loket(pkm, "A-001", patient)
    bpjs.sim.gateway.set_fault("error500", times=2, path="/antrean/add")
    bpjs.tail.step()
    bpjs.bridge.process_outbox()
    with pkm.desk.sessions() as session:
        rows = {row.kind: row for row in session.scalars(select(BpjsOutbox))}
        assert rows["jkn_add"].attempts == 1 and "unavailable" in (rows["jkn_add"].last_error or "")
        first_retry = rows["jkn_add"].next_attempt_at
    assert bpjs.sim.kinds() == []  # the panggil waits for its add
    pkm.desk.clock.advance(seconds=6)
    bpjs.bridge.process_outbox()
    with pkm.desk.sessions() as session:
        add = session.scalars(select(BpjsOutbox).where(BpjsOutbox.kind == "jkn_add")).one()
        assert (
            add.attempts == 2
            and add.next_attempt_at - first_retry >= (add.next_attempt_at - add.updated_at) / 2
        )
        assert (add.next_attempt_at - add.updated_at).total_seconds() == 10  # 5 s, then 10 s
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == ["add", "panggil"]
    assert bpjs.pending() == 0 and bpjs.bridge.outbox_summary()["sent"] == 2


def test_a_refusal_by_bpjs_fails_the_item_without_retrying(pkm: Site, bpjs: Bpjs) -> None:
    patient = pkm.add_patient()
    with pkm.desk.sessions.begin() as session:
        stored = session.get(Patient, patient)
        assert stored is not None
        stored.nik = None  # BPJS refuses an add without a NIK
    pkm.desk.ticket()
    register_at_loket_before_call(pkm, patient)
    bpjs.flush(pkm.desk)
    assert bpjs.bridge.outbox_summary()["failed"] >= 1
    assert ("add", "nik tidak valid") in bpjs.sim.refused


def test_a_mobile_jkn_number_cancelled_at_the_puskesmas_or_released_is_cancelled_at_bpjs(
    pkm: Site, bpjs: Bpjs
) -> None:
    pkm.add_patient()
    pkm.add_patient(card="0009876543210", nik="3509124507850002", phone=None)
    pkm.mobile.auth()
    code = take(pkm).response["keterangan"].split()[2].rstrip(".")
    assert take(pkm, nomorkartu="0009876543210", nik="3509124507850002").code == 200
    pkm.desk.dispatcher.cancel_booking(code)  # e.g. from the booking page or the loket
    pkm.desk.clock.advance(days=1)
    pkm.desk.dispatcher.release_bookings(time(10, 0))  # the other one never came
    bpjs.flush(pkm.desk)
    assert bpjs.sim.kinds() == ["batal", "batal"] and bpjs.sim.refused == []
    assert [body["alasan"] for _, body in bpjs.sim.events] == ["Dibatalkan di puskesmas", "Tidak datang"]
