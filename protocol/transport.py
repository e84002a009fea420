"""paho's client as every Antrean link uses it: the broker URL, and quick TCP acknowledgements.

>>> parse_mqtt_url("mqtt://kiosk-1:secret@hub.local").port
1883
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt


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


def doctor_client_id(site: str, node: str) -> str:
    """The client id of ``antrean doctor`` on ``node``: a session of its own beside the node's
    ``antrean-{site}-{node}`` (``.`` is never part of a node id, so it is nobody else's id).

    >>> doctor_client_id("pkm", "kiosk-1")
    'antrean-pkm-kiosk-1.doctor'
    """
    return f"antrean-{site}-{node}.doctor"


def client_tls_context(ca_file: str = "") -> ssl.SSLContext:
    """TLS for an ``mqtts://`` connection: the broker's certificate must chain to ``ca_file`` (a PEM file,
    e.g. the site CA ``/etc/antrean/ca.crt``; empty: the system's CAs) and name the host connected to.
    Raises OSError / ssl.SSLError when ``ca_file`` cannot be read."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context  # create_default_context: CERT_REQUIRED and check_hostname


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

    def backlog(self) -> int:
        """Publishes (QoS 1) not yet acknowledged by the broker, queued ones included."""
        return len(self._out_messages)
