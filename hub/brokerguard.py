"""amqtt with a :class:`hub.mqttauth.BrokerPolicy` applied: the embedded broker's accounts and ACL.

The policy itself is pure (``hub.mqttauth``); this module only hooks it into amqtt 0.12:

* :class:`GuardedBroker` reads and judges each CONNECT *before* amqtt sees it: amqtt drops the existing
  session of a client id (subscriptions and all) as soon as a CONNECT with that id arrives, before it
  authenticates, so one refused CONNECT with the hub's id would otherwise leave the hub deaf;
* every read from a client is capped at :data:`MAX_PAYLOAD` bytes: a bigger PUBLISH closes the connection
  before its payload is read (as Mosquitto's ``max_packet_size``);
* a retained PUBLISH on a topic the protocol does not retain is dropped;
* :class:`PolicyAuthPlugin` and :class:`PolicyTopicPlugin` are the amqtt plugins that authenticate and
  authorise publish, subscribe and delivery;
* the optional TLS listener (``[broker] tls_port``) is an asyncio server with an SSL context: the handshake
  is done before :meth:`GuardedBroker.stream_connected` runs, so the guard reads the decrypted CONNECT of TLS
  clients exactly as it reads plain ones.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from amqtt.adapters import ReaderAdapter, StreamReaderAdapter, StreamWriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action, BaseContext
from amqtt.errors import NoDataError
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.connect import ConnectPacket
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from hub.mqttauth import MAX_PAYLOAD, BrokerPolicy, ConnectRequest

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0


class CappedReader(ReaderAdapter):
    """Refuses any single read over ``limit`` bytes (amqtt reads a PUBLISH payload in one read) and, while
    ``recording``, keeps what it read so it can be read again by amqtt."""

    def __init__(self, inner: ReaderAdapter, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self._replay = b""
        self.recording: bytearray | None = bytearray()

    async def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._limit:
            raise NoDataError(f"read of {n} bytes refused (limit {self._limit})")
        if self._replay:
            data, self._replay = self._replay[:n], self._replay[n:]
            if len(data) < n:
                data += await self._inner.read(n - len(data))
            return data
        data = await self._inner.read(n)
        if self.recording is not None:
            self.recording += data
        return data

    def replay(self) -> None:
        """Stop recording; the recorded bytes are returned again by the next reads."""
        self._replay, self.recording = bytes(self.recording or b""), None

    def feed_eof(self) -> None:
        self._inner.feed_eof()


def connect_request(connect: ConnectPacket) -> ConnectRequest:
    will = connect.will_message if connect.will_flag else None
    return ConnectRequest(
        client_id=connect.client_id or "",
        username=connect.username if connect.username_flag else None,
        password=connect.password if connect.password_flag else None,
        will_topic=connect.will_topic if connect.will_flag else None,
        will_size=len(will or b""),
        will_retain=bool(connect.will_flag and connect.will_retain_flag),
    )


def server_tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """The TLS listener's context: TLS 1.2 or newer, the broker's certificate, no client certificates (nodes
    authenticate with their account). Raises OSError / ssl.SSLError for files that cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


