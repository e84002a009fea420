"""Counter node fixtures: gpiozero's MockFactory as the pin factory, a fake hub, a running node."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from antrean.config import load_config
from firmware.counter_button.config import CounterConfig, quick_lokets
from firmware.counter_button.machine import Event
from firmware.counter_button.node import CounterNode
from tests.counter.fakes import FakeHub
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


class RunningNode:
    """A started node and every event it emitted."""

    def __init__(self, node: CounterNode) -> None:
        self.node = node
        self.events: list[Event] = []
        node.add_listener(self.events.append)

    def kinds(self, counter: int | None = None) -> list[str]:
        return [e.kind for e in list(self.events) if counter is None or e.counter == counter]

    def wait_for(self, kind: str, counter: int = 1, count: int = 1, timeout: float = 5.0) -> Event:
        wait_until(lambda: self.kinds(counter).count(kind) >= count, timeout)
        return [e for e in self.events if e.kind == kind and e.counter == counter][count - 1]

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
        node = CounterNode(counter_config(mqtt_url, site, **overrides))
        running = RunningNode(node)
        started.append(node)
        assert node.start(wait=10)
        if online:
            for n in node.machines:
                running.wait_for("online", n)
        return running

    yield start
    for node in started:
        node.stop()
