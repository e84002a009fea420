"""Running a real hub for tests, benchmarks and the demo: a generated config, the ``antrean hub`` process,
a scripted kiosk that takes tickets over MQTT or mqtts:// (re-sending the same request id on timeout), and a
kiosk that sends a burst of requests as fast as one client can."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

from protocol import MqttLink, TicketReply, TicketRequest, Topics, parse_mqtt_url

if TYPE_CHECKING:
    from hub.broker import EmbeddedBroker

HUB_TOML = """\
site = "{site}"
data_dir = "{data_dir}"
log_level = "{log_level}"
node_id = "{node_id}"
[mqtt]
url = "{mqtt_url}"
[database]
url = "{database_url}"
[web]
port = {web_port}
public_url = "http://127.0.0.1:{web_port}"
[queue]
operating_start = "00:00"
operating_end = "00:00"
reset_time = "00:00"
{extra}
"""


def write_hub_config(
    path: Path,
    *,
    site: str,
    mqtt_url: str,
    database_url: str,
    data_dir: Path,
    node_id: str = "hub",
    web_port: int = 0,
    log_level: str = "INFO",
    extra: str = "",
) -> Path:
    """A hub config that is always open. Keep ``log_level`` at INFO or lower: :class:`HubProcess` knows
    the hub is up from its "MQTT connected" log line. ``extra`` is appended right after the ``[queue]``
    table: bare keys there are queue keys (e.g. ``'priority_ratio = "strict"'``); further tables may
    follow."""
    path.write_text(
        HUB_TOML.format(
            site=site,
            data_dir=data_dir,
            node_id=node_id,
            mqtt_url=mqtt_url,
            database_url=database_url,
            web_port=web_port,
            log_level=log_level,
            extra=extra,
        ),
        encoding="utf-8",
    )
    return path


def user_add_args(config: Path | str, username: str, role: str, password: str, *more: str) -> list[str]:
    """The arguments of ``antrean user add`` for a web account (``more``: further options, e.g.
    ``"--counter", "1"``)."""
    return [
        "add",
        "--config",
        str(config),
        "--username",
        username,
        "--role",
        role,
        "--password",
        password,
        *more,
    ]


def mqtt_broker(url: str | None) -> tuple[str, EmbeddedBroker | None]:
    """``url``, or else an anonymous embedded broker on a free port of 127.0.0.1, started: its URL, and the
    broker to stop when done (None for ``url``)."""
    if url is not None:
        return url, None
    from hub.broker import BrokerSettings, EmbeddedBroker, free_port  # the hub's extra, only when needed

    broker = EmbeddedBroker(BrokerSettings.anonymous("127.0.0.1", free_port()))
    broker.start()
    return broker.url, broker


def stop_process(process: subprocess.Popen[Any], timeout: float = 15.0) -> int:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds; its exit code."""
    process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class HubProcess:
    """A real ``antrean hub`` process (``python -m hub --config ...``) with its log in a file."""

    def __init__(self, config_path: Path, log_path: Path, *, cpus: set[int] | None = None) -> None:
        """``cpus``: pin the hub (and the broker it starts) to these cores, e.g. ``{0}`` for a Pi's share."""
        self.config_path = config_path
        self.log_path = log_path
        self.cpus = cpus
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _connections(self) -> int:
        if not self.log_path.exists():
            return 0
        return self.log_path.read_text(encoding="utf-8", errors="replace").count("MQTT connected")

    def start(self, timeout: float = 30.0) -> HubProcess:
        """Start and wait until the hub is connected to the broker."""
        before = self._connections()
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        env = {k: v for k, v in os.environ.items() if k != "ANTREAN_LOG_LEVEL"}  # readiness needs INFO
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "--config", str(self.config_path)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches whoever started it, who stops it
        )
        if self.cpus:  # before it starts its broker child, which inherits the affinity
            os.sched_setaffinity(self.process.pid, self.cpus)
        deadline = time.monotonic() + timeout
        while self._connections() <= before:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"hub did not connect within {timeout} s:\n{self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return None if self.process is None else self.process.returncode
        code = stop_process(self.process, timeout)
        self._close_log()
        return code

    def kill(self) -> None:
        """SIGKILL: a crash, no clean shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()


class ScriptedKiosk:
    """Takes tickets like a kiosk does: one request id per take, re-sent after each timeout."""

    def __init__(
        self,
        url: str,
        site: str,
        node: str,
        *,
        client_id: str | None = None,
        wait: float = 10.0,
        ca_file: str = "",
    ) -> None:
        """``client_id``: e.g. ``antrean-{site}-{node}`` for a broker with accounts (default: a unique one,
        so several scripted kiosks can share a node id on an anonymous broker); ``ca_file``: the CA an
        ``mqtts://`` broker's certificate must chain to (``[mqtt] ca_file``)."""
        self.topics = Topics(site)
        self.node = node
        self.replies: dict[str, list[TicketReply]] = {}
        self._cond = threading.Condition()
        self.link = MqttLink(
            url, client_id=client_id or f"{site}-{node}-{uuid.uuid4().hex[:6]}", ca_file=ca_file
        )
        self.link.route(self.topics.ticket_reply(node), self._on_reply)
        if not self.link.start(wait=wait):
            raise RuntimeError(f"kiosk {node} could not connect to {url}")

    def _on_reply(self, _topic: str, payload: bytes) -> None:
        reply = TicketReply.decode(payload)
        with self._cond:
            self.replies.setdefault(reply.request_id, []).append(reply)
            self._cond.notify_all()

    def send(self, request_id: str, category: str = "umum", poly: str = "A") -> None:
        reason = "lansia" if category == "prioritas" else None
        request = TicketRequest(
            request_id=request_id,
            category=category,
            priority_reason=reason,
            payment_type="bpjs",
            poly_code=poly,
        )
        self.link.publish(self.topics.ticket_request(self.node), request)

    def take(
        self,
        request_id: str,
        category: str = "umum",
        poly: str = "A",
        *,
        timeout: float = 2.0,
        deadline: float = 60.0,
        replay: bool = False,
    ) -> TicketReply:
        """Send until answered; ``replay`` sends every attempt twice (a double tap or a duplicate)."""
        give_up = time.monotonic() + deadline
        while True:
            self.send(request_id, category, poly)
            if replay:
                self.send(request_id, category, poly)
            with self._cond:
                if self._cond.wait_for(lambda: request_id in self.replies, timeout):
                    return self.replies[request_id][0]
            if time.monotonic() > give_up:
                raise TimeoutError(f"{self.node}: no reply to {request_id} within {deadline} s")

    def close(self) -> None:
        self.link.stop()


