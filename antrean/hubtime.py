"""The hub's clock as nodes see it: ``hub/status`` carries ``hub_time`` and is republished every few seconds,
so a node compares each fresh one with its own clock (its offset, node minus hub, within the network's delay).

The first ``hub/status`` after subscribing is the broker's stored copy, of unknown age: it is skipped, and so
is anything not newer than what was already seen (a copy sent again after a reconnect).

>>> from datetime import timedelta
>>> start = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
>>> hub_clock = HubClock(lambda: start + timedelta(seconds=9))
>>> def status(at):
...     return NodeStatus(node="hub", role="hub", state="online", version="1", hub_time=at).encode()
>>> hub_clock.on_status(status(start), retained=True) is None  # the stored copy
True
>>> hub_clock.on_status(status(start + timedelta(seconds=2)), retained=True)
7.0
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from protocol.errors import ProtocolError
from protocol.payloads import NodeStatus

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HubClock:
    """Fresh ``hub/status`` messages: the hub's clock against ours when each arrived."""

    clock: Clock = utc_now
    offsets: list[float] = field(default_factory=list)
    latest: datetime | None = None
    hub_state: str | None = None
    seen: threading.Event = field(default_factory=threading.Event)

    def on_status(self, payload: bytes, retained: bool = True) -> float | None:
        """Take one ``hub/status``; the offset it gave (node minus hub, seconds), or None if it gave none.
        ``retained``: the message may be the stored copy (the flag, where the broker keeps it honestly)."""
        try:
            status = NodeStatus.decode(payload, tolerant=True)
        except ProtocolError:
            return None
        self.hub_state = status.state
        at = status.hub_time
        if at is None:
            return None
        first = self.latest is None
        if self.latest is not None and at <= self.latest:
            return None
        self.latest = at
        if first and retained:
            return None
        offset = (self.clock() - at).total_seconds()
        self.offsets.append(offset)
        self.seen.set()
        return offset

    def reset(self) -> None:
        """After a reconnect: the next message is a stored copy again."""
        self.latest = None


def wait_for_hub_time(hub_clock: HubClock, timeout: float) -> float | None:
    """Wait up to ``timeout`` s for a fresh hub time; the smallest offset seen (the least delayed)."""
    hub_clock.seen.wait(timeout)
    return min(hub_clock.offsets, key=abs) if hub_clock.offsets else None
