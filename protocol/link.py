"""The MQTT connection every Antrean process uses: paho-mqtt with availability and routing.

* subscriptions are re-made on every (re)connect; paho reconnects by itself;
* the link counts as connected, and the retained ``status`` message says ``online``, once the broker has
  acknowledged every subscription (nothing sent to the node after that is lost); its last will says
  ``offline``;
* each handler is routed by topic filter and runs on paho's thread; an exception in a handler is logged
  and never stops the link;
* nothing is dropped for a full queue: paho's queue is unbounded, and the bound is backpressure on queued
  routes (``queued=True``: requests whose handling publishes) instead. Their messages are handled on paho's
  thread too while the broker keeps up; once more than ``HIGH_WATER`` of our own publishes are
  unacknowledged, they go in order to the link's inbox thread, which waits before each while that lasts:
  the network thread itself never waits, as it is the one that writes (publishes made from it go out only
  after its callback returns). Up to ``INBOX_ACK_AHEAD`` waiting messages are acknowledged (PUBACK) on
  arrival; beyond that a message is acknowledged only once handled, so a broker with an in-flight window
  (Mosquitto's ``max_inflight_messages``) sends no more until the hub catches up: reading slows, and the
  backlog waits in the broker's queue for this client (Mosquitto's ``max_queued_messages``);
* every publish result is checked; a message paho could not take is logged at ERROR with topic and code;
* with ``probe_topic`` the link proves its session alive through the broker (:mod:`protocol.liveness`):
  silence for ``PROBE_TIMEOUT_S`` while connected means the session was taken over or is dead, so it is
  logged at ERROR naming the client id and the connection is reset; repeated losses are reported as a
  fight over the client id (log, and ``duplicate_client_id`` in the retained status);
* TCP_NODELAY is set on the socket: without it some brokers (amqtt) add ~40 ms per message;
* every read turns TCP_QUICKACK on again (Linux): the broker's small packets (PUBACKs, forwarded messages)
  are acknowledged at once, so a broker with Nagle's algorithm on its sockets (Mosquitto's default
  ``set_tcp_nodelay false``) does not hold the next message back ~40 ms waiting for a delayed ACK.

>>> link = MqttLink("mqtt://127.0.0.1:1883", client_id="doc-example")
>>> link.host, link.port
('127.0.0.1', 1883)
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from protocol.liveness import PROBE_INTERVAL_S, PROBE_TIMEOUT_S, Liveness
from protocol.payloads import NodeStatus, Payload
from protocol.topics import QOS
from protocol.transport import QuickAckClient, client_tls_context, parse_mqtt_url

__all__ = ["HIGH_WATER", "INBOX_ACK_AHEAD", "INFLIGHT", "Handler", "MqttLink", "parse_mqtt_url"]

logger = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
# Our own publishes not yet acknowledged by the broker above which queued routes wait (backpressure), and
# paho's in-flight window (above HIGH_WATER, so queued routes never wait for the window itself).
HIGH_WATER = 200
INFLIGHT = 400
# Queued messages acknowledged on arrival (read at once: ~1 KiB each in memory, ~10 MB at most); beyond,
# one is acknowledged once handled. amqtt gives up waiting for a PUBACK after 5 s (with an error in its log),
# and Debian's default Mosquitto drops what is beyond 1,000 messages waiting for a client: the sooner the hub
# takes a burst in, the less of it waits there.
INBOX_ACK_AHEAD = 10_000


@dataclass(frozen=True)
class _Route:
    topic_filter: str
    handler: Handler
    queued: bool


class MqttLink:
    """One MQTT client: availability status, routing table, automatic reconnects, liveness probe."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        status_topic: str | None = None,
        online: Payload | None = None,
        offline: Payload | None = None,
        keepalive: int = 10,
        resend_after_reconnect: bool = True,
        probe_topic: str | None = None,
        probe_interval: float = PROBE_INTERVAL_S,
        probe_timeout: float = PROBE_TIMEOUT_S,
        ca_file: str = "",
    ) -> None:
        """``resend_after_reconnect=False``: what was published but not acknowledged when the connection
        broke is dropped at the next connect instead of re-sent (for commands whose sender gives up after
        a deadline and tells its user so: a late delivery would act on a press the user saw fail).
        ``probe_topic``: this process's own ``node/{node}/probe`` (see :mod:`protocol.liveness`).
        ``ca_file``: for ``mqtts://``, the CA (PEM) the broker's certificate must chain to (``[mqtt]
        ca_file``, the site CA); empty: the system's CAs. The host name is checked against the certificate."""
        address = parse_mqtt_url(url)
        self.host, self.port = address.host, address.port
        self.client_id = client_id
        self.status_topic = status_topic
        self._online = online
        self._offline = offline
        self._keepalive = keepalive
        self._resend_after_reconnect = resend_after_reconnect
        self._routes: list[_Route] = []
        self._session_up = False  # connected, the routes subscribed (their SUBACKs may still be coming)
        self._unacknowledged: set[int] = set()  # SUBSCRIBEs of this connection not yet acknowledged
        self._listeners: list[Callable[[bool], None]] = []
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._stopping = False
        self._halt = threading.Event()
        self._generation = 0  # connections so far: an acknowledgement is only sent on its own connection
        self._inbox: queue.SimpleQueue[tuple[int | None, mqtt.MQTTMessage, list[Handler]] | None] = (
            queue.SimpleQueue()
        )
        self._inbox_thread: threading.Thread | None = None
        self._pending = 0  # queued messages in the inbox or being handled there
        self.heard_at = 0.0  # monotonic time the broker last delivered anything to this connection
        self._liveness = Liveness(self, probe_topic, interval=probe_interval, timeout=probe_timeout)
        self._client = QuickAckClient(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311
        )
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls:
            self._client.tls_set_context(client_tls_context(ca_file))
        if status_topic and offline is not None:
            self._client.will_set(status_topic, offline.encode(), qos=QOS, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.max_queued_messages_set(0)  # unbounded: see HIGH_WATER for the bound
        self._client.max_inflight_messages_set(INFLIGHT)
        self._client.manual_ack_set(True)  # a queued message is acknowledged once handled
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        if probe_topic:
            self.route(probe_topic, self._liveness.on_probe)

    # -- wiring ---------------------------------------------------------------------------------

    def route(self, topic_filter: str, handler: Handler, *, queued: bool = False) -> None:
        """Subscribe ``topic_filter`` (now and on every reconnect) and send its messages to ``handler`` on
        paho's thread; with ``queued=True`` (requests whose handling publishes replies) in arrival order on
        paho's thread or, while the broker falls behind, on the inbox thread, with backpressure."""
        with self._lock:
            self._routes.append(_Route(topic_filter, handler, queued))
            session_up = self._session_up
        if session_up:  # otherwise the next connect subscribes it with the others
            self._client.subscribe(topic_filter, qos=QOS)

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """``listener(True)`` after each connect, ``listener(False)`` after each loss."""
        self._listeners.append(listener)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect in the background (retrying forever); optionally wait up to ``wait`` seconds."""
        self._inbox_thread = threading.Thread(target=self._run_inbox, name="mqtt-inbox", daemon=True)
        self._inbox_thread.start()
        self._liveness.start()
        self._client.connect_async(self.host, self.port, keepalive=self._keepalive)
        self._client.loop_start()
        if wait is not None:
            return self.connected.wait(wait)
        return True

    def stop(self, timeout: float = 2.0) -> None:
        """Publish ``offline`` (a clean stop does not fire the last will) and disconnect. Queued messages
        not handled yet are left unacknowledged: their senders ask again."""
        self._stopping = True
        self._halt.set()
        self._inbox.put(None)
        self._liveness.stop()
        if self._inbox_thread is not None and self._inbox_thread is not threading.current_thread():
            self._inbox_thread.join(5)
        if self.connected.is_set() and self.status_topic and self._offline is not None:
            info = self._client.publish(self.status_topic, self._offline.encode(), qos=QOS, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                logger.warning("offline status not confirmed before disconnect")
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, topic: str, payload: Payload | bytes, *, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Publish at QoS 1. Never dropped for a full queue; while disconnected it waits in paho's queue
        for the reconnect. Any other failure is logged at ERROR with the topic and the code."""
        data = payload.encode() if isinstance(payload, Payload) else payload
        info = self._client.publish(topic, data, qos=QOS, retain=retain)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            logger.debug("publish to %s queued until the broker is back", topic)
        elif info.rc != mqtt.MQTT_ERR_SUCCESS:
            logger.error(
                "MQTT publish to %s failed (rc %d: %s): message not sent",
                topic,
                info.rc,
                mqtt.error_string(info.rc),
            )
        return info

    def backlog(self) -> int:
        """Our publishes the broker has not acknowledged yet."""
        return self._client.backlog()

    def alive(self, max_age: float) -> bool:
        """Connected, and the broker delivered something (a probe back at least) within ``max_age`` s: the
        session works end to end, not just the TCP connection (for the systemd watchdog)."""
        return self.connected.is_set() and time.monotonic() - self.heard_at <= max_age

    def abandon(self, sent: mqtt.MQTTMessageInfo) -> bool:
        """Make sure a publish the sender gave up on is not delivered late. Acknowledged by the broker
        already: nothing to do (False). Otherwise the connection is broken or stalled: it is reset at once,
        discarding what the socket still holds for the broker, and (with ``resend_after_reconnect=False``)
        the message is dropped at the reconnect (True)."""
        if sent.is_published():
            return False
        self.reset_connection()
        logger.warning("publish %d not acknowledged by the broker and given up: connection reset", sent.mid)
        return True

    def reset_connection(self) -> None:
        """Reset the TCP connection at once; paho's loop notices and reconnects."""
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed: paho is reconnecting anyway
                # linger 0: the close paho makes next sends a reset, not the queued bytes
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)

    def set_status(self, online: Payload) -> None:
        """Replace the ``online`` status (e.g. new printer details) and publish it now if connected."""
        self._online = online
        self.publish_status()

    def _status(self) -> Payload | None:
        """The ``online`` status with what the link knows added (a suspected fight over the client id)."""
        status = self._online
        if isinstance(status, NodeStatus) and self._liveness.suspected():
            return status.model_copy(update={"details": {**status.details, "duplicate_client_id": True}})
        return status

    def publish_status(self) -> None:
        """Publish the current ``online`` status if connected."""
        status = self._status()
        if self.connected.is_set() and self.status_topic and status is not None:
            self.publish(self.status_topic, status, retain=True)

    # -- receiving ------------------------------------------------------------------------------

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.heard_at = time.monotonic()
        with self._lock:
            routes = [r for r in self._routes if mqtt.topic_matches_sub(r.topic_filter, message.topic)]
            generation = self._generation
        handlers = [r.handler for r in routes]
        if any(r.queued for r in routes):
            with self._lock:  # inline while nothing waits and the broker keeps up: no thread hop, in order
                inline = self._pending == 0 and self._client.backlog() <= HIGH_WATER
                if not inline:
                    self._pending += 1
                    ahead = self._pending <= INBOX_ACK_AHEAD
            if not inline:
                if ahead:
                    client.ack(message.mid, message.qos)
                self._inbox.put((None if ahead else generation, message, handlers))
                return
        self._handle(message, handlers)
        client.ack(message.mid, message.qos)

    def _handle(self, message: mqtt.MQTTMessage, handlers: list[Handler]) -> None:
        for handler in handlers:
            try:
                handler(message.topic, bytes(message.payload))
            except Exception:
                logger.exception(
                    "handler for %s failed on a message of %d bytes", message.topic, len(message.payload)
                )

    def _run_inbox(self) -> None:
        """Queued messages in arrival order; before each, wait while too much of ours is unacknowledged."""
        waited_since: float | None = None
        while True:
            item = self._inbox.get()
            if item is None or self._stopping:
                return
            while self._client.backlog() > HIGH_WATER and not self._halt.is_set():
                waited_since = waited_since or time.monotonic()
                self._halt.wait(0.002)
            if self._stopping:
                return
            if waited_since is not None:
                waited = time.monotonic() - waited_since
                if waited >= 1.0:  # short waits are the backpressure doing its job in a burst
                    logger.info("requests waited %.1f s for the broker to acknowledge our publishes", waited)
                waited_since = None
            generation, message, handlers = item
            self._handle(message, handlers)
            with self._lock:
                self._pending -= 1
                current = generation == self._generation and self._session_up
            if current:  # None: acknowledged on arrival; an older connection's broker forgot the message
                self._client.ack(message.mid, message.qos)

    # -- paho callbacks -------------------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: object, _flags: object, reason: mqtt.ReasonCode, _props: object
    ) -> None:
        if reason.is_failure:
            logger.warning("MQTT connect to %s:%s refused: %s", self.host, self.port, reason)
            return
        sock = client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._resend_after_reconnect:
            # paho re-sends its unacknowledged messages after this callback; these were given up on
            stale = client.drop_out_messages()
            if stale:
                logger.warning(
                    "dropped %d message(s) left unacknowledged by the lost connection (not re-sent): %s",
                    len(stale),
                    ", ".join(sorted({m.topic for m in stale})),
                )
        with self._lock:
            filters = [r.topic_filter for r in self._routes]
            self._generation += 1
            self._session_up = True
            self._unacknowledged.clear()
            for topic_filter in filters:
                _result, mid = client.subscribe(topic_filter, qos=QOS)
                if mid is not None:
                    self._unacknowledged.add(mid)
            waiting = bool(self._unacknowledged)
        if not waiting:
            self._go_online(client)

    def _on_subscribe(
        self, client: mqtt.Client, _userdata: object, mid: int, reasons: list[mqtt.ReasonCode], _props: object
    ) -> None:
        for reason in reasons:
            if reason.is_failure:
                logger.warning("MQTT subscription %d refused by the broker: %s", mid, reason)
        with self._lock:
            if mid not in self._unacknowledged:
                return  # a route added later, or a subscription of an earlier connection
            self._unacknowledged.discard(mid)
            complete = not self._unacknowledged
        if complete:
            self._go_online(client)

    def _go_online(self, client: mqtt.Client) -> None:
        """Every subscription is in place: only now say ``online`` (nothing sent to us from here is lost)."""
        status = self._status()
        if self.status_topic and status is not None:
            self.publish(self.status_topic, status, retain=True)
        logger.info("MQTT connected to %s:%s as %s", self.host, self.port, self.client_id)
        self.heard_at = time.monotonic()
        self.connected.set()
        self._notify(True)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: object, _flags: object, reason: mqtt.ReasonCode, _props: object
    ) -> None:
        with self._lock:
            self._session_up = False
        was_connected = self.connected.is_set()
        self.connected.clear()
        if was_connected and not self._stopping:
            logger.warning(
                "MQTT connection of client id %s to %s:%s lost (%s); reconnecting",
                self.client_id,
                self.host,
                self.port,
                reason,
            )
            self._liveness.session_lost()
            self._notify(False)

    def _notify(self, up: bool) -> None:
        for listener in self._listeners:
            try:
                listener(up)
            except Exception:
                logger.exception("connection listener failed")
