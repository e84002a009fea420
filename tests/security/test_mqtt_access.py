"""Issue 11, finding 1: the shipped accounts and ACL hold on both brokers (the embedded one and Mosquitto),
tried the way an attacker on the waiting-room Wi-Fi would, with plain paho clients. Each refused action is
checked from the receiving side (the hub's account saw nothing, a later subscriber finds no retained
message); each allowed path is checked to still work."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.security.brokers import (
    ACCOUNTS,
    ROOT,
    SITE,
    Client,
    SecuredBroker,
    node,
    start_embedded,
    write_passwords,
)
from tests.support import wait_until

pytestmark = pytest.mark.slow  # two real brokers, refused connections wait for their answer


def _hub(broker: SecuredBroker) -> Client:
    hub = node(broker, "hub")
    hub.subscribe(f"{ROOT}/#")
    return hub


def _settle(hub: Client, marker_from: Client, marker_topic: str) -> None:
    """Publish a marker the hub may receive after the attacker's messages: once it is in, anything the broker
    forwarded before it would be in too (one connection, QoS 1, in order)."""
    marker_from.publish(marker_topic, b'{"marker":1}')
    wait_until(lambda: hub.on(marker_topic), timeout=10)


def test_anonymous_and_wrong_passwords_are_refused(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    anonymous = Client.connect(secured.port, None, None, f"antrean-{SITE}-kiosk-9")
    assert anonymous.rc != 0
    wrong = Client.connect(secured.port, "kiosk-1", "not-the-password", f"antrean-{SITE}-kiosk-1")
    assert wrong.rc != 0
    unknown = Client.connect(secured.port, "kiosk-99", ACCOUNTS["kiosk-1"], f"antrean-{SITE}-kiosk-99")
    assert unknown.rc != 0
    assert hub.connected.is_set()
    hub.close()


def test_kiosk_takes_numbers_and_does_nothing_else(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    kiosk = node(secured, "kiosk-1")
    forbidden = [
        (f"{ROOT}/counter/1/command", False),
        (f"{ROOT}/display/state", True),
        (f"{ROOT}/services", True),
        (f"{ROOT}/hub/status", True),
        (f"{ROOT}/kiosk/kiosk-2/ticket/request", False),
        (f"{ROOT}/kiosk/kiosk-2/ticket/cancel", False),
        (f"{ROOT}/kiosk/kiosk-2/booking/request", False),
        (f"{ROOT}/node/kiosk-2/status", True),
    ]
    for topic, retain in forbidden:
        kiosk.publish(topic, b'{"v":1,"attack":true}', retain=retain)
    own_request = f"{ROOT}/kiosk/kiosk-1/ticket/request"
    _settle(hub, kiosk, own_request)  # the allowed path works
    for topic, _retain in forbidden:
        assert not hub.on(topic), f"the hub received a kiosk's publish on {topic}"
    # nothing was retained for TVs and kiosks connecting later
    later = node(secured, "display-1")
    later.subscribe(f"{ROOT}/display/state")
    later.subscribe(f"{ROOT}/services")
    later.subscribe(f"{ROOT}/hub/status")
    later.publish(f"{ROOT}/node/display-1/status", b'{"v":1}')
    _settle(hub, later, f"{ROOT}/node/display-1/status")
    time.sleep(0.5)  # retained messages come right after the SUBACK; give a wrong one time to show up
    assert not later.messages
    for client in (later, kiosk, hub):
        client.close()


def test_kiosk_reads_only_its_own_replies(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    kiosk = node(secured, "kiosk-1")
    for topic_filter in (f"{ROOT}/kiosk/kiosk-2/ticket/reply", f"{ROOT}/kiosk/+/ticket/reply", f"{ROOT}/#"):
        kiosk.subscribe(topic_filter)  # refused (embedded) or granted and filtered (Mosquitto)
    kiosk.subscribe(f"{ROOT}/kiosk/kiosk-1/ticket/reply")
    hub.publish(f"{ROOT}/kiosk/kiosk-2/ticket/reply", b'{"v":1,"other":true}')
    hub.publish(f"{ROOT}/counter/1/state", b'{"v":1}', retain=True)
    hub.publish(f"{ROOT}/kiosk/kiosk-1/ticket/reply", b'{"v":1,"own":true}')
    wait_until(lambda: kiosk.on(f"{ROOT}/kiosk/kiosk-1/ticket/reply"), timeout=10)
    assert [topic for topic, _payload, _retained in kiosk.messages] == [f"{ROOT}/kiosk/kiosk-1/ticket/reply"]
    kiosk.close()
    hub.close()


def test_display_is_read_only(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    display = node(secured, "display-1")
    forbidden = [
        f"{ROOT}/display/state",
        f"{ROOT}/display/announce",
        f"{ROOT}/services",
        f"{ROOT}/counter/1/command",
        f"{ROOT}/kiosk/display-1/ticket/request",
        f"{ROOT}/kiosk/kiosk-1/ticket/request",
        f"{ROOT}/node/kiosk-1/status",
        f"{ROOT}/display/voice/pack",  # nobody on the waiting-room Wi-Fi replaces the voice of the calls
        f"{ROOT}/display/voice/clip/tiga",
    ]
    for topic in forbidden:
        display.publish(topic, b'{"v":1,"attack":true}')
    # its own status and its liveness probe (published and read back) are allowed
    probe = f"{ROOT}/node/display-1/probe"
    display.subscribe(probe)
    display.publish(probe, b'{"v":1,"probe":1}')
    wait_until(lambda: display.on(probe), timeout=10)
    _settle(hub, display, f"{ROOT}/node/display-1/status")
    for topic in forbidden:
        assert not hub.on(topic), f"the hub received a display's publish on {topic}"
    # it reads what the waiting room shows
    hub.publish(f"{ROOT}/display/state", b'{"v":1,"state":1}', retain=True)
    display.subscribe(f"{ROOT}/display/state")
    wait_until(lambda: display.on(f"{ROOT}/display/state"), timeout=10)
    # and the hub's voice pack
    hub.publish(f"{ROOT}/display/voice/clip/tiga", b'{"v":1,"clip":1}', retain=True)
    display.subscribe(f"{ROOT}/display/voice/clip/+")
    wait_until(lambda: display.on(f"{ROOT}/display/voice/clip/tiga"), timeout=10)
    display.close()
    hub.close()


def test_counter_cannot_act_as_a_kiosk(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    counter = node(secured, "counter-1")
    forbidden = [
        f"{ROOT}/kiosk/kiosk-1/ticket/request",
        f"{ROOT}/kiosk/kiosk-1/ticket/cancel",
        f"{ROOT}/kiosk/kiosk-1/booking/request",
        f"{ROOT}/kiosk/counter-1/ticket/request",
        f"{ROOT}/display/state",
    ]
    for topic in forbidden:
        counter.publish(topic, b'{"v":1,"attack":true}')
    _settle(hub, counter, f"{ROOT}/counter/1/command")  # its own job still works
    for topic in forbidden:
        assert not hub.on(topic), f"the hub received a counter's publish on {topic}"
    counter.close()
    hub.close()


@pytest.mark.parametrize("user", ["kiosk-1", "counter-1", "display-1"])
def test_every_node_reads_hub_status_and_services(secured: SecuredBroker, user: str) -> None:
    hub = node(secured, "hub")
    hub.publish(f"{ROOT}/hub/status", b'{"v":1,"state":"online"}', retain=True)
    hub.publish(f"{ROOT}/services", b'{"v":1,"open":true}', retain=True)
    client = node(secured, user)
    client.subscribe(f"{ROOT}/hub/status")
    client.subscribe(f"{ROOT}/services")
    wait_until(lambda: client.on(f"{ROOT}/hub/status") and client.on(f"{ROOT}/services"), timeout=10)
    client.close()
    hub.close()


@pytest.mark.parametrize("attacker", ["kiosk-1", None, "wrong-password"])
def test_no_client_can_take_over_the_hubs_session(secured: SecuredBroker, attacker: str | None) -> None:
    """amqtt dropped the session (subscriptions and all) of a client id as soon as a CONNECT with that id
    arrived, even one it then refused: the hub stayed connected but deaf."""
    hub = _hub(secured)
    hub_id = f"antrean-{SITE}-hub"
    if attacker == "wrong-password":
        intruder = Client.connect(secured.port, "hub", "guessed-password", hub_id)
    elif attacker is None:
        intruder = Client.connect(secured.port, None, None, hub_id)
    else:
        intruder = Client.connect(secured.port, attacker, ACCOUNTS[attacker], hub_id)
    time.sleep(1.0)  # the attack of the issue: connected for a second, then gone
    intruder.close()
    kiosk = node(secured, "kiosk-1")
    _settle(hub, kiosk, f"{ROOT}/kiosk/kiosk-1/ticket/request")  # the hub still hears the kiosks
    assert hub.connected.is_set() and hub.disconnects == 0
    kiosk.close()
    hub.close()


def test_a_node_cannot_use_another_nodes_client_id(secured: SecuredBroker) -> None:
    victim = node(secured, "display-1")
    victim.subscribe(f"{ROOT}/display/announce")
    intruder = Client.connect(secured.port, "kiosk-1", ACCOUNTS["kiosk-1"], f"antrean-{SITE}-display-1")
    time.sleep(1.0)
    intruder.close()
    hub = node(secured, "hub")
    hub.publish(f"{ROOT}/display/announce", b'{"v":1}')
    wait_until(lambda: victim.on(f"{ROOT}/display/announce"), timeout=10)
    assert victim.disconnects == 0
    for client in (victim, hub):
        client.close()


def test_payloads_over_64_kib_are_refused(secured: SecuredBroker) -> None:
    hub = _hub(secured)
    topic = f"{ROOT}/kiosk/kiosk-1/ticket/request"
    attacker = node(secured, "kiosk-1")
    attacker.client.publish(topic, b"x" * (64 * 1024 + 1), qos=1)  # the embedded broker hangs up on it
    attacker.close()
    kiosk = node(secured, "kiosk-1")
    kiosk.publish(topic, b"y" * 60_000)
    wait_until(lambda: hub.on(topic), timeout=10)
    assert [len(payload) for payload in hub.on(topic)] == [60_000]
    kiosk.close()
    hub.close()


def test_embedded_broker_retains_only_the_protocols_retained_topics(tmp_path: Path) -> None:
    """The retained store stays bounded: even where the ACL lets an account write, a retained message is
    kept only on a topic the protocol retains (Mosquitto cannot tell; there the ACL alone bounds it)."""
    broker = start_embedded(tmp_path, write_passwords(tmp_path / "mqtt.passwd"))
    embedded = SecuredBroker("embedded", broker.port)
    try:
        kiosk = node(embedded, "kiosk-1")
        for n in range(20):
            kiosk.publish(f"{ROOT}/kiosk/kiosk-1/ticket/request", f'{{"n":{n}}}'.encode(), retain=True)
        kiosk.publish(f"{ROOT}/node/kiosk-1/status", b'{"v":1,"state":"online"}', retain=True)
        hub = node(embedded, "hub")
        hub.publish(f"{ROOT}/display/state", b'{"v":1}', retain=True)
        hub.publish(f"{ROOT}/display/announce", b'{"v":1}', retain=True)
        hub.close()
        later = node(embedded, "hub")
        later.subscribe(f"{ROOT}/#")
        wait_until(lambda: later.on(f"{ROOT}/node/kiosk-1/status") and later.on(f"{ROOT}/display/state"), 10)
        time.sleep(0.5)  # every retained message comes right after the SUBACK
        assert sorted(topic for topic, _payload, retained in later.messages if retained) == [
            f"{ROOT}/display/state",
            f"{ROOT}/node/kiosk-1/status",
        ]
        kiosk.close()
        later.close()
    finally:
        broker.stop()


def test_embedded_broker_drops_garbage_and_silence_before_connect(tmp_path: Path) -> None:
    broker = start_embedded(tmp_path, write_passwords(tmp_path / "mqtt.passwd"))
    try:
        with socket.create_connection(("127.0.0.1", broker.port)) as garbage:
            garbage.sendall(b"\x10\xff\xff\xff\x7f" + b"\x00" * 64)  # a CONNECT claiming 256 MB
            garbage.settimeout(15)
            answer = garbage.recv(10)  # nothing, or a refusal; then the broker hangs up
            assert answer in (b"", b"\x20\x02\x00\x05"), answer
            assert garbage.recv(10) == b""
        with socket.create_connection(("127.0.0.1", broker.port)):
            pass  # connected and gone without a word
        hub = node(SecuredBroker("embedded", broker.port), "hub")
        assert hub.connected.is_set()
        hub.close()
    finally:
        broker.stop()
