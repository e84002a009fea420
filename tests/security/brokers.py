"""Secured brokers for the security tests: the hub's embedded broker and Mosquitto, both enforcing the
shipped ``provisioning/mosquitto.acl`` with one password file, and plain paho clients to attack them."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from hub.broker import BrokerProcess, BrokerSettings, free_port
from hub.mqttauth import InternalAccount, set_password

PROVISIONING = Path(__file__).resolve().parents[2] / "provisioning"
ACL = PROVISIONING / "mosquitto.acl"
SITE = "pkm"
ROOT = f"antrean/{SITE}"
ACCOUNTS = {
    "hub": "Hub-Sandi-Uji-001",
    "kiosk-1": "Kiosk-Sandi-Uji-001",
    "kiosk-2": "Kiosk-Sandi-Uji-002",
    "counter-1": "Loket-Sandi-Uji-001",
    "display-1": "Layar-Sandi-Uji-001",
}


def write_passwords(path: Path, accounts: dict[str, str] = ACCOUNTS) -> Path:
    for user, password in accounts.items():
        set_password(path, user, password)
    return path


@dataclass
class SecuredBroker:
    kind: str
    port: int

    def url(self, user: str) -> str:
        return f"mqtt://{user}:{ACCOUNTS[user]}@127.0.0.1:{self.port}"


def start_mosquitto(
    tmp_path: Path, passwd: Path, acl: Path = ACL, probe: tuple[str, str] = ("hub", ACCOUNTS["hub"])
) -> tuple[int, subprocess.Popen[bytes]]:
    """Mosquitto with ``provisioning/mosquitto.conf``, adapted to a free port on 127.0.0.1 and temp files;
    ready once the ``probe`` account gets in."""
    if not shutil.which("mosquitto"):
        pytest.fail("mosquitto is needed (apt-get install mosquitto)")
    port = free_port()
    conf = (PROVISIONING / "mosquitto.conf").read_text(encoding="utf-8")
    conf = conf.replace("listener 1883", f"listener {port} 127.0.0.1")
    conf = conf.replace("/etc/mosquitto/antrean.passwd", str(passwd))
    conf = conf.replace("/etc/mosquitto/antrean.acl", str(acl))
    conf = conf.replace("persistence true", "persistence false")
    conf += "\nuser root\n"  # as root, mosquitto would switch to its own user, who cannot read tmp_path
    (tmp_path / "mosquitto.conf").write_text(conf, encoding="utf-8")
    with (tmp_path / "mosquitto.log").open("wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            ["mosquitto", "-c", str(tmp_path / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 10
    while True:
        client = Client.connect(port, probe[0], probe[1], f"antrean-{SITE}-{probe[0]}")
        if client.rc == 0:
            client.close()
            return port, process
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"mosquitto did not start: {(tmp_path / 'mosquitto.log').read_text()}")
        time.sleep(0.1)


def start_embedded(tmp_path: Path, passwd: Path, acl: Path = ACL) -> BrokerProcess:
    settings = BrokerSettings(
        host="127.0.0.1",
        port=free_port(),
        site=SITE,
        password_file=str(passwd),
        acl_file=str(acl),
        internal=InternalAccount("hub", ACCOUNTS["hub"]),  # as the hub does, with a known password
    )
    broker = BrokerProcess(settings)
    broker.start()
    return broker


@dataclass
class Client:
    """A plain paho client, as an attacker (or a careful node) would write it."""

    port: int
    client: mqtt.Client
    rc: int | None = None
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    disconnects: int = 0

    @classmethod
    def connect(
        cls, port: int, user: str | None, password: str | None, client_id: str, timeout: float = 10.0
    ) -> Client:
        paho = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        if user is not None:
            paho.username_pw_set(user, password)
        self = cls(port, paho)
        answered = threading.Event()
        lock = threading.Lock()

        def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
            self.rc = reason.value
            if not reason.is_failure:
                self.connected.set()
            answered.set()

        def on_disconnect(_c: mqtt.Client, _u: object, _f: object, _r: object, _p: object) -> None:
            self.connected.clear()
            self.disconnects += 1
            answered.set()

        def on_message(_c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
            with lock:
                self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

        paho.on_connect, paho.on_disconnect, paho.on_message = on_connect, on_disconnect, on_message
        paho.reconnect_delay_set(60, 60)  # no quiet reconnects: a refused client stays refused
        try:
            paho.connect("127.0.0.1", port, keepalive=30)
        except OSError:
            self.rc = -1
            return self
        paho.loop_start()
        answered.wait(timeout)
        if self.rc is None:
            self.rc = -1
        if self.rc != 0:
            paho.loop_stop()
        return self

    def subscribe(self, topic_filter: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_args: done.set()
        self.client.subscribe(topic_filter, qos=1)
        assert done.wait(10), f"no SUBACK for {topic_filter}"

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(10)

    def on(self, topic: str) -> list[bytes]:
        return [payload for got, payload, _retained in list(self.messages) if got == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def node(broker: SecuredBroker, user: str, client_id: str | None = None) -> Client:
    """A connected client of ``user`` with the client id its node would use."""
    client = Client.connect(broker.port, user, ACCOUNTS[user], client_id or f"antrean-{SITE}-{user}")
    assert client.rc == 0, f"{user} could not connect to the {broker.kind} broker: rc {client.rc}"
    return client
