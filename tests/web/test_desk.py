"""Tickets at the loket (the kiosk or its printer is down): issued through the dispatcher, found again by
number, reprinted on the loket PC or a kiosk, cancelled with a reason — every step audited."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from hub.db.models import NodeHealth, Polyclinic, Queue, TicketEvent
from hub.web.context import WebServices
from hub.web.desk import normalise_number
from protocol import PrintRequest
from tests.web.conftest import Web, last_audit


def issue(staff: Web, request_id: str | None = None, **fields: str) -> tuple[int, str]:
    form = {
        "request_id": request_id or uuid.uuid4().hex,
        "category": "umum",
        "payment_type": "bpjs",
        "poly_code": "A",
        "output": "layar",
        **fields,
    }
    response = staff.post("/loket/1/tiket", form)
    assert response.status_code == 302
    return response.status_code, response.headers["Location"]


def queues(services: WebServices) -> list[Queue]:
    with services.sessions() as session:
        return list(session.scalars(select(Queue).order_by(Queue.id)))


def add_kiosk(services: WebServices, node: str = "kiosk-1", state: str = "online") -> None:
    with services.sessions.begin() as session:
        session.add(NodeHealth(node=node, role="kiosk", state=state, version="1", details={"printer": "ok"}))


def test_numbers_people_type() -> None:
    assert normalise_number("a1") == "A-001"
    assert normalise_number("P - 12") == "P-012"
    assert normalise_number("B-000") is None
    assert normalise_number("AB-1") is None


def test_the_loket_issues_through_the_dispatcher_once_per_request(staff: Web, services: WebServices) -> None:
    page = staff.get("/loket/1/tiket").get_data(as_text=True)
    assert "Ambil nomor untuk pasien" in page and 'name="request_id"' in page
    _, target = issue(staff, "desk-1", category="prioritas", priority_reason="bumil")
    _, again = issue(staff, "desk-1", category="prioritas", priority_reason="bumil")  # double submit
    [ticket] = queues(services)
    assert (ticket.queue_number, ticket.source, ticket.node_id, ticket.priority_reason) == (
        "P-001",
        "web",
        "loket-1",
        "bumil",
    )
    assert target == again and f"/loket/1/tiket/{ticket.id}" in target
    with services.sessions() as session:
        actor = session.scalar(select(TicketEvent.actor).where(TicketEvent.queue_id == ticket.id))
    assert actor == "web:siti"
    audit = last_audit(services, "ticket_issue_loket")
    assert audit.username == "siti" and audit.new_values is not None
    assert audit.new_values["ticket"] == "P-001" and audit.new_values["ok"] is True
    published = services.published  # type: ignore[attr-defined]
    assert [o.services for o in published] == [True, False]  # the quota goes out once; the replay: nothing
    # the numbering is the kiosk's: the next general ticket of poly A is A-001, then A-002
    issue(staff)
    issue(staff)
    assert [q.queue_number for q in queues(services)] == ["P-001", "A-001", "A-002"]


def test_bad_choices_and_a_full_quota_are_refused_in_indonesian(staff: Web, services: WebServices) -> None:
    staff.post("/loket/1/tiket", {"category": "prioritas", "payment_type": "bpjs", "poly_code": "A"})
    page = staff.get("/loket/1/tiket").get_data(as_text=True)
    assert "Lengkapi kategori" in page
    staff.post("/loket/1/tiket", {"category": "umum", "payment_type": "bpjs", "poly_code": "ZZ"})
    assert (
        "Poli tidak dikenal" in staff.get("/loket/1/tiket").get_data(as_text=True) or queues(services) == []
    )
    with services.sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "B"))
        assert poly is not None
        poly.quota_per_day = 1
    issue(staff, poly_code="B")
    issue(staff, poly_code="B")
    assert "sudah habis" in staff.get("/loket/1/tiket").get_data(as_text=True)
    assert [q.queue_number for q in queues(services)] == ["B-001"]
    assert last_audit(services, "ticket_issue_loket").new_values["error"] == "quota_full"  # type: ignore[index]


def test_a_lost_ticket_is_found_by_number_and_reprinted(staff: Web, services: WebServices) -> None:
    issue(staff)
    [ticket] = queues(services)
    found = staff.get("/loket/1/tiket?nomor=a1").get_data(as_text=True)
    assert "A-001" in found and f"/loket/1/tiket/{ticket.id}" in found
    assert "tidak ada hari ini" in staff.get("/loket/1/tiket?nomor=A-9").get_data(as_text=True)
    assert "tidak dikenali" in staff.get("/loket/1/tiket?nomor=hello").get_data(as_text=True)
    shown = staff.get(f"/loket/1/tiket/{ticket.id}").get_data(as_text=True)
    assert 'id="desk-number">A-001<' in shown and "<svg" in shown and "CETAK ULANG" not in shown
    response = staff.post(f"/loket/1/tiket/{ticket.id}/cetak", {"output": "browser", "lebar": "58"})
    assert response.status_code == 302 and "cetak=1" in response.headers["Location"]
    reprinted = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "CETAK ULANG" in reprinted and "print-ticket w58" in reprinted and "data-auto-print" in reprinted
    audit = last_audit(services, "ticket_reprint")
    assert audit.record_id == ticket.id and audit.new_values == {
        "loket": 1,
        "ticket": "A-001",
        "printer": "browser",
        "ok": True,
    }


def test_a_ticket_goes_to_a_chosen_kiosk_printer(staff: Web, services: WebServices) -> None:
    jobs: list[tuple[str, PrintRequest]] = []
    services.print_on_kiosk = lambda node, job: jobs.append((node, job))
    add_kiosk(services)
    issue(staff, output="kiosk", kiosk="kiosk-1")
    [ticket] = queues(services)
    assert [(node, job.ticket.number, job.reprint) for node, job in jobs] == [("kiosk-1", "A-001", False)]
    assert jobs[0][1].ticket.status_url.startswith("http://testserver/t/")
    staff.post(f"/loket/1/tiket/{ticket.id}/cetak", {"output": "kiosk", "kiosk": "kiosk-1"})
    assert jobs[-1][1].reprint is True
    staff.post(f"/loket/1/tiket/{ticket.id}/cetak", {"output": "kiosk", "kiosk": "kiosk-9"})
    assert len(jobs) == 2
    assert last_audit(services, "ticket_reprint").new_values == {
        "loket": 1,
        "ticket": "A-001",
        "printer": "kiosk-9",
        "ok": False,
    }
    assert "Kiosk tidak dikenal" in staff.get(f"/loket/1/tiket/{ticket.id}").get_data(as_text=True)


def test_cancel_needs_a_reason_and_goes_through_the_status_machine(staff: Web, services: WebServices) -> None:
    issue(staff)
    [ticket] = queues(services)
    staff.post(f"/loket/1/tiket/{ticket.id}/batal", {"reason": ""})
    assert queues(services)[0].status == "waiting"
    staff.post(f"/loket/1/tiket/{ticket.id}/batal", {"reason": "pasien_batal"})
    [cancelled] = queues(services)
    assert (cancelled.status, cancelled.status_reason) == ("cancelled", "pasien_batal")
    audit = last_audit(services, "ticket_cancel")
    assert audit.old_values == {"status": "waiting"} and audit.new_values is not None
    assert audit.new_values["reason"] == "pasien_batal"
    staff.post(f"/loket/1/tiket/{ticket.id}/batal", {"reason": "duplikat"})  # twice: refused, no crash
    assert "tidak dapat dibatalkan" in staff.get(f"/loket/1/tiket/{ticket.id}").get_data(as_text=True)
    with services.sessions() as session:
        cancels = session.scalar(
            select(func.count()).where(
                TicketEvent.queue_id == ticket.id, TicketEvent.to_status == "cancelled"
            )
        )
    assert cancels == 1
