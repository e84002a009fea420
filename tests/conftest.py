"""Fixtures: a real MQTT broker (embedded amqtt, or ANTREAN_TEST_MQTT_URL) and a unique site per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from hub.broker import EmbeddedBroker, free_port


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """URL of a running broker: ANTREAN_TEST_MQTT_URL if set (Mosquitto on CI), else embedded amqtt."""
    external = os.environ.get("ANTREAN_TEST_MQTT_URL")
    if external:
        yield external
        return
    broker = EmbeddedBroker("127.0.0.1", free_port())
    broker.start()
    yield broker.url
    broker.stop()


@pytest.fixture
def site() -> str:
    """A site id of its own, so tests sharing one broker never see each other's retained messages."""
    return f"t{uuid.uuid4().hex[:10]}"
