"""``antrean simulate`` online: a day of arrivals replayed against a real hub over MQTT.

A temporary hub (its embedded broker, SQLite) runs with the policy to try; a scripted kiosk takes a ticket
at each arrival, and one simulated loket per loket presses CALL, serves for an exponential time and presses
CALL again. Time runs ``speed`` times faster than the clock; the waits are read back from the hub's own
records (issue → call) and scaled back to the simulated day.

Usage (starts processes; not run as a doctest)::

    result = replay_day(day.arrivals, lokets=2, service_min=5, policy="2:1", fairness_min=60, speed=120)
    result.records[0]
    # → ('umum', 'A', 312.0)
"""

from __future__ import annotations

import logging
import math
import queue
import random
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from benchmarks.harness import HubProcess, ScriptedKiosk, write_hub_config
from hub.analytics.simulation import Arrival
from hub.broker import free_port
from hub.config import QueueSettings
from hub.db.base import make_engine, make_session_factory
from hub.db.migrate import upgrade
from hub.db.models import Counter, Polyclinic, Queue
from hub.db.seed import seed
from protocol import CounterCommand, CounterReply, MqttLink, Topics

logger = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReplayResult:
    records: Sequence[tuple[str, str, float]]  # (category, poly, wait in simulated seconds)
    real_seconds: float


