"""Opening the hub database: private data_dir, identity check, engine, migrations, seed data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from hub.config import HubConfig
from hub.db import identity
from hub.db.base import make_engine, make_session_factory
from hub.db.datadir import prepare_data_dir
from hub.db.migrate import upgrade
from hub.db.seed import seed


def open_database(config: HubConfig) -> tuple[Engine, sessionmaker[Any]]:
    """Engine and sessions of the hub's database, migrated and seeded. Refuses (:class:`IdentityError`)
    a database that is not the one recorded in data_dir (see :mod:`hub.db.identity`); a brand-new install
    gets its identity here, whichever command opens the database first."""
    prepare_data_dir(config.data_path)
    recorded = identity.check_file(config)
    engine = make_engine(config.database_url)
    try:
        fresh = not identity.has_tables(engine)
        if fresh:
            identity.refuse_empty(config, recorded)
        upgrade(engine)
        sessions = make_session_factory(engine)
        identity.establish(config, sessions, recorded, fresh=fresh)
        with sessions.begin() as session:
            seed(session, config.queue)
    except BaseException:
        engine.dispose()
        raise
    return engine, sessions
