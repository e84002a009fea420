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
from protocol import NodeStatus, ProtocolError, Services, TicketReply, TicketRequest, Topics
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


def test_fields_a_newer_hub_added_are_ignored_at_any_depth(caplog: pytest.LogCaptureFixture) -> None:
    """A rolling update: the hub of the next release adds fields (top level and inside nested objects); a
    node of this release keeps what it knows and goes on, without a warning."""
    newer = samples.services().model_dump(mode="json") | {"queue_policy": "2:1"}
    newer["polys"][0]["color"] = "#ff0000"
    got: list[Services] = []
    handle = typed_handler(Services, lambda _topic, services: got.append(services))
    handle(TOPIC, json.dumps(newer).encode())
    assert got == [samples.services()]
    assert warnings_on(caplog, TOPIC) == []


def test_a_reply_with_new_fields_in_its_ticket_still_reaches_the_kiosk() -> None:
    reply = TicketReply(request_id="r-1", ok=True, ticket=samples.ticket())
    newer = reply.model_dump(mode="json")
    newer["ticket"] |= {"room": "Ruang 3", "doctor": {"name": "dr. Ani"}}
    got: list[TicketReply] = []
    typed_handler(TicketReply, lambda _topic, r: got.append(r))(TOPIC, json.dumps(newer).encode())
    assert got == [reply]


def test_what_the_node_knows_is_still_validated(caplog: pytest.LogCaptureFixture) -> None:
    wrong = samples.services().model_dump(mode="json") | {"open": "maybe", "extra": 1}
    got: list[Services] = []
    typed_handler(Services, lambda _topic, services: got.append(services))(TOPIC, json.dumps(wrong).encode())
    assert got == []
    assert len(warnings_on(caplog, TOPIC)) == 1


def test_the_hub_stays_strict_about_unknown_fields() -> None:
    request = TicketRequest(request_id="r-1", category="umum", payment_type="bpjs", poly_code="A")
    sent = request.model_dump(mode="json") | {"kiosk_build": "2.0"}
    with pytest.raises(ProtocolError, match="kiosk_build"):
        TicketRequest.decode(json.dumps(sent).encode())


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


def test_a_clock_more_than_5_s_off_the_hub_is_in_the_node_status(mqtt_url: str, site: str) -> None:
    from datetime import UTC, datetime, timedelta

    topics = Topics(site)
    status_topic = topics.node_status("display-9")
    recorder = Recorder(mqtt_url, status_topic)
    config = NodeConfig.model_validate({"site": site, "node_id": "display-9", "mqtt": {"url": mqtt_url}})
    runtime = NodeRuntime(config, "display")
    skew = [timedelta(seconds=1)]
    runtime.hub_clock.clock = lambda: datetime.now(UTC) + skew[0]

    def hub_status() -> None:
        now = datetime.now(UTC)
        status = NodeStatus(node="hub", role="hub", state="online", version="1", hub_time=now)
        recorder.link.publish(topics.hub_status(), status, retain=True)

    def last_status() -> NodeStatus:
        return NodeStatus.decode(recorder.last(status_topic))

    try:
        hub_status()  # the stored copy the node gets first: of unknown age, not measured
        assert runtime.start(wait=10)
        wait_until(lambda: last_status().state == "online")
        hub_status()
        wait_until(lambda: len(runtime.hub_clock.offsets) == 1)
        assert "clock_offset_s" not in last_status().details  # 1 s off: not published
        skew[0] = timedelta(seconds=30)
        hub_status()
        wait_until(lambda: last_status().details.get("clock_offset_s") is not None)
        assert 29 < last_status().details["clock_offset_s"] < 31
        skew[0] = timedelta(0)
        hub_status()
        wait_until(lambda: abs(last_status().details["clock_offset_s"]) < 1)  # back: said once
    finally:
        runtime.stop()
