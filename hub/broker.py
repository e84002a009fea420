"""The embedded MQTT broker (amqtt) the hub starts when ``[mqtt] url`` names no external broker.

It enforces the same password file and ACL file as Mosquitto (``hub.mqttauth``, ``hub.brokerguard``); the
hub connects with an internal account whose password it generates at each start. The broker runs in a child
process that the hub supervises: if it dies, it is started again on the same port with the same accounts.

Its settings (and the port checks) are in :mod:`hub.broker_settings`, imported here for its users.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

from hub.broker_settings import (
    BrokerSettings,
    BrokerStartError,
    check_port_free,
    free_port,
    hub_broker_settings,
)

if TYPE_CHECKING:
    from hub.brokerguard import GuardedBroker

__all__ = [
    "BrokerProcess",
    "BrokerSettings",
    "BrokerStartError",
    "EmbeddedBroker",
    "check_port_free",
    "free_port",
    "hub_broker_settings",
]
logger = logging.getLogger(__name__)
try:
    _PRCTL: Any = ctypes.CDLL(None).prctl  # resolved in the parent, before any fork
except (OSError, AttributeError):  # not Linux
    _PRCTL = None
RESTART_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # then every 2 s until it starts again


class EmbeddedBroker:
    """amqtt on ``host:port`` with the settings' policy, in a background thread."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.host, settings.port
        self._policy = settings.policy()
        self._broker: GuardedBroker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    def start(self, timeout: float = 10.0) -> None:
        for host, port in self.settings.listeners():
            check_port_free(host, port)
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(ready, failure))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="mqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} did not start in {timeout} s")
        if failure:
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} failed: {failure[0]}")
        logger.info("embedded MQTT broker listening on %s", self.settings.listeners())

    async def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        from hub.brokerguard import GuardedBroker, TlsListener, broker_config

        self._stopped = asyncio.Event()
        settings = self.settings
        tls = None
        if settings.tls_port:
            tls = TlsListener(settings.tls_host, settings.tls_port, settings.certfile, settings.keyfile)
        try:
            broker = GuardedBroker(broker_config(self.host, self.port, self._policy, tls), self._policy)
            await broker.start()
            self._broker = broker
        except Exception as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await self._stopped.wait()
        await broker.shutdown()

    def reload(self, timeout: float = 10.0) -> list[str]:
        """Read the password and ACL files again and disconnect at once every client whose account is gone
        (a revoked node). Returns the disconnected client ids; a file that cannot be read leaves the
        accounts as they were (:class:`BrokerStartError`)."""
        fresh = self.settings.policy()
        gone = self._policy.replace_accounts(fresh)
        logger.warning("accounts reloaded (%d); removed: %s", len(fresh.passwords), ", ".join(gone) or "none")
        if self._loop is None or self._broker is None:
            return []
        future = asyncio.run_coroutine_threadsafe(self._broker.drop_unknown(), self._loop)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._stopped is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)


class BrokerProcess:
    """The embedded broker in a process of its own, so the hub's threads and the broker never wait for the
    same interpreter lock (measured: about 40 % more tickets per second on 2 cores), supervised: when the
    child dies it is started again with the same settings. The child is started with PR_SET_PDEATHSIG, so it
    dies with the hub (or with the supervising thread, which lives as long as the hub): a killed hub never
    leaves the port taken."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.host, settings.port
        self.restarts = 0
        self._process: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 15.0) -> None:
        self.settings.policy()  # a bad file is reported here, in the hub's own words
        for host, port in self.settings.listeners():
            check_port_free(host, port)
        self._spawn(timeout)
        tls = f", TLS on {self.settings.tls_host}:{self.settings.tls_port}" if self.settings.tls_port else ""
        logger.info("embedded MQTT broker (pid %s) listening on %s:%s%s", self.pid, self.host, self.port, tls)
        self._watcher = threading.Thread(target=self._supervise, name="broker-supervisor", daemon=True)
        self._watcher.start()

    def _spawn(self, timeout: float) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.broker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,  # only a C call: see _die_with_parent
        )
        self._process = process
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(self.settings.to_json() + "\n")
            stdin.close()
        except OSError:
            pass  # the child died at once: its exit is reported below
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(stdout.readline().strip()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not first or first[0] != "ready":
            self._terminate(process)
            detail = first[0] if first and first[0] else "no answer"
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} did not start: {detail}")

    def _supervise(self) -> None:
        """Wait for the child; if it dies while the hub runs, start it again (same port, same accounts)."""
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if process.stdout is not None:
                process.stdout.close()
            if self._stopping.is_set():
                return
            logger.error(
                "embedded MQTT broker (pid %d) exited with %s: starting it again on %s:%s",
                process.pid,
                code,
                self.host,
                self.port,
            )
            for attempt in range(10_000):
                if self._stopping.wait(RESTART_DELAYS_S[min(attempt, len(RESTART_DELAYS_S) - 1)]):
                    return
                try:
                    self._spawn(15.0)
                except BrokerStartError as error:
                    logger.error(
                        "embedded MQTT broker did not start again (attempt %d): %s", attempt + 1, error
                    )
                    continue
                self.restarts += 1
                logger.warning("embedded MQTT broker running again (pid %s)", self.pid)
                break

    def reload(self) -> bool:
        """Make the broker read its password and ACL files again and drop revoked clients (SIGHUP to the
        child); False if it is not running (a restart reads the files anyway)."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        process.send_signal(signal.SIGHUP)
        return True

    @staticmethod
    def _terminate(process: subprocess.Popen[str], timeout: float = 10.0) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._process is not None:
            self._terminate(self._process, timeout)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)


def _die_with_parent() -> None:
    """In the child, between fork and exec: receive SIGTERM when the parent thread dies (Linux). Only a call
    into the C library already loaded here: nothing that could wait for a lock another thread held at fork."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.broker``: reads its :class:`BrokerSettings` as one JSON line on stdin, runs the
    embedded broker until SIGTERM and prints "ready" once it listens. SIGHUP: read the password and ACL
    files again (see :meth:`EmbeddedBroker.reload`)."""
    del argv
    reload = threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: reload.set())  # first: a reload never kills the broker
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    # nothing here outlives the process (no persistence): on SIGTERM, from the hub or from the kernel when
    # the hub died, go at once, so every client sees the broker gone and the port is free again
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        broker = EmbeddedBroker(BrokerSettings.from_json(sys.stdin.readline()))
        broker.start()
    except (BrokerStartError, ValueError, TypeError) as error:
        sys.stdout.write(f"error: {error}\n")
        sys.stdout.flush()
        return 3
    sys.stdout.write("ready\n")  # the parent waits for this line
    sys.stdout.flush()
    parent = os.getppid()
    while not stop.is_set():
        if reload.wait(1.0):
            reload.clear()
            try:
                broker.reload()
            except Exception:  # a file unreadable now: keep serving with the accounts as they were
                logger.exception("reloading the broker's accounts failed; the previous accounts stay")
        if os.getppid() != parent:  # the hub is gone (where PR_SET_PDEATHSIG is not available)
            break
    broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
