"""Finding 4 of issue 11: a burst of requests must not lose replies or live state.

The hub's MQTT client used to queue at most 1,000 outgoing messages and the gateway ignored the publish
result: a burst of more requests than that lost replies (MQTT_ERR_QUEUE_SIZE) while every ticket was stored.
The burst here is sent by a plain paho client with an unlimited queue, so only the hub can lose anything."""

from __future__ import annotations

import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from sqlalchemy import create_engine, update

from hub.db.models import Polyclinic
from protocol import DisplayState, TicketReply, TicketRequest, Topics, parse_mqtt_url
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

BURST = 1_500  # more than the 1,000 messages the hub's client used to queue


class BurstKiosk:
    """One client publishing ticket requests as fast as it can and counting the replies."""

    def __init__(self, url: str, topics: Topics, node: str) -> None:
        address = parse_mqtt_url(url)
        self.topics = topics
        self.node = node
        self.replies: dict[str, TicketReply] = {}
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client_id = f"{topics.root.replace('/', '-')}-{node}"
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_args: self._subscribed.set()
        self.client.on_connect = lambda client, *_args: client.subscribe(topics.ticket_reply(node), qos=1)
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "burst client did not subscribe"

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic != self.topics.ticket_reply(self.node):
            return  # amqtt also hands a new client retained messages of other clients' subscriptions
        reply = TicketReply.decode(message.payload)
        with self._lock:
            self.replies[reply.request_id] = reply

    def count(self) -> int:
        with self._lock:
            return len(self.replies)

    def send(self, n: int) -> None:
        topic = self.topics.ticket_request(self.node)
        for i in range(n):
            request = TicketRequest(
                request_id=f"burst-{i}", category="umum", payment_type="bpjs", poly_code="A"
            )
            info = self.client.publish(topic, request.encode(), qos=1)
            assert info.rc == mqtt.MQTT_ERR_SUCCESS

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_burst_of_requests_gets_every_reply_and_the_final_state(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    engine = create_engine(hub.database_url)
    with engine.begin() as conn:  # refusals would be replies too; every request should get a ticket here
        conn.execute(update(Polyclinic).values(quota_per_day=100_000))
    engine.dispose()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.display_state())
    kiosk = BurstKiosk(mqtt_url, topics, "kiosk-burst")
    try:
        kiosk.send(BURST)
        wait_until(lambda: kiosk.count() == BURST, timeout=180, interval=0.5)
        assert all(reply.ok for reply in kiosk.replies.values())
        wait_until(
            lambda: DisplayState.decode(recorder.last(topics.display_state())).totals.issued == BURST,
            timeout=30,
            interval=0.2,
        )
    finally:
        kiosk.close()
        recorder.close()
    assert "MQTT_ERR_QUEUE_SIZE" not in hub.log() and "not sent" not in hub.log()
