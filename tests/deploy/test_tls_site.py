"""Issue 13: the hub started from its provisioned bundle (TLS listener, one account per node) serves the
kiosk, counter and display programs started from their bundles over mqtts:// trusting the site CA;
Mosquitto started with the provisioned mosquitto.conf does the same; anonymous clients and clients not
trusting the site CA are refused."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from benchmarks.harness import HubProcess
from hub.broker import free_port
from protocol.transport import client_tls_context
from tests.counter.test_cli import Lines
from tests.deploy.site import NODES, install, provision, write_site

pytestmark = pytest.mark.slow  # real hub processes and brokers

SITE = "pkm"


@dataclass
class Site:
    out: Path
    prefix: Path
    tls_port: int
    plain_port: int
    passwords: dict[str, str] = field(default_factory=dict)

    def url(self, node: str) -> str:
        """The node's own [mqtt] url, pointed at 127.0.0.1 (also in the certificate) instead of the LAN."""
        url: str = tomllib.loads((self.out / node / f"{NODES[node]}.toml").read_text())["mqtt"]["url"]
        return url.replace("@10.0.0.2:", "@127.0.0.1:")

    @property
    def ca_file(self) -> str:
        return str(self.prefix / "ca.crt")


def _site(tmp_path: Path) -> Site:
    tls_port, plain_port = free_port(), free_port()
    site = write_site(tmp_path / "site.toml", mqtt_port=tls_port, web_port=free_port())
    out, prefix = tmp_path / "out", tmp_path / "installed"
    provision(site, out, "--prefix", prefix)
    install(out / "hub", prefix)
    hub_toml = (prefix / "hub.toml").read_text()
    hub_toml = hub_toml.replace("port = 1883\n", f"port = {plain_port}\n")
    hub_toml = hub_toml.replace('tls_host = "0.0.0.0"', 'tls_host = "127.0.0.1"')  # tests stay on loopback
    hub_toml = hub_toml.replace('data_dir = "/var/lib/antrean"', f'data_dir = "{tmp_path / "data"}"')
    (prefix / "hub.toml").write_text(
        hub_toml + '\n[queue]\noperating_start = "00:00"\noperating_end = "00:00"\n'
    )
    return Site(out, prefix, tls_port, plain_port)


