"""How an MQTT link knows its session is alive, and when lost sessions mean two processes share one id.

A broker gives a client id to the newest connection: a second process connecting with the same id takes the
session over. Mosquitto closes the older connection; amqtt keeps it open (PINGs answered) but delivers
nothing to it any more, so a client that only watches its TCP connection goes deaf without noticing. Each
link therefore publishes a small :class:`~protocol.payloads.Probe` to its own ``node/{node}/probe`` every
``PROBE_INTERVAL_S`` and counts the session as alive while something (a probe back, or any other message)
arrived within ``PROBE_TIMEOUT_S``. Two processes with one id (a cloned SD card, two nodes configured with
the same ``node_id``) take the session from each other again and again: :class:`SessionLosses` tells a
fight from a single loss.

>>> losses = SessionLosses(window_s=60, report_at=3)
>>> [losses.lost(t) for t in (0.0, 10.0, 20.0)]
[False, False, True]
>>> losses.lost(25.0)  # reported once per window
False
>>> losses.suspected(30.0), losses.suspected(81.0)
(True, False)
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

from protocol.errors import ProtocolError
from protocol.payloads import Probe

if TYPE_CHECKING:
    from protocol.link import MqttLink

logger = logging.getLogger(__name__)

PROBE_INTERVAL_S = 2.0
PROBE_TIMEOUT_S = 10.0
FIGHT_WINDOW_S = 60.0
FIGHT_REPORT_AT = 3  # session losses within the window that are reported as a fight over the client id


class SessionLosses:
    """Session losses of one link over a sliding window; says when to report a fight (once per window)."""

    def __init__(self, window_s: float = FIGHT_WINDOW_S, report_at: int = FIGHT_REPORT_AT) -> None:
        self.window_s = window_s
        self.report_at = report_at
        self._times: deque[float] = deque()
        self._reported_at: float | None = None
        self._clone_at: float | None = None

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()

    def lost(self, now: float) -> bool:
        """Count one loss at ``now``; True when this loss is to be reported (a fight, not reported in the
        last window)."""
        self._times.append(now)
        self._prune(now)
        if len(self._times) < self.report_at:
            return False
        if self._reported_at is not None and now - self._reported_at < self.window_s:
            return False
        self._reported_at = now
        return True

    def clone_seen(self, now: float) -> bool:
        """Another process's probe arrived on this process's own probe topic; True once per window."""
        first = self._clone_at is None or now - self._clone_at >= self.window_s
        self._clone_at = now
        return first

    def count(self, now: float) -> int:
        self._prune(now)
        return len(self._times)

    def suspected(self, now: float) -> bool:
        """A fight (or a clone) was seen within the last window."""
        recent = [t for t in (self._reported_at, self._clone_at) if t is not None and now - t < self.window_s]
        return bool(recent)


class Liveness:
    """The probe of one :class:`~protocol.link.MqttLink` (inactive without a probe topic): publishes a
    probe every ``interval`` s while connected, resets the connection after ``timeout`` s of silence, and
    reports fights over the client id."""

    def __init__(self, link: MqttLink, topic: str | None, *, interval: float, timeout: float) -> None:
        self.link = link
        self.topic = topic
        self.interval = interval
        self.timeout = timeout
        self.sender = uuid.uuid4().hex[:12]
        self._seq = 0
        self._losses = SessionLosses()
        self._flagged = False  # the published status says duplicate_client_id
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.topic:
            self._thread = threading.Thread(target=self._run, name="mqtt-probe", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def suspected(self) -> bool:
        """A fight over the client id (or a clone's probe) was seen within the last window."""
        return self._losses.suspected(time.monotonic())

    def _run(self) -> None:
        assert self.topic is not None
        link = self.link
        while not self._halt.wait(self.interval):
            now = time.monotonic()
            if self._flagged and not self._losses.suspected(now):
                self._flagged = False
                logger.info(
                    "MQTT client id %s: no session lost for %.0f s", link.client_id, self._losses.window_s
                )
                link.publish_status()
            if not link.connected.is_set():
                continue
            silent = now - link.heard_at
            if silent > self.timeout:
                logger.error(
                    "MQTT session of client id %s lost: another client with the same id? Nothing came back "
                    "from the broker %s:%s for %.0f s (probes included) while connected; reconnecting",
                    link.client_id,
                    link.host,
                    link.port,
                    silent,
                )
                link.heard_at = now  # one reset per silence
                link.reset_connection()
                continue
            self._seq += 1
            link.publish(self.topic, Probe(sender=self.sender, seq=self._seq))

    def on_probe(self, _topic: str, payload: bytes) -> None:
        """A probe on this process's own probe topic: ours proves the session (any message does); another
        process's means two nodes share one node_id."""
        try:
            probe = Probe.decode(payload)
        except ProtocolError as error:
            logger.warning("ignoring a malformed probe on %s: %s", self.topic, error.detail)
            return
        if probe.sender != self.sender and self._losses.clone_seen(time.monotonic()):
            logger.error(
                "another process publishes probes as this node on %s (client id %s): two nodes share one "
                "node_id (a cloned SD card?); give each its own node_id",
                self.topic,
                self.link.client_id,
            )
            self._report()

    def session_lost(self) -> None:
        """Count a lost session (called by the link on every loss); a fight is logged once per window."""
        now = time.monotonic()
        if self._losses.lost(now):
            logger.error(
                "MQTT client id %s lost its session %d times in %.0f s: two processes are using the same "
                "client id (a cloned SD card, or two nodes configured with the same node_id?), or the "
                "connection to %s:%s keeps failing",
                self.link.client_id,
                self._losses.count(now),
                self._losses.window_s,
                self.link.host,
                self.link.port,
            )
            self._report()

    def _report(self) -> None:
        self._flagged = True
        self.link.publish_status()
