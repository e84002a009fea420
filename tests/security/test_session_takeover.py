"""Finding 2 of issue 11: one CONNECT with the hub's client id made the hub deaf for good.

A client connecting as ``antrean-{site}-hub`` for one second took the hub's session over: the broker kept
the hub's TCP connection open (PINGs answered) but delivered nothing to it any more, and nothing was logged.
The hub now probes its own session through the broker, notices within 10 s and reconnects; a fight over
one client id (a cloned SD card) is reported."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest

from benchmarks.harness import ScriptedKiosk
from protocol import NodeStatus, Topics, parse_mqtt_url
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # real hub processes and brokers


def impostor(url: str, client_id: str) -> mqtt.Client:
    address = parse_mqtt_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect(address.host, address.port)
    client.loop_start()
    assert connected.wait(10), "the impostor could not connect"
    return client


def test_the_hub_answers_again_after_an_impostor_took_its_client_id(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-1")
    try:
        assert kiosk.take("before-1").ok
        client = impostor(mqtt_url, f"antrean-{site}-hub")
        time.sleep(1)
        client.disconnect()
        client.loop_stop()
        # the hub notices within 10 s and reconnects; the kiosk re-sends the same request id until answered
        assert kiosk.take("after-1", deadline=60).ok
    finally:
        kiosk.close()
    # amqtt keeps the old connection open but silent: the probe notices; Mosquitto closes it: paho notices
    lost = (f"MQTT session of client id antrean-{site}-hub lost", f"of client id antrean-{site}-hub to")
    wait_until(lambda: any(line in hub.log() for line in lost), timeout=5)


def test_two_processes_fighting_over_one_client_id_are_reported(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.hub_status())
    stop = threading.Event()

    def fight() -> None:  # a clone with the hub's id, connecting again and again
        while not stop.is_set():
            client = impostor(mqtt_url, f"antrean-{site}-hub")
            stop.wait(3)
            client.disconnect()
            client.loop_stop()

    fighter = threading.Thread(target=fight, daemon=True)
    fighter.start()
    try:
        wait_until(lambda: "times in 60 s: two processes" in hub.log(), timeout=120, interval=0.5)
    finally:
        stop.set()
        fighter.join(15)

    def reported() -> bool:
        statuses = [NodeStatus.decode(m.payload) for m in recorder.on(topics.hub_status())]
        return any(s.state == "online" and s.details.get("duplicate_client_id") is True for s in statuses)

    try:
        wait_until(reported, timeout=60, interval=0.5)
    finally:
        recorder.close()
