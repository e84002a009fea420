"""Fixtures: a real MQTT broker (embedded amqtt, or ANTREAN_TEST_MQTT_URL) and a unique site per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

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


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh empty database: SQLite in tmp_path, or a schema of its own in ANTREAN_TEST_DATABASE_URL."""
    external = os.environ.get("ANTREAN_TEST_DATABASE_URL")
    if not external:
        yield f"sqlite:///{tmp_path / 'antrean.db'}"
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


HUB_TOML = """\
site = "{site}"
data_dir = "{data_dir}"
log_level = "INFO"
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


class HubHandle:
    """A real ``antrean hub`` process for one test (``python -m hub --config ...``)."""

    def __init__(
        self, config_path: Path, log_path: Path, site: str, mqtt_url: str, database_url: str
    ) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.site = site
        self.mqtt_url = mqtt_url
        self.database_url = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self._log = None

    def _connections(self) -> int:
        if not self.log_path.exists():
            return 0
        return self.log_path.read_text(encoding="utf-8", errors="replace").count("MQTT connected")

    def start(self, timeout: float = 30.0) -> HubHandle:
        before = self._connections()
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (kept open for the child's lifetime)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "--config", str(self.config_path)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while self._connections() <= before:
            if self.process.poll() is not None:
                raise AssertionError(f"hub exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"hub did not connect within {timeout} s:\n{self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._close_log()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()


@pytest.fixture
def hub_runner(
    tmp_path: Path, site: str, mqtt_url: str, database_url: str
) -> Iterator[Callable[..., HubHandle]]:
    """``hub_runner(start=True, node_id="hub", extra_toml="")`` → a running hub for this test's site.
    ``extra_toml`` is appended right after the ``[queue]`` table: bare keys there are queue keys
    (e.g. ``'priority_ratio = "strict"'``); further tables may follow."""
    handles: list[HubHandle] = []

    def run(start: bool = True, node_id: str = "hub", extra_toml: str = "") -> HubHandle:
        index = len(handles)
        config_path = tmp_path / f"hub{index}.toml"
        config_path.write_text(
            HUB_TOML.format(
                site=site,
                data_dir=tmp_path / "data",
                node_id=node_id,
                mqtt_url=mqtt_url,
                database_url=database_url,
                web_port=0,
                extra=extra_toml,
            ),
            encoding="utf-8",
        )
        handle = HubHandle(config_path, tmp_path / f"hub{index}.log", site, mqtt_url, database_url)
        handles.append(handle)
        return handle.start() if start else handle

    yield run
    for handle in handles:
        handle.stop()
