"""Wakes live pages: a version number that grows on every change, and server-sent event streams on it.

A stream holds a worker thread, so streams are short (``STREAM_S``), the browser reconnects on its own,
and beyond ``max_streams`` concurrent ones a stream answers once and asks the browser to come back later."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

logger = logging.getLogger(__name__)

STREAM_S = 25.0
KEEPALIVE_S = 5.0


class Notifier:
    """A change counter that live pages wait on.

    >>> notifier = Notifier()
    >>> notifier.notify()
    >>> notifier.wait(0, timeout=1.0)
    1
    """

    def __init__(self, max_streams: int = 6) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._streams = 0
        self._closed = False
        self.max_streams = max_streams

    @property
    def version(self) -> int:
        with self._cond:
            return self._version

    def notify(self) -> None:
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def close(self) -> None:
        """End every open stream (server shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version passes ``seen`` or ``timeout`` passes; returns the version."""
        with self._cond:
            self._cond.wait_for(lambda: self._version != seen or self._closed, timeout)
            return self._version

    def stream(self, duration: float = STREAM_S) -> Iterator[str]:
        """Server-sent events: ``change`` with the version at once and on every change, for ``duration``."""
        with self._cond:
            admitted = self._streams < self.max_streams
            if admitted:
                self._streams += 1
        version = self.version
        if not admitted:
            yield f"retry: 5000\nevent: change\ndata: {version}\n\n"
            return
        try:
            yield f"retry: 2000\nevent: change\ndata: {version}\n\n"
            deadline = time.monotonic() + duration
            while (left := deadline - time.monotonic()) > 0 and not self._closed:
                new = self.wait(version, min(KEEPALIVE_S, left))
                if new != version:
                    version = new
                    yield f"event: change\ndata: {version}\n\n"
                else:
                    yield ": keepalive\n\n"
        finally:
            with self._cond:
                self._streams -= 1
