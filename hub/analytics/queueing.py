"""The M/M/1 and M/M/c (Erlang C) queue, written once: every other module asks this one.

Rates are per hour (any unit works if both rates use it; times come back in that unit). ``c = 1`` is M/M/1.
Erlang C is computed from the Erlang B recursion ``B(k) = a·B(k-1) / (k + a·B(k-1))``, which never forms
``a**c`` or ``c!`` and so stays exact for hundreds of servers.

Hillier & Lieberman's County Hospital emergency room (λ = 2/h, μ = 3/h):

>>> one = mmc(2, 3)
>>> round(one.lq, 4), round(one.wq, 4), round(one.p0, 4)
(1.3333, 0.6667, 0.3333)
>>> two = mmc(2, 3, servers=2)
>>> round(two.p0, 4), round(two.lq, 4), round(two.wq * 60, 2)
(0.5, 0.0833, 2.5)
>>> mmc(4, 3).stable, mmc(4, 3).lq
(False, None)
>>> servers_needed(2, 3, target_wait=3 / 60)  # 2 lokets: Wq = 2.5 min
2
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

MAX_SERVERS = 10_000


@dataclass(frozen=True)
class Measures:
    """An M/M/c queue's steady state. For an unstable queue (ρ ≥ 1) only the inputs and ρ are given: the
    queue grows without bound, and every other measure is ``None``."""

    arrival_rate: float  # λ, arrivals per unit time
    service_rate: float  # μ, services per unit time per server
    servers: int  # c
    rho: float  # ρ = λ / (c·μ), server utilisation
    stable: bool
    p0: float | None = None  # probability that the system is empty
    lq: float | None = None  # mean number waiting (not yet served)
    l: float | None = None  # noqa: E741  mean number in the system (the textbooks' L)
    wq: float | None = None  # mean wait before service
    w: float | None = None  # mean time in the system (wait + service)
    p_wait: float | None = None  # probability that an arrival waits at all (Erlang C)

    @property
    def offered_load(self) -> float:
        """a = λ/μ, in Erlang: the mean number of busy servers."""
        return self.arrival_rate / self.service_rate

    def p_wait_longer(self, t: float) -> float | None:
        """P(Wq > t): the probability of waiting longer than ``t`` (same unit as the rates)."""
        if not self.stable or self.p_wait is None:
            return None
        if t < 0:
            raise ValueError(f"waiting time must be >= 0, got {t}")
        return self.p_wait * math.exp(-(self.servers * self.service_rate - self.arrival_rate) * t)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(arrival_rate: float, service_rate: float, servers: int) -> None:
    for name, value in (("arrival rate", arrival_rate), ("service rate", service_rate)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value}")
    if isinstance(servers, bool) or not isinstance(servers, int) or not 1 <= servers <= MAX_SERVERS:
        raise ValueError(f"servers must be a whole number from 1 to {MAX_SERVERS}, got {servers}")


def erlang_b(offered_load: float, servers: int) -> float:
    """Erlang B: the blocking probability of ``servers`` with no waiting room, by the stable recursion.

    >>> round(erlang_b(2 / 3, 2), 4)
    0.1176
    """
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(offered_load: float, servers: int) -> float:
    """Erlang C: the probability that an arrival waits (requires offered_load < servers)."""
    if offered_load >= servers:
        return 1.0
    b = erlang_b(offered_load, servers)
    return servers * b / (servers - offered_load * (1 - b))


def mmc(arrival_rate: float, service_rate: float, servers: int = 1) -> Measures:
    """The steady state of M/M/``servers``. ValueError for rates ≤ 0 or a bad server count."""
    _check(arrival_rate, service_rate, servers)
    a = arrival_rate / service_rate
    rho = a / servers
    if rho >= 1:
        return Measures(arrival_rate, service_rate, servers, rho, stable=False)
    c_prob = erlang_c(a, servers)
    # P0 = C·(1-ρ)·c!/a^c, taken through logarithms (a^c and c! overflow long before P0 underflows)
    log_p0 = math.log(c_prob * (1 - rho)) + math.lgamma(servers + 1) - servers * math.log(a)
    lq = c_prob * rho / (1 - rho)
    wq = lq / arrival_rate
    w = wq + 1 / service_rate
    return Measures(
        arrival_rate,
        service_rate,
        servers,
        rho,
        stable=True,
        p0=math.exp(log_p0),
        lq=lq,
        l=lq + a,
        wq=wq,
        w=w,
        p_wait=c_prob,
    )


def mm1(arrival_rate: float, service_rate: float) -> Measures:
    """M/M/1 (= :func:`mmc` with one server)."""
    return mmc(arrival_rate, service_rate, 1)


def servers_needed(arrival_rate: float, service_rate: float, target_wait: float) -> int:
    """The fewest servers whose predicted mean wait Wq is at most ``target_wait`` (same unit as the rates).

    >>> servers_needed(20, 6, target_wait=0.25)
    4
    """
    if not math.isfinite(target_wait) or target_wait <= 0:
        raise ValueError(f"target wait must be a positive number, got {target_wait}")
    _check(arrival_rate, service_rate, 1)
    servers = max(1, math.floor(arrival_rate / service_rate) + 1)
    while servers <= MAX_SERVERS:
        measures = mmc(arrival_rate, service_rate, servers)
        if measures.wq is not None and measures.wq <= target_wait:
            return servers
        servers += 1
    raise ValueError(f"no number of servers up to {MAX_SERVERS} meets the target")
