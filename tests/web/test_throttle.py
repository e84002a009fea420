"""The login throttle's rules (pure, on an injected clock): growing waits per (account, client), no lockout
of the account, a cap per client, bounded memory."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.web.throttle import LoginThrottle, ThrottleRules, account_key, delay_after

PC, ATTACKER = "device:loket-pc", "addr:10.9.9.66"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**rules: Any) -> tuple[LoginThrottle, Clock]:
    clock = Clock()
    return LoginThrottle(ThrottleRules(**rules), clock=clock), clock


def test_delays_double_after_the_free_failures_and_are_capped() -> None:
    rules = ThrottleRules(free_failures=3, base_delay_s=1, max_delay_s=60)
    assert [delay_after(n, rules) for n in range(0, 10)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60]
    assert delay_after(10**6, rules) == 60  # no overflow


def test_a_try_too_soon_must_wait_one_in_time_may_go() -> None:
    throttle, clock = make()
    for _ in range(3):
        assert throttle.wait_s("admin", ATTACKER) == 0
        throttle.failed("admin", ATTACKER)
    assert throttle.wait_s("admin", ATTACKER) == 1.0
    clock.now += 0.4
    assert throttle.wait_s("admin", ATTACKER) == pytest.approx(0.6)
    clock.now += 0.6
    assert throttle.wait_s("admin", ATTACKER) == 0
    throttle.failed("admin", ATTACKER)
    assert throttle.wait_s("admin", ATTACKER) == 2.0


def test_the_account_stays_open_to_other_clients() -> None:
    throttle, clock = make()
    for _ in range(20):
        clock.now += 61
        throttle.failed("admin", ATTACKER)
    assert throttle.wait_s("admin", ATTACKER) == 60.0
    assert throttle.wait_s("admin", PC) == 0
    assert throttle.wait_s("admin", "addr:10.0.0.5") == 0
    assert throttle.wait_s("siti", ATTACKER) == 0


def test_success_and_quiet_time_start_afresh() -> None:
    throttle, clock = make(forget_after_s=3600)
    for _ in range(5):
        throttle.failed("siti", PC)
    throttle.succeeded("siti", PC)
    assert throttle.wait_s("siti", PC) == 0 and throttle.failures_for("siti") == 0
    for _ in range(5):
        throttle.failed("siti", PC)
    assert throttle.failures_for("siti") == 5
    clock.now += 3601
    assert throttle.wait_s("siti", PC) == 0 and throttle.failures_for("siti") == 0
    assert throttle.failed("siti", PC) == 1


def test_one_client_over_many_accounts_is_capped_within_a_window() -> None:
    throttle, clock = make(client_limit=5, client_window_s=900)
    for n in range(5):
        throttle.failed(f"user{n}", ATTACKER)
    assert throttle.wait_s("anyone", ATTACKER) == 900
    assert throttle.wait_s("anyone", PC) == 0
    clock.now += 899
    assert throttle.wait_s("anyone", ATTACKER) == 1
    clock.now += 2
    assert throttle.wait_s("anyone", ATTACKER) == 0


def test_the_admin_lifts_the_wait_for_every_client_of_an_account() -> None:
    throttle, _clock = make()
    for client in (ATTACKER, "addr:10.0.0.5"):
        for _ in range(6):
            throttle.failed("siti", client)
    throttle.failed("admin", ATTACKER)
    assert throttle.failures_for("siti") == 12
    throttle.forget_account("siti")
    assert throttle.failures_for("siti") == 0 and throttle.wait_s("siti", "addr:10.0.0.5") == 0
    assert throttle.failures_for("admin") == 1


def test_memory_is_bounded() -> None:
    throttle, _clock = make(max_entries=100, client_limit=10**6)
    for n in range(1000):
        throttle.failed(f"sprayed{n}", f"addr:10.0.{n // 250}.{n % 250}")
    assert len(throttle._pairs) <= 100 and len(throttle._clients) <= 100


def test_accounts_are_keyed_however_they_are_typed() -> None:
    assert account_key(" Admin ") == account_key("admin") == "admin"
    assert len(account_key("x" * 5000)) == 50


@given(st.lists(st.tuples(st.floats(0, 100), st.sampled_from([ATTACKER, PC])), max_size=60))
def test_a_wait_never_exceeds_the_cap(tries: list[tuple[float, str]]) -> None:
    throttle, clock = make(client_limit=10**6)
    for step, client in tries:
        clock.now += step
        if throttle.wait_s("admin", client) == 0:
            throttle.failed("admin", client)
        assert 0 <= throttle.wait_s("admin", client) <= throttle.rules.max_delay_s
