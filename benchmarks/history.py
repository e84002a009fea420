"""A realistic history in a fresh database, for ``antrean bench scale``: per past service day about 300
tickets over the opening hours with the seed's poly mix and a priority share, their events (issued, called,
registered, done; some skipped, some cancelled, some left waiting), the request-id log, registrations of
patients from a register of ~100,000, BPJS outbox and log rows for the BPJS visits, and audit rows.

Rows are bulk-inserted (executemany in chunks), ids assigned here so child rows can point at them: a
year takes well under a minute on SQLite. Nothing here goes through the dispatcher: the point is the
size of what the hub reads every day, not the path that wrote it."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import Connection

from benchmarks.web import seed_patients
from hub.db.base import Base
from hub.db.models import (
    AuditLog,
    BpjsLog,
    BpjsOutbox,
    Polyclinic,
    Queue,
    QueueCounter,
    Registration,
    RequestLog,
    TicketEvent,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
OPEN, CLOSE = time_of_day(7, 30), time_of_day(14, 0)
TICKETS_PER_DAY = 300
PATIENTS_PER_YEAR = 100_000
PRIORITY_SHARE = 0.2
BPJS_SHARE = 0.7
POLY_MIX = {"A": 0.45, "B": 0.15, "C": 0.15, "D": 0.1, "E": 0.15}  # the seed's polys, Poli Umum busiest
CHUNK = 5_000


@dataclass
class History:
    """How many rows of each kind were written, and how long it took."""

    days: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def tickets(self) -> int:
        return self.rows.get("queues", 0)


@dataclass
class _Day:
    queues: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    bpjs_logs: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    counters: list[dict[str, Any]] = field(default_factory=list)


class _Ids:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self.next.get(table, 0) + 1
        self.next[table] = value
        return value


def build_history(
    database_url: str, days: int, today: date, *, seed: int = 2026, patients: int | None = None
) -> History:
    """Write ``days`` service days before ``today`` (and the patient register: ``patients``, by default
    100,000 a year) into a migrated, seeded, otherwise empty database."""
    started = time.perf_counter()
    rng = random.Random(seed)
    history = History(days)
    patients = patients or max(1_000, round(PATIENTS_PER_YEAR * days / 365))
    _seed_s, _niks = seed_patients(database_url, patients, rng)
    history.rows["patients"] = patients
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            polys = {
                code: (poly_id, prefix)
                for code, poly_id, prefix in connection.execute(
                    select(Polyclinic.code, Polyclinic.id, Polyclinic.queue_prefix)
                )
            }
        ids = _Ids()
        for offset in range(days, 0, -1):
            day = _one_day(today - timedelta(days=offset), polys, patients, ids, rng)
            with engine.begin() as connection:
                for table, rows in _tables(day):
                    _insert(connection, table, rows)
                    name = table.__tablename__
                    history.rows[name] = history.rows.get(name, 0) + len(rows)
    finally:
        engine.dispose()
    history.seconds = time.perf_counter() - started
    return history


def _tables(day: _Day) -> Iterator[tuple[type[Base], list[dict[str, Any]]]]:
    yield Queue, day.queues
    yield TicketEvent, day.events
    yield RequestLog, day.requests
    yield Registration, day.registrations
    yield BpjsOutbox, day.outbox
    yield BpjsLog, day.bpjs_logs
    yield AuditLog, day.audit
    yield QueueCounter, day.counters


def _insert(connection: Connection, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), list(rows[start : start + CHUNK]))


def _at(day: date, minutes: float) -> datetime:
    local = datetime.combine(day, OPEN, tzinfo=JAKARTA) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _one_day(
    day: date, polys: dict[str, tuple[int, str]], patients: int, ids: _Ids, rng: random.Random
) -> _Day:
    out = _Day()
    if day.weekday() == 6:  # closed on Sunday
        return out
    span = (datetime.combine(day, CLOSE) - datetime.combine(day, OPEN)).total_seconds() / 60
    count = max(50, round(rng.gauss(TICKETS_PER_DAY, 30)))
    arrivals = sorted(rng.uniform(0, span) for _ in range(count))
    seqs: dict[str, int] = {}
    loket_free = [0.0, 0.0]
    codes, weights = list(POLY_MIX), list(POLY_MIX.values())
    for minute in arrivals:
        code = rng.choices(codes, weights)[0]
        poly_id, poly_prefix = polys[code]
        priority = rng.random() < PRIORITY_SHARE
        prefix = "P" if priority else poly_prefix
        seqs[prefix] = seqs.get(prefix, 0) + 1
        queue_id = ids.take("queues")
        payment = "bpjs" if rng.random() < BPJS_SHARE else "umum"
        issued = _at(day, minute)
        loket = min(range(len(loket_free)), key=lambda n: loket_free[n])
        call_minute = max(minute + rng.uniform(0.5, 3), loket_free[loket])
        service = rng.expovariate(1 / 4.0)
        loket_free[loket] = call_minute + service
        fate = rng.random()
        # the rest: skipped and never back, cancelled, or still waiting at closing; the next morning's reset
        # closed what was unfinished (cancelled, reason "expired") as the hub does
        fate_name = (
            "done" if fate < 0.88 else "skipped" if fate < 0.95 else "cancelled" if fate < 0.98 else "left"
        )
        status = "done" if fate_name == "done" else "cancelled"
        called = _at(day, call_minute) if fate_name in ("done", "skipped") else None
        served = _at(day, call_minute + service) if status == "done" else None
        ticket = {
            "id": queue_id,
            "queue_number": f"{prefix}-{seqs[prefix]:03d}",
            "queue_prefix": prefix,
            "queue_seq": seqs[prefix],
            "queue_category": "prioritas" if priority else "umum",
            "priority_reason": rng.choice(["lansia", "ibu_hamil", "disabilitas", "balita"])
            if priority
            else None,
            "poly_id": poly_id,
            "queue_date": day,
            "source": "kiosk",
            "status": status,
            "status_reason": "expired" if fate_name in ("skipped", "left") else None,
            "payment_type": payment,
            "counter_number": loket + 1 if called else None,
            "queued_at": issued,
            "called_at": called,
            "served_at": called if status == "done" else None,
            "service_ended_at": served,
            "completed_at": served,
            "status_token": secrets.token_urlsafe(32),
            "node_id": "kiosk-1",
            "request_id": f"k-{queue_id}",
            "created_at": issued,
        }
        out.queues.append(ticket)
        out.requests.append(
            {
                "service_date": day,
                "scope": "kiosk:kiosk-1:ticket",
                "request_id": f"k-{queue_id}",
                "queue_id": queue_id,
                "reply": {
                    "v": 1,
                    "request_id": f"k-{queue_id}",
                    "ok": True,
                    "number": ticket["queue_number"],
                },
                "created_at": issued,
            }
        )
        _events(out, ticket, fate_name, loket + 1)
        if status == "done":
            _registration(out, ticket, day, patients, ids, rng)
    out.counters = [{"queue_date": day, "prefix": p, "last_seq": n} for p, n in seqs.items()]
    return out


def _events(out: _Day, ticket: dict[str, Any], fate: str, loket: int) -> None:
    steps: list[tuple[str | None, str, datetime]] = [(None, "waiting", ticket["queued_at"])]
    if ticket["called_at"] is not None:
        steps.append(("waiting", "called", ticket["called_at"]))
        out.requests.append(
            {
                "service_date": ticket["queue_date"],
                "scope": f"counter:{loket}",
                "request_id": f"c-{ticket['id']}",
                "queue_id": ticket["id"],
                "reply": {"v": 1, "request_id": f"c-{ticket['id']}", "ok": True},
                "created_at": ticket["called_at"],
            }
        )
    next_morning = datetime.combine(ticket["queue_date"] + timedelta(days=1), time_of_day(6), tzinfo=JAKARTA)
    if fate == "skipped":
        steps.append(("called", "skipped", ticket["called_at"] + timedelta(minutes=1)))
        steps.append(("skipped", "cancelled", next_morning.astimezone(UTC)))
    elif fate == "left":
        steps.append(("waiting", "cancelled", next_morning.astimezone(UTC)))
    elif fate == "cancelled":
        steps.append(("waiting", "cancelled", ticket["queued_at"] + timedelta(minutes=20)))
    elif fate == "done":
        steps += [
            ("called", "registered", ticket["served_at"]),
            ("registered", "done", ticket["completed_at"]),
        ]
    for before, after, at in steps:
        out.events.append(
            {
                "queue_id": ticket["id"],
                "from_status": before,
                "to_status": after,
                "counter_number": ticket["counter_number"],
                "reason": "expired" if at.astimezone(JAKARTA).time() == time_of_day(6) else None,
                "actor": "kiosk:kiosk-1" if after == "waiting" else "button",
                "at": at,
            }
        )


def _registration(
    out: _Day, ticket: dict[str, Any], day: date, patients: int, ids: _Ids, rng: random.Random
) -> None:
    registration_id = ids.take("registrations")
    at: datetime = ticket["completed_at"]
    patient_id = rng.randrange(1, patients + 1)
    bpjs = ticket["payment_type"] == "bpjs"
    out.registrations.append(
        {
            "id": registration_id,
            "registration_number": f"REG-{day:%Y%m%d}-{registration_id:06d}",
            "queue_id": ticket["id"],
            "patient_id": patient_id,
            "registration_date": day,
            "registration_time": at.astimezone(JAKARTA).time().replace(microsecond=0),
            "patient_type": "lama" if rng.random() < 0.8 else "baru",
            "payment_type": ticket["payment_type"],
            "bpjs_verified": bpjs,
            "bpjs_status": "aktif" if bpjs else None,
            "bpjs_bridged": bpjs,
            "bpjs_visit_id": f"{registration_id:010d}" if bpjs else None,
            "bpjs_bridge_time": at if bpjs else None,
            "rm_status": "delivered",
            "rm_delivered_at": at,
            "info_consent_completed": True,
            "poly_id": ticket["poly_id"],
            "status": "completed",
            "completed_at": at,
            "created_at": at,
            "updated_at": at,
        }
    )
    out.audit.append(
        {
            "username": "loket1",
            "action": "registration_create",
            "table_name": "registrations",
            "record_id": registration_id,
            "new_values": {"queue": ticket["queue_number"], "patient": patient_id},
            "ip_address": "10.0.0.21",
            "created_at": at,
        }
    )
    if not bpjs:
        return
    out.outbox.append(
        {
            "registration_id": registration_id,
            "kind": "pendaftaran",
            "payload": {"noKartu": f"{patient_id:013d}", "kdPoli": "001", "kunjSakit": True},
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": at,
            "result": {"noUrut": "A1"},
            "created_at": at,
            "updated_at": at,
        }
    )
    for action in ("peserta", "pendaftaran"):
        out.bpjs_logs.append(
            {
                "patient_id": patient_id,
                "registration_id": registration_id,
                "action_type": action,
                "api_endpoint": f"/{action}",
                "http_method": "GET" if action == "peserta" else "POST",
                "status_code": 200,
                "duration_ms": rng.randrange(80, 900),
                "is_success": True,
                "created_at": at,
            }
        )