def _program(site: Site, node: str, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """``antrean <role> --config BUNDLE/<role>.toml`` as the unit runs it, headless, pointed at 127.0.0.1."""
    role = NODES[node]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env |= {
        "SDL_AUDIODRIVER": "dummy",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ANTREAN_VOICE_WARM_NUMBERS": "3",
    }
    config = site.out / node / f"{role}.toml"
    command = [sys.executable, "-m", "antrean", role, "--config", str(config), "--mqtt-url", site.url(node)]
    with (tmp_path / f"{node}.log").open("w") as log:
        return subprocess.Popen(
            [*command, *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )


def _loop(site: Site, tmp_path: Path) -> None:
    """The kiosk, counter and display programs started from their bundles (mqtts://, their own accounts,
    verifying the site CA): a ticket printed at kiosk-1, CALL pressed at loket 1 of counter-1, the call
    spoken on display-1."""
    display = _program(site, "display-1", tmp_path, "--demo")
    counter = _program(site, "counter-1", tmp_path, "--simulate")
    kiosk = _program(site, "kiosk-1", tmp_path, "--demo")  # a simulated patient takes a number now and then
    processes = (display, counter, kiosk)
    try:
        tickets = Lines(kiosk.stdout)
        tickets.expect("kiosk kiosk-1: printed ticket ", timeout=40)
        buttons = Lines(counter.stdout)
        buttons.expect("loket 1 online", timeout=20)
        assert counter.stdin is not None
        counter.stdin.write("call 1\n")
        counter.stdin.flush()
        called = buttons.expect("loket 1 ack call ", timeout=20).split()[-1]
        time.sleep(1)  # a ticket issued just before the call is printed by now
        while not tickets.lines.empty():
            tickets.seen.append(tickets.lines.get())
        printed = [line.split("printed ticket ")[1].split()[0] for line in tickets.seen if "printed" in line]
        assert called in printed, (called, printed)  # the kiosk printed it (the patient took one more?)
        spoken = Lines(display.stdout).expect("[display-1] Loket 1: ", timeout=30)
        assert re.match(rf"\[display-1\] Loket 1: {called}\b", spoken), spoken  # then what it spoke
    except AssertionError:
        for node in ("display-1", "counter-1", "kiosk-1"):
            sys.stderr.write(f"--- {node}\n" + (tmp_path / f"{node}.log").read_text()[-3000:])
        raise
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                assert process.wait(15) == 0
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                for stream in (process.stdin, process.stdout):
                    if stream is not None:
                        stream.close()


def _connect(
    port: int, *, tls: ssl.SSLContext | None, user: str | None = None, password: str = ""
) -> int | str:
    """CONNACK code of one paho client, or the name of the error that stopped it before."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"antrean-{SITE}-{user or 'x'}")
    if tls is not None:
        client.tls_set_context(tls)
    if user is not None:
        client.username_pw_set(user, password)
    answered, codes = threading.Event(), []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
        codes.append(reason.value)
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *_args: answered.set()
    client.reconnect_delay_set(60, 60)  # no quiet reconnects: a refused client stays refused
    try:
        client.connect("127.0.0.1", port)
    except OSError as error:
        return type(error).__name__
    client.loop_start()
    answered.wait(10)
    client.disconnect()
    client.loop_stop()
    return codes[0] if codes else "no CONNACK"


def _refusals(site: Site, tmp_path: Path) -> None:
    trusting = ssl.create_default_context(cafile=site.ca_file)
    assert _connect(site.tls_port, tls=trusting) != 0  # anonymous, over TLS
    assert _connect(site.plain_port, tls=None) != 0  # anonymous, on the hub's own plain listener
    assert _connect(site.tls_port, tls=trusting, user="kiosk-1", password="Wrong-Password-123") != 0
    password = site.url("kiosk-1").split(":")[2].split("@")[0]
    assert _connect(site.tls_port, tls=trusting, user="kiosk-1", password=password) == 0  # the control
    other = tmp_path / "other-site"
    provision(write_site(tmp_path / "other.toml"), other)
    stranger = client_tls_context(str(other / "ca" / "ca.crt"))  # what MqttLink uses for [mqtt] ca_file
    for context in (client_tls_context(), stranger):  # the system's CAs; another site's CA
        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(site.tls_port, context)
    with pytest.raises(ssl.SSLCertVerificationError):  # the right CA, but a name not in the certificate
        _handshake(site.tls_port, client_tls_context(site.ca_file), server_hostname="hub.elsewhere.lan")


def _handshake(port: int, context: ssl.SSLContext, server_hostname: str = "127.0.0.1") -> None:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with context.wrap_socket(raw, server_hostname=server_hostname, do_handshake_on_connect=False) as tls:
        tls.do_handshake()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return _site(tmp_path)


def test_hub_from_its_bundle_serves_the_nodes_over_tls(site: Site, tmp_path: Path) -> None:
    hub = HubProcess(site.prefix / "hub.toml", tmp_path / "hub.log").start()
    try:
        assert f"TLS on 127.0.0.1:{site.tls_port}" in hub.log()
        _loop(site, tmp_path)
        _refusals(site, tmp_path)
    finally:
        hub.stop()


def test_mosquitto_with_the_provisioned_conf_serves_the_same_loop(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not shutil.which("mosquitto"):
        pytest.fail("mosquitto is needed (apt-get install mosquitto)")
    conf = (site.prefix / "mosquitto.conf").read_text()
    conf = conf.replace("listener 1883 127.0.0.1\n", f"listener {site.plain_port} 127.0.0.1\n")
    conf = conf.replace(f"listener {site.tls_port}\n", f"listener {site.tls_port} 127.0.0.1\n")
    for name, installed in (
        ("mqtt.passwd", "/etc/mosquitto/antrean.passwd"),
        ("mqtt.acl", "/etc/mosquitto/antrean.acl"),
        ("broker.crt", "/etc/mosquitto/antrean-broker.crt"),
        ("broker.key", "/etc/mosquitto/antrean-broker.key"),
    ):
        assert installed in conf
        conf = conf.replace(installed, str(site.prefix / name))
    conf = conf.replace("persistence true", "persistence false") + "\nuser root\n"
    (tmp_path / "mosquitto.conf").write_text(conf)
    with (tmp_path / "mosquitto.log").open("wb") as log:
        mosquitto = subprocess.Popen(
            ["mosquitto", "-c", str(tmp_path / "mosquitto.conf")], stdout=log, stderr=subprocess.STDOUT
        )
    env_line = (site.prefix / "hub-mosquitto.env").read_text().strip()
    name, _, url = env_line.partition("=")
    monkeypatch.setenv(
        name, url.replace(":1883", f":{site.plain_port}")
    )  # as antrean-hub.service reads hub.env
    hub = HubProcess(site.prefix / "hub.toml", tmp_path / "hub.log")
    try:
        deadline = time.monotonic() + 10
        while _connect(site.plain_port, tls=None) == "ConnectionRefusedError":
            assert mosquitto.poll() is None and time.monotonic() < deadline, (
                tmp_path / "mosquitto.log"
            ).read_text()
            time.sleep(0.1)
        hub.start()
        assert "embedded MQTT broker" not in hub.log()
        _loop(site, tmp_path)
        _refusals(site, tmp_path)
    finally:
        hub.stop()
        mosquitto.terminate()
        mosquitto.wait(10)
