"""Finding 2 of issue 11, the systemd side: a deaf hub stayed alive, so systemd never restarted it.

Every role now runs as a ``Type=notify`` unit with ``WatchdogSec``; the process pings the watchdog only while
its MQTT session is proven alive through the broker. Here a real hub process talks to a real datagram socket
as systemd's ``$NOTIFY_SOCKET``, and its link to the broker is stalled (the TCP connection stays up, nothing
moves) and then restored."""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path

import pytest

from antrean.watchdog import Notifier
from benchmarks.harness import HubProcess, write_hub_config
from protocol import parse_mqtt_url
from tests.netproxy import CuttableLink
from tests.support import wait_until

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"


class FakeSystemd:
    """A datagram socket standing in for systemd's notification socket; records what arrives."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            with self._lock:
                self.messages.append(data.decode("utf-8"))

    def count(self, line: str) -> int:
        with self._lock:
            return sum(line in message.splitlines() for message in self.messages)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def test_notifications_reach_an_abstract_namespace_socket() -> None:
    name = f"antrean-test-{uuid.uuid4().hex[:8]}"
    systemd = FakeSystemd("\0" + name)
    try:
        assert Notifier("@" + name).notify("READY=1", "STATUS=up")
        wait_until(lambda: systemd.count("READY=1") == 1 and systemd.count("STATUS=up") == 1)
    finally:
        systemd.close()


def test_every_role_is_a_notify_service_with_a_watchdog() -> None:
    """The long-running roles; a oneshot job such as antrean-backup.service has no watchdog to feed."""
    units = [SYSTEMD / f"antrean-{role}.service" for role in ("hub", "kiosk", "display", "counter")]
    for unit in units:
        lines = unit.read_text(encoding="utf-8").splitlines()
        assert "Type=notify" in lines and any(line.startswith("WatchdogSec=") for line in lines), unit.name


@pytest.mark.slow
def test_the_hub_feeds_the_watchdog_only_while_its_mqtt_session_is_alive(
    tmp_path: Path, mqtt_url: str, site: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = parse_mqtt_url(mqtt_url)
    link = CuttableLink(address.host, address.port)
    link.start()
    systemd = FakeSystemd(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "1500000")  # a ping every 0.5 s
    config = write_hub_config(
        tmp_path / "hub.toml",
        site=site,
        mqtt_url=link.url,
        database_url=database_url,
        data_dir=tmp_path / "data",
    )
    hub = HubProcess(config, tmp_path / "hub.log")
    try:
        hub.start()
        wait_until(lambda: systemd.count("READY=1") == 1, timeout=15)
        wait_until(lambda: systemd.count("WATCHDOG=1") >= 2, timeout=15)

        link.stall()  # the connection stays up, nothing moves: a deaf session
        wait_until(lambda: "systemd watchdog no longer fed" in hub.log(), timeout=30, interval=0.2)
        wait_until(lambda: f"MQTT session of client id antrean-{site}-hub lost" in hub.log(), timeout=30)
        fed = systemd.count("WATCHDOG=1")
        threading.Event().wait(3)  # six ping intervals, the link still stalled: not one ping
        assert systemd.count("WATCHDOG=1") == fed

        link.resume()
        wait_until(lambda: systemd.count("WATCHDOG=1") > fed, timeout=60, interval=0.2)
        assert "systemd watchdog fed" in hub.log()
    finally:
        hub.stop()
        link.cut()
    wait_until(lambda: systemd.count("STOPPING=1") == 1)
    systemd.close()
