"""``antrean bench counter [--record]``: how fast a CALL press reaches the waiting-room display, and how
much memory an idle counter node needs.

* pin edge → ``display/state`` showing the called ticket: a real ``antrean hub`` process (SQLite in a temp
  dir), an embedded broker (or ``--mqtt-url``), the counter node in this process on gpiozero's mock pins;
  each sample drives the CALL pin low and waits for the display state that shows the new ticket;
* idle RSS: a separate ``antrean counter --simulate`` process serving two lokets, measured after it has been
  online and idle for a few seconds (target <= 60 MB for a Pi Zero 2 W).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from gpiozero.pins.mock import MockFactory, MockPin

from antrean.bench import percentile, record_section
from antrean.config import load_config
from antrean.helptext import plain
from benchmarks.harness import mqtt_broker, write_hub_config
from firmware.counter_button.config import CounterConfig, quick_lokets
from firmware.counter_button.machine import Event
from firmware.counter_button.node import CounterNode
from protocol import TOPICS, DisplayState, MqttLink, NodeStatus, TicketReply, TicketRequest, Topics

RSS_TARGET_MB = 60.0


class Watcher:
    """Bench-side MQTT client: ticket replies, the retained display state, node status."""

    def __init__(self, url: str, topics: Topics) -> None:
        self.topics = topics
        self.cond = threading.Condition()
        self.replies: dict[str, TicketReply] = {}
        self.display: tuple[float, DisplayState] | None = None
        self.status: dict[str, str] = {}
        self.link = MqttLink(url, client_id=f"bench-counter-{uuid.uuid4().hex[:8]}")
        self.link.route(topics.ticket_reply("bench-kiosk"), self._on_reply)
        self.link.route(topics.display_state(), self._on_display)
        self.link.route(topics.hub_status(), self._on_status)
        self.link.route(topics.filter(TOPICS["node_status"]), self._on_status)
        if not self.link.start(wait=10):
            raise SystemExit(f"cannot connect to {url}")

    def _on_reply(self, _topic: str, payload: bytes) -> None:
        reply = TicketReply.decode(payload)
        with self.cond:
            self.replies[reply.request_id] = reply
            self.cond.notify_all()

    def _on_display(self, _topic: str, payload: bytes) -> None:
        state = DisplayState.decode(payload)
        with self.cond:
            self.display = (time.perf_counter(), state)
            self.cond.notify_all()

    def _on_status(self, topic: str, payload: bytes) -> None:
        if payload:
            with self.cond:
                self.status[topic] = NodeStatus.decode(payload).state
                self.cond.notify_all()

    def wait(self, predicate: object, timeout: float = 10.0) -> None:
        with self.cond:
            if not self.cond.wait_for(predicate, timeout):  # type: ignore[arg-type]
                raise SystemExit("benchmark: timed out waiting for the hub")

    def take_ticket(self, request_id: str, poly_code: str) -> str:
        request = TicketRequest(
            request_id=request_id, category="umum", payment_type="bpjs", poly_code=poly_code
        )
        self.link.publish(self.topics.ticket_request("bench-kiosk"), request)
        self.wait(lambda: request_id in self.replies)
        ticket = self.replies[request_id].ticket
        if ticket is None:
            raise SystemExit(f"benchmark: the hub refused a ticket: {self.replies[request_id].error}")
        return ticket.number

    def shown_at(self, counter: int) -> tuple[float, str | None]:
        if self.display is None:
            return 0.0, None
        at, state = self.display
        for entry in state.counters:
            if entry.counter == counter:
                return at, entry.ticket.number if entry.ticket else None
        return at, None


def start_hub(url: str, site: str, workdir: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    config = write_hub_config(
        workdir / "hub.toml",
        site=site,
        mqtt_url=url,
        database_url="",  # SQLite in data_dir
        data_dir=workdir / "data",
        log_level="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "hub", "--config", str(config)], stdout=subprocess.DEVNULL, stderr=log
    )


def measure_latency(url: str, site: str, samples: int, watcher: Watcher) -> tuple[list[float], list[float]]:
    """Milliseconds from the CALL pin edge to the reply, and to the display state showing the call."""
    numbers = [watcher.take_ticket(f"bench-{i}", "A" if i % 2 else "E") for i in range(samples)]
    config = load_config(
        CounterConfig,
        None,
        env={},
        overrides={"mqtt.url": url, "site": site, "node_id": "bench-counter", "lokets": quick_lokets([1])},
    )
    node = CounterNode(config, pin_factory=MockFactory())
    acks: list[float] = []
    done = threading.Event()

    def on_event(event: Event) -> None:
        if event.kind in ("ack", "no_waiting", "refused", "no_reply"):
            acks.append(time.perf_counter())
            done.set()

    node.add_listener(on_event)
    node.start(wait=10)
    watcher.wait(lambda: not node.machines[1].offline)
    pin = node.buttons[1].buttons["call"].pin
    assert isinstance(pin, MockPin)
    to_reply: list[float] = []
    to_display: list[float] = []
    try:
        for number in numbers:
            done.clear()
            started = time.perf_counter()
            pin.drive_low()
            watcher.wait(lambda number=number: watcher.shown_at(1)[1] == number)
            done.wait(10)
            to_display.append((watcher.shown_at(1)[0] - started) * 1000)
            to_reply.append((acks[-1] - started) * 1000)
            pin.drive_high()
            time.sleep(config.buttons.bounce_ms / 1000 + 0.01)
    finally:
        node.stop()
    return to_reply, to_display


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure_idle_rss(url: str, site: str, watcher: Watcher, idle_s: float) -> float:
    argv = ["--simulate", "--counter", "1", "--counter", "2", "--mqtt-url", url, "--site", site]
    with subprocess.Popen(
        [sys.executable, "-m", "antrean", "counter", *argv, "--node-id", "bench-idle"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as child:
        try:
            status_topic = watcher.topics.node_status("bench-idle")
            watcher.wait(lambda: watcher.status.get(status_topic) == "online", timeout=30)
            time.sleep(idle_s)
            return rss_mb(child.pid)
        finally:
            child.terminate()
            child.wait(10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean bench counter", description=plain(__doc__, first_paragraph=True)
    )
    parser.add_argument("--record", action="store_true", help="write the figures to docs/benchmarks.md")
    parser.add_argument("--samples", type=int, default=100, help="CALL presses to time (at most 190)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds the node idles before RSS is read")
    parser.add_argument("--mqtt-url", help="use this broker instead of an embedded one")
    args = parser.parse_args(argv)
    if not 1 <= args.samples <= 190:
        parser.error("--samples must be 1..190 (the default daily quotas of polys A and E)")

    url, broker = mqtt_broker(args.mqtt_url)
    site = f"bench{uuid.uuid4().hex[:8]}"
    topics = Topics(site)
    watcher = Watcher(url, topics)
    with (
        tempfile.TemporaryDirectory(prefix="antrean-bench-counter-") as tmp,
        open(Path(tmp) / "hub.log", "wb") as hub_log,
    ):
        hub = start_hub(url, site, Path(tmp), hub_log)
        try:
            watcher.wait(lambda: watcher.status.get(topics.hub_status()) == "online", timeout=60)
            to_reply, to_display = measure_latency(url, site, args.samples, watcher)
            idle = measure_idle_rss(url, site, watcher, args.idle)
        finally:
            hub.terminate()
            hub.wait(15)
            watcher.link.stop()
            if broker is not None:
                broker.stop()

    broker_name = "external broker" if args.mqtt_url else "embedded amqtt broker"
    rows = [
        ("pin edge → counter reply (ack)", to_reply),
        ("pin edge → `display/state` showing the call", to_display),
    ]
    lines = [
        "### Counter node",
        "",
        f"`antrean bench counter`: {len(to_display)} CALL presses on gpiozero mock pins, "
        f"real `antrean hub` process (SQLite), {broker_name}, all on one machine "
        f"({platform.machine()}, {os.cpu_count()} cores).",
        "",
        "| measure | p50 | p99 | max |",
        "|---|---|---|---|",
    ]
    for name, values in rows:
        p50, p99 = percentile(values, 50), percentile(values, 99)
        lines.append(f"| {name} | {p50:.1f} ms | {p99:.1f} ms | {max(values):.1f} ms |")
    verdict = "within" if idle <= RSS_TARGET_MB else "OVER"
    lines += [
        "",
        f"Idle RSS of `antrean counter --simulate --counter 1 --counter 2` after {args.idle:g} s online: "
        f"**{idle:.1f} MB** ({verdict} the {RSS_TARGET_MB:.0f} MB target for a Pi Zero 2 W).",
    ]
    markdown = "\n".join(lines)
    sys.stdout.write(markdown + "\n")
    if args.record:
        record_section("counter", markdown)
    return 0 if idle <= RSS_TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
