"""Noticing that the SQLite file was deleted or replaced under the running hub.

SQLite keeps writing into the open (now nameless) file and the next connection silently creates an empty
one, so the hub would go on taking tickets into nowhere. :class:`DatabaseWatch` compares the file's device
and inode with those seen at start every few seconds; on a change it calls ``on_lost`` once (the hub then
stops with a non-zero exit code, systemd restarts it, and the start-up identity check refuses the
missing or foreign database with a message saying what to do).

Usage (needs a running hub; not run as a doctest)::

    DatabaseWatch(Path("/var/lib/antrean/antrean.db"), on_lost=hub.fail).start()
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)
WATCH_INTERVAL_S = 5.0


class DatabaseWatch:
    def __init__(
        self, path: Path, on_lost: Callable[[str], None], interval_s: float = WATCH_INTERVAL_S
    ) -> None:
        self.path = path
        self.on_lost = on_lost
        self.interval_s = interval_s
        self._file = self._identity()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="database-watch", daemon=True)

    def _identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def problem(self) -> str | None:
        """What happened to the database file since start, or None while it is the same file."""
        now = self._identity()
        if now == self._file:
            return None
        if now is None:
            return f"the database file {self.path} was deleted while the hub was running"
        return f"the database file {self.path} was replaced by another file while the hub was running"

    def start(self) -> DatabaseWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            problem = self.problem()
            if problem is not None:
                logger.error("%s; stopping so that the start-up check can refuse it", problem)
                self.on_lost(problem)
                return
