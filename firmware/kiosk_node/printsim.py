"""A network ESC/POS printer simulator on a TCP port: keeps every job it receives and answers the
real-time status requests (DLE EOT 2 / DLE EOT 4) like a printer in a chosen condition.

Used by the benchmark and the tests, and handy on a bench without a printer:

>>> sim = NetworkPrinterSimulator("ok")
>>> sim.port > 0
True
>>> sim.close()
"""

from __future__ import annotations

import logging
import socket
import threading
import time

logger = logging.getLogger(__name__)

STATUS_REQUESTS = {b"\x10\x04\x02": "cause", b"\x10\x04\x04": "paper"}
# one answer byte per request; 0x12 are the bits a printer always sets
ANSWERS: dict[str, dict[str, int]] = {
    "ok": {"cause": 0x12, "paper": 0x12},
    "paper_low": {"cause": 0x12, "paper": 0x1E},
    "paper_out": {"cause": 0x32, "paper": 0x72},
    "cover_open": {"cause": 0x16, "paper": 0x12},
}


class NetworkPrinterSimulator:
    """Listens on ``host:port`` (0: a free port). ``condition`` None: a printer that never answers status."""

    def __init__(self, condition: str | None = "ok", port: int = 0, host: str = "127.0.0.1") -> None:
        self.condition = condition
        self.data = bytearray()
        self.jobs: list[bytes] = []
        self.job_done_at: list[float] = []  # perf_counter of each job's last byte
        self.status_requests = 0
        self.changed = threading.Condition()
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.1)
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="printer-sim", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        job = bytearray()
        last_byte_at = 0.0
        conn.settimeout(5)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            request = STATUS_REQUESTS.get(bytes(chunk))
            if request is not None:
                self.status_requests += 1
                if self.condition is not None:
                    conn.sendall(bytes([ANSWERS[self.condition][request]]))
                continue
            last_byte_at = time.perf_counter()
            job += chunk
            with self.changed:
                self.data += chunk
                self.changed.notify_all()
        if job:
            with self.changed:
                self.jobs.append(bytes(job))
                self.job_done_at.append(last_byte_at)
                self.changed.notify_all()

    def wait_for(self, size: int, timeout: float = 5.0) -> bytes:
        """Everything received once at least ``size`` bytes arrived (or the timeout passed)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.data) >= size, timeout)
            return bytes(self.data)

    def wait_for_jobs(self, count: int, timeout: float = 5.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.jobs) >= count, timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._server.close()
