"""A network ESC/POS printer on 127.0.0.1: a real TCP listener that keeps what it is sent and answers the
real-time status requests (DLE EOT 2 / DLE EOT 4) like a printer in a given condition."""

from __future__ import annotations

import socket
import threading
import time

STATUS_REQUESTS = {b"\x10\x04\x02": "cause", b"\x10\x04\x04": "paper"}
# one answer byte per request; 0x12 are the bits that are always set
ANSWERS = {
    "ok": {"cause": 0x12, "paper": 0x12},
    "paper_low": {"cause": 0x12, "paper": 0x1E},
    "paper_out": {"cause": 0x32, "paper": 0x72},
    "cover_open": {"cause": 0x16, "paper": 0x12},
}


class FakeNetworkPrinter:
    def __init__(self, condition: str | None = "ok", port: int = 0) -> None:
        self.condition = condition  # None: a printer that never answers status requests
        self.data = bytearray()
        self.jobs: list[bytes] = []
        self.last_byte_at: float | None = None
        self.received = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", port))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self._server.settimeout(0.1)
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
                if self.condition is not None:
                    conn.sendall(bytes([ANSWERS[self.condition][request]]))
                continue
            job += chunk
            with self.received:
                self.data += chunk
                self.last_byte_at = time.perf_counter()
                self.received.notify_all()
        if job:
            with self.received:
                self.jobs.append(bytes(job))
                self.received.notify_all()

    def wait_for(self, size: int, timeout: float = 5.0) -> bytes:
        with self.received:
            self.received.wait_for(lambda: len(self.data) >= size, timeout)
            return bytes(self.data)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(2)
