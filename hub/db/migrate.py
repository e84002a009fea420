"""Alembic migrations run from code (``antrean db upgrade`` and every hub start)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

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
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7402135)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    logger.info("database schema at %s", revision)
