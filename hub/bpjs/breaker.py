"""A circuit breaker, so a dead BPJS costs the loket seconds, not minutes.

After ``failure_threshold`` consecutive failures the circuit opens: calls fail at once for
``reset_after_s``; then one trial call is let through (half-open) and its outcome closes or reopens it.

>>> now = [0.0]
>>> breaker = CircuitBreaker(failure_threshold=2, reset_after_s=10, clock=lambda: now[0])
>>> breaker.record_failure(); breaker.record_failure(); breaker.allow()
False
>>> now[0] = 11; breaker.allow(), breaker.allow()
(True, False)
>>> breaker.record_success(); breaker.state
'closed'
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        """``closed`` (calls pass), ``open`` (calls refused) or ``half_open`` (one trial allowed)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_after_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one caller gets ``True`` until it reports."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.info("BPJS circuit closed")
            self._failures = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self.failure_threshold:
                if self._opened_at is None:
                    logger.warning("BPJS circuit open after %d failures", self._failures)
                self._opened_at = self._clock()
