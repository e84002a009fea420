"""The web's transactions: a request reads without the write lock until it opens a write unit, a write
outside one fails loudly, and a registration step keeps both of its changes or neither."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select, update

from hub.db.models import AuditLog, Queue, Registration
from hub.dispatch.service import Outcome
from hub.web import create_app, registration_service
from hub.web.context import WebServices
from hub.web.db import ReadOnlyRequest, db, writes, writing
from protocol import CounterCommand
from tests.web.conftest import Web, audit_actions, patient_form
from tests.web.test_loket import act, issue, status_of
from tests.web.test_registration import ALL_CONSENT, doctor_on_duty, registration


def test_a_slow_page_does_not_hold_up_a_call(services: WebServices) -> None:
    """Real threads on a real database: a page still reading when a counter button is pressed."""
    app = create_app(services, {"TESTING": True})
    reading, finish = threading.Event(), threading.Event()

    def slow_page() -> str:
        waiting = db().scalar(select(func.count(Queue.id)))
        reading.set()
        finish.wait(10)
        return str(waiting)

    app.add_url_rule("/_lambat", view_func=slow_page)
    number = issue(services)
    answers: list[str] = []
    page = threading.Thread(target=lambda: answers.append(app.test_client().get("/_lambat").text))
    page.start()
    try:
        assert reading.wait(5)
        outcomes: list[Outcome] = []
        call = CounterCommand(request_id="tombol-1", action="call", source="button")
        button = threading.Thread(target=lambda: outcomes.append(services.dispatcher.command(1, call)))
        started = time.monotonic()
        button.start()
        button.join(10)
        took = time.monotonic() - started
        assert outcomes, "the dispatcher's CALL waited for the page"
        reply = outcomes[0].reply
        assert reply is not None and reply.ok and took < 5
        assert status_of(services, number) == "called"
    finally:
        finish.set()
        page.join(10)
    assert answers == ["1"]


def test_an_event_stream_holds_no_snapshot(staff: Web, services: WebServices, database_url: str) -> None:
    """A live page's event stream stays open for minutes: the request's session is closed when the view
    returns (Flask pops the contexts before streaming), so the WAL can still be checkpointed meanwhile."""
    if not database_url.startswith("sqlite"):
        pytest.skip("WAL checkpoints are SQLite's")
    stream = staff.client.get("/events", buffered=False)
    try:
        assert next(stream.iter_encoded())
        issue(services)  # a commit after the stream began
        probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.2)
        try:
            busy, _log, _done = probe.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            probe.close()
        assert busy == 0
    finally:
        stream.close()


def test_a_write_outside_a_write_unit_raises(services: WebServices) -> None:
    app = create_app(services, {"TESTING": True})

    def forgot() -> str:
        db().add(AuditLog(action="lupa"))
        db().flush()
        return "tersimpan"

    def forgot_statement() -> str:
        db().execute(update(Queue).values(status_reason="lupa"))
        return "tersimpan"

    def remembered() -> str:
        with writing() as session:
            session.add(AuditLog(action="ingat"))
        return "tersimpan"

    def changed_before() -> str:
        row = db().scalar(select(AuditLog).limit(1))
        assert row is not None
        row.action = "diubah"
        with writing():
            return "tersimpan"

    for view in (forgot, forgot_statement, remembered, changed_before):
        app.add_url_rule(f"/_{view.__name__}", view_func=view)
    client = app.test_client()
    with pytest.raises(ReadOnlyRequest):
        client.get("/_forgot")
    with pytest.raises(ReadOnlyRequest):
        client.get("/_forgot_statement")
    assert client.get("/_remembered").text == "tersimpan"
    with pytest.raises(ReadOnlyRequest):
        client.get("/_changed_before")
    assert audit_actions(services) == ["ingat"]


def test_a_write_unit_inside_another_joins_it(services: WebServices) -> None:
    app = create_app(services, {"TESTING": True})

    @writes
    def together() -> str:
        with writing() as session:
            session.add(AuditLog(action="dalam"))
        db().add(AuditLog(action="luar"))
        return "tersimpan"

    @writes
    def failing() -> str:
        with writing() as session:
            session.add(AuditLog(action="batal"))
        raise RuntimeError("gagal setelah blok dalam")

    app.add_url_rule("/_together", view_func=together)
    app.add_url_rule("/_failing", view_func=failing)
    client = app.test_client()
    assert client.get("/_together").text == "tersimpan"
    with pytest.raises(RuntimeError):
        client.get("/_failing")
    assert audit_actions(services) == ["dalam", "luar"]


def registered_ticket(staff: Web, services: WebServices) -> tuple[int, str]:
    """A called ticket, its patient's registration saved with all mandatory information."""
    doctor_on_duty(services)
    number = issue(services, payment="umum")
    act(staff, "call")
    created = staff.post("/pasien/baru", {**patient_form(patient_type="umum", bpjs_number=""), "loket": "1"})
    registration_id = int(created.headers["Location"].rsplit("/", 1)[1])
    staff.post(f"/registrasi/{registration_id}/informasi", ALL_CONSENT)
    saved = staff.post(f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "umum"})
    assert saved.status_code == 302 and status_of(services, number) == "registered"
    return registration_id, number


