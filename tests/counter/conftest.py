"""Counter node fixtures: gpiozero's MockFactory as the pin factory, a fake hub, a running node on a clock the
test can step."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from antrean.config import load_config
from firmware.counter_button.config import CounterConfig, quick_lokets
from firmware.counter_button.machine import Event
from firmware.counter_button.node import CounterNode
from tests.counter.fakes import press
from tests.fakehub import FakeHub
from tests.support import wait_until

SKIP_HOLD = 0.25
TIMEOUT = 0.6


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """gpiozero's mock pins as the default pin factory, reset after the test."""
    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = previous


def counter_config(mqtt_url: str, site: str, **overrides: Any) -> CounterConfig:
    values: dict[str, Any] = {
        "mqtt.url": mqtt_url,
        "site": site,
        "node_id": "counter-t",
        "lokets": quick_lokets([1, 2]),
        "reply_timeout_s": TIMEOUT,
        "buttons.skip_hold_s": SKIP_HOLD,
    }
    values.update(overrides)
    return load_config(CounterConfig, None, env={}, overrides=values)


class SteppedClock:
    """The node's monotonic clock: real time plus the steps a test makes (a finger's press takes no real
    time, and never waits out the contact-bounce window)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class RunningNode:
    """A started node, the clock it runs on and every event it emitted."""

    def __init__(self, node: CounterNode, clock: SteppedClock) -> None:
        self.node = node
        self.clock = clock
        self.events: list[Event] = []
        node.add_listener(self.events.append)

    def kinds(self, counter: int | None = None) -> list[str]:
        return [e.kind for e in list(self.events) if counter is None or e.counter == counter]

    def wait_for(self, kind: str, counter: int = 1, count: int = 1, timeout: float = 5.0) -> Event:
        wait_until(lambda: self.kinds(counter).count(kind) >= count, timeout)
        return [e for e in self.events if e.kind == kind and e.counter == counter][count - 1]

    def press(self, counter: int, action: str, seconds: float = 0.05, pull_up: bool = True) -> None:
        """A press of ``seconds`` on the node's clock, made at once."""
        press(self.pin(counter, action), seconds, pull_up, sleep=self.clock.advance)

    def hold(self, counter: int, action: str) -> None:
        """Keep the button down until the node acts on the hold (gpiozero times holds in real time)."""
        sent = self.kinds(counter).count("waiting")
        pin = self.pin(counter, action)
        self.clock.advance(0.05)  # after the button's previous edge, past the contact-bounce window
        pin.drive_low()
        self.wait_for("waiting", counter, count=sent + 1)
        pin.drive_high()

    def pattern(self, counter: int) -> str:
        """The pattern loket ``counter``'s light plays now."""
        return self.node.machines[counter].lamp(self.clock()).pattern

    def pin(self, counter: int, action: str) -> Any:
        return self.node.buttons[counter].buttons[action].pin  # type: ignore[index]

    def led(self, counter: int, color: str) -> Any:
        return self.node.lights[counter].leds[color].pin  # type: ignore[index]


@pytest.fixture
def fake_hub(mqtt_url: str, site: str) -> Iterator[FakeHub]:
    hub = FakeHub(mqtt_url, site).start()
    yield hub
    hub.stop()


@pytest.fixture
def start_node(mqtt_url: str, site: str, mock_factory: MockFactory) -> Iterator[Callable[..., RunningNode]]:
    started: list[CounterNode] = []

    def start(online: bool = True, **overrides: Any) -> RunningNode:
        clock = SteppedClock()
        node = CounterNode(counter_config(mqtt_url, site, **overrides), clock=clock)
        running = RunningNode(node, clock)
        started.append(node)
        assert node.start(wait=10)
        if online:
            for n in node.machines:
                running.wait_for("online", n)
        return running

    yield start
    for node in started:
        node.stop()
