"""Hub configs on a test database, a second empty database to restore into, and a filled-in database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, select

from hub.config import HubConfig
from hub.db.database import open_database
from hub.db.models import Patient, Queue, User
from tests.hub.dispatch_support import Desk


def hub_config(data_dir: Path, database_url: str, site: str = "pkm", **extra: object) -> HubConfig:
    return HubConfig.model_validate(
        {"site": site, "data_dir": str(data_dir), "database": {"url": database_url}, **extra}
    )


@contextmanager
def other_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database beside the test's own: a new SQLite file, or a new PostgreSQL database with an empty
    schema of the test's search_path (so a restored schema is found under the same name)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'other-{uuid.uuid4().hex[:6]}.db'}"
        return
    name = f"r_{uuid.uuid4().hex[:12]}"
    admin = create_engine(os.environ["ANTREAN_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = make_url(database_url).set(database=name)
    schema = str(url.query["options"]).split("search_path=")[1]
    created = create_engine(url)
    with created.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    created.dispose()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def fill(config: HubConfig, tickets: int = 3, *, people: bool = True) -> None:
    """Tickets (through the dispatcher) and, with ``people``, two patients and two users in the hub database
    of ``config``."""
    engine, sessions = open_database(config)
    with sessions.begin() as session:
        for n in (1, 2) if people else ():
            session.add(User(username=f"loket{n}", name=f"Loket {n}", role="receptionist", password_hash="x"))
            session.add(Patient(medical_record=f"RM-{n:04d}", nik=f"350901010190000{n}", name=f"Pasien {n}"))
    engine.dispose()
    desk = Desk(config.database_url)
    for n in range(tickets):
        desk.ticket(poly="A" if n % 2 == 0 else "B", request_id=f"fill-{uuid.uuid4().hex[:8]}")
    desk.close()


def snapshot(config: HubConfig) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]], list[str]]:
    """Every ticket (number, status), patient (record, NIK) and user name of the database."""
    engine, sessions = open_database(config)
    with sessions.begin() as session:
        tickets = [(q.queue_number, q.status) for q in session.scalars(select(Queue).order_by(Queue.id))]
        patients = [(p.medical_record, p.nik) for p in session.scalars(select(Patient).order_by(Patient.id))]
        users = list(session.scalars(select(User.username).order_by(User.id)))
    engine.dispose()
    return tickets, patients, users
