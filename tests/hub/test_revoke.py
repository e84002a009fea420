"""Revoking a node: the account leaves the password file, the embedded broker reloads its accounts on a
signal and disconnects the node's client at once; reconnecting is refused. The technician's CLI and the
reload command for Mosquitto sites."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from antrean.cli import main as antrean
from hub.broker import BrokerProcess, BrokerSettings, free_port
from hub.config import BrokerConfig, HubConfig
from hub.mqttauth import BrokerPolicy, ConnectRequest, read_password_file, set_password
from hub.mqttauth.template import site_acl
from hub.revoke import NodeAccounts, revoke_node, run_reload_command
from protocol.transport import doctor_client_id
from tests.support import wait_until

SITE = "pkm"
NOT_AUTHORISED = 135  # paho's reason code for an MQTT 3.1.1 CONNACK 5
PASSWORDS = {"kiosk-1": "Kiosk-Pass-4821", "display-1": "Display-Pass-7710"}


@dataclass
class Client:
    """A paho client as a node: connects once, records CONNACK codes and disconnects."""

    user: str
    port: int
    codes: list[int] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    lost: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.paho = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"antrean-{SITE}-{self.user}")
        self.paho.username_pw_set(self.user, PASSWORDS[self.user])
        self.paho.reconnect_delay_set(60, 60)
        self.paho.on_connect = self._on_connect
        self.paho.on_disconnect = self._on_disconnect

    def _on_connect(self, _c: object, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
        self.codes.append(reason.value)
        self.answered.set()
        if reason.value == 0:
            self.connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.lost.set()
        self.answered.set()

    def start(self) -> Client:
        self.paho.connect("127.0.0.1", self.port)
        self.paho.loop_start()
        assert self.answered.wait(10)
        return self

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    passwd, acl = tmp_path / "mqtt.passwd", tmp_path / "mqtt.acl"
    for user, password in PASSWORDS.items():
        set_password(passwd, user, password)
    acl.write_text(site_acl(SITE, kiosks=["kiosk-1"], displays=["display-1"]))
    return passwd, acl


@pytest.fixture
def broker(files: tuple[Path, Path]) -> Iterator[BrokerProcess]:
    passwd, acl = files
    settings = BrokerSettings("127.0.0.1", free_port(), SITE, str(passwd), str(acl)).with_internal_account(
        "hub"
    )
    process = BrokerProcess(settings)
    process.start()
    yield process
    process.stop()


def hub_config(passwd: Path, reload_command: str = "") -> HubConfig:
    return HubConfig(broker=BrokerConfig(password_file=str(passwd), reload_command=reload_command))


@pytest.mark.slow  # a broker process and live clients
def test_revoked_node_is_disconnected_at_once_and_refused_at_reconnect(
    broker: BrokerProcess, files: tuple[Path, Path]
) -> None:
    kiosk, display = Client("kiosk-1", broker.port).start(), Client("display-1", broker.port).start()
    try:
        assert kiosk.connected.is_set() and display.connected.is_set()
        outcome = revoke_node(hub_config(files[0]), broker, "kiosk-1")
        assert outcome.removed and outcome.reloaded == ["embedded broker"] and outcome.problems == []
        assert kiosk.lost.wait(10), "the revoked node's client must be disconnected at once"
        assert not display.lost.is_set(), "other nodes stay connected"
        assert "kiosk-1" not in read_password_file(files[0])
        again = Client("kiosk-1", broker.port).start()
        again.close()
        assert again.codes == [NOT_AUTHORISED]
        assert broker.restarts == 0  # reloaded in place, not restarted
    finally:
        kiosk.close()
        display.close()


@pytest.mark.slow
def test_a_broker_restarted_after_the_revocation_still_refuses_the_node(
    broker: BrokerProcess, files: tuple[Path, Path]
) -> None:
    assert antrean(["broker", "revoke", str(files[0]), "kiosk-1"]) == 0
    assert broker.pid is not None
    old = broker.pid
    broker._process.kill()  # type: ignore[union-attr]  # the supervisor starts it again from the files
    wait_until(lambda: broker.restarts == 1 and broker.pid != old, timeout=20)
    refused = Client("kiosk-1", broker.port).start()
    refused.close()
    assert refused.codes == [NOT_AUTHORISED]


def test_cli_revoke_removes_the_account_once(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    passwd = str(files[0])
    assert antrean(["broker", "revoke", passwd, "kiosk-1"]) == 0
    assert "systemctl reload" in capsys.readouterr().out
    assert set(read_password_file(passwd)) == {"display-1"}
    assert antrean(["broker", "revoke", passwd, "kiosk-1"]) == 1
    assert "no account kiosk-1" in capsys.readouterr().err
    assert antrean(["broker", "revoke", passwd + ".missing", "kiosk-1"]) == 1


def test_reload_command_runs_for_an_external_broker(files: tuple[Path, Path], tmp_path: Path) -> None:
    marker = tmp_path / "reloaded"
    outcome = revoke_node(hub_config(files[0], f"touch {marker}"), None, "display-1")
    assert outcome.removed and marker.exists() and outcome.reloaded == [f"touch {marker}"]
    failing = revoke_node(hub_config(files[0], "false"), None, "kiosk-1")
    assert failing.removed and failing.reloaded == [] and "exited with 1" in failing.problems[0]
    assert run_reload_command("/no/such/program") is not None
    unset = revoke_node(hub_config(files[0]), None, "kiosk-1")
    assert not unset.removed and "reload_command" in unset.problems[0]
    assert NodeAccounts(hub_config(files[0])).names() == set()


def test_policy_reload_keeps_the_internal_account_and_admits_the_doctor(files: tuple[Path, Path]) -> None:
    passwd, _acl = files
    settings = BrokerSettings("127.0.0.1", 1883, SITE, str(passwd), str(files[1])).with_internal_account(
        "hub"
    )
    policy = settings.policy()
    assert settings.internal is not None
    assert (
        policy.admit(ConnectRequest(doctor_client_id(SITE, "kiosk-1"), "kiosk-1", PASSWORDS["kiosk-1"]))
        is None
    )
    assert policy.admit(ConnectRequest("antrean-pkm-kiosk-1.other", "kiosk-1", PASSWORDS["kiosk-1"]))
    assert policy.admit(ConnectRequest(doctor_client_id(SITE, "display-1"), "kiosk-1", PASSWORDS["kiosk-1"]))
    fresh = BrokerPolicy(site=SITE, passwords={"display-1": read_password_file(passwd)["display-1"]})
    assert policy.replace_accounts(fresh) == ["kiosk-1"]
    assert not policy.knows("kiosk-1") and policy.knows("display-1") and policy.knows("hub")
    assert not policy.knows(None)
    assert policy.admit(ConnectRequest("antrean-pkm-kiosk-1", "kiosk-1", PASSWORDS["kiosk-1"]))
    assert policy.admit(ConnectRequest("antrean-pkm-hub", "hub", settings.internal.password)) is None
