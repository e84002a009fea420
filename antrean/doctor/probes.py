"""What ``antrean doctor`` looks at: the thin layer that touches the broker, files, the printer, the audio
device and the GPIO pins. Each probe returns plain values (or an error text); :mod:`antrean.doctor.checks`
judges them."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from antrean.hubtime import Clock, HubClock, utc_now, wait_for_hub_time
from protocol.payloads import Payload
from protocol.topics import QOS
from protocol.transport import BrokerAddress, client_tls_context

UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"), Path("/usr/lib/systemd/system"))
__all__ = ["Clock", "HubClock", "MqttSession", "TlsSeen", "utc_now", "wait_for_hub_time"]


def _cert_time(value: str) -> datetime:
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(value), UTC)


def _subject(cert: dict[str, Any]) -> str:
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return "certificate"


def ca_certificates(ca_file: str) -> list[tuple[str, datetime]]:
    """(common name, not after) of each CA certificate in ``ca_file``; OSError / ssl.SSLError if unusable."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca_file)
    return [(f"CA {_subject(c)}", _cert_time(str(c["notAfter"]))) for c in context.get_ca_certs()]


@dataclass(frozen=True)
class TlsSeen:
    """The broker's certificate as a verified handshake showed it, or why the handshake failed."""

    subject: str = ""
    not_after: datetime | None = None
    error: str | None = None


def tls_handshake(host: str, port: int, ca_file: str, timeout: float = 5.0) -> TlsSeen:
    """A TLS handshake as the node's MQTT link makes it (site CA, host name checked)."""
    try:
        context = client_tls_context(ca_file)
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        return TlsSeen(
            error=f"broker certificate not trusted: {exc.verify_message} (ca_file {ca_file or '-'})"
        )
    except (OSError, ssl.SSLError) as exc:
        return TlsSeen(error=f"TLS to {host}:{port} failed: {exc}")
    return TlsSeen(f"broker certificate {_subject(cert)}", _cert_time(str(cert["notAfter"])))


class MqttSession:
    """One MQTT connection with the node's own account (client id ``...doctor``): CONNACK, ``hub/status``,
    and the report published at the end."""

    def __init__(self, address: BrokerAddress, client_id: str, ca_file: str, hub_clock: HubClock) -> None:
        self.address = address
        self.hub_clock = hub_clock
        self._connack = threading.Event()
        self.code: int | None = None
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if address.username:
            self._client.username_pw_set(address.username, address.password)
        if address.tls:
            self._client.tls_set_context(client_tls_context(ca_file))
        self._client.reconnect_delay_set(60, 60)  # a refused account stays refused: no retries
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = lambda *_args: self._connack.set()
        self._client.on_message = self._on_message

    def _on_connect(
        self, _c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object
    ) -> None:
        self.code = reason.value
        self._connack.set()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        self.hub_clock.on_status(bytes(message.payload), bool(message.retain))

    def connect(self, hub_status_topic: str, timeout: float = 10.0) -> str | None:
        """None when the broker accepted the account, else why not."""
        where = f"{self.address.host}:{self.address.port}"
        try:
            self._client.connect(self.address.host, self.address.port, keepalive=30)
        except (OSError, ssl.SSLError) as exc:
            self.close()
            return f"cannot reach the broker at {where}: {exc}"
        self._client.loop_start()
        if not self._connack.wait(timeout) or self.code is None:
            return f"no answer from the broker at {where} within {timeout:.0f} s"
        if self.code != 0:
            reason = mqtt.connack_string(self.code) if self.code < 6 else str(self.code)
            return (
                f"broker at {where} refused account {self.address.username or '(anonymous)'}: {reason} "
                "(wrong password, or the account was revoked)"
            )
        self._client.subscribe(hub_status_topic, qos=QOS)
        return None

    def publish(self, topic: str, payload: Payload, timeout: float = 5.0) -> bool:
        info = self._client.publish(topic, payload.encode(), qos=QOS, retain=True)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        sock = self._client.socket()  # paho leaves it open after a refused CONNACK
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def disk_usage(path: str) -> tuple[str, int, int]:
    """(path measured, total, free): the nearest existing folder of ``path``."""
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    return str(folder), usage.total, usage.free


def unit_text(unit: str, dirs: tuple[Path, ...] = UNIT_DIRS) -> str | None:
    for folder in dirs:
        path = folder / unit
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return None


def open_audio(device: str | None) -> str | None:
    """Open and close the display's audio output as it does (pygame's mixer); None when it worked."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        from firmware.display_node.audio import MixerSink

        MixerSink(device).close()
    except Exception as exc:  # pygame.error and anything the driver raises
        return f"cannot open audio output {device or '(default)'}: {exc}"
    return None


def claim_pins(pins: list[str], factory: Any = None) -> tuple[str | None, str | None]:
    """Claim every pin with gpiozero's pin factory (``factory`` or the default one) and release them:
    (factory name, error)."""
    try:
        from gpiozero import Device

        with warnings.catch_warnings():  # the fallbacks tried on the way are not news: the result is
            warnings.simplefilter("ignore")
            chosen = factory if factory is not None else Device._default_pin_factory()
        claimed = [chosen.pin(pin) for pin in pins]
        for pin in claimed:
            pin.close()
    except Exception as exc:  # BadPinFactory, PinInvalidPin, PinInUse...
        return None, f"{type(exc).__name__}: {exc}"
    return type(chosen).__name__, None


def printer_state(config: Any, timeout: float = 3.0) -> tuple[str, str | None, str | None]:
    """(printer name, state, error) for the kiosk's ``[printer]``: the file backend's device must exist and
    be writable; the others are asked for their status as the kiosk asks them."""
    from firmware.kiosk_node.printer import TicketPrinter, open_transport

    if config.backend == "file":
        path = Path(config.file_path)
        name = f"device {path}"
        if not path.exists():
            return name, None, f"printer device {path} does not exist (printer unplugged or off?)"
        try:
            with path.open("ab"):
                pass
        except OSError as exc:
            return name, None, f"printer device {path} not writable: {exc}"
        return name, "ok", None
    printer = TicketPrinter(open_transport(config), status_timeout=min(config.status_timeout_s, timeout))
    printer.state = "offline"  # a write-only printer is then reported "ok" only if it can be reached
    try:
        state = printer.check()
    except Exception as exc:  # the transport could not even be opened
        return printer.transport.name, None, f"{type(exc).__name__}: {exc}"
    finally:
        printer.close()
    return printer.transport.name, state, None


def espeak_path() -> str | None:
    return shutil.which("espeak-ng")
