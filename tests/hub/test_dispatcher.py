"""Every queue rule, on a real database (SQLite, or PostgreSQL when ANTREAN_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date

import pytest
from sqlalchemy import func, select

from hub.db.models import Counter, Polyclinic, Queue, TicketEvent
from hub.db.statuses import TicketStatus
from hub.dispatch.service import DispatchError
from protocol import BookingRequest, TicketReply
from tests.hub.dispatch_support import Desk


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    with closing(Desk(database_url)) as desk:
        yield desk


@pytest.fixture
def make_desk(database_url: str) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def make(**queue: object) -> Desk:
        made.append(Desk(database_url, **queue))
        return made[-1]

    yield make
    for desk in made:
        desk.close()


def test_numbers_per_prefix_and_day(desk: Desk) -> None:
    assert desk.ticket("umum", "A").number == "A-001"
    assert desk.ticket("umum", "A").number == "A-002"
    assert desk.ticket("umum", "B").number == "B-001"
    assert desk.ticket("prioritas", "A").number == "P-001"
    assert desk.ticket("prioritas", "C", "bumil").number == "P-002"  # P is shared by every poly
    desk.clock.advance(days=1)
    assert desk.ticket("umum", "A").number == "A-001"
    assert desk.ticket("umum", "A").service_date == date(2026, 2, 27)


def test_ratio_two_to_one_and_fifo(desk: Desk) -> None:
    for _ in range(5):
        desk.ticket("prioritas")
    for _ in range(3):
        desk.ticket("umum")
    calls = [desk.call() for _ in range(8)]
    assert calls == ["P-001", "P-002", "A-001", "P-003", "P-004", "A-002", "P-005", "A-003"]
    assert desk.call() == "!no_waiting"


def test_ratio_one_to_two(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(priority_ratio="1:2")
    for _ in range(3):
        desk.ticket("prioritas")
    for _ in range(4):
        desk.ticket("umum")
    assert [desk.call() for _ in range(7)] == ["P-001", "A-001", "A-002", "P-002", "A-003", "A-004", "P-003"]


def test_strict_priority_first(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(priority_ratio="strict")
    desk.ticket("umum")
    for _ in range(3):
        desk.ticket("prioritas")
    assert [desk.call() for _ in range(4)] == ["P-001", "P-002", "P-003", "A-001"]


def test_fairness_cap_calls_an_overdue_general_ticket(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(priority_ratio="2:1", max_general_wait_min=30)
    desk.ticket("umum")
    desk.clock.advance(minutes=31)
    desk.ticket("prioritas")
    assert desk.call() == "A-001"  # the ratio alone would call P-001 first
    assert desk.call() == "P-001"


def test_strict_priority_is_not_overridden_by_the_fairness_cap(make_desk: Callable[..., Desk]) -> None:
    """``strict``: priority always first, as the seed says; the cap does not apply (docs/hub.md)."""
    desk = make_desk(priority_ratio="strict", max_general_wait_min=30)
    desk.ticket("umum")
    desk.clock.advance(minutes=90)
    desk.ticket("prioritas")
    desk.ticket("prioritas")
    assert [desk.call() for _ in range(3)] == ["P-001", "P-002", "A-001"]


def test_counter_limited_to_a_category(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        loket = session.scalar(select(Counter).where(Counter.number == 2))
        assert loket is not None
        loket.categories = "umum"
    desk.ticket("prioritas")
    desk.ticket("umum")
    assert desk.call(2) == "A-001"
    assert desk.call(2) == "!no_waiting"
    assert desk.call(1) == "P-001"


def test_quota_and_cancel_frees_it(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "B"))
        assert poly is not None
        poly.quota_per_day = 2
    desk.ticket("umum", "B", request_id="q1")
    desk.ticket("prioritas", "B")
    full = desk.take("umum", "B")
    assert not full.ok and full.error and full.error.code == "quota_full"
    assert "Poli Gigi" in full.error.message
    assert next(p for p in desk.dispatcher.services().polys if p.code == "B").remaining == 0
    desk.dispatcher.cancel_request("q1", node="k1")
    assert desk.take("umum", "B").ok


def test_a_refusal_is_kept_for_its_request_id_and_writes_nothing(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "B"))
        assert poly is not None
        poly.quota_per_day = 1
    first = desk.ticket("umum", "B", request_id="b1")
    refused = desk.take("umum", "B", request_id="b2")
    assert refused.error is not None and refused.error.code == "quota_full"
    with desk.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(Queue)) == 1  # nothing half-written
        assert session.scalar(select(func.count()).select_from(TicketEvent)) == 1
    desk.dispatcher.cancel_request("b1", node="k1")  # the quota is free again ...
    assert desk.take("umum", "B", request_id="b2") == refused  # ... but b2 was answered: same answer
    again = desk.ticket("umum", "B", request_id="b3")
    assert (first.number, again.number) == ("B-001", "B-002")  # the refusal took no number


def test_hours_and_24_hour_poly(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(operating_start="07:30", operating_end="14:00")
    desk.clock.now = desk.clock.now.replace(hour=6, minute=45)
    closed = desk.take("umum", "A")
    assert not closed.ok and closed.error and closed.error.code == "closed"
    assert "07:30" in closed.error.message
    assert desk.take("umum", "E").ok  # UGD is 24 hours
    services = desk.dispatcher.services()
    assert {p.code: p.open for p in services.polys} == {
        "A": False,
        "B": False,
        "C": False,
        "D": False,
        "E": True,
    }
    desk.clock.now = desk.clock.now.replace(hour=14, minute=0)
    assert not desk.take("umum", "A").ok
    desk.clock.now = desk.clock.now.replace(hour=13, minute=59)
    assert desk.take("umum", "A").ok


def test_unknown_and_inactive_poly(desk: Desk) -> None:
    reply = desk.take("umum", "Z")
    assert reply.error is not None and reply.error.code == "unknown_poly"
    with desk.sessions.begin() as session:
        poly = session.scalar(select(Polyclinic).where(Polyclinic.code == "D"))
        assert poly is not None
        poly.is_active = False
    assert desk.take("umum", "D").error is not None


def test_request_id_is_idempotent_per_node(desk: Desk) -> None:
    first = desk.take(request_id="same")
    again = desk.take(request_id="same")
    other_node = desk.take(request_id="same", node="k2")
    assert first == again
    assert first.ticket and other_node.ticket and other_node.ticket.number == "A-002"
    with desk.sessions.begin() as session:
        assert len(session.scalars(select(Queue)).all()) == 2
    failed = desk.take("umum", "Z", request_id="bad")
    assert desk.take("umum", "A", request_id="bad") == failed  # same id, same answer, all day


def test_cancel_before_the_request_arrives_refuses_it(desk: Desk) -> None:
    desk.dispatcher.cancel_request("late", node="k1")
    reply = desk.take(request_id="late")
    assert not reply.ok and reply.error and reply.error.code == "conflict"
    with desk.sessions.begin() as session:
        assert session.scalars(select(Queue)).all() == []


def test_cancel_after_call_does_nothing(desk: Desk) -> None:
    desk.ticket(request_id="x")
    assert desk.call() == "A-001"
    desk.dispatcher.cancel_request("x", node="k1")
    with desk.sessions.begin() as session:
        assert session.scalars(select(Queue.status)).one() == "called"


def test_call_skip_recall(desk: Desk) -> None:
    desk.ticket()
    desk.ticket()
    assert desk.call(1) == "A-001"
    recall = desk.act(1, "recall")
    assert recall.announcement is not None and recall.announcement.repeat
    assert recall.announcement.text == "Nomor antrean, A, satu. Silakan menuju loket satu."
    assert not recall.live  # nothing changed
    skip = desk.act(1, "skip")
    assert skip.reply and skip.reply.ticket and skip.reply.ticket.number == "A-002"
    assert skip.announcement is not None and not skip.announcement.repeat
    desk.clock.advance(minutes=4)
    assert desk.call(1) == "!no_waiting"
    with desk.sessions.begin() as session:
        statuses = dict(session.execute(select(Queue.queue_number, Queue.status)).all())
    assert statuses == {"A-001": "skipped", "A-002": "called"}  # empty queue: the current stays
    desk.ticket()
    desk.clock.advance(minutes=1)
    assert desk.call(1) == "A-003"
    with desk.sessions.begin() as session:
        a2 = session.scalar(select(Queue).where(Queue.queue_number == "A-002"))
        assert a2 is not None and a2.status == "done" and a2.service_ended_at is not None
        skipped = session.scalar(select(Queue).where(Queue.queue_number == "A-001"))
        assert skipped is not None
        skipped_id = skipped.id
    again = desk.dispatcher.call_ticket(2, skipped_id, actor="web:siti")
    assert again.reply and again.reply.ticket and again.reply.ticket.number == "A-001"
    assert again.announcement is not None and again.announcement.counter == 2


def test_skip_or_recall_with_nobody_called(desk: Desk) -> None:
    for action in ("skip", "recall"):
        reply = desk.act(1, action).reply
        assert reply is not None and reply.error is not None and reply.error.code == "conflict"


def test_unknown_counter(desk: Desk) -> None:
    assert desk.call(9) == "!not_found"


def test_timeline_of_a_ticket(desk: Desk) -> None:
    desk.ticket()
    desk.call(1)
    desk.ticket()
    desk.call(1)
    with desk.sessions.begin() as session:
        first = session.scalar(select(Queue).where(Queue.queue_number == "A-001"))
        assert first is not None
        events = session.scalars(
            select(TicketEvent).where(TicketEvent.queue_id == first.id).order_by(TicketEvent.id)
        ).all()
        assert [(e.from_status, e.to_status) for e in events] == [
            (None, "waiting"),
            ("waiting", "called"),
            ("called", "done"),
        ]
        assert all(e.at is not None for e in events)


def test_status_transitions_are_validated(desk: Desk) -> None:
    desk.ticket()
    desk.call()
    with desk.sessions.begin() as session:
        queue_id = session.scalars(select(Queue.id)).one()
    desk.dispatcher.set_status(queue_id, TicketStatus.SERVING, actor="web:siti")
    desk.dispatcher.set_status(queue_id, TicketStatus.REGISTERED, actor="web:siti")
    desk.dispatcher.set_status(queue_id, TicketStatus.DIRECTED_TO_POLY, actor="web:siti")
    with pytest.raises(DispatchError) as caught:
        desk.dispatcher.set_status(queue_id, TicketStatus.WAITING, actor="web:siti")
    assert caught.value.info.code == "conflict"


def test_daily_reset_expires_unfinished_tickets(desk: Desk) -> None:
    desk.ticket()
    desk.ticket()
    desk.call()
    desk.clock.now = desk.clock.now.replace(hour=5, minute=59).replace(day=27)
    assert not desk.dispatcher.expire_previous_days().live  # still the 26th's service day
    desk.clock.advance(minutes=2)
    assert desk.dispatcher.expire_previous_days().live
    with desk.sessions.begin() as session:
        rows = session.execute(select(Queue.status, Queue.status_reason)).all()
        assert rows == [("cancelled", "expired"), ("cancelled", "expired")]
        assert all(c.current_queue_id is None for c in session.scalars(select(Counter)))
    assert desk.dispatcher.display_state().counters[0].ticket is None
    desk.clock.now = desk.clock.now.replace(hour=8)
    assert desk.ticket().number == "A-001"


def test_wait_estimates_use_call_order_and_measured_service(desk: Desk) -> None:
    tickets = [desk.ticket() for _ in range(3)]
    assert [t.ahead for t in tickets] == [0, 1, 2]
    # default 5 min per patient, 2 lokets
    assert tickets[2].estimated_wait_min == (5, 8)
    priority = desk.ticket("prioritas")
    assert priority.ahead == 0  # it jumps ahead under 2:1
    desk.call(1)
    desk.clock.advance(minutes=10)
    desk.call(1)  # ends P-001 after 10 minutes: today's measured mean
    later = desk.ticket()
    assert later.ahead == 2
    assert later.estimated_wait_min == (10, 15)


def test_display_projection_in_true_call_order(desk: Desk) -> None:
    for category in ("umum", "prioritas", "umum", "prioritas", "prioritas"):
        desk.ticket(category)
    state = desk.dispatcher.display_state()
    assert [t.number for t in state.next_priority] == ["P-001", "P-002", "P-003"]
    assert [t.number for t in state.next_general] == ["A-001", "A-002"]
    assert (state.remaining_priority, state.remaining_general) == (3, 2)
    assert state.totals.issued == 5 and state.totals.waiting == 5
    desk.call(2)
    state = desk.dispatcher.display_state()
    assert state.counters[1].ticket is not None and state.counters[1].ticket.number == "P-001"


def test_booking_joins_the_queue_at_confirmation(desk: Desk) -> None:
    booking = desk.dispatcher.create_booking(
        day=date(2026, 2, 26), category="umum", reason=None, payment="bpjs", poly_code="C", source="mobile"
    )
    early = desk.ticket("umum", "C")
    assert desk.dispatcher.display_state().remaining_general == 1  # the booking is not callable yet
    desk.clock.advance(minutes=5)
    reply = desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b1", booking_code=booking.booking_code), node="k1"
    ).reply
    assert isinstance(reply, TicketReply) and reply.ticket is not None
    assert reply.ticket.number == "C-002" and reply.ticket.status == "confirmed"
    assert reply.ticket.source == "mobile" and reply.ticket.ahead == 1
    assert [desk.call(), desk.call()] == [early.number, "C-002"]
    twice = desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b2", booking_code=booking.booking_code), node="k1"
    ).reply
    assert twice is not None and twice.error is not None and twice.error.code == "conflict"
    missing = desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b3", booking_code="NOPE1234"), node="k1"
    ).reply
    assert missing is not None and missing.error is not None and missing.error.code == "not_found"


def test_booking_for_another_day_is_refused(desk: Desk) -> None:
    booking = desk.dispatcher.create_booking(
        day=date(2026, 2, 27),
        category="prioritas",
        reason="balita",
        payment="umum",
        poly_code="D",
        source="web",
    )
    reply = desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b1", booking_code=booking.booking_code), node="k1"
    ).reply
    assert reply is not None and reply.error is not None and "27-02-2026" in reply.error.message


def test_public_ticket_view(desk: Desk) -> None:
    ticket = desk.ticket()
    token = ticket.status_url.rsplit("/", 1)[-1]
    assert len(token) >= 32
    view = desk.dispatcher.ticket_by_token(token)
    assert view is not None and view.number == "A-001"
    assert desk.dispatcher.ticket_by_token("guess") is None