class GuardedBroker(Broker):
    """amqtt's broker with the policy applied before amqtt touches its session table."""

    def __init__(self, config: dict[str, Any], policy: BrokerPolicy) -> None:
        super().__init__(config)
        self.policy = policy

    @staticmethod
    def _create_ssl_context(listener: Any) -> ssl.SSLContext:
        # amqtt's own asks for client certificates (CERT_OPTIONAL) against the system's CAs: not wanted
        return server_tls_context(str(listener["certfile"]), str(listener["keyfile"]))

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        capped = CappedReader(StreamReaderAdapter(reader), MAX_PAYLOAD)
        adapter = StreamWriterAdapter(writer)
        peer = writer.get_extra_info("peername")
        try:
            connect = await asyncio.wait_for(ConnectPacket.from_stream(capped), CONNECT_TIMEOUT_S)
            refusal = self.policy.admit(connect_request(connect))
        except Exception as exc:  # anything a stranger can send: garbage, silence, a cut connection
            logger.info("connection from %s closed before a valid CONNECT: %r", peer, exc)
            await adapter.close()
            return
        if refusal is not None:
            logger.warning("CONNECT from %s refused: %s", peer, refusal)
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(adapter)
            await adapter.close()
            return
        capped.replay()
        await self._client_connected(listener_name, capped, adapter)

    async def drop_unknown(self) -> list[str]:
        """Close the connection of every client whose account the policy no longer knows (revoked): at
        once, as a lost connection (its last will goes out). Returns their client ids."""
        dropped = []
        for client_id, (session, handler) in list(self._sessions.items()):
            if session.transitions.is_connected() and not self.policy.knows(session.username):
                logger.warning("account %r revoked: disconnecting client %s", session.username, client_id)
                writer = handler.writer
                if writer is not None:
                    await writer.close()
                dropped.append(client_id)
        return dropped

    async def _handle_message_delivery(
        self, client_session: Session, handler: Any, wait_deliver: asyncio.Future[Any]
    ) -> bool:
        message = wait_deliver.result()
        packet = getattr(message, "publish_packet", None)
        retained = packet is not None and packet.retain_flag and bool(message.topic)
        client_id = client_session.client_id or ""
        if retained and not self.policy.may_retain(client_session.username, client_id, message.topic):
            logger.warning(
                "retained message from %s on %s refused (not a retained topic of the protocol, or not "
                "writable by this client)",
                client_id,
                message.topic,
            )
            return True
        result: bool = await super()._handle_message_delivery(client_session, handler, wait_deliver)
        return result


class PolicyAuthPlugin(BaseAuthPlugin):
    """Authenticates with the policy (the CONNECT was already judged by :class:`GuardedBroker`; this keeps
    amqtt's own check equal to it)."""

    @dataclass
    class Config:
        policy: Any = None

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.policy: BrokerPolicy = self.config.policy

    async def authenticate(self, *, session: Session) -> bool | None:
        request = ConnectRequest(
            client_id=session.client_id or "",
            username=session.username,
            password=session.password,
        )
        return self.policy.admit(request) is None


class PolicyTopicPlugin(BaseTopicPlugin):
    """Publish needs write access, subscribe and delivery read access."""

    @dataclass
    class Config:
        policy: Any = None

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.policy: BrokerPolicy = self.config.policy

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        if session is None or not topic:
            return False
        username, client_id = session.username, session.client_id or ""
        if action == Action.PUBLISH:
            allowed = self.policy.may_publish(username, client_id, topic)
        elif action == Action.SUBSCRIBE:
            allowed = self.policy.may_subscribe(username, client_id, topic)
        else:
            allowed = self.policy.may_receive(username, client_id, topic)
        if not allowed and action != Action.RECEIVE:
            logger.warning("%s refused to %s on %s", client_id, action.value if action else "?", topic)
        return allowed


@dataclass(frozen=True)
class TlsListener:
    host: str
    port: int
    certfile: str
    keyfile: str


def broker_config(
    host: str, port: int, policy: BrokerPolicy, tls: TlsListener | None = None
) -> dict[str, Any]:
    """The amqtt configuration of the embedded broker: a plain listener and, with ``tls``, a TLS one."""
    listeners: dict[str, Any] = {"default": {"type": "tcp", "bind": f"{host}:{port}"}}
    if tls is not None:
        listeners["tls"] = {
            "type": "tcp",
            "bind": f"{tls.host}:{tls.port}",
            "ssl": True,
            "certfile": tls.certfile,
            "keyfile": tls.keyfile,
        }
    return {
        "listeners": listeners,
        "plugins": {
            f"{__name__}.PolicyAuthPlugin": {"policy": policy},
            f"{__name__}.PolicyTopicPlugin": {"policy": policy},
        },
    }
