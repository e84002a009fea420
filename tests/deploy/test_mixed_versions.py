"""Issue 13, mixed versions during a rolling update: nodes read what a newer hub sends (fields they do not
know, at any depth, are ignored), the hub stays strict about what nodes send.

``payloads_v1.json`` holds one payload of every kind the hub sends to nodes, in the shapes of release 0.1.0,
frozen: a later release that changes a shape incompatibly fails here first. A "newer hub" adds fields to each.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from protocol import MqttLink, Topics
from protocol.errors import ProtocolError
from protocol.payloads import (
    Announcement,
    CounterReply,
    CounterState,
    DisplayState,
    NodeStatus,
    Payload,
    Services,
    TicketReply,
    TicketRequest,
)
from tests.conftest import HubHandle
from tests.counter.test_cli import Lines
from tests.support import Recorder, wait_until

FROZEN: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("payloads_v1.json")).read_text(encoding="utf-8")
)
KINDS: dict[str, type[Payload]] = {
    "services": Services,
    "ticket_reply": TicketReply,
    "counter_reply": CounterReply,
    "counter_state": CounterState,
    "display_state": DisplayState,
    "announcement": Announcement,
    "hub_status": NodeStatus,
}


def newer(value: Any, depth: int = 0) -> Any:
    """``value`` as a newer hub might send it: every object gets fields this release does not know (but
    ``details`` of a status, free-form by design, is kept as it is)."""
    if isinstance(value, dict):
        grown = {key: item if key == "details" else newer(item, depth + 1) for key, item in value.items()}
        return grown | {f"added_in_v2_{depth}": {"nested": [1, "two"]}, "color": "#00ff00"}
    if isinstance(value, list):
        return [newer(item, depth + 1) for item in value]
    return value


def newer_bytes(kind: str, **changes: Any) -> bytes:
    return json.dumps(newer(FROZEN[kind] | changes)).encode()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_nodes_read_a_newer_hubs_payloads_and_the_hub_would_not(kind: str) -> None:
    payload_type = KINDS[kind]
    frozen = payload_type.decode(json.dumps(FROZEN[kind]))  # this release still reads the frozen shape
    grown = newer_bytes(kind)
    assert b"added_in_v2_" in grown
    assert payload_type.decode(grown, tolerant=True) == frozen  # the node's reader: extras dropped
    with pytest.raises(ProtocolError, match="added_in_v2_0"):
        payload_type.decode(grown)  # the hub's reader


def test_the_frozen_payloads_cover_every_kind_a_node_routes() -> None:
    assert set(FROZEN) == set(KINDS)


def test_the_display_renders_a_state_saved_from_a_newer_hub(tmp_path: Path) -> None:
    from firmware.display_node.cli import main as display

    (tmp_path / "state.json").write_bytes(newer_bytes("display_state"))
    (tmp_path / "services.json").write_bytes(newer_bytes("services"))
    out = tmp_path / "screen.png"
    argv = ["render", str(tmp_path / "state.json"), "--services", str(tmp_path / "services.json")]
    assert display([*argv, "--size", "1280x720", "--out", str(out)]) == 0
    assert out.stat().st_size > 0


def _node(args: list[str], tmp_path: Path, name: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env |= {
        "SDL_AUDIODRIVER": "dummy",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "ANTREAN_VOICE_WARM_NUMBERS": "3",
    }
    with (tmp_path / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "antrean", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log, text=True, env=env,
        )  # fmt: skip


@pytest.mark.slow  # three node programs and a broker
def test_the_node_programs_work_with_a_newer_hub(mqtt_url: str, site: str, tmp_path: Path) -> None:
    topics = Topics(site)
    number = FROZEN["ticket_reply"]["ticket"]["number"]
    hub = MqttLink(mqtt_url, client_id=f"newer-hub-{uuid.uuid4().hex[:6]}")

    def answer(kind: str, reply_topic: Callable[[str], str]) -> Callable[[str, bytes], None]:
        def reply(topic: str, payload: bytes) -> None:
            request_id = json.loads(payload)["request_id"]
            hub.publish(reply_topic(topic), newer_bytes(kind, request_id=request_id))

        return reply

    hub.route(
        topics.ticket_request("kiosk-1"), answer("ticket_reply", lambda _t: topics.ticket_reply("kiosk-1"))
    )
    hub.route(topics.counter_command(1), answer("counter_reply", lambda _t: topics.counter_reply(1)))
    assert hub.start(wait=10)
    for topic, kind in (
        (topics.hub_status(), "hub_status"),
        (topics.services(), "services"),
        (topics.display_state(), "display_state"),
        (topics.counter_state(1), "counter_state"),
    ):
        hub.publish(topic, newer_bytes(kind), retain=True).wait_for_publish(5)
    common = ["--mqtt-url", mqtt_url, "--site", site]
    nodes = {
        "kiosk": _node(["kiosk", "--demo", *common, "--node-id", "kiosk-1"], tmp_path, "kiosk"),
        "counter": _node(["counter", "--simulate", "--counter", "1", *common], tmp_path, "counter"),
        "display": _node(["display", "--demo", *common, "--node-id", "display-1"], tmp_path, "display"),
    }  # fmt: skip
    try:
        kiosk = Lines(nodes["kiosk"].stdout)
        assert kiosk.expect("kiosk kiosk-1: printed ticket ", timeout=40).split()[4] == number
        counter = Lines(nodes["counter"].stdout)
        counter.expect("loket 1 online", timeout=20)
        assert nodes["counter"].stdin is not None
        nodes["counter"].stdin.write("call 1\n")
        nodes["counter"].stdin.flush()
        assert counter.expect("loket 1 ack", timeout=20) == f"loket 1 ack call {number}"
        recorder = Recorder(mqtt_url, topics.node_status("display-1"))
        wait_until(
            lambda: NodeStatus.decode(recorder.last(topics.node_status("display-1"))).state == "online", 20
        )
        recorder.close()
        hub.publish(topics.display_announce(), newer_bytes("announcement")).wait_for_publish(5)
        spoken = Lines(nodes["display"].stdout).expect("[display-1] ", timeout=30)
        assert re.match(rf"\[display-1\] Loket 1: {number}\b", spoken), spoken  # then what it spoke
        for name in nodes:
            log = (tmp_path / f"{name}.log").read_text()
            assert "invalid" not in log.lower() and "Traceback" not in log, (name, log[-2000:])
    finally:
        for process in nodes.values():
            process.send_signal(signal.SIGTERM)
        for process in nodes.values():
            try:
                process.wait(15)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                for stream in (process.stdin, process.stdout):
                    if stream is not None:
                        stream.close()
        hub.stop()


@pytest.mark.slow  # a real hub
def test_the_hub_refuses_fields_it_does_not_know_from_a_node(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.ticket_reply("kiosk-9"))
    kiosk = MqttLink(mqtt_url, client_id=f"antrean-{site}-kiosk-9")
    assert kiosk.start(wait=10)
    request = TicketRequest(request_id="newer-1", category="umum", payment_type="umum", poly_code="A")
    grown = json.loads(request.encode()) | {"queue_hint": "fast"}
    kiosk.publish(topics.ticket_request("kiosk-9"), json.dumps(grown).encode())
    refused = TicketReply.decode(recorder.last(topics.ticket_reply("kiosk-9"), timeout=10))
    assert (refused.request_id, refused.ok) == ("newer-1", False)
    assert refused.error is not None and refused.error.code == "invalid_request" and refused.ticket is None
    kiosk.publish(topics.ticket_request("kiosk-9"), request.model_copy(update={"request_id": "same-1"}))
    wait_until(lambda: len(recorder.on(topics.ticket_reply("kiosk-9"))) == 2, 10)
    accepted = TicketReply.decode(recorder.on(topics.ticket_reply("kiosk-9"))[-1].payload)
    assert (
        accepted.ok and accepted.ticket is not None and accepted.ticket.seq == 1
    )  # the refused one issued none
    kiosk.stop()
    recorder.close()
