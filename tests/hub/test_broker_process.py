"""The hub's embedded broker runs in a child process that lives and dies with the hub."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hub.broker import BrokerStartError, check_port_free, free_port
from protocol import MqttLink
from tests.support import wait_until

pytestmark = pytest.mark.slow  # real hub and broker processes


def _port_free(port: int) -> bool:
    try:
        check_port_free("127.0.0.1", port)
    except BrokerStartError:
        return False
    return True


def test_killed_hub_takes_its_broker_with_it(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\n[broker]\nhost = "127.0.0.1"\nport = {port}\nallow_anonymous = true\n'
        "[web]\nport = 0\n",
        encoding="utf-8",
    )
    log = (tmp_path / "hub.log").open("wb")
    hub = subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        probe = MqttLink(f"mqtt://127.0.0.1:{port}", client_id="probe")
        assert probe.start(wait=30), (tmp_path / "hub.log").read_text()
        probe.stop()
        assert not _port_free(port)
        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
        wait_until(lambda: _port_free(port), timeout=10)  # the broker child went with the hub
    finally:
        if hub.poll() is None:
            hub.kill()
            hub.wait()
        log.close()
