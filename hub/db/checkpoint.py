"""SQLite WAL checkpoints in a background thread instead of inside a committing transaction.

SQLite's automatic checkpoint runs in whichever transaction happens to commit when the WAL passes 1,000
pages, and it syncs the database file to disk there: a few milliseconds added to one CALL in a hundred.
The hub turns the automatic checkpoint off on its own connections and runs a passive checkpoint (it never
blocks a reader or a writer) from this thread every ``interval_s``. A process without a checkpointer
(``antrean db upgrade``, ``antrean user add``) keeps SQLite's automatic one, and SQLite checkpoints when the
last connection closes, so the WAL stays bounded either way.

Usage (needs a running hub; not run as a doctest)::

    checkpointer = WalCheckpointer(engine)
    checkpointer.start()
    checkpointer.stop()
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, interval_s: float = 1.0) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError(f"WAL checkpoints are for SQLite, not {engine.dialect.name}")
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    @staticmethod
    def _no_auto_checkpoint(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    def start(self) -> None:
        event.listen(self.engine, "connect", self._no_auto_checkpoint)
        self.engine.dispose()  # connections opened before this one keep the automatic checkpoint
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        event.remove(self.engine, "connect", self._no_auto_checkpoint)
        self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint: (busy, frames in the WAL, frames checkpointed), as SQLite reports it."""
        connection = self.engine.raw_connection()  # outside a transaction: no BEGIN IMMEDIATE, no lock held
        try:
            cursor = connection.cursor()
            row = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            cursor.close()
        finally:
            connection.close()
        return int(row[0]), int(row[1]), int(row[2])

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint()
            except Exception:
                logger.exception("WAL checkpoint failed; retrying in %.1f s", self.interval_s)
