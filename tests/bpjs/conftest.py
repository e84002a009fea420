"""Fixtures: a real PCare simulator on a socket, a migrated database, and a bridge wired to both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.secretbox import SecretBox
from hub.bpjs.service import BpjsBridge
from hub.bpjs.settings import PcareSettings
from hub.bpjs.simulator import SimCredentials, SimState, SimulatorServer
from hub.config import BpjsSettings
from hub.db.base import make_engine, make_session_factory
from hub.db.models import Patient, Registration
from tests.database import upgrade

CREDS = SimCredentials("1234", "s3cret-pwd", "uk-abcdef", "pkm_gladak", "P@ssw0rd!")
JAKARTA = ZoneInfo("Asia/Jakarta")
ACTIVE = "0001234567890"
INACTIVE = "0002345678901"
ASTRAL = "0004567890123"
NON_ASCII = "0003456789012"
TIMEOUT_S = 0.4  # short timeouts keep the fault tests quick


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimState(CREDS)).start()
    yield server
    server.stop()


def _quick(base_url: str) -> dict[str, Any]:
    """The simulator's credentials with the short timeouts of these tests."""
    return {
        **CREDS.settings(base_url),
        "provider_code": "0901R001",
        "connect_timeout_s": TIMEOUT_S,
        "read_timeout_s": TIMEOUT_S,
        "read_retries": 1,
    }


def pcare_settings(base_url: str, **changes: Any) -> PcareSettings:
    return PcareSettings(**{**_quick(base_url), **changes})


def bpjs_config(base_url: str, **changes: Any) -> BpjsSettings:
    return BpjsSettings(**{**_quick(base_url), "breaker_failures": 3, "breaker_reset_s": 3600, **changes})


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


class Clock:
    """The bridge's clock, moved by hand so outbox back-off is tested without waiting."""

    def __init__(self) -> None:
        # 09:00 of today in Jakarta: advancing it by the outbox's back-off (hours) never crosses midnight,
        # whenever the suite runs (at 23:30 in Jakarta a visit of "today" would otherwise expire mid-test)
        today = datetime.now(JAKARTA).date()
        self.now = datetime.combine(today, time(9, 0), tzinfo=JAKARTA).astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class BridgeKit:
    bridge: BpjsBridge
    sim: SimulatorServer
    sessions: sessionmaker[Session]
    clock: Clock

    @property
    def stats(self) -> Any:
        return self.sim.state.stats


@pytest.fixture
def make_bridge(
    sim: SimulatorServer, sessions: sessionmaker[Session], clock: Clock
) -> Iterator[Callable[..., BridgeKit]]:
    bridges: list[BpjsBridge] = []

    def build(**config_changes: Any) -> BridgeKit:
        config = bpjs_config(sim.url, **config_changes)
        bridge = BpjsBridge(sessions, config, tz=JAKARTA, box=SecretBox(bytes(range(32))), clock=clock)
        bridges.append(bridge)
        return BridgeKit(bridge, sim, sessions, clock)

    yield build
    for bridge in bridges:
        bridge.stop()


_serial = [0]


def add_registration(sessions: sessionmaker[Session], card: str | None = ACTIVE, name: str = "Budi") -> int:
    """A patient and today's loket registration; returns the registration id."""
    _serial[0] += 1
    n = _serial[0]
    today = datetime.now(JAKARTA).date()
    with sessions.begin() as session:
        patient = Patient(medical_record=f"RM{n:06d}", name=name, bpjs_number=card)
        session.add(patient)
        session.flush()
        reg = Registration(
            registration_number=f"REG-{today:%Y%m%d}-{n:04d}",
            patient_id=patient.id,
            registration_date=today,
            registration_time=time(8, 0),
            patient_type="lama",
            payment_type="bpjs",
        )
        session.add(reg)
        session.flush()
        return reg.id
