"""A background worker of the hub: one daemon thread that does its work now, then again whenever woken or
after ``interval_s``, until stopped. A failure is logged and the next round tries again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Worker:
    def __init__(self, name: str, work: Callable[[], object], interval_s: float) -> None:
        self.name = name
        self.work = work
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.work()
            except Exception:
                logger.exception("%s failed", self.name)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
