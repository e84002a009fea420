"""The production Mosquitto configuration in provisioning/ works with the hub: a kiosk user can take a number,
and may not publish as another node or as the hub. Needs the mosquitto binaries (Debian package)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.broker import free_port
from hub.harness import ScriptedKiosk
from protocol import MqttLink, Topics
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # Mosquitto and a real hub

PROVISIONING = Path(__file__).resolve().parents[2] / "provisioning"


@pytest.fixture
def secured_broker(tmp_path: Path) -> tuple[int, Path]:
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_passwd"):
        pytest.fail("mosquitto and mosquitto_passwd are needed (apt-get install mosquitto)")
    port = free_port()
    passwd = tmp_path / "antrean.passwd"
    for user in ("hub", "kiosk-1", "kiosk-2"):
        subprocess.run(
            ["mosquitto_passwd", "-b", *(["-c"] if user == "hub" else []), str(passwd), user, f"pw-{user}"],
            check=True,
            capture_output=True,
        )
    conf = (PROVISIONING / "mosquitto.conf").read_text(encoding="utf-8")
    conf = conf.replace("listener 1883", f"listener {port} 127.0.0.1")
    conf = conf.replace("/etc/mosquitto/antrean.passwd", str(passwd))
    conf = conf.replace("/etc/mosquitto/antrean.acl", str(PROVISIONING / "mosquitto.acl"))
    conf = conf.replace("persistence true", "persistence false")
    conf += "\nuser root\n"  # as root, mosquitto would switch to its own user, who cannot read tmp_path
    (tmp_path / "mosquitto.conf").write_text(conf, encoding="utf-8")
    process = subprocess.Popen(
        ["mosquitto", "-c", str(tmp_path / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        link = MqttLink(f"mqtt://hub:pw-hub@127.0.0.1:{port}", client_id="probe")
        if link.start(wait=1):
            link.stop()
            break
        link.stop()
        assert time.monotonic() < deadline, "mosquitto did not start"
    yield port, tmp_path
    process.terminate()
    process.wait(10)


def test_acl_lets_a_kiosk_take_a_number_and_nothing_else(
    secured_broker: tuple[int, Path], hub_runner: Callable[..., HubHandle], tmp_path: Path
) -> None:
    port, _ = secured_broker
    hub = hub_runner(start=False)
    text = hub.config_path.read_text(encoding="utf-8").replace('site = "', 'site = "', 1)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("site ="))
    text = 'site = "pkm"\n' + text.replace(hub.mqtt_url, f"mqtt://hub:pw-hub@127.0.0.1:{port}")
    hub.config_path.write_text(text, encoding="utf-8")
    hub.start()
    kiosk = ScriptedKiosk(f"mqtt://kiosk-1:pw-kiosk-1@127.0.0.1:{port}", "pkm", "kiosk-1")
    reply = kiosk.take("acl-1")
    assert reply.ok and reply.ticket is not None
    # a kiosk cannot fake another kiosk's request, a counter command or the hub's retained state
    watcher = Recorder(f"mqtt://hub:pw-hub@127.0.0.1:{port}", "antrean/pkm/#")
    topics = Topics("pkm")
    kiosk.link.publish(topics.ticket_request("kiosk-2"), b'{"v":1}')
    kiosk.link.publish(topics.counter_command(1), b'{"v":1}')
    kiosk.link.publish(topics.display_state(), b"{}", retain=True)
    kiosk.send("acl-2")
    wait_until(lambda: watcher.on(topics.ticket_reply("kiosk-1")))
    assert not watcher.on(topics.ticket_request("kiosk-2"))
    assert not watcher.on(topics.counter_command(1))
    assert all(m.payload != b"{}" for m in watcher.on(topics.display_state()))
    kiosk.close()
    watcher.close()
