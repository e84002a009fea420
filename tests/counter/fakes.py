"""A stand-in for the hub's side of the counter contract, through the real broker, and pin helpers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

from gpiozero.pins.mock import MockPin

from protocol import (
    TOPICS,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorInfo,
    MqttLink,
    NodeStatus,
    Ticket,
    Topics,
    WaitingCounts,
)

Mode = Literal["ok", "no_waiting", "closed", "silent"]


def ticket(number: str = "A-001") -> Ticket:
    prefix, seq = number.split("-")
    return Ticket(
        number=number,
        prefix=prefix,
        seq=int(seq),
        category="umum",
        poly_code="A",
        poly_name="Poli Umum",
        payment_type="bpjs",
        source="kiosk",
        status="called",
        issued_at=datetime(2026, 2, 26, 0, 45, tzinfo=UTC),
        service_date=date(2026, 2, 26),
        ahead=0,
        estimated_wait_min=(0, 5),
        status_url="http://hub.local/t/x",
    )


class FakeHub:
    """Answers ``counter/{n}/command`` as told by ``mode``; retained ``hub/status`` with a last will."""

    def __init__(self, url: str, site: str, mode: Mode = "ok", delay_s: float = 0.0) -> None:
        self.topics = Topics(site)
        self.mode: Mode = mode
        self.delay_s = delay_s
        self.commands: list[tuple[int, CounterCommand]] = []
        self._seq = 0
        self._lock = threading.Lock()
        self.link = self._new_link(url)
        self.url = url

    def _new_link(self, url: str) -> MqttLink:
        status = self.topics.hub_status()
        link = MqttLink(
            url,
            client_id=f"fake-hub-{uuid.uuid4().hex[:8]}",
            status_topic=status,
            online=NodeStatus(node="hub", role="hub", state="online", version="test"),
            offline=NodeStatus(node="hub", role="hub", state="offline", version="test"),
        )
        link.route(self.topics.filter(TOPICS["counter_command"]), self._on_command)
        return link

    def start(self) -> FakeHub:
        assert self.link.start(wait=10)
        return self

    def stop(self) -> None:
        self.link.stop()

    def restart(self) -> None:
        self.link = self._new_link(self.url)
        self.start()

    def numbers(self, n: int) -> list[str]:
        with self._lock:
            return [c.request_id for counter, c in self.commands if counter == n]

    def _on_command(self, topic: str, payload: bytes) -> None:
        params = self.topics.match(TOPICS["counter_command"], topic)
        assert params is not None
        n = int(params["n"])
        command = CounterCommand.decode(payload)
        with self._lock:
            self.commands.append((n, command))
            self._seq += 1
            seq = self._seq
        if self.mode == "silent":
            return
        if self.delay_s:
            time.sleep(self.delay_s)
        self.reply(n, command.request_id, seq)

    def reply(self, n: int, request_id: str, seq: int = 1) -> None:
        if self.mode in ("ok", "silent"):
            current = ticket(f"A-{seq:03d}")
            reply = CounterReply(request_id=request_id, ok=True, ticket=current)
            state = CounterState(
                counter=n,
                name=f"Loket {n}",
                current=current,
                waiting=WaitingCounts(prioritas=0, umum=3),
                open=True,
            )
            self.link.publish(self.topics.counter_state(n), state, retain=True)
        else:
            reply = CounterReply(request_id=request_id, ok=False, error=ErrorInfo.of(self.mode))
        self.link.publish(self.topics.counter_reply(n), reply)


def press(
    pin: MockPin, seconds: float = 0.05, pull_up: bool = True, sleep: Callable[[float], None] = time.sleep
) -> None:
    """A finger on a button wired to GND (pull-up) or to 3V3: down for ``seconds``, coming at least as long
    after the button's previous edge (so never taken for contact bounce). ``sleep`` lets the time pass: real
    time, or a step of the node's clock."""
    down, up = (pin.drive_low, pin.drive_high) if pull_up else (pin.drive_high, pin.drive_low)
    sleep(seconds)
    down()
    sleep(seconds)
    up()


def lit_count(pin: MockPin) -> int:
    """How many times the pin went high since its states were last cleared."""
    return sum(1 for state in pin.states[1:] if state.state)


def lit_durations(pin: MockPin) -> list[float]:
    """How long each high period lasted (the last one only if it has ended)."""
    durations = []
    for before, after in zip(pin.states, pin.states[1:], strict=False):
        if before.state and not after.state:
            durations.append(after.timestamp)
    return durations
