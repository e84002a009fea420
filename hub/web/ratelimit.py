"""At most ``limit`` actions per key within a sliding ``window_s`` (bookings per client address, per phone).

>>> now = [0.0]
>>> limit = RateLimit(2, 60.0, clock=lambda: now[0])
>>> [limit.allow("10.0.0.9") for _ in range(3)], limit.allow("10.0.0.8")
([True, True, False], True)
>>> now[0] = 61.0
>>> limit.allow("10.0.0.9")
True
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimit:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        self.limit, self.window_s, self.clock, self.max_keys = limit, window_s, clock, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count an action for ``key`` if it is within the limit; False (nothing counted) otherwise."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key) or deque()
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            self._hits[key] = hits
            self._hits.move_to_end(key)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            return True
