"""A TCP relay between a node and the broker that a test can cut, stall, slow down and restore."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

from hub.broker import free_port


class CuttableLink:
    """Listens on 127.0.0.1:``port`` and relays every connection to ``target``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._stalled = threading.Event()
        self.delay_s = 0.0  # a slow link: every chunk waits this long before it is relayed

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        deadline = time.monotonic() + 5
        while True:  # the old listening socket may take a moment to be released
            try:
                server = socket.create_server(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        server.settimeout(0.1)
        self._server = server
        self._stop.clear()
        self._stalled.clear()
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            stalled = False
            while not self._stop.is_set():
                readable, _, _ = select.select([a, b], [], [], 0.1)
                if self._stalled.is_set():  # checked after the wait: nothing that came during a stall moves
                    stalled = True
                    time.sleep(0.05)
                    continue
                if stalled and any(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) for sock in (a, b)):
                    return  # a side reset its connection during the stall: what it sent is gone with it
                stalled = False
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if self.delay_s:
                        time.sleep(self.delay_s)
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def stall(self) -> None:
        """Stop relaying but keep every connection open: a link that died without a word (the node only
        notices at its next keepalive)."""
        self._stalled.set()

    def resume(self) -> None:
        """Relay again what waited (the link came back before anyone noticed it was gone)."""
        self._stalled.clear()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self._stop.set()
        if self._server is not None:
            self._server.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._sockets.clear()
