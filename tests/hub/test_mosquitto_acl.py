"""The production Mosquitto configuration in provisioning/ works with the hub: a kiosk user can take a number,
and may not publish as another node or as the hub. Needs the mosquitto binaries (Debian package).
(tests/security/test_mqtt_access.py tries every rule of the ACL on both brokers.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.harness import ScriptedKiosk
from protocol import Topics
from tests.conftest import HubHandle
from tests.security.brokers import ACCOUNTS, ACL, start_mosquitto, write_passwords
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # Mosquitto and a real hub

MONITOR = "Monitor-Sandi-Uji-01"


@pytest.fixture
def secured_broker(tmp_path: Path) -> Iterator[int]:
    """Mosquitto with the shipped ACL plus a read-only "monitor" account for the test's own eyes (with
    use_username_as_clientid, a second client of the hub's account would take the hub's session over)."""
    acl = tmp_path / "mqtt.acl"
    acl.write_text(ACL.read_text(encoding="utf-8") + "\nuser monitor\ntopic read antrean/pkm/#\n", "utf-8")
    passwd = write_passwords(tmp_path / "mqtt.passwd", {**ACCOUNTS, "monitor": MONITOR})
    port, process = start_mosquitto(tmp_path, passwd, acl)
    yield port
    process.terminate()
    process.wait(10)


def test_acl_lets_a_kiosk_take_a_number_and_nothing_else(
    secured_broker: int, hub_runner: Callable[..., HubHandle]
) -> None:
    port = secured_broker
    hub = hub_runner(start=False)
    text = hub.config_path.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("site ="))
    hub_url = f"mqtt://hub:{ACCOUNTS['hub']}@127.0.0.1:{port}"
    hub.config_path.write_text('site = "pkm"\n' + text.replace(hub.mqtt_url, hub_url), encoding="utf-8")
    hub.start()
    kiosk_url = f"mqtt://kiosk-1:{ACCOUNTS['kiosk-1']}@127.0.0.1:{port}"
    kiosk = ScriptedKiosk(kiosk_url, "pkm", "kiosk-1", client_id="antrean-pkm-kiosk-1")
    reply = kiosk.take("acl-1")
    assert reply.ok and reply.ticket is not None
    # a kiosk cannot fake another kiosk's request, a counter command or the hub's retained state
    watcher = Recorder(f"mqtt://monitor:{MONITOR}@127.0.0.1:{port}", "antrean/pkm/#")
    topics = Topics("pkm")
    kiosk.link.publish(topics.ticket_request("kiosk-2"), b'{"v":1}')
    kiosk.link.publish(topics.counter_command(1), b'{"v":1}')
    kiosk.link.publish(topics.display_state(), b"{}", retain=True)
    kiosk.send("acl-2")
    wait_until(lambda: watcher.on(topics.ticket_reply("kiosk-1")), timeout=10)
    assert not watcher.on(topics.ticket_request("kiosk-2"))
    assert not watcher.on(topics.counter_command(1))
    assert all(m.payload != b"{}" for m in watcher.on(topics.display_state()))
    kiosk.close()
    watcher.close()