def test_delivery_whose_ticket_cannot_change_leaves_nothing(
    staff: Web, services: WebServices, caplog: pytest.LogCaptureFixture
) -> None:
    registration_id, number = registered_ticket(staff, services)
    with services.sessions.begin() as session:  # the ticket was cancelled meanwhile (e.g. expired)
        session.execute(update(Queue).where(Queue.queue_number == number).values(status="cancelled"))
    published = len(services.published)  # type: ignore[attr-defined]
    response = staff.post(f"/registrasi/{registration_id}/antar")
    assert response.status_code == 409
    assert f"Status antrean {number} tidak dapat diubah" in response.text
    reg = registration(services, registration_id)
    assert (reg.status, reg.rm_status, reg.completed_at) == ("registered", "created", None)  # not delivered
    assert "rm_delivered" not in audit_actions(services)
    assert len(services.published) == published  # type: ignore[attr-defined]
    assert any(r.levelname == "ERROR" and "rolled back" in r.getMessage() for r in caplog.records)


def test_save_whose_ticket_update_fails_leaves_no_registration_behind(
    staff: Web, services: WebServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    doctor_on_duty(services)
    number = issue(services, payment="umum")
    act(staff, "call")
    created = staff.post("/pasien/baru", {**patient_form(patient_type="umum", bpjs_number=""), "loket": "1"})
    registration_id = int(created.headers["Location"].rsplit("/", 1)[1])

    def refuse(*_args: object, **_kwargs: object) -> Outcome:
        from hub.dispatch.service import DispatchError

        raise DispatchError("conflict", "Nomor ini sudah dipanggil loket lain.")

    monkeypatch.setattr(registration_service, "move_ticket", refuse)
    response = staff.post(f"/registrasi/{registration_id}/simpan", {"poly_id": "1", "payment_type": "umum"})
    assert response.status_code == 409 and "sudah dipanggil loket lain" in response.text
    reg = registration(services, registration_id)
    assert reg.status == "processing"
    assert "registration_save" not in audit_actions(services)
    assert status_of(services, number) == "serving"


def test_start_whose_ticket_update_fails_opens_no_registration(
    staff: Web, services: WebServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = staff.post("/pasien/baru", patient_form())
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    number = issue(services)
    act(staff, "call")

    def refuse(*_args: object, **_kwargs: object) -> Outcome:
        from hub.dispatch.service import DispatchError

        raise DispatchError("conflict")

    monkeypatch.setattr(registration_service, "move_ticket", refuse)
    response = staff.post(f"/loket/1/layani/{patient_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/loket/1")
    with services.sessions() as session:
        assert session.scalar(select(func.count(Registration.id))) == 0
    assert status_of(services, number) == "called"


def test_get_routes_that_write_open_their_own_unit(staff: Web, services: WebServices) -> None:
    created = staff.post("/pasien/baru", patient_form())
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert staff.get(f"/pasien/{patient_id}/kartu.pdf").status_code == 200
    assert audit_actions(services)[-1] == "visit_card_print"
