"""MqttLink through a real broker: routing, retained status, last will, handler failures."""

from __future__ import annotations

import socket

from protocol import MqttLink, NodeStatus, Topics
from tests.support import Recorder, wait_until


def _status(state: str) -> NodeStatus:
    return NodeStatus(node="k1", role="kiosk", state=state, version="test")  # type: ignore[arg-type]


def test_status_online_then_offline_on_clean_stop(mqtt_url: str, site: str) -> None:
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.node_status("k1"))
    link = MqttLink(
        mqtt_url,
        client_id=f"{site}-k1",
        status_topic=topics.node_status("k1"),
        online=_status("online"),
        offline=_status("offline"),
    )
    assert link.start(wait=5)
    wait_until(
        lambda: any(
            NodeStatus.decode(m.payload).state == "online" for m in recorder.on(topics.node_status("k1"))
        )
    )
    link.stop()
    wait_until(lambda: NodeStatus.decode(recorder.last(topics.node_status("k1"))).state == "offline")
    recorder.close()


def test_last_will_marks_a_dead_node_offline(mqtt_url: str, site: str) -> None:
    topics = Topics(site)
    link = MqttLink(
        mqtt_url,
        client_id=f"{site}-k2",
        status_topic=topics.node_status("k2"),
        online=_status("online"),
        offline=_status("offline"),
        keepalive=2,
    )
    assert link.start(wait=5)
    recorder = Recorder(mqtt_url, topics.node_status("k2"))
    wait_until(lambda: recorder.on(topics.node_status("k2")))
    # kill the socket without DISCONNECT: the broker must publish the will
    link._client.loop_stop()
    sock = link._client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    wait_until(
        lambda: NodeStatus.decode(recorder.last(topics.node_status("k2"))).state == "offline", timeout=10
    )
    recorder.close()


def test_a_failing_handler_does_not_stop_the_link(mqtt_url: str, site: str) -> None:
    got: list[bytes] = []

    def handler(_topic: str, payload: bytes) -> None:
        if payload == b"boom":
            raise RuntimeError("handler bug")
        got.append(payload)

    link = MqttLink(mqtt_url, client_id=f"{site}-h")
    link.route(f"antrean/{site}/x", handler)
    assert link.start(wait=5)
    link.publish(f"antrean/{site}/x", b"boom")
    link.publish(f"antrean/{site}/x", b"fine")
    wait_until(lambda: got == [b"fine"])
    link.stop()
