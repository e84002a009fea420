"""The status lifecycles (hub.db.statuses): one enum each, stored as text, the sets derived from them, and
the waiting room's and the dashboard's "Terdaftar" counted alike."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from types import ModuleType
from typing import Any, get_args

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from hub.db import statuses
from hub.db.base import Base, make_engine
from hub.db.migrate import upgrade
from hub.db.models import Booking, BpjsOutbox, Queue, TicketEvent
from hub.db.statuses import (
    AT_LOKET,
    CALLABLE,
    FINISHED,
    REGISTERED_OR_LATER,
    TICKET_TRANSITIONS,
    UNFINISHED,
    BookingStatus,
    OutboxStatus,
    TicketStatus,
)
from hub.dispatch import outcome
from hub.web.dashboard import day_figures
from protocol import payloads
from tests.hub.dispatch_support import Desk


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    with closing(Desk(database_url)) as desk:
        yield desk


@pytest.mark.parametrize("module", [statuses, outcome])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_the_wire_carries_exactly_the_enum_values() -> None:
    assert set(get_args(payloads.TicketStatus)) == {status.value for status in TicketStatus}


def test_every_set_is_derived_from_the_lifecycle() -> None:
    assert set(TICKET_TRANSITIONS) == set(TicketStatus)
    assert {TicketStatus.DONE, TicketStatus.CANCELLED} == FINISHED
    assert CALLABLE | AT_LOKET | {TicketStatus.SKIPPED} == UNFINISHED
    assert not REGISTERED_OR_LATER & (CALLABLE | AT_LOKET | {TicketStatus.SKIPPED, TicketStatus.CANCELLED})


def test_models_and_migrations_agree(database_url: str) -> None:
    """The status columns stay VARCHAR(20): no migration, and autogenerate sees nothing to do."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            dialect = connection.dialect.name
    finally:
        engine.dispose()
    assert [d for d in differences if not _known_before(d, dialect)] == []


def _known_before(difference: tuple[Any, ...], dialect: str) -> bool:
    """Differences older than the status enums: the PostgreSQL-only pattern indexes (on SQLite), and the
    loket → current ticket foreign key (``use_alter``), which migration 0001 does not create on PostgreSQL."""
    kind, item = difference[0], difference[1]
    if dialect != "postgresql":
        return kind == "add_index" and item.name.endswith("_pattern")
    return kind == "add_fk" and item.name == "fk_counters_current_queue_id_queues"


def test_statuses_are_stored_as_their_text_and_read_back_as_enums(desk: Desk) -> None:
    desk.ticket("umum")
    with desk.sessions.begin() as session:
        queue = session.scalars(select(Queue)).one()
        assert queue.status is TicketStatus.WAITING
        assert session.execute(text("SELECT status FROM queues")).scalar_one() == "waiting"
        event = session.scalars(select(TicketEvent)).one()
        assert (event.from_status, event.to_status) == (None, TicketStatus.WAITING)
    for model in (Booking, BpjsOutbox):
        assert model.__table__.c.status.type.length == 20  # type: ignore[attr-defined]
    assert BookingStatus("expired") is BookingStatus.EXPIRED
    assert OutboxStatus("sent") is OutboxStatus.SENT


def test_a_text_that_is_no_status_is_refused_before_it_is_written(desk: Desk) -> None:
    desk.ticket("umum")
    with pytest.raises(StatementError), desk.sessions.begin() as session:
        session.scalars(select(Queue)).one().status = "lost"  # type: ignore[assignment]


def test_the_waiting_room_and_the_dashboard_count_terdaftar_alike(desk: Desk) -> None:
    """Registered, sent to the poly or done (also by the loket calling its next patient) is "Terdaftar"
    on the TV (display/state totals) and on the admin dashboard."""
    for _ in range(7):
        desk.ticket("umum")

    def ticket_id(number: str) -> int:
        with desk.sessions.begin() as session:
            return int(session.scalars(select(Queue.id).where(Queue.queue_number == number)).one())

    def to(number: str, *statuses: TicketStatus) -> None:
        for status in statuses:
            desk.dispatcher.set_status(ticket_id(number), status, actor="web:siti")

    assert desk.call() == "A-001"
    to(
        "A-001",
        TicketStatus.SERVING,
        TicketStatus.REGISTERED,
        TicketStatus.DIRECTED_TO_POLY,
        TicketStatus.DONE,
    )
    assert desk.call() == "A-002"
    to("A-002", TicketStatus.REGISTERED)
    assert desk.call() == "A-003"
    assert desk.call() == "A-004"  # A-003 is done: served at the loket
    assert desk.act(1, "skip").reply is not None  # A-004 skipped, A-005 called
    to("A-006", TicketStatus.CANCELLED)

    totals = desk.dispatcher.display_state().totals
    with desk.sessions.begin() as session:
        figures = day_figures(session, date(2026, 2, 26))
    assert (totals.registered, totals.issued, totals.waiting) == (3, 6, 1)  # A-001..A-003; A-007 waits
    assert (figures.registered, figures.total, figures.waiting) == (
        totals.registered,
        totals.issued,
        totals.waiting,
    )
