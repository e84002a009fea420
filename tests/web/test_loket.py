"""The loket page: Panggil Berikutnya / Skip / Panggil Ulang through the dispatcher, skipped tickets called
again, the queue fragments, and the live event stream."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from hub.db.models import Queue, TicketEvent
from hub.web.context import WebServices
from hub.web.notify import Notifier
from protocol import TicketRequest
from tests.web.conftest import Web, audit_actions, last_audit

FETCH = {"X-Requested-With": "fetch"}


def issue(services: WebServices, category: str = "umum", poly: str = "A", payment: str = "bpjs") -> str:
    outcome = services.dispatcher.issue_ticket(
        TicketRequest(
            request_id=uuid.uuid4().hex,
            category=category,
            priority_reason="lansia" if category == "prioritas" else None,
            payment_type=payment,
            poly_code=poly,
        ),
        node="kiosk-1",
    )
    assert outcome.reply is not None and outcome.reply.ticket is not None
    return outcome.reply.ticket.number


def act(web: Web, action: str, request_id: str | None = None, counter: int = 1) -> dict[str, object]:
    response = web.post(
        f"/loket/{counter}/aksi/{action}", {"request_id": request_id or uuid.uuid4().hex}, headers=FETCH
    )
    return {"status": response.status_code, **json.loads(response.get_data(as_text=True))}


def status_of(services: WebServices, number: str) -> str:
    with services.sessions() as session:
        return str(session.scalar(select(Queue.status).where(Queue.queue_number == number)))


def test_call_next_goes_through_the_dispatcher_and_is_published(staff: Web, services: WebServices) -> None:
    general = issue(services)
    priority = issue(services, "prioritas")
    before = services.notifier.version
    answer = act(staff, "call")
    assert answer == {"status": 200, "ok": True, "message": f"Memanggil: {priority}"}
    assert status_of(services, priority) == "called"
    published = services.published  # type: ignore[attr-defined]
    assert published[-1].announcement is not None and published[-1].announcement.ticket_number == priority
    assert published[-1].live
    assert services.notifier.version > before
    with services.sessions() as session:
        actor = session.scalar(select(TicketEvent.actor).where(TicketEvent.to_status == "called"))
    assert actor == "web:siti"
    row = last_audit(services, "queue_call")
    assert row.username == "siti" and row.new_values == {
        "loket": 1,
        "ok": True,
        "ticket": priority,
        "error": None,
    }
    page = staff.get("/loket/1/kini").get_data(as_text=True)
    assert priority in page and "Dipanggil" in page
    side = staff.get("/loket/1/antrean").get_data(as_text=True)
    assert general in side and "Sedang di loket" in side


def test_same_request_id_calls_once(staff: Web, services: WebServices) -> None:
    first, second = issue(services), issue(services)
    assert act(staff, "call", "press-1")["message"] == f"Memanggil: {first}"
    assert act(staff, "call", "press-1")["message"] == f"Memanggil: {first}"  # double click: same answer
    assert status_of(services, second) == "waiting"


def test_empty_queue_answers_in_indonesian(staff: Web) -> None:
    answer = act(staff, "call")
    assert answer["status"] == 409 and answer["ok"] is False
    assert answer["message"] == "Tidak ada antrean yang menunggu."


def test_skip_then_call_the_skipped_ticket_again(staff: Web, services: WebServices) -> None:
    first, second = issue(services), issue(services)
    act(staff, "call")
    answer = act(staff, "skip")
    assert answer["ok"] and second in str(answer["message"])
    assert status_of(services, first) == "skipped"
    side = staff.get("/loket/1/antrean").get_data(as_text=True)
    assert "Dilewati" in side and first in side
    with services.sessions() as session:
        queue_id = session.scalar(select(Queue.id).where(Queue.queue_number == first))
    response = staff.post(f"/loket/1/panggil/{queue_id}", headers=FETCH)
    assert json.loads(response.get_data(as_text=True)) == {
        "ok": True,
        "message": f"Memanggil kembali: {first}",
    }
    assert status_of(services, first) == "called"
    assert status_of(services, second) == "done"  # its loket service ended
    assert "queue_call_skipped" in audit_actions(services)
    again = staff.post(f"/loket/1/panggil/{queue_id}", headers=FETCH)
    assert again.status_code == 409  # no longer skipped


def test_skip_with_nothing_after(staff: Web, services: WebServices) -> None:
    only = issue(services)
    act(staff, "call")
    answer = act(staff, "skip")
    assert answer["ok"] and "Tidak ada antrean berikutnya" in str(answer["message"])
    assert status_of(services, only) == "skipped"


def test_recall_announces_again(staff: Web, services: WebServices) -> None:
    number = issue(services)
    assert act(staff, "recall")["status"] == 409  # nothing called yet
    act(staff, "call")
    answer = act(staff, "recall")
    assert answer["ok"] and number in str(answer["message"])
    announcement = services.published[-1].announcement  # type: ignore[attr-defined]
    assert announcement is not None and announcement.repeat is True
    assert "queue_recall" in audit_actions(services)


def test_without_javascript_actions_redirect_with_a_message(staff: Web, services: WebServices) -> None:
    number = issue(services)
    response = staff.post("/loket/1/aksi/call", {"request_id": "plain"})
    assert response.status_code == 302 and response.headers["Location"] == "/loket/1"
    assert f"Memanggil: {number}" in staff.get("/loket/1").get_data(as_text=True)


def test_unknown_loket_and_action(staff: Web) -> None:
    assert staff.get("/loket/9").status_code == 404
    assert staff.post("/loket/1/aksi/explode", {}).status_code == 404


def test_loket_page_lists_lokets_for_users_without_one(admin: Web) -> None:
    page = admin.get("/loket/").get_data(as_text=True)
    assert "Loket 1" in page and "Loket 2" in page


def test_event_stream() -> None:
    notifier = Notifier(max_streams=1)
    stream = notifier.stream(duration=0.05)
    assert next(stream) == "retry: 2000\nevent: change\ndata: 0\n\n"
    notifier.notify()
    assert next(stream) == "event: change\ndata: 1\n\n"
    overflow = list(notifier.stream())  # the one stream slot is taken: answer once, come back later
    assert overflow == ["retry: 5000\nevent: change\ndata: 1\n\n"]
    assert list(stream)[-1] == ": keepalive\n\n"
    assert next(notifier.stream(0.01)).startswith("retry: 2000")  # slot free again


def test_events_route_streams(web: Web, services: WebServices) -> None:
    services.notifier.notify()
    response = web.client.get("/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    first = next(response.iter_encoded())
    assert first.decode().startswith("retry: 2000\nevent: change\ndata: 1")
    response.close()
