"""MqttLink through a real broker: routing, retained status, last will, handler failures."""

from __future__ import annotations

import socket

import paho.mqtt.client as mqtt
import pytest

from protocol import MqttLink, NodeStatus, Probe, Topics
from protocol.payloads import NodeState
from protocol.transport import TCP_QUICKACK, QuickAckClient, parse_mqtt_url
from tests.netproxy import CuttableLink
from tests.support import Recorder, wait_until


def _status(state: NodeState) -> NodeStatus:
    return NodeStatus(node="k1", role="kiosk", state=state, version="test")


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


@pytest.mark.slow  # waits for the broker's keepalive to expire
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


@pytest.mark.skipif(TCP_QUICKACK is None, reason="TCP_QUICKACK is Linux-only")
def test_every_read_turns_quick_ack_back_on() -> None:
    """A delayed ACK from us would let a Nagle-enabled broker hold its next packet back ~40 ms."""
    assert TCP_QUICKACK is not None
    server = socket.create_server(("127.0.0.1", 0))
    peer = socket.create_connection(server.getsockname())
    ours, _ = server.accept()
    client = QuickAckClient(mqtt.CallbackAPIVersion.VERSION2, client_id="quickack-test")
    client._sock = ours
    try:
        ours.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 0)  # as the kernel does once it sees traffic
        assert ours.getsockopt(socket.IPPROTO_TCP, TCP_QUICKACK) == 0
        peer.sendall(b"\x30\x00")
        assert client._sock_recv(16) == b"\x30\x00"
        assert ours.getsockopt(socket.IPPROTO_TCP, TCP_QUICKACK) == 1
    finally:
        client._sock = None
        for sock in (peer, ours, server):
            sock.close()


def test_paho_reads_through_the_quick_ack_hook(
    mqtt_url: str, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    original = QuickAckClient._sock_recv

    def counting(self: QuickAckClient, bufsize: int) -> bytes:
        reads.append(bufsize)
        return original(self, bufsize)

    monkeypatch.setattr(QuickAckClient, "_sock_recv", counting)
    topic = f"antrean/{site}/test/quickack"
    got: list[bytes] = []
    link = MqttLink(mqtt_url, client_id=f"{site}-quickack")
    link.route(topic, lambda _t, payload: got.append(payload))
    assert link.start(wait=5)
    try:
        link.publish(topic, b"ping")
        wait_until(lambda: got == [b"ping"])
        assert isinstance(link._client, QuickAckClient) and reads  # paho's reads went through the hook
    finally:
        link.stop()


@pytest.mark.slow
def test_connected_only_once_the_broker_has_every_subscription(mqtt_url: str, site: str) -> None:
    """A node counted as online (its status, a harness, a hub's readiness) must not miss what is sent to
    it next: over a slow link, the SUBSCRIBEs reach the broker well after the CONNACK came back."""
    address = parse_mqtt_url(mqtt_url)
    slow = CuttableLink(address.host, address.port)
    slow.delay_s = 0.3
    slow.start()
    topic = f"antrean/{site}/test/first"
    got: list[bytes] = []
    link = MqttLink(slow.url, client_id=f"{site}-slow")
    link.route(topic, lambda _t, payload: got.append(payload))
    sender = MqttLink(mqtt_url, client_id=f"{site}-sender")
    try:
        assert sender.start(wait=5)
        assert link.start(wait=10)
        sender.publish(topic, b"right after connect")
        wait_until(lambda: got == [b"right after connect"], timeout=5)
    finally:
        link.stop()
        sender.stop()
        slow.cut()


def test_a_publish_paho_refuses_is_logged_with_topic_and_code(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    link = MqttLink("mqtt://127.0.0.1:1", client_id="refused")
    refused = mqtt.MQTTMessageInfo(1)
    refused.rc = mqtt.MQTT_ERR_QUEUE_SIZE
    monkeypatch.setattr(link._client, "publish", lambda *_args, **_kwargs: refused)
    with caplog.at_level("ERROR", logger="protocol.link"):
        assert link.publish("antrean/pkm/x", b"payload") is refused
    assert any(
        r.levelname == "ERROR"
        and "antrean/pkm/x" in r.getMessage()
        and f"rc {mqtt.MQTT_ERR_QUEUE_SIZE}" in r.getMessage()
        for r in caplog.records
    )


def test_nothing_is_dropped_for_a_full_queue() -> None:
    """paho's queue is unbounded (the bound is backpressure on requests): a publish while the broker is
    unreachable waits for the reconnect instead of failing once 1,000 are queued."""
    link = MqttLink("mqtt://127.0.0.1:1", client_id="unbounded")
    results = {link.publish("antrean/pkm/x", b"payload").rc for _ in range(1_500)}
    assert results == {mqtt.MQTT_ERR_NO_CONN}
    assert link.backlog() == 1_500


def test_queued_requests_are_all_handled_in_order_under_backpressure(
    mqtt_url: str, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the messages acknowledged on arrival, each is acknowledged once handled (the broker holds the
    rest back), and handling waits while too many replies are unacknowledged: every reply still goes out."""
    monkeypatch.setattr("protocol.link.INBOX_ACK_AHEAD", 5)
    monkeypatch.setattr("protocol.link.HIGH_WATER", 3)
    requests, replies = f"antrean/{site}/test/request", f"antrean/{site}/test/reply"
    handled: list[bytes] = []
    answered: list[bytes] = []
    server = MqttLink(mqtt_url, client_id=f"{site}-server")

    def handle(_topic: str, payload: bytes) -> None:
        handled.append(payload)
        for part in range(3):
            server.publish(replies, payload + b"/%d" % part)

    server.route(requests, handle, queued=True)
    client = MqttLink(mqtt_url, client_id=f"{site}-client")
    client.route(replies, lambda _t, payload: answered.append(payload))
    try:
        assert server.start(wait=10) and client.start(wait=10)
        sent = [b"%03d" % i for i in range(200)]
        for payload in sent:
            client.publish(requests, payload)
        wait_until(lambda: len(answered) == 3 * len(sent), timeout=60, interval=0.1)
        assert handled == sent
        assert answered == [p + b"/%d" % part for p in sent for part in range(3)]
    finally:
        client.stop()
        server.stop()


def test_a_clones_probe_on_our_own_probe_topic_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    """Two nodes with one node_id (a cloned SD card) each probe the same topic: each sees the other's."""
    topics = Topics("pkm")
    link = MqttLink(
        "mqtt://127.0.0.1:1",
        client_id="antrean-pkm-k1",
        status_topic=topics.node_status("k1"),
        online=_status("online"),
        probe_topic=topics.node_probe("k1"),
    )
    own = Probe(sender=link._liveness.sender, seq=1).encode()
    link._liveness.on_probe(topics.node_probe("k1"), own)
    assert not caplog.records and not link._liveness.suspected()
    with caplog.at_level("ERROR", logger="protocol.liveness"):
        link._liveness.on_probe(topics.node_probe("k1"), Probe(sender="someone-else", seq=7).encode())
    assert any("two nodes share one node_id" in r.getMessage() for r in caplog.records)
    status = link._status()
    assert isinstance(status, NodeStatus) and status.details["duplicate_client_id"] is True
