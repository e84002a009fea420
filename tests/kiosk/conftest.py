"""Kiosk fixtures: a real kiosk app (pygame headless, real MQTT) and a stand-in hub on the real broker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest

from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.config import KioskConfig
from firmware.kiosk_node.printer import DummyTransport, Transport
from tests.fakehub import FakeHub
from tests.kiosk import samples
from tests.support import artifacts_dir

# The embedded amqtt broker (session-wide, in this process) sometimes lets asyncio collect a StreamWriter of a
# client that went away abruptly (a killed hub); pytest reports that in whichever test runs at that moment.
# The kiosk uses no asyncio, so only that one unraisable is ignored here.
AMQTT_STREAM_WRITER = (
    "ignore:Exception ignored in. <function StreamWriter.__del__:pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/kiosk/" in item.nodeid:
            item.add_marker(pytest.mark.filterwarnings(AMQTT_STREAM_WRITER))


def kiosk_config(mqtt_url: str, site: str, **sections: dict[str, Any]) -> KioskConfig:
    data: dict[str, Any] = {
        "site": site,
        "node_id": "kiosk-1",
        "mqtt": {"url": mqtt_url},
        "screen": {"fullscreen": False, "help_text": "Bantuan: (0331) 337772"},
        "timing": {"debounce_s": 0.0, "resend_s": 0.5, "deadline_s": 2.0},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return KioskConfig.model_validate(data)


@pytest.fixture
def artifacts() -> Path:
    return artifacts_dir("kiosk")


@pytest.fixture
def fake_hub(mqtt_url: str, site: str) -> Iterator[FakeHub]:
    hub = FakeHub(mqtt_url, site, samples.services()).start()
    yield hub
    hub.stop()


@pytest.fixture
def make_kiosk(mqtt_url: str, site: str) -> Iterator[Callable[..., KioskApp]]:
    apps: list[KioskApp] = []

    def make(
        size: tuple[int, int] = (800, 480),
        transport: Transport | None = None,
        url: str | None = None,
        **sections: dict[str, Any],
    ) -> KioskApp:
        config = kiosk_config(url or mqtt_url, site, **sections)
        app = KioskApp(config, transport=transport or DummyTransport())
        app.start(size, fullscreen=False)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()
