"""Logging set up once per process, at start-up."""

from __future__ import annotations

import logging

# Libraries whose INFO lines tell a technician nothing (alembic's plugin set-up: 7 lines per command).
QUIET_LOGGERS = ("amqtt", "transitions", "waitress", "urllib3", "alembic.runtime.plugins")


class _AlembicChatter(logging.Filter):
    """Keeps alembic's "Running upgrade ..." lines and drops its per-connection preamble."""

    PREAMBLE = ("Context impl ", "Will assume ")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.INFO and record.getMessage().startswith(self.PREAMBLE))


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    migration = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _AlembicChatter) for f in migration.filters):
        migration.addFilter(_AlembicChatter())
