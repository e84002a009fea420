"""Migrated test databases, fast: alembic takes about 0.1 s a run, a third of a web test's time, so a
SQLite file not created yet becomes a copy of a database migrated once per test run (PostgreSQL is
migrated as is)."""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from contextlib import closing
from functools import cache
from pathlib import Path

from sqlalchemy import Engine

from hub.db.base import make_engine
from hub.db.migrate import upgrade as migrate


def upgrade(engine: Engine) -> None:
    """What :func:`hub.db.migrate.upgrade` makes of ``engine``'s database."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or Path(path).exists():
        migrate(engine)
        return
    with closing(sqlite3.connect(_migrated())) as source, closing(sqlite3.connect(path)) as target:
        source.backup(target)


@cache
def _migrated() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="antrean-test-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path
