"""Publishes the retained state (services, counter/{n}/state, display/state) and announcements.

Changes are marked dirty and published by one thread: when idle it publishes at once; under a burst,
several changes coalesce into one snapshot, so state is always whole and the hub never falls behind.
A call (a change with an announcement) goes out at once; other changes (tickets issued, status changes) at
most every ``BURST_GAP_S``, which nobody watching a screen can see and which keeps a morning rush of
tickets from spending the hub's time on snapshots. Announcements go out after the state they belong to."""

from __future__ import annotations

import logging
import threading
import time

from hub.dispatch.service import Dispatcher, Outcome
from protocol import Announcement, MqttLink, Topics

logger = logging.getLogger(__name__)
BURST_GAP_S = 0.1


class StatePublisher:
    def __init__(self, link: MqttLink, topics: Topics, dispatcher: Dispatcher) -> None:
        self.link = link
        self.topics = topics
        self.dispatcher = dispatcher
        self._cond = threading.Condition()
        self._counters = False
        self._display = False
        self._services = False
        self._announcements: list[Announcement] = []
        self._stopping = False
        self._last_services: bytes | None = None
        self._busy = False
        self._last_publish = 0.0
        self._thread = threading.Thread(target=self._run, name="state-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(5)

    def apply(self, outcome: Outcome) -> None:
        """Schedule what ``outcome`` changed."""
        with self._cond:
            self._counters = self._counters or outcome.counters
            self._display = self._display or outcome.display
            self._services = self._services or outcome.services
            if outcome.announcement is not None:
                self._announcements.append(outcome.announcement)
            self._cond.notify()

    def publish_all(self) -> None:
        """Everything again (after a (re)connect or restart): nodes are whole from retained state."""
        with self._cond:
            self._counters = self._display = self._services = True
            self._last_services = None
            self._cond.notify()

    def refresh_services(self) -> None:
        """Re-publish ``services`` if it changed by itself (opening hours passing)."""
        with self._cond:
            self._services = True
            self._cond.notify()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is pending (tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending() and not self._busy, timeout)

    def _pending(self) -> bool:
        return bool(self._counters or self._display or self._services or self._announcements)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending() or self._stopping)
                delay = self._last_publish + BURST_GAP_S - time.monotonic()
                if not self._announcements and delay > 0:
                    self._cond.wait_for(lambda: bool(self._announcements) or self._stopping, delay)
                if self._stopping:
                    return
                counters = self._counters
                display, services = self._display, self._services
                announcements = list(self._announcements)
                self._counters = self._display = self._services = False
                self._announcements.clear()
                self._busy = True
            try:
                self._last_publish = time.monotonic()
                self._publish(counters, display, services, announcements)
            except Exception:
                logger.exception("publishing state failed; retrying with a full republish")
                self.publish_all()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _publish(
        self, counters: bool, display: bool, services: bool, announcements: list[Announcement]
    ) -> None:
        # The waiting room first: with Nagle's algorithm on a broker's sockets, later small packets to
        # the same subscriber can wait for an ACK, so the most watched state goes out first.
        if display:
            self.link.publish(self.topics.display_state(), self.dispatcher.display_state(), retain=True)
        if counters:
            for state in self.dispatcher.counter_states():
                self.link.publish(self.topics.counter_state(state.counter), state, retain=True)
        if services:
            payload = self.dispatcher.services().encode()
            if payload != self._last_services:
                self.link.publish(self.topics.services(), payload, retain=True)
                self._last_services = payload
        for announcement in announcements:
            self.link.publish(self.topics.display_announce(), announcement)
