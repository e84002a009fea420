"""systemd service notifications, and a watchdog fed only while the process's MQTT session is proven alive.

Every role runs as a ``Type=notify`` unit with ``WatchdogSec=`` (``systemd/``). systemd then passes
``$NOTIFY_SOCKET`` (and ``$WATCHDOG_USEC``): the process says ``READY=1`` once it is started and connected,
``WATCHDOG=1`` only while its MQTT link heard from the broker within ``PROBE_TIMEOUT_S`` (the link probes
itself through the broker every few seconds: a broker round trip, not just "the thread runs"), and
``STOPPING=1`` when it stops. A process whose session stays dead longer than ``WatchdogSec`` is restarted.
Outside systemd (no ``$NOTIFY_SOCKET``) all of this does nothing.

The protocol is one datagram per notification (``sd_notify(3)``), so it is written here: python-systemd
needs the libsystemd headers to build (not on every Pi image), and the ``sdnotify`` package on PyPI has not
been maintained since 2019.

>>> Notifier(None).notify("READY=1")  # not under systemd: nothing sent
False
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Protocol

from protocol.liveness import PROBE_TIMEOUT_S

logger = logging.getLogger(__name__)


class Notifier:
    """Sends ``sd_notify`` datagrams to ``$NOTIFY_SOCKET``: a path, or ``@name`` (abstract namespace)."""

    def __init__(self, address: str | None) -> None:
        self.address = address or None
        self._warned = False

    @classmethod
    def from_environment(cls) -> Notifier:
        return cls(os.environ.get("NOTIFY_SOCKET"))

    def notify(self, *lines: str) -> bool:
        """Send one notification (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``); True if it was sent."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto("\n".join(lines).encode("utf-8"), target)
        except OSError as error:
            if not self._warned:  # systemd gone or the socket unreachable: say so once, keep running
                logger.warning("cannot notify systemd at %s: %s", self.address, error)
                self._warned = True
            return False
        return True


def watchdog_interval(default: float | None = None) -> float | None:
    """How often to ping: a third of ``$WATCHDOG_USEC`` if meant for this process, else ``default``."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return default
    try:
        return int(usec) / 1_000_000 / 3
    except ValueError:
        logger.warning("ignoring WATCHDOG_USEC=%r: not a number", usec)
        return default


class Probed(Protocol):
    """What the watchdog needs of an :class:`~protocol.link.MqttLink`."""

    connected: threading.Event

    def alive(self, max_age: float) -> bool: ...


class ServiceWatchdog:
    """``READY=1`` once ``link`` is connected, then ``WATCHDOG=1`` every ``interval`` s while ``link`` is
    alive, ``STOPPING=1`` at :meth:`stop`.

    >>> import threading
    >>> class Link:
    ...     connected = threading.Event()
    ...     def alive(self, max_age: float) -> bool: return False
    >>> ServiceWatchdog(Link(), Notifier(None)).start()  # outside systemd: no thread at all
    False
    """

    def __init__(
        self,
        link: Probed,
        notifier: Notifier | None = None,
        *,
        interval: float | None = None,
        max_age: float = PROBE_TIMEOUT_S,
    ) -> None:
        self.link = link
        self.notifier = notifier or Notifier.from_environment()
        self.interval = interval or watchdog_interval()
        self.max_age = max_age
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start notifying in the background; False (and nothing started) outside systemd."""
        if self.notifier.address is None:
            return False
        self._thread = threading.Thread(target=self._run, name="sd-watchdog", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self.notifier.notify("STOPPING=1")

    def _run(self) -> None:
        while not self.link.connected.wait(1.0):
            if self._stop.is_set():
                return
        self.notifier.notify("READY=1", "STATUS=connected to the MQTT broker")
        logger.info("systemd notified: ready")
        if self.interval is None:
            return  # no WatchdogSec for this process
        fed = True
        while not self._stop.wait(self.interval):
            alive = self.link.alive(self.max_age)
            if alive:
                self.notifier.notify("WATCHDOG=1")
            if alive != fed:
                fed = alive
                if alive:
                    logger.info("MQTT session alive again: systemd watchdog fed")
                else:
                    logger.error(
                        "MQTT session not proven alive for %.0f s: systemd watchdog no longer fed "
                        "(the service is restarted unless it recovers)",
                        self.max_age,
                    )
                self.notifier.notify(f"STATUS=MQTT session {'alive' if alive else 'not proven alive'}")
