"""``antrean db init``: start a new, empty database with a new site identity, on purpose.

The one way past the start-up refusal when a database is gone for good (see :mod:`hub.db.identity`).
A database that holds tickets, patients, users or registrations is replaced only with ``force``, and is
backed up first (``antrean backup``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text

from hub.config import HubConfig
from hub.db import identity
from hub.db.base import make_engine
from hub.db.database import open_database
from hub.db.datadir import prepare_data_dir
from hub.db.identity import Identity, describe, sqlite_path

logger = logging.getLogger(__name__)


class DatabaseHoldsData(RuntimeError):
    """``db init`` without ``force`` on a database with data."""


@dataclass(frozen=True)
class Initialised:
    identity: Identity
    backup: Path | None


def init_database(config: HubConfig, *, force: bool = False) -> Initialised:
    from hub.backup import create_backup, data_held, describe_held  # hub.backup imports this package

    prepare_data_dir(config.data_path)
    held = data_held(config)
    if held and not force:
        raise DatabaseHoldsData(
            f"the database {describe(config.database_url)} holds data ({describe_held(held)}); "
            "add --force to replace it (it is backed up first)"
        )
    backup = create_backup(config, rotate=False).path if held else None
    _wipe(config.database_url)
    identity.identity_path(config).unlink(missing_ok=True)
    engine, _ = open_database(config)
    engine.dispose()
    found = identity.read_file(config)
    assert found is not None
    logger.warning(
        "initialised a new database %s: site %s, database id %s%s",
        describe(config.database_url),
        found.site,
        found.database_id,
        f" (the old one is in {backup})" if backup else "",
    )
    return Initialised(found, backup)


def _wipe(url: str) -> None:
    """Remove the database's tables: the SQLite file (with its -wal/-shm), or every table of the schema."""
    database = sqlite_path(url)
    if database is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        with engine.begin() as connection:
            for table in tables:
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    finally:
        engine.dispose()
