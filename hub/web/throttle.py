"""Login throttling without lockout: failed logins slow down one (account, client) pair, never the account.

A client is a browser that logged in to the account before (its trusted-device cookie) or else a network
address. After a few failures from one client for one account, each further try from that client must wait
longer (1, 2, 4 ... s, capped); a try that comes too early is refused without looking at the password. The
same account stays open to every other client, so an outsider hammering ``admin`` slows only himself. One
client's failures over all accounts are capped as well (a password sprayer). Memory is bounded.

>>> now = [0.0]
>>> throttle = LoginThrottle(ThrottleRules(free_failures=2), clock=lambda: now[0])
>>> [throttle.failed("admin", "addr:10.0.0.9") for _ in range(3)]
[1, 2, 3]
>>> throttle.wait_s("admin", "addr:10.0.0.9"), throttle.wait_s("admin", "device:loket-pc")
(2.0, 0.0)
>>> now[0] += 2.0
>>> throttle.wait_s("admin", "addr:10.0.0.9")
0.0
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleRules:
    """How failed logins are slowed down."""

    free_failures: int = 3  # failures of one (account, client) answered without delay
    base_delay_s: float = 1.0  # wait after the first failure beyond those; doubled by each further one
    max_delay_s: float = 60.0
    forget_after_s: float = 3600.0  # a pair quiet this long starts afresh
    client_limit: int = 30  # failures of one client over all accounts ...
    client_window_s: float = 900.0  # ... within this window; beyond it the client waits for the window
    max_entries: int = 10_000  # pairs and clients remembered; the stalest are dropped first


def delay_after(failures: int, rules: ThrottleRules) -> float:
    """Seconds one client must wait after its ``failures``-th failure for an account before trying again.

    >>> [delay_after(n, ThrottleRules()) for n in range(1, 7)]
    [0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
    >>> delay_after(100, ThrottleRules())
    60.0
    """
    beyond = failures - rules.free_failures
    if beyond < 0:
        return 0.0
    return min(rules.base_delay_s * 2.0 ** min(beyond, 32), rules.max_delay_s)


def account_key(username: str) -> str:
    """One key per account however it is typed (usernames are compared exactly, but ``Admin`` must not open
    a fresh series of tries for ``admin``)."""
    return username.strip().casefold()[:50]


@dataclass
class _Pair:
    failures: int
    last: float


class LoginThrottle:
    """Failed logins per (account, client) and per client, in memory (the web runs in one process).

    ``clock`` is monotonic seconds; tests set it. Thread-safe."""

    def __init__(
        self, rules: ThrottleRules | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rules = rules or ThrottleRules()
        self.clock = clock
        self._pairs: OrderedDict[tuple[str, str], _Pair] = OrderedDict()
        self._clients: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, account: str, client: str) -> float:
        """Seconds ``client`` must still wait before trying ``account``; 0 when it may try now."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            pair = self._pair(account, client, now)
            if pair is not None:
                wait = delay_after(pair.failures, self.rules) - (now - pair.last)
            recent = self._recent(client, now)
            if recent is not None and len(recent) >= self.rules.client_limit:
                wait = max(wait, self.rules.client_window_s - (now - recent[0]))
            return max(wait, 0.0)

    def failed(self, account: str, client: str) -> int:
        """Count a failure; returns how many this pair has now."""
        now = self.clock()
        with self._lock:
            pair = self._pair(account, client, now) or _Pair(0, now)
            pair.failures, pair.last = pair.failures + 1, now
            self._pairs[(account, client)] = pair
            self._pairs.move_to_end((account, client))
            recent = self._recent(client, now) or deque()
            recent.append(now)
            self._clients[client] = recent
            self._clients.move_to_end(client)
            self._bound()
            return pair.failures

    def succeeded(self, account: str, client: str) -> None:
        with self._lock:
            self._pairs.pop((account, client), None)

    def forget_account(self, account: str) -> None:
        """An admin lifts the slow-down for every client of ``account``."""
        with self._lock:
            for key in [key for key in self._pairs if key[0] == account]:
                del self._pairs[key]

    def failures_for(self, account: str) -> int:
        """Recent failures for ``account`` over all clients (what the admin sees)."""
        now = self.clock()
        with self._lock:
            return sum(
                pair.failures
                for (name, _client), pair in self._pairs.items()
                if name == account and now - pair.last <= self.rules.forget_after_s
            )

    def _pair(self, account: str, client: str, now: float) -> _Pair | None:
        pair = self._pairs.get((account, client))
        if pair is not None and now - pair.last > self.rules.forget_after_s:
            del self._pairs[(account, client)]
            return None
        return pair

    def _recent(self, client: str, now: float) -> deque[float] | None:
        recent = self._clients.get(client)
        if recent is None:
            return None
        while recent and now - recent[0] > self.rules.client_window_s:
            recent.popleft()
        if not recent:
            del self._clients[client]
            return None
        return recent

    def _bound(self) -> None:
        for table in (self._pairs, self._clients):
            while len(table) > self.rules.max_entries:
                table.popitem(last=False)