class BurstKiosk:
    """One plain paho client (unbounded queue: only the hub can lose anything) publishing ticket requests
    as fast as it can and counting the replies."""

    def __init__(self, url: str, topics: Topics, node: str) -> None:
        address = parse_mqtt_url(url)
        self.topics = topics
        self.node = node
        self.replies: dict[str, TicketReply] = {}
        self._raw: list[bytes] = []
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
        self.started = self.last_reply_at = 0.0
        if not self._subscribed.wait(10):
            self.close()
            raise RuntimeError(f"burst kiosk {node} could not subscribe at {url}")

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if message.topic != self.topics.ticket_reply(self.node):
            return  # amqtt also hands a new client retained messages of other clients' subscriptions
        with self._lock:  # decoded later, off paho's thread: a slow reader would make the broker drop
            self._raw.append(bytes(message.payload))
            self.last_reply_at = time.monotonic()

    def count(self) -> int:
        """Distinct requests answered so far."""
        with self._lock:
            raw, self._raw = self._raw, []
        for payload in raw:
            reply = TicketReply.decode(payload)
            self.replies[reply.request_id] = reply
        return len(self.replies)

    def send(self, n: int) -> None:
        """Publish ``n`` requests (ids ``burst-0`` ...) back to back."""
        topic = self.topics.ticket_request(self.node)
        self.started = time.monotonic()
        for i in range(n):
            request = TicketRequest(
                request_id=f"burst-{i}", category="umum", payment_type="bpjs", poly_code="A"
            )
            info = self.client.publish(topic, request.encode(), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise RuntimeError(f"burst request {i} not sent: {mqtt.error_string(info.rc)}")

    def settle(self, expected: int, idle_s: float = 30.0) -> tuple[int, float]:
        """Wait for ``expected`` replies, or until none came for ``idle_s``; (replies, seconds from the first
        request to the last reply)."""
        while True:
            count = self.count()
            with self._lock:
                last = self.last_reply_at or self.started
            if count >= expected or time.monotonic() - last > idle_s:
                return count, last - self.started
            time.sleep(0.1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
