"""The MQTT connection every Antrean process uses: paho-mqtt with availability and routing.

* subscriptions are re-made on every (re)connect; paho reconnects by itself;
* the link counts as connected, and the retained ``status`` message says ``online``, once the broker has
  acknowledged every subscription (nothing sent to the node after that is lost); its last will says
  ``offline``;
* each handler is routed by topic filter and runs on paho's thread; an exception in a handler is
  logged and never stops the link;
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
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from protocol.payloads import Payload
from protocol.topics import QOS

logger = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool


def parse_mqtt_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` or ``mqtts://`` for TLS."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp"):
        raise ValueError(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"MQTT URL has no host: {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


TCP_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class QuickAckClient(mqtt.Client):
    """paho's client, acknowledging every TCP read at once (Linux leaves quick-ACK mode by itself, so it
    is set again after each read; paho reads through ``_sock_recv`` — tests check that it still does)."""

    def _sock_recv(self, bufsize: int) -> bytes:
        data = super()._sock_recv(bufsize)
        sock = self._sock
        if TCP_QUICKACK is not None and isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # a socket closing under us: the read above told paho
                sock.setsockopt(socket.IPPROTO_TCP, TCP_QUICKACK, 1)
        return data


class MqttLink:
    """One MQTT client: availability status, routing table, automatic reconnects."""

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
    ) -> None:
        """``resend_after_reconnect=False``: what was published but not acknowledged when the connection
        broke is dropped at the next connect instead of re-sent (for commands whose sender gives up after
        a deadline and tells its user so: a late delivery would act on a press the user saw fail)."""
        address = parse_mqtt_url(url)
        self.host, self.port = address.host, address.port
        self.client_id = client_id
        self.status_topic = status_topic
        self._online = online
        self._offline = offline
        self._keepalive = keepalive
        self._resend_after_reconnect = resend_after_reconnect
        self._routes: list[tuple[str, Handler]] = []
        self._session_up = False  # connected, the routes subscribed (their SUBACKs may still be coming)
        self._unacknowledged: set[int] = set()  # SUBSCRIBEs of this connection not yet acknowledged
        self._listeners: list[Callable[[bool], None]] = []
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._stopping = False
        self._client = QuickAckClient(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311
        )
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        if status_topic and offline is not None:
            self._client.will_set(status_topic, offline.encode(), qos=QOS, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.max_queued_messages_set(1000)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_disconnect = self._on_disconnect

    # -- wiring ---------------------------------------------------------------------------------

    def route(self, topic_filter: str, handler: Handler) -> None:
        """Subscribe ``topic_filter`` (now and on every reconnect) and send its messages to ``handler``."""

        def callback(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
            try:
                handler(message.topic, bytes(message.payload))
            except Exception:
                logger.exception(
                    "handler for %s failed on a message of %d bytes", message.topic, len(message.payload)
                )

        with self._lock:
            self._routes.append((topic_filter, handler))
            session_up = self._session_up
        self._client.message_callback_add(topic_filter, callback)
        if session_up:  # otherwise the next connect subscribes it with the others
            self._client.subscribe(topic_filter, qos=QOS)

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        """``listener(True)`` after each connect, ``listener(False)`` after each loss."""
        self._listeners.append(listener)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect in the background (retrying forever); optionally wait up to ``wait`` seconds."""
        self._client.connect_async(self.host, self.port, keepalive=self._keepalive)
        self._client.loop_start()
        if wait is not None:
            return self.connected.wait(wait)
        return True

    def stop(self, timeout: float = 2.0) -> None:
        """Publish ``offline`` (a clean stop does not fire the last will) and disconnect."""
        self._stopping = True
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
        data = payload.encode() if isinstance(payload, Payload) else payload
        return self._client.publish(topic, data, qos=QOS, retain=retain)

    def abandon(self, sent: mqtt.MQTTMessageInfo) -> bool:
        """Make sure a publish the sender gave up on is not delivered late. Acknowledged by the broker
        already: nothing to do (False). Otherwise the connection is broken or stalled: it is reset at once,
        discarding what the socket still holds for the broker, and (with ``resend_after_reconnect=False``)
        the message is dropped at the reconnect (True)."""
        if sent.is_published():
            return False
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):  # already closed: paho is reconnecting anyway
                # linger 0: the close paho makes next sends a reset, not the queued bytes
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
        logger.warning("publish %d not acknowledged by the broker and given up: connection reset", sent.mid)
        return True

    def set_status(self, online: Payload) -> None:
        """Replace the ``online`` status (e.g. new printer details) and publish it now if connected."""
        self._online = online
        if self.connected.is_set() and self.status_topic:
            self.publish(self.status_topic, online, retain=True)

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
            filters = [topic_filter for topic_filter, _ in self._routes]
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
        if self.status_topic and self._online is not None:
            client.publish(self.status_topic, self._online.encode(), qos=QOS, retain=True)
        logger.info("MQTT connected to %s:%s as %s", self.host, self.port, self.client_id)
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
            logger.warning("MQTT connection to %s:%s lost (%s); reconnecting", self.host, self.port, reason)
            self._notify(False)

    def _notify(self, up: bool) -> None:
        for listener in self._listeners:
            try:
                listener(up)
            except Exception:
                logger.exception("connection listener failed")
