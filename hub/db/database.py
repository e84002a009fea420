"""Opening the hub database: engine, migrations, seed data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from hub.config import HubConfig
from hub.db.base import make_engine, make_session_factory
from hub.db.migrate import upgrade
from hub.db.seed import seed


def open_database(config: HubConfig, *, migrate: bool = True) -> tuple[Engine, sessionmaker[Any]]:
    url = config.database_url
    if url.startswith("sqlite"):
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        seed(session, config.queue)
    return engine, sessions
