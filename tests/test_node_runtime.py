"""NodeRuntime, the MQTT side every node shares: typed routes, tolerance of bad messages, availability status,
the systemd watchdog."""

from __future__ import annotations

import json
import logging
import threading

import pytest

import antrean
from antrean.node import NodeConfig
from antrean.runtime import NodeRuntime, typed_handler
from antrean.watchdog import Notifier
from protocol import NodeStatus, Services, Topics
from tests.kiosk import samples
from tests.support import Recorder, wait_until

TOPIC = "antrean/pkm/services"


class RecordingNotifier(Notifier):
    """systemd's notification socket, as the lines the process sent."""

    def __init__(self) -> None:
        super().__init__("@test")
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def notify(self, *lines: str) -> bool:
        with self._lock:
            self.lines.extend(lines)
        return True


def warnings_on(caplog: pytest.LogCaptureFixture, topic: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "antrean.runtime" and r.levelno == logging.WARNING and topic in r.getMessage()
    ]


def test_a_route_gets_the_topic_and_the_decoded_payload() -> None:
    got: list[tuple[str, Services]] = []
    handle = typed_handler(Services, lambda topic, services: got.append((topic, services)))
    handle(TOPIC, samples.services().encode())
    assert got == [(TOPIC, samples.services())]


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[]", b'{"v": 2}', b"[" * 100_000, b'{"v": 1, "open": "perhaps"}'],
    ids=["not-json", "not-an-object", "newer-version", "oversized", "invalid-field"],
)
def test_a_malformed_payload_is_logged_once_and_ignored(
    payload: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[Services] = []
    handle = typed_handler(Services, lambda _topic, services: got.append(services))
    handle(TOPIC, payload)  # no exception: the link would log a traceback for one
    handle(TOPIC, samples.services().encode())
    assert got == [samples.services()]
    assert len(warnings_on(caplog, TOPIC)) == 1


def test_a_field_this_node_does_not_know_is_refused_as_the_contract_says(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A newer hub adding a field: the node keeps what it has and goes on (it never crashes); the v1 contract
    refuses unknown fields, so the message is ignored with one line naming the field."""
    newer = samples.services().model_dump(mode="json") | {"queue_policy": "2:1"}
    got: list[Services] = []
    handle = typed_handler(Services, lambda _topic, services: got.append(services))
    handle(TOPIC, json.dumps(newer).encode())
    assert got == []
    lines = warnings_on(caplog, TOPIC)
    assert len(lines) == 1 and "queue_policy" in lines[0]
    handle(TOPIC, samples.services().encode())
    assert got == [samples.services()]


def test_an_empty_payload_is_a_retained_message_cleared(caplog: pytest.LogCaptureFixture) -> None:
    cleared: list[str] = []
    handle = typed_handler(Services, lambda _topic, _services: None, cleared=cleared.append)
    handle(TOPIC, b"")
    assert cleared == [TOPIC]
    typed_handler(Services, lambda _topic, _services: None)(TOPIC, b"")  # without a clear handler: ignored
    assert warnings_on(caplog, TOPIC) == []


def test_status_online_with_version_and_details_then_offline(mqtt_url: str, site: str) -> None:
    topics = Topics(site)
    status_topic = topics.node_status("kiosk-9")
    recorder = Recorder(mqtt_url, status_topic)
    systemd = RecordingNotifier()
    config = NodeConfig.model_validate({"site": site, "node_id": "kiosk-9", "mqtt": {"url": mqtt_url}})
    runtime = NodeRuntime(config, "kiosk", details={"printer": "ok"}, notifier=systemd)
    got: list[Services] = []
    runtime.route(topics.services(), Services, lambda _topic, services: got.append(services))
    assert runtime.link.client_id == f"antrean-{site}-kiosk-9"

    def last_status() -> NodeStatus:
        return NodeStatus.decode(recorder.last(status_topic))

    try:
        assert runtime.start(wait=10)
        wait_until(lambda: last_status().state == "online")
        status = last_status()
        assert (status.node, status.role, status.version) == ("kiosk-9", "kiosk", antrean.__version__)
        assert status.details == {"printer": "ok"}
        wait_until(lambda: "READY=1" in systemd.lines)

        recorder.link.publish(topics.services(), b"{not json")
        recorder.link.publish(topics.services(), samples.services())
        wait_until(lambda: got == [samples.services()])

        runtime.set_details(printer="paper_out")
        wait_until(lambda: last_status().details == {"printer": "paper_out"})
        assert last_status().state == "online"
    finally:
        runtime.stop()
    wait_until(lambda: last_status().state == "offline")
    assert last_status().version == antrean.__version__
    assert systemd.lines[-1] == "STOPPING=1"
    recorder.close()
