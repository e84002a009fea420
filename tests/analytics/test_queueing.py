"""The M/M/1 and M/M/c formulas against published worked examples, exact rational arithmetic and a SimPy
simulation."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from scipy import stats

from hub.analytics.queueing import erlang_c, mm1, mmc, servers_needed
from hub.analytics.simulation import mmc_waits


def test_mm1_county_hospital_hillier_lieberman() -> None:
    """Hillier & Lieberman, Introduction to Operations Research, County Hospital emergency room (ch. 17,
    M/M/s example), one doctor: λ = 2/h, μ = 3/h → ρ = 2/3, P0 = 1/3, Lq = 4/3, L = 2, Wq = 2/3 h, W = 1 h."""
    m = mm1(2, 3)
    assert m.stable
    assert m.rho == pytest.approx(2 / 3)
    assert m.p0 == pytest.approx(1 / 3)
    assert m.lq == pytest.approx(4 / 3)
    assert m.l == pytest.approx(2)
    assert m.wq == pytest.approx(2 / 3)
    assert m.w == pytest.approx(1)
    assert m.p_wait == pytest.approx(2 / 3)  # M/M/1: P(wait) = ρ
    # P(Wq > t) = ρ·e^{-μ(1-ρ)t}; for t = 1 h: (2/3)·e^{-1}
    assert m.p_wait_longer(1) == pytest.approx(2 / 3 * math.exp(-1))


def test_mmc_county_hospital_two_doctors() -> None:
    """The same example with s = 2 doctors: P0 = 1/2, Lq = 1/12, L = 3/4, Wq = 1/24 h, W = 3/8 h, and
    P(Wq > 0) = 1/6 (Hillier & Lieberman's table of the County Hospital example)."""
    m = mmc(2, 3, servers=2)
    assert m.rho == pytest.approx(1 / 3)
    assert m.p0 == pytest.approx(1 / 2)
    assert m.lq == pytest.approx(1 / 12)
    assert m.l == pytest.approx(3 / 4)
    assert m.wq == pytest.approx(1 / 24)
    assert m.w == pytest.approx(3 / 8)
    assert m.p_wait == pytest.approx(1 / 6)
    assert m.p_wait_longer(0) == pytest.approx(1 / 6)
    assert m.p_wait_longer(0.5) == pytest.approx(1 / 6 * math.exp(-(6 - 2) * 0.5))


def test_erlang_c_table_value() -> None:
    """The classic Erlang C table entry: 10 Erlang offered to 11 servers → P(wait) = 0.6821."""
    assert erlang_c(10, 11) == pytest.approx(0.6821, abs=5e-5)


def _exact_mmc(lam: Fraction, mu: Fraction, c: int) -> tuple[Fraction, Fraction]:
    """P0 and Lq straight from the textbook sums, in exact rationals."""
    a, rho = lam / mu, lam / (c * mu)
    terms = sum((a**k / math.factorial(k) for k in range(c)), Fraction(0))
    tail = a**c / (math.factorial(c) * (1 - rho))
    p0 = 1 / (terms + tail)
    lq = p0 * a**c * rho / (math.factorial(c) * (1 - rho) ** 2)
    return p0, lq


@pytest.mark.parametrize(("lam", "mu", "c"), [(7, 2, 4), (45, 2, 25), (118, 4, 31), (290, 3, 100)])
def test_erlang_recursion_matches_exact_formula(lam: int, mu: int, c: int) -> None:
    """The recursion stays exact where a^c and c! are astronomically large (c = 100)."""
    p0, lq = _exact_mmc(Fraction(lam), Fraction(mu), c)
    m = mmc(lam, mu, c)
    assert m.p0 == pytest.approx(float(p0), rel=1e-9)
    assert m.lq == pytest.approx(float(lq), rel=1e-9)
    assert m.lq is not None and m.l is not None
    assert m.l == pytest.approx(m.lq + lam / mu)
    assert m.w == pytest.approx(m.l / lam)  # Little's law


def test_large_system_is_finite() -> None:
    m = mmc(950, 1, 1000)
    assert m.stable and m.p0 is not None and 0 <= m.p0 < 1e-300 + 1
    assert m.lq is not None and math.isfinite(m.lq) and m.lq > 0


@pytest.mark.parametrize(("lam", "mu", "c"), [(3, 3, 1), (4, 3, 1), (12, 3, 4), (13, 3, 4)])
def test_unstable_is_reported_not_negative(lam: float, mu: float, c: int) -> None:
    m = mmc(lam, mu, c)
    assert not m.stable
    assert m.rho >= 1
    assert (m.p0, m.lq, m.l, m.wq, m.w, m.p_wait) == (None,) * 6
    assert m.p_wait_longer(1) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 3, 1), "arrival rate must be a positive number"),
        ((-1, 3, 1), "arrival rate must be a positive number"),
        ((2, 0, 1), "service rate must be a positive number"),
        ((2, math.nan, 1), "service rate must be a positive number"),
        ((2, 3, 0), "servers must be a whole number"),
    ],
)
def test_bad_input_is_refused_clearly(args: tuple[float, float, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mmc(*args)


def test_servers_needed_is_the_fewest() -> None:
    for lam, mu, target in [(2, 3, 0.05), (20, 6, 0.25), (60, 10, 5 / 60), (30, 12, 15 / 60)]:
        c = servers_needed(lam, mu, target)
        wq = mmc(lam, mu, c).wq
        assert wq is not None and wq <= target
        if c > 1:
            fewer = mmc(lam, mu, c - 1)
            assert not fewer.stable or (fewer.wq is not None and fewer.wq > target)
    with pytest.raises(ValueError, match="target wait must be a positive number"):
        servers_needed(2, 3, 0)


@pytest.mark.slow
@pytest.mark.parametrize(("lam", "mu", "c"), [(2, 3, 1), (20, 6, 4)])
def test_analytic_wq_within_simulation_confidence_interval(lam: float, mu: float, c: int) -> None:
    """Ten independent SimPy replications of 20,000 customers: the analytic Wq lies in the 99% t interval of
    their means, and the interval is tight enough to mean something (half-width < 20% of Wq)."""
    means = mmc_waits(lam, mu, c, customers=20_000, replications=10, seed=7)
    mean = sum(means) / len(means)
    sem = stats.sem(means)
    half = stats.t.ppf(0.995, len(means) - 1) * sem
    analytic = mmc(lam, mu, c).wq
    assert analytic is not None
    assert mean - half <= analytic <= mean + half
    assert half < 0.2 * analytic
