"""Fixtures: a real MQTT broker (embedded amqtt, or ANTREAN_TEST_MQTT_URL) and a unique site per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.harness import HubProcess, write_hub_config
from hub.broker import BrokerProcess, BrokerSettings, free_port


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """URL of a running broker: ANTREAN_TEST_MQTT_URL if set (Mosquitto on CI), else the embedded amqtt in a
    process of its own, as ``antrean hub`` runs it (amqtt leaks the transport of a connection that closes
    before its CONNECT; in this process its ResourceWarning would fail whichever test it surfaced in).
    Anonymous, on 127.0.0.1 only: tests of accounts and ACLs start brokers of their own."""
    external = os.environ.get("ANTREAN_TEST_MQTT_URL")
    if external:
        yield external
        return
    broker = BrokerProcess(BrokerSettings(host="127.0.0.1", port=free_port(), allow_anonymous=True))
    broker.start()
    yield broker.url
    broker.stop()


@pytest.fixture
def site() -> str:
    """A site id of its own, so tests sharing one broker never see each other's retained messages."""
    return f"t{uuid.uuid4().hex[:10]}"


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """The URL of a fresh empty database: SQLite in ``folder``, or a schema of its own in
    ANTREAN_TEST_DATABASE_URL (dropped at the end)."""
    external = os.environ.get("ANTREAN_TEST_DATABASE_URL")
    if not external:
        yield f"sqlite:///{folder / 'antrean.db'}"
        return
    from sqlalchemy import create_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(external)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in external else "?"
    yield f"{external}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: SQLite in tmp_path, or a schema of its own in ANTREAN_TEST_DATABASE_URL."""
    with fresh_database(tmp_path) as url:
        yield url


class HubHandle(HubProcess):
    """A hub process of one test, with the test's site, broker and database."""

    def __init__(
        self, config_path: Path, log_path: Path, site: str, mqtt_url: str, database_url: str
    ) -> None:
        super().__init__(config_path, log_path)
        self.site = site
        self.mqtt_url = mqtt_url
        self.database_url = database_url

    def start(self, timeout: float = 30.0) -> HubHandle:
        super().start(timeout)
        return self


@pytest.fixture
def hub_runner(
    tmp_path: Path, site: str, mqtt_url: str, database_url: str
) -> Iterator[Callable[..., HubHandle]]:
    """``hub_runner(start=True, node_id="hub", extra_toml="", web_port=0)`` → a running hub for this test's
    site (``web_port`` 0: no web; use ``hub.broker.free_port()`` for one).
    ``extra_toml`` is appended right after the ``[queue]`` table: bare keys there are queue keys
    (e.g. ``'priority_ratio = "strict"'``); further tables may follow."""
    handles: list[HubHandle] = []

    def run(start: bool = True, node_id: str = "hub", extra_toml: str = "", web_port: int = 0) -> HubHandle:
        index = len(handles)
        config_path = write_hub_config(
            tmp_path / f"hub{index}.toml",
            site=site,
            mqtt_url=mqtt_url,
            database_url=database_url,
            data_dir=tmp_path / "data",
            node_id=node_id,
            web_port=web_port,
            extra=extra_toml,
        )
        handle = HubHandle(config_path, tmp_path / f"hub{index}.log", site, mqtt_url, database_url)
        handles.append(handle)
        return handle.start() if start else handle

    yield run
    for handle in handles:
        handle.stop()


@pytest.fixture
def restore_umask() -> Iterator[None]:
    """For tests that open the hub database in this process: opening it sets the umask to 077 (as the hub
    does for its own process); put back the one the rest of the session runs with."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)
