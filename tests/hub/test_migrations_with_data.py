"""A site's upgrade: the migrations of this release run on a database holding the previous release's data
(SQLite rebuilds a table that others point at: foreign keys are off for the change and checked after)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text

from benchmarks.history import build_history
from hub.db.base import make_engine
from hub.db.migrate import upgrade
from hub.db.models import Polyclinic, Queue, Registration, TicketEvent

PREVIOUS_RELEASE = "0300"  # the schema of stop 18 (wave 2's hardening)


def test_upgrade_keeps_every_row_of_a_populated_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, PREVIOUS_RELEASE)
        with engine.begin() as connection:
            for n, (code, name, prefix) in enumerate(
                [
                    ("A", "Poli Umum", "A"),
                    ("B", "Poli Gigi", "B"),
                    ("C", "Poli Lansia", "C"),
                    ("D", "Poli KIA/KB", "D"),
                    ("E", "Poli Imunisasi", "E"),
                ],
                start=1,
            ):
                connection.execute(
                    text(
                        "INSERT INTO polyclinics (id, code, name, queue_prefix, quota_per_day, "
                        "is_24_hours, is_active, sort_order, created_at) "
                        "VALUES (:id, :code, :name, :prefix, 100, false, true, :id, CURRENT_TIMESTAMP)"
                    ),
                    {"id": n, "code": code, "name": name, "prefix": prefix},
                )
        build_history(database_url, 4, date(2026, 11, 30), patients=300)
        with engine.connect() as connection:
            before = [
                connection.scalar(select(func.count()).select_from(m))
                for m in (Queue, TicketEvent, Registration)
            ]
        assert (before[0] or 0) > 0
        upgrade(engine)  # to this release's heads
        with engine.connect() as connection:
            after = [
                connection.scalar(select(func.count()).select_from(m))
                for m in (Queue, TicketEvent, Registration)
            ]
            healthy = connection.scalars(
                select(Polyclinic.name).where(Polyclinic.kunj_sakit.is_(False))
            ).all()
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert after == before
        assert sorted(healthy) == ["Poli Imunisasi", "Poli KIA/KB"]
    finally:
        engine.dispose()
