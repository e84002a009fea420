"""The embedded MQTT broker (amqtt) the hub starts when ``[mqtt] url`` names no external broker.

It runs its own asyncio loop in a daemon thread, so the rest of the hub stays plain threads.

>>> broker = EmbeddedBroker("127.0.0.1", 0)  # port 0 would be chosen by the caller: see free_port()
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from typing import Any

logger = logging.getLogger(__name__)


class BrokerStartError(RuntimeError):
    """The embedded broker could not start; the message names the address."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`BrokerStartError` naming the port if something already listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BrokerStartError(
                    f"port {port} on {host} is already in use (another MQTT broker such as Mosquitto?): "
                    f"set [broker] port to a free port, or set [mqtt] url to use that broker"
                ) from exc
            raise BrokerStartError(f"cannot listen on {host}:{port}: {exc}") from exc


class EmbeddedBroker:
    """amqtt on ``host:port`` with anonymous access, in a background thread."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        check_port_free(self.host, self.port)
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
        logger.info("embedded MQTT broker listening on %s:%s", self.host, self.port)

    async def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
        self._stopped = asyncio.Event()
        try:
            self._broker = Broker(config)
            await self._broker.start()
        except Exception as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await self._stopped.wait()
        await self._broker.shutdown()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._stopped is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)
