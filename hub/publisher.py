"""Publishes the retained state (services, counter/{n}/state, display/state) and announcements.

Changes are marked dirty and published by one thread: when idle it publishes at once; under a burst,
several changes coalesce into one snapshot, so state is always whole and the hub never falls behind.
A call goes out at once, from the thread that made it: its live state (``display/state`` and the lokets'
states) was computed in the call's own transaction; the waiting room's state goes first, then the
announcement, then the lokets'. Other changes (tickets issued, status changes) go out from the publisher
thread at most every ``BURST_GAP_S``, which nobody watching a screen can see and which keeps a morning rush
of tickets from spending the hub's time on snapshots. Every live state carries the queue version it shows,
and an older one is never published after a newer one."""

from __future__ import annotations

import logging
import threading
import time

from hub.dispatch.service import Dispatcher, LiveState, Outcome
from protocol import Announcement, MqttLink, Topics

logger = logging.getLogger(__name__)
BURST_GAP_S = 0.1


class StatePublisher:
    def __init__(self, link: MqttLink, topics: Topics, dispatcher: Dispatcher) -> None:
        self.link = link
        self.topics = topics
        self.dispatcher = dispatcher
        self._cond = threading.Condition()
        self._live = False
        self._services = False
        self._announcements: list[Announcement] = []
        self._stopping = False
        self._last_services: bytes | None = None
        self._busy = False
        self._last_publish = 0.0
        self._live_lock = threading.Lock()
        self._live_version = -1
        self._thread = threading.Thread(target=self._run, name="state-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(5)

    def apply(self, outcome: Outcome) -> None:
        """Publish what ``outcome`` computed already (a call's live state and announcement) and schedule
        the rest of what it changed."""
        announcement = outcome.announcement
        if outcome.live_now is not None:
            self._show(outcome.live_now, announcement)
            announcement = None
        with self._cond:
            self._live = self._live or (outcome.live and outcome.live_now is None)
            self._services = self._services or outcome.services
            if announcement is not None:
                self._announcements.append(announcement)
            self._cond.notify()

    def _show(self, live: LiveState, announcement: Announcement | None = None) -> None:
        """Publish ``live`` unless a newer live state went out already (threads race to publish); the
        announcement of the call it shows goes out right after the waiting room's state."""
        with self._live_lock:
            newest = live.version >= self._live_version
            if newest:
                self._live_version = live.version
                self.link.publish(self.topics.display_state(), live.display, retain=True)
            if announcement is not None:
                self.link.publish(self.topics.display_announce(), announcement)
            if newest:
                for state in live.counters:
                    self.link.publish(self.topics.counter_state(state.counter), state, retain=True)

    def publish_all(self) -> None:
        """Everything again (after a (re)connect or restart): nodes are whole from retained state."""
        with self._cond:
            self._live = self._services = True
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
        return bool(self._live or self._services or self._announcements)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending() or self._stopping)
                delay = self._last_publish + BURST_GAP_S - time.monotonic()
                if not self._announcements and delay > 0:
                    self._cond.wait_for(lambda: bool(self._announcements) or self._stopping, delay)
                if self._stopping:
                    return
                live, services = self._live, self._services
                announcements = list(self._announcements)
                self._live = self._services = False
                self._announcements.clear()
                self._busy = True
            try:
                self._last_publish = time.monotonic()
                self._publish(live, services, announcements)
            except Exception:
                logger.exception("publishing state failed; retrying with a full republish")
                self.publish_all()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _publish(self, live: bool, services: bool, announcements: list[Announcement]) -> None:
        if live:
            self._show(self.dispatcher.live_state())
        if services:
            payload = self.dispatcher.services().encode()
            if payload != self._last_services:
                self.link.publish(self.topics.services(), payload, retain=True)
                self._last_services = payload
        for announcement in announcements:
            self.link.publish(self.topics.display_announce(), announcement)
