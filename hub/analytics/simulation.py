"""A discrete-event simulation (SimPy) of the loket queue: arrivals, lokets that call the next ticket in the
hub's own call order (:func:`hub.dispatch.policy.project_order`) and serve for an exponential time.

It checks the analytic M/M/c formulas (:func:`mmc_waits`) and lets ``antrean simulate --offline`` compare
call policies without a hub. Times are seconds from the start of the day.

>>> day = [Arrival(t * 60.0, "umum", "A") for t in range(10)]
>>> waits = simulate_day(day, lokets=2, service_rate_per_hour=60, rule=CallRule.parse("2:1"), seed=1)
>>> len(waits), all(w.wait_s >= 0 for w in waits)
(10, True)
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass

import simpy

from hub.dispatch.policy import CallRule, Category, Waiting, project_order


@dataclass(frozen=True)
class Arrival:
    at_s: float  # seconds from the start of the simulated day
    category: Category
    poly: str  # the poly's code


@dataclass(frozen=True)
class Served:
    arrival: Arrival
    wait_s: float  # arrival → call
    loket: int
    service_s: float  # call → the loket's next call (or its last service's end)


def simulate_day(
    arrivals: Sequence[Arrival],
    *,
    lokets: int,
    service_rate_per_hour: float,
    rule: CallRule,
    fairness_min: float = 0,
    seed: int = 0,
    windows: Mapping[int, tuple[float, float]] | None = None,
) -> list[Served]:
    """Every arrival served by ``lokets`` lokets calling in the hub's call order; their waits.
    ``windows``: loket number → (from, until) in seconds of the day when it calls patients (a service begun
    before ``until`` is finished); lokets not listed work all day, and at least one must."""
    if lokets < 1:
        raise ValueError(f"lokets must be >= 1, got {lokets}")
    windows = windows or {}
    if all(n in windows for n in range(1, lokets + 1)):
        raise ValueError("at least one loket must be open all day")
    if service_rate_per_hour <= 0:
        raise ValueError(f"service rate must be > 0, got {service_rate_per_hour}")
    rng = random.Random(seed)
    env = simpy.Environment()
    ordered = sorted(arrivals, key=lambda a: a.at_s)
    waiting: dict[int, Arrival] = {}
    history: list[Category] = []
    served: list[Served] = []
    signal = [env.event()]
    mean_service_s = 3600 / service_rate_per_hour

    def arrive() -> Generator[simpy.Event, object, None]:
        for key, arrival in enumerate(ordered):
            yield env.timeout(max(0.0, arrival.at_s - env.now))
            waiting[key] = arrival
            if not signal[0].triggered:
                signal[0].succeed()

    def next_key() -> int:
        tickets = [Waiting(k, a.category, a.at_s) for k, a in waiting.items()]
        order = project_order(
            [w for w in tickets if w.category == "prioritas"],
            [w for w in tickets if w.category != "prioritas"],
            history=history,
            rule=rule,
            now=env.now,
            fairness_s=fairness_min * 60,
        )
        return order[0].key

    def loket(number: int) -> Generator[simpy.Event, object, None]:
        opens, closes = windows.get(number, (0.0, math.inf))
        if env.now < opens:
            yield env.timeout(opens - env.now)
        while len(served) < len(ordered) and env.now < closes:
            if not waiting:
                if signal[0].triggered:
                    signal[0] = env.event()
                yield signal[0] if closes == math.inf else signal[0] | env.timeout(closes - env.now)
                continue
            key = next_key()
            arrival = waiting.pop(key)
            history.append(arrival.category)
            service_s = rng.expovariate(1 / mean_service_s)
            served.append(Served(arrival, env.now - arrival.at_s, number, service_s))
            yield env.timeout(service_s)

    env.process(arrive())
    for number in range(1, lokets + 1):
        env.process(loket(number))
    env.run()
    return served


def poisson_arrivals(rate_per_hour: float, count: int, rng: random.Random) -> list[Arrival]:
    """``count`` arrivals of a Poisson process (one category, one poly)."""
    at, result = 0.0, []
    for _ in range(count):
        at += rng.expovariate(rate_per_hour / 3600)
        result.append(Arrival(at, "umum", "A"))
    return result


def _mmc_replication(
    arrival_rate: float, service_rate: float, servers: int, customers: int, rng: random.Random
) -> list[float]:
    """The wait in the queue of each customer of one M/M/c FIFO run, in arrival order."""
    env = simpy.Environment()
    desks = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer(arrived: float) -> Generator[simpy.Event, object, None]:
        with desks.request() as turn:
            yield turn
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(service_rate))

    def source() -> Generator[simpy.Event, object, None]:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(arrival_rate))
            env.process(customer(env.now))

    env.process(source())
    env.run()
    return waits


def mmc_waits(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    *,
    customers: int = 20_000,
    warmup: int = 2_000,
    replications: int = 10,
    seed: int = 0,
) -> list[float]:
    """Mean wait in the queue (hours) of each independent replication of an M/M/c FIFO queue simulated with
    SimPy, the first ``warmup`` customers of each left out (the queue starts empty)."""
    means = []
    for replication in range(replications):
        rng = random.Random(seed * 1000 + replication)
        waits = _mmc_replication(arrival_rate, service_rate, servers, customers, rng)
        means.append(statistics.fmean(waits[warmup:]))
    return means
