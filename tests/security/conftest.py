"""The ``secured`` fixture: each security test of the broker runs against both brokers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.brokers import SecuredBroker, start_embedded, start_mosquitto, write_passwords


@pytest.fixture(params=["embedded", "mosquitto"])
def secured(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecuredBroker]:
    passwd = write_passwords(tmp_path / "mqtt.passwd")
    if request.param == "embedded":
        broker = start_embedded(tmp_path, passwd)
        yield SecuredBroker("embedded", broker.port)
        broker.stop()
    else:
        port, process = start_mosquitto(tmp_path, passwd)
        yield SecuredBroker("mosquitto", port)
        process.terminate()
        process.wait(10)
