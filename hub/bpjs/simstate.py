"""What the PCare simulator knows (:mod:`hub.bpjs.simulator`): the credentials it accepts, its participants,
polys, doctors and registered visits, its counters and the fault it is told to apply.

>>> state = SimState(SimCredentials("1234", "pwd", "key", "user", "pass"))
>>> state.set_fault("slow", delay_s=0.1, times=1)
>>> state.take_fault("GET", "/pcare-rest/peserta/0001234567890").mode, state.fault
('slow', None)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.bpjs import simdata
from hub.bpjs.models import pcare_date
from hub.bpjs.signing import Credentials

FAULT_MODES = ("slow", "error500", "timeout", "garbled", "drop")


@dataclass(frozen=True, repr=False)
class SimCredentials(Credentials):
    """The credentials the simulator accepts, as the gateway's (``repr`` hides the secrets)."""

    def settings(self, base_url: str) -> dict[str, str]:
        """The PCare settings keys (``PcareSettings``, the hub's ``[bpjs]``) that reach this simulator."""
        return {
            "base_url": base_url,
            "cons_id": self.cons_id,
            "secret": self.secret,
            "user_key": self.user_key,
            "username": self.username,
            "password": self.password,
        }


DEMO_CREDENTIALS = SimCredentials("demo", "demo-secret", "demo-key", "demo", "demo-pass")


def hub_toml(base_url: str, credentials: SimCredentials = DEMO_CREDENTIALS) -> str:
    """The ``[bpjs]`` table that points a hub at a simulator (used by ``antrean demo``)."""
    return (
        f'[bpjs]\nbase_url = "{base_url}"\ncons_id = "{credentials.cons_id}"\n'
        f'secret = "{credentials.secret}"\nuser_key = "{credentials.user_key}"\n'
        f'username = "{credentials.username}"\npassword = "{credentials.password}"\n'
        f'provider_code = "{simdata.PROVIDER["kdProvider"]}"\n'
        f'provider_name = "{simdata.PROVIDER["nmProvider"]}"\n'
    )


@dataclass
class Fault:
    mode: str
    delay_s: float = 30.0
    times: int | None = None  # applies to the next N matching requests; None: until cleared
    path: str = ""  # substring of the request path; empty: every request
    method: str = ""  # e.g. "POST"; empty: every method

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and self.path in path


@dataclass
class SimRegistration:
    no_urut: str
    tgl_daftar: str
    no_kartu: str
    kd_poli: str
    keluhan: str
    kunj_sakit: bool
    cancelled: bool = False


@dataclass
class SimStats:
    requests: int = 0
    rejected: int = 0
    posts: int = 0
    registered: int = 0
    duplicates_refused: int = 0
    cancelled: int = 0
    faults_applied: int = 0


@dataclass
class SimState:
    """Everything the simulator knows. Thread-safe through ``lock``."""

    credentials: SimCredentials
    tolerance_s: int = 300
    metadata_key: str = "metaData"
    timezone: str = "Asia/Jakarta"
    participants: dict[str, dict[str, Any]] = field(default_factory=simdata.participants)
    polys: list[dict[str, Any]] = field(default_factory=lambda: [dict(p) for p in simdata.POLYS])
    doctors: list[dict[str, Any]] = field(default_factory=lambda: [dict(d) for d in simdata.DOCTORS])
    registrations: list[SimRegistration] = field(default_factory=list)
    stats: SimStats = field(default_factory=SimStats)
    fault: Fault | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        today = datetime.now(ZoneInfo(self.timezone)).date()
        # one visit already registered today, so numbering and lists start non-empty
        self.registrations.append(
            SimRegistration("A1", pcare_date(today), "0005678901234", "001", "Batuk", True)
        )

    def set_fault(
        self, mode: str, *, delay_s: float = 30.0, times: int | None = None, path: str = "", method: str = ""
    ) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        with self.lock:
            self.fault = Fault(mode, delay_s, times, path, method.upper())

    def clear_fault(self) -> None:
        with self.lock:
            self.fault = None

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            fault = self.fault
            if fault is None or not fault.matches(method, path):
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.fault = None
            self.stats.faults_applied += 1
            return fault

    def active_registrations(self, tgl: str) -> list[SimRegistration]:
        with self.lock:
            return [r for r in self.registrations if r.tgl_daftar == tgl and not r.cancelled]

    def registrations_of(self, no_kartu: str) -> list[SimRegistration]:
        with self.lock:
            return [r for r in self.registrations if r.no_kartu == no_kartu and not r.cancelled]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "stats": vars(self.stats).copy(),
                "fault": None if self.fault is None else vars(self.fault).copy(),
                "registrations": [vars(r).copy() for r in self.registrations],
            }
