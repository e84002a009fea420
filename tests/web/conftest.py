"""Web fixtures, the flaskr way: app → client → logged-in helper, on a fresh database per test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub.config import QueueSettings
from hub.db.base import make_engine, make_session_factory
from hub.db.models import AuditLog, User
from hub.db.seed import seed
from hub.dispatch.service import Dispatcher, Outcome
from hub.web import create_app
from hub.web.context import WebServices
from hub.web.passwords import hash_password, set_cost
from tests.database import upgrade

if TYPE_CHECKING:
    from hub.bpjs.simulator import SimulatorServer
    from tests.web.live import LiveHub

# The embedded amqtt broker (session-wide, in this process) sometimes leaves asyncio to collect the transport
# of a client that went away (a stopped hub process); pytest reports it in whichever test runs at that moment.
# The web uses no asyncio, so only those asyncio objects are ignored (as tests/kiosk does).
AMQTT_LEFTOVERS = [
    f"ignore:Exception ignored in. <{what}:pytest.PytestUnraisableExceptionWarning"
    for what in ("function StreamWriter.__del__", "function _SelectorTransport.__del__", "socket.socket fd=")
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/web/" in item.nodeid:
            for spec in AMQTT_LEFTOVERS:
                item.add_marker(pytest.mark.filterwarnings(spec))


PASSWORD = "Rahasia#2026"
set_cost(time_cost=1, memory_kib=1024)  # fast hashing for tests; the algorithm stays argon2id
OPEN_ALL_DAY = QueueSettings(operating_start="00:00", operating_end="00:00", reset_time="00:00")
_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class Clock:
    """A settable clock shared by the dispatcher and the web."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(tmp_path: Path, database_url: str, clock: Clock) -> Iterator[WebServices]:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        seed(session, OPEN_ALL_DAY)
        for username, role, counter in (("admin", "admin", None), ("siti", "receptionist", 1)):
            session.add(
                User(
                    username=username,
                    name=username.title(),
                    role=role,
                    password_hash=hash_password(PASSWORD),
                    counter_number=counter,
                )
            )
    tz = ZoneInfo("Asia/Jakarta")
    dispatcher = Dispatcher(sessions, tz=tz, public_url="http://testserver", clock=clock)
    published: list[Outcome] = []
    services = WebServices(
        sessions=sessions,
        dispatcher=dispatcher,
        data_dir=tmp_path / "data",
        tz=tz,
        site_name="Puskesmas Uji",
        publish=published.append,
        clock=clock,
    )
    services.published = published  # type: ignore[attr-defined]
    yield services
    engine.dispose()


@pytest.fixture
def app(services: WebServices) -> Flask:
    return create_app(services, {"TESTING": True})


class Web:
    """A test client that knows the CSRF token and how to log in."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self) -> str:
        page = self.client.get("/login").get_data(as_text=True)
        match = _META.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        body = dict(data or {})
        body.setdefault("csrf_token", self.token())
        return self.client.post(url, data=body, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def web(app: Flask) -> Web:
    return Web(app.test_client())


@pytest.fixture
def admin(app: Flask) -> Web:
    helper = Web(app.test_client())
    assert helper.login("admin").status_code == 302
    return helper


@pytest.fixture
def staff(app: Flask) -> Web:
    helper = Web(app.test_client())
    assert helper.login("siti").status_code == 302
    return helper


def audit_actions(services: WebServices) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def last_audit(services: WebServices, action: str) -> AuditLog:
    with services.sessions() as session:
        row = session.scalar(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc()))
        assert row is not None, f"no audit row {action}"
        return row


def patient_form(**overrides: str) -> dict[str, str]:
    values = {
        "name": "Sari Wulandari",
        "nik": "3509015503950001",
        "birth_place": "Jember",
        "birth_date": "15-03-1995",
        "gender": "P",
        "address": "Jl. Mastrip No. 10",
        "rt_rw": "003/007",
        "kelurahan": "Kranjingan",
        "kecamatan": "Sumbersari",
        "kabupaten": "Jember",
        "phone": "081234567890",
        "blood_type": "O",
        "marital_status": "kawin",
        "occupation": "IRT",
        "allergy": "",
        "patient_type": "bpjs",
        "bpjs_number": "0009876543210",
    }
    values.update(overrides)
    return values


@pytest.fixture
def pcare_sim() -> Iterator[SimulatorServer]:
    """The PCare simulator on a socket."""
    from hub.bpjs.simulator import SimState, SimulatorServer
    from tests.web.live import CREDS

    server = SimulatorServer(SimState(CREDS)).start()
    yield server
    server.stop()


@pytest.fixture
def live_hub(hub_runner: Callable[..., Any], pcare_sim: SimulatorServer) -> LiveHub:
    """A real hub process with the web on a free port and the BPJS bridge on the simulator."""
    from tests.web.live import start_live_hub

    return start_live_hub(hub_runner, pcare_sim)
