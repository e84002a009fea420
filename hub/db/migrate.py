"""Alembic migrations run from code (``antrean db upgrade`` and every hub start)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema to ``revision``. Safe to run concurrently with itself on PostgreSQL
    (an advisory lock serializes it) and idempotent."""
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, where SQLite honours it (hub/db/base.py: no implicit BEGIN)
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7402135)")
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:  # rolled back with the migration: nothing half-done is left
                        raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                _pragma(connection, "PRAGMA foreign_keys=ON")
    logger.info("database schema at %s", revision)


def _pragma(connection: Connection, statement: str) -> None:
    """SQLite's table rebuild (Alembic's batch mode: copy, drop, rename) drops tables that other tables
    point at, which fails with foreign keys on; SQLite's own procedure turns them off for the change and
    checks them after (https://www.sqlite.org/lang_altertable.html#otheralter)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
