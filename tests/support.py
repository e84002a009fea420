"""Test helpers shared by every test module: a recording MQTT client and waiting."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from protocol import MqttLink


def artifacts_dir(part: str) -> Path:
    """Where tests leave screenshots and sounds to look at: ``$ANTREAN_TEST_ARTIFACTS/part``, by default in
    the system's temporary folder, never inside the checkout (tests do not rewrite committed files)."""
    root = Path(
        os.environ.get("ANTREAN_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "antrean-test-artifacts"
    )
    folder = root / part
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    at: float


def wait_until(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.01) -> object:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class Recorder:
    """A real MQTT client that records every message on the filters it is given."""

    def __init__(self, url: str, *filters: str) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self.link = MqttLink(url, client_id=f"test-recorder-{uuid.uuid4().hex[:8]}")
        for topic_filter in filters:
            self.link.route(topic_filter, self._record)
        if not self.link.start(wait=10):
            raise AssertionError(f"recorder could not connect to {url}")

    def _record(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self.messages.append(Received(topic, payload, time.monotonic()))

    def on(self, topic: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str, timeout: float = 5.0) -> bytes:
        wait_until(lambda: self.on(topic), timeout)
        return self.on(topic)[-1].payload

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def close(self) -> None:
        self.link.stop()
