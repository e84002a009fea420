"""Two service days of known tickets, made through the dispatcher with a clock the test moves, plus
registrations, BPJS outbox items and PCare log lines of those days: the numbers the report tests expect.

Thursday 26 February 2026 (Asia/Jakarta), one loket:

=====  ======  ============  =========  =======================================  ====  =======
time   ticket  category      payment    what happens                             wait  service
=====  ======  ============  =========  =======================================  ====  =======
08:00  A-001   umum, Umum    bpjs       called 08:30, skipped 08:34, called      30    3
                                        again 09:25, registered 09:28
08:05  P-001   lansia, Gigi  umum       called 08:20, registered 08:26           15    6
08:10  B-001   umum, Gigi    umum       called 08:34, registered 08:44           24    10
09:10  A-002   umum, Umum    bpjs       called 09:15, the loket calls A-001      5     10
                                        at 09:25 (served at the loket)
09:30  A-003   umum, Umum    umum       never called: expired the next morning   –     –
=====  ======  ============  =========  =======================================  ====  =======

Friday 27 February: A-001 (umum, Umum, bpjs) issued 08:00, called 08:12, registered 08:20.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.bpjs import outbox
from hub.db.models import BpjsLog, Patient, Queue, User
from hub.db.statuses import OutboxStatus, TicketStatus
from hub.web import create_app, visits
from hub.web.context import WebServices
from hub.web.passwords import hash_password
from tests.conftest import fresh_database
from tests.hub.dispatch_support import JAKARTA, Desk
from tests.web.conftest import PASSWORD

DAY1, DAY2 = date(2026, 2, 26), date(2026, 2, 27)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=JAKARTA)


def _move(desk: Desk, day: date, hhmm: str) -> None:
    desk.clock.now = at(day, hhmm)


def _id(desk: Desk, day: date, number: str) -> int:
    with desk.sessions() as session:
        return int(
            session.scalars(
                select(Queue.id).where(Queue.queue_date == day, Queue.queue_number == number)
            ).one()
        )


def _register(desk: Desk, day: date, number: str) -> None:
    desk.dispatcher.set_status(_id(desk, day, number), TicketStatus.REGISTERED, actor="web:siti")


def seed_tickets(desk: Desk) -> None:
    _move(desk, DAY1, "08:00")
    desk.ticket("umum", "A", payment="bpjs")
    _move(desk, DAY1, "08:05")
    desk.ticket("prioritas", "B", "lansia", payment="umum")
    _move(desk, DAY1, "08:10")
    desk.ticket("umum", "B", payment="umum")
    _move(desk, DAY1, "08:20")
    assert desk.call() == "P-001"
    _move(desk, DAY1, "08:26")
    _register(desk, DAY1, "P-001")
    _move(desk, DAY1, "08:30")
    assert desk.call() == "A-001"
    _move(desk, DAY1, "08:34")
    skipped = desk.act(1, "skip").reply
    assert skipped is not None and skipped.ticket is not None and skipped.ticket.number == "B-001"
    _move(desk, DAY1, "08:44")
    _register(desk, DAY1, "B-001")
    _move(desk, DAY1, "09:10")
    desk.ticket("umum", "A", payment="bpjs")
    _move(desk, DAY1, "09:15")
    assert desk.call() == "A-002"
    _move(desk, DAY1, "09:25")
    desk.dispatcher.call_ticket(1, _id(desk, DAY1, "A-001"), actor="web:siti")
    _move(desk, DAY1, "09:28")
    _register(desk, DAY1, "A-001")
    _move(desk, DAY1, "09:30")
    desk.ticket("umum", "A", payment="umum")
    _move(desk, DAY2, "06:00")
    desk.dispatcher.expire_previous_days()  # the hub does this at the reset: A-003 is cancelled
    _move(desk, DAY2, "08:00")
    desk.ticket("umum", "A", payment="bpjs")
    _move(desk, DAY2, "08:12")
    assert desk.call() == "A-001"
    _move(desk, DAY2, "08:20")
    _register(desk, DAY2, "A-001")


def _patient(session: Session, n: int) -> Patient:
    patient = Patient(medical_record=f"RM-{n:04d}", name=f"Pasien {n}", name_search=f"pasien {n}")
    session.add(patient)
    session.flush()
    return patient


def seed_registrations(desk: Desk) -> None:
    """Day 1: 5 registrations (3 new, 2 returning; 4 BPJS, 1 umum) and a cancelled one; the BPJS ones
    bridged, failed, waiting and never sent. Day 2: one returning BPJS patient, bridged. PCare calls:
    day 1 three (one failed), one of them at 05:30 on day 2, still day 1's service day (reset 06:00)."""
    plan = [  # day, new patient, payment, bridging
        (DAY1, True, "bpjs", "sent"),
        (DAY1, True, "bpjs", "failed"),
        (DAY1, False, "bpjs", "pending"),
        (DAY1, True, "bpjs", "unsent"),
        (DAY1, False, "umum", ""),
        (DAY1, True, "umum", "cancelled"),
        (DAY2, False, "bpjs", "sent"),
    ]
    now = at(DAY1, "10:00").astimezone(UTC)
    with desk.sessions.begin() as session:
        for n, (day, new, payment, bridging) in enumerate(plan, start=1):
            registration = visits.start(
                session,
                patient=_patient(session, n),
                queue=None,
                user_id=None,  # type: ignore[arg-type]
                new_patient=new,
                now=now,
                tz=JAKARTA,
                today=day,
            )
            registration.payment_type = payment
            registration.status = "cancelled" if bridging == "cancelled" else "registered"
            if bridging in ("sent", "failed", "pending"):
                item = outbox.enqueue(session, registration.id, "pendaftaran", {"visit": {}}, now)
                if bridging != "pending":
                    status = OutboxStatus.SENT if bridging == "sent" else OutboxStatus.FAILED
                    outbox.finish(session, item.id, status, now)
                registration.bpjs_bridged = bridging == "sent"
        for moment, success in (
            (at(DAY1, "08:40"), True),
            (at(DAY1, "08:41"), False),
            (at(DAY2, "05:30"), True),
            (at(DAY2, "08:15"), True),
            (at(DAY1, "05:59"), True),  # the service day before: not in the period
        ):
            session.add(
                BpjsLog(action_type="pendaftaran", is_success=success, created_at=moment.astimezone(UTC))
            )


@contextmanager
def seeded_database(folder: Path) -> Iterator[Desk]:
    """:func:`seeded_desk` on a fresh database (SQLite in ``folder``, or a PostgreSQL schema in CI)."""
    with fresh_database(folder) as url, closing(seeded_desk(url)) as desk:
        yield desk


def seeded_desk(url: str) -> Desk:
    desk = Desk(url)
    seed_tickets(desk)
    seed_registrations(desk)
    desk.clock.now = at(DAY2, "10:00")
    return desk


def seeded_app(desk: Desk, folder: Path) -> Flask:
    """The web on ``desk``'s database and clock, with an admin (``admin``) and a petugas (``siti``)."""
    with desk.sessions.begin() as session:
        for username, role, counter in (("admin", "admin", None), ("siti", "receptionist", 1)):
            session.add(
                User(
                    username=username,
                    name=username.title(),
                    role=role,
                    password_hash=hash_password(PASSWORD),
                    counter_number=counter,
                )
            )
    services = WebServices(
        sessions=desk.sessions,
        dispatcher=desk.dispatcher,
        data_dir=folder / "data",
        tz=JAKARTA,
        site_name="Puskesmas Uji",
        clock=desk.clock,
    )
    return create_app(services, {"TESTING": True})
