"""Issue 11, findings 1 and 3, through a real ``antrean hub`` with its embedded broker: it refuses to run an
open broker, authenticates to its broker by itself, and restarts the broker child when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.harness import HubProcess, ScriptedKiosk, write_hub_config
from hub.broker import free_port
from tests.security.brokers import ACCOUNTS, ACL, ROOT, SITE, Client, write_passwords
from tests.support import wait_until

pytestmark = pytest.mark.slow  # real hub processes and a killed broker


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text(encoding="utf-8")
        found |= {int(child) for child in text.split()}
    return found


def _hub(tmp_path: Path, broker_toml: str) -> tuple[Path, int]:
    port = free_port()
    config = write_hub_config(
        tmp_path / "hub.toml",
        site=SITE,
        mqtt_url="",
        database_url=f"sqlite:///{tmp_path / 'antrean.db'}",
        data_dir=tmp_path,
        extra=f'[broker]\nhost = "127.0.0.1"\nport = {port}\n{broker_toml}',
    )
    return config, port


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "antrean", *args], capture_output=True, text=True, timeout=60
    )


def test_hub_refuses_an_embedded_broker_without_accounts(tmp_path: Path) -> None:
    config, port = _hub(tmp_path, "")
    for args in (["hub", "--config", str(config)], ["hub", "--config", str(config), "--check-config"]):
        result = _run(*args)
        assert result.returncode != 0
        assert "password_file" in result.stderr and "antrean broker passwd" in result.stderr, result.stderr
    probe = Client.connect(port, None, None, "probe", timeout=2)
    assert probe.rc != 0  # nothing listens
    passwd = write_passwords(tmp_path / "mqtt.passwd")
    no_acl, _ = _hub(tmp_path, f'password_file = "{passwd}"\n')
    result = _run("hub", "--config", str(no_acl), "--check-config")
    assert result.returncode != 0 and "acl_file" in result.stderr
    ok, _ = _hub(tmp_path, f'password_file = "{passwd}"\nacl_file = "{ACL}"\n')
    assert _run("hub", "--config", str(ok), "--check-config").returncode == 0


def test_hub_restarts_its_killed_broker_and_kiosks_take_numbers_again(tmp_path: Path) -> None:
    nodes = {user: password for user, password in ACCOUNTS.items() if user != "hub"}
    passwd = write_passwords(tmp_path / "mqtt.passwd", nodes)  # the hub needs no account of its own
    config, port = _hub(tmp_path, f'password_file = "{passwd}"\nacl_file = "{ACL}"\n')
    hub = HubProcess(config, tmp_path / "hub.log").start()
    assert hub.process is not None
    kiosk_url = f"mqtt://kiosk-1:{ACCOUNTS['kiosk-1']}@127.0.0.1:{port}"
    try:
        kiosk = ScriptedKiosk(kiosk_url, SITE, "kiosk-1", client_id=f"antrean-{SITE}-kiosk-1")
        assert kiosk.take("before-kill").ok
        kiosk.close()
        anonymous = Client.connect(port, None, None, f"antrean-{SITE}-hub")
        assert anonymous.rc != 0, "the hub's embedded broker let an anonymous client in"

        brokers = _children(hub.process.pid)
        assert len(brokers) == 1, brokers
        os.kill(brokers.pop(), signal.SIGKILL)
        killed_at = time.monotonic()
        # a kiosk that was taking a number when the broker died gets it within 10 s
        kiosk = ScriptedKiosk(kiosk_url, SITE, "kiosk-1", client_id=f"antrean-{SITE}-kiosk-1", wait=10)
        reply = kiosk.take("after-kill", deadline=10 - (time.monotonic() - killed_at))
        assert reply.ok and reply.ticket is not None, reply
        kiosk.close()
        wait_until(lambda: "running again" in hub.log(), timeout=10)
        # same port, same accounts: still no anonymous access, and the hub's own account still in use
        assert Client.connect(port, None, None, "probe").rc != 0
        assert Client.connect(port, "hub", ACCOUNTS["hub"], f"antrean-{SITE}-hub").rc != 0
        display = Client.connect(port, "display-1", ACCOUNTS["display-1"], f"antrean-{SITE}-display-1")
        assert display.rc == 0
        display.subscribe(f"{ROOT}/display/state")
        wait_until(lambda: display.on(f"{ROOT}/display/state"), timeout=10)  # the hub published it again
        display.close()
    finally:
        hub.stop()
