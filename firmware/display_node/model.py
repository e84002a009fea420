"""What the screen knows, fed by MQTT messages (any thread) and read by the render loop.

:class:`ScreenModel` keeps the latest retained ``display/state`` and ``services``, the hub's and the
broker's availability, and which loket cards are highlighted after a call. :meth:`ScreenModel.view`
returns an immutable :class:`ScreenView` for one frame.

>>> m = ScreenModel(highlight_seconds=5)
>>> m.view(now=0).online, m.view(now=0).message
(False, 'Jaringan terputus — menyambung kembali…')
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from firmware.display_node import texts
from protocol.payloads import DisplayState, NodeStatus, Services


@dataclass(frozen=True)
class ScreenView:
    """One frame's worth of facts; everything the layout and the drawing need besides time."""

    state: DisplayState | None
    site_name: str
    motto: str
    online: bool
    message: str  # offline or waiting text; "" when all is well
    highlighted: frozenset[int]  # counters whose newest call is highlighted now
    latest_call: tuple[str, str] | None = None  # (ticket number, loket name) of the newest call seen


class ScreenModel:
    """Thread-safe store of the latest messages; ``version`` changes whenever the screen should."""

    def __init__(self, highlight_seconds: float = 8.0) -> None:
        self.highlight_seconds = highlight_seconds
        self._lock = threading.Lock()
        self._state: DisplayState | None = None
        self._services: Services | None = None
        self._hub_online: bool | None = None
        self._broker_online = False
        self._highlight_until: dict[int, float] = {}
        self._latest_call: tuple[str, str] | None = None
        self.version = 0

    def set_state(self, state: DisplayState, now: float) -> None:
        """A new ``display/state``: lokets whose ticket changed to a new one are highlighted."""
        with self._lock:
            previous = self._state
            if previous is not None:
                before = {c.counter: c.ticket.number if c.ticket else None for c in previous.counters}
                for counter in state.counters:
                    number = counter.ticket.number if counter.ticket else None
                    if number is not None and before.get(counter.counter) != number:
                        self._highlight_until[counter.counter] = now + self.highlight_seconds
                        self._latest_call = (number, counter.name)
            self._state = state
            self.version += 1

    def set_services(self, services: Services) -> None:
        with self._lock:
            self._services = services
            self.version += 1

    def set_hub_status(self, status: NodeStatus) -> None:
        with self._lock:
            self._hub_online = status.state == "online"
            self.version += 1

    def set_broker(self, connected: bool) -> None:
        with self._lock:
            self._broker_online = connected
            self.version += 1

    def highlight(self, counter: int, now: float) -> None:
        """A call was announced at ``counter`` (also recalls): highlight its card."""
        with self._lock:
            self._highlight_until[counter] = now + self.highlight_seconds
            for shown in self._state.counters if self._state is not None else ():
                if shown.counter == counter and shown.ticket is not None:
                    self._latest_call = (shown.ticket.number, shown.name)
            self.version += 1

    def view(self, now: float) -> ScreenView:
        with self._lock:
            lit = frozenset(c for c, until in self._highlight_until.items() if until > now)
            if not self._broker_online:
                message = texts.OFFLINE_BROKER
            elif self._hub_online is False:
                message = texts.OFFLINE_HUB
            elif self._state is None:
                message = texts.WAITING_DATA
            else:
                message = ""
            services = self._services
            return ScreenView(
                state=self._state,
                site_name=services.site_name if services else texts.DEFAULT_SITE,
                motto=services.motto if services else texts.DEFAULT_MOTTO,
                online=self._broker_online and self._hub_online is not False,
                message=message,
                highlighted=lit,
                latest_call=self._latest_call,
            )
