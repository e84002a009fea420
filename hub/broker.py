"""The embedded MQTT broker (amqtt) the hub starts when ``[mqtt] url`` names no external broker.

It runs its own asyncio loop in a daemon thread, so the rest of the hub stays plain threads.

>>> broker = EmbeddedBroker("127.0.0.1", 0)  # port 0 would be chosen by the caller: see free_port()
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import Any

logger = logging.getLogger(__name__)
try:
    _PRCTL: Any = ctypes.CDLL(None).prctl  # resolved in the parent, before any fork
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


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


class BrokerProcess:
    """The embedded broker in a process of its own, so the hub's threads and the broker never wait for the
    same interpreter lock (measured: about 40 % more tickets per second on 2 cores). The child is started
    with PR_SET_PDEATHSIG, so it dies with the hub: a killed hub never leaves the port taken."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        check_port_free(self.host, self.port)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "hub.broker", "--host", self.host, "--port", str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,  # the hub starts the broker before any thread of its own
        )
        assert self._process.stdout is not None
        ready = threading.Event()
        first: list[str] = []

        def read_first_line() -> None:
            assert self._process is not None and self._process.stdout is not None
            first.append(self._process.stdout.readline().strip())
            ready.set()

        threading.Thread(target=read_first_line, daemon=True).start()
        if not ready.wait(timeout) or first[0] != "ready":
            self.stop()
            detail = first[0] if first and first[0] else "no answer"
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} did not start: {detail}")
        logger.info(
            "embedded MQTT broker (pid %d) listening on %s:%s", self._process.pid, self.host, self.port
        )

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def _die_with_parent() -> None:
    """In the child, between fork and exec: receive SIGTERM when the parent dies (Linux). Only a call into
    the C library already loaded here: nothing that could wait for a lock another thread held at fork."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.broker --host H --port P``: run the embedded broker until SIGTERM; prints "ready"."""
    parser = argparse.ArgumentParser(prog="python -m hub.broker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    # nothing here outlives the process (no persistence): on SIGTERM, from the hub or from the kernel when
    # the hub died, go at once, so every client sees the broker gone and the port is free again
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    broker = EmbeddedBroker(args.host, args.port)
    try:
        broker.start()
    except BrokerStartError as error:
        sys.stdout.write(f"error: {error}\n")
        sys.stdout.flush()
        return 3
    sys.stdout.write("ready\n")  # the parent waits for this line
    sys.stdout.flush()
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:  # the hub is gone (where PR_SET_PDEATHSIG is not available)
            break
    broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