def _prepare(database_url: str, lokets: int, polys: set[str]) -> None:
    """Schema, defaults, ``lokets`` lokets and quotas no simulated day reaches."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine).begin() as session:
            seed(session, QueueSettings())
            known = set(session.scalars(select(Polyclinic.code)))
            unknown = sorted(polys - known)
            if unknown:
                raise ValueError(
                    f"unknown poly code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
                )
            session.execute(update(Polyclinic).values(quota_per_day=100_000))
            have = set(session.scalars(select(Counter.number)))
            for number in range(1, lokets + 1):
                if number not in have:
                    session.add(Counter(number=number, name=f"Loket {number}"))
            session.execute(update(Counter).where(Counter.number > lokets).values(is_active=False))
    finally:
        engine.dispose()


class _Loket(threading.Thread):
    """A simulated loket: CALL, serve, CALL again, until every ticket of the day was called."""

    def __init__(
        self,
        url: str,
        topics: Topics,
        number: int,
        mean_service_s: float,
        speed: float,
        day: _DayState,
        window: tuple[float, float] = (0.0, math.inf),
    ) -> None:
        super().__init__(daemon=True, name=f"sim-loket-{number}")
        self.topics, self.number, self.day, self.window = topics, number, day, window
        self.mean_service_s, self.speed = mean_service_s, speed
        self.rng = random.Random(number)
        self.replies: queue.Queue[CounterReply] = queue.Queue()
        self.link = MqttLink(url, client_id=f"sim-loket-{number}-{uuid.uuid4().hex[:6]}")
        self.link.route(topics.counter_reply(number), self._on_reply)
        if not self.link.start(wait=10):
            raise RuntimeError(f"simulated loket {number} could not connect to {url}")
        self.error: BaseException | None = None

    def _on_reply(self, _topic: str, payload: bytes) -> None:
        self.replies.put(CounterReply.decode(payload))

    def _call(self, k: int) -> CounterReply:
        request_id = f"sim-{self.number}-{k}"
        command = CounterCommand(request_id=request_id, action="call", source="button")
        self.link.publish(self.topics.counter_command(self.number), command)
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            reply = self.replies.get(timeout=left)
            if reply.request_id == request_id:
                return reply
        raise TimeoutError(f"loket {self.number}: no reply to CALL")

    def run(self) -> None:
        try:
            k = 0
            opens, closes = self.window
            if (before := (opens - self.day.now()) / self.speed) > 0:
                time.sleep(before)
            while not self.day.all_called() and self.day.now() < closes:
                k += 1
                reply = self._call(k)
                if reply.ok and reply.ticket is not None:
                    self.day.called()
                    time.sleep(self.rng.expovariate(1 / self.mean_service_s) / self.speed)
                else:
                    time.sleep(min(0.2, 30 / self.speed))  # nobody waiting: look again soon
        except BaseException as error:  # reported by replay_day
            self.error = error
        finally:
            self.link.stop()


class _DayState:
    """The simulated day: its clock (seconds of the day, ``speed`` times faster from the first arrival) and
    how many of its tickets were called."""

    def __init__(self, total: int, first_s: float, speed: float) -> None:
        self.total, self._called, self.issued_all = total, 0, threading.Event()
        self._lock = threading.Lock()
        self.first_s, self.speed, self.started = first_s, speed, time.monotonic()

    def now(self) -> float:
        return self.first_s + (time.monotonic() - self.started) * self.speed

    def called(self) -> None:
        with self._lock:
            self._called += 1

    def all_called(self) -> bool:
        with self._lock:
            return self.issued_all.is_set() and self._called >= self.total


def _issue(kiosk: ScriptedKiosk, arrivals: Sequence[Arrival], state: _DayState) -> None:
    for index, arrival in enumerate(arrivals):
        delay = (arrival.at_s - state.now()) / state.speed
        if delay > 0:
            time.sleep(delay)
        reply = kiosk.take(f"sim-{index}", arrival.category, arrival.poly, timeout=2, deadline=30)
        if not reply.ok:
            raise RuntimeError(f"the hub refused arrival {index}: {reply.error}")
    state.issued_all.set()


def replay_day(
    arrivals: Sequence[Arrival],
    *,
    lokets: int,
    service_min: float,
    policy: str,
    fairness_min: int,
    speed: float,
    windows: Mapping[int, tuple[float, float]] | None = None,
    workdir: Path | None = None,
    timeout_s: float = 3600,
) -> ReplayResult:
    """Replay ``arrivals`` against a temporary hub; the waits from its records. ``windows``: as for
    :func:`hub.analytics.simulation.simulate_day`. ``workdir``: where the hub's config, database and log go
    (default: a temporary folder, removed when the replay succeeded)."""
    if not arrivals:
        raise ValueError("no arrivals to replay")
    QueueSettings(priority_ratio=policy, max_general_wait_min=fairness_min)  # refuse a bad policy early
    folder = workdir or Path(tempfile.mkdtemp(prefix="antrean-simulate-"))
    database_url = f"sqlite:///{folder / 'antrean.db'}"
    _prepare(database_url, lokets, {a.poly for a in arrivals})
    site, port = f"sim{uuid.uuid4().hex[:6]}", free_port()
    extra = (
        f'priority_ratio = "{policy}"\nmax_general_wait_min = {fairness_min}\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {port}\nallow_anonymous = true\n'
    )
    config = write_hub_config(
        folder / "hub.toml", site=site, mqtt_url="", database_url=database_url, data_dir=folder, extra=extra
    )
    hub = HubProcess(config, folder / "hub.log")
    logger.info("simulated day: hub in %s", folder)
    hub.start()
    url, topics = f"mqtt://127.0.0.1:{port}", Topics(site)
    ordered = sorted(arrivals, key=lambda a: a.at_s)
    windows = windows or {}
    began = time.monotonic()
    try:
        kiosk = ScriptedKiosk(url, site, "sim-kiosk")
        state = _DayState(len(arrivals), ordered[0].at_s, speed)
        desks = [
            _Loket(url, topics, n, service_min * 60, speed, state, windows.get(n, (0.0, math.inf)))
            for n in range(1, lokets + 1)
        ]
        state.started = time.monotonic()  # the day begins once every loket is connected
        for desk in desks:
            desk.start()
        try:
            _issue(kiosk, ordered, state)
        finally:
            kiosk.close()
        deadline = time.monotonic() + timeout_s
        for desk in desks:
            desk.join(max(0.0, deadline - time.monotonic()))
            if desk.error is not None:
                raise RuntimeError(f"simulated loket {desk.number}: {desk.error}") from desk.error
        if not state.all_called():
            raise TimeoutError(f"not every ticket was called within {timeout_s:g} s")
    except (RuntimeError, TimeoutError) as error:
        raise RuntimeError(f"{str(error).splitlines()[0]} (hub log: {folder / 'hub.log'})") from error
    finally:
        hub.stop()
    real = time.monotonic() - began
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Queue.queue_category, Polyclinic.code, Queue.queued_at, Queue.called_at).join(
                    Polyclinic, Polyclinic.id == Queue.poly_id
                )
            ).all()
    finally:
        engine.dispose()
    records = [
        (category, poly, max(0.0, (called - queued).total_seconds()) * speed)
        for category, poly, queued, called in rows
        if called is not None
    ]
    if workdir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return ReplayResult(records, real)
