"""The day snapshot's incremental call order (a ticket added, the head called) equals a full projection."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.dispatch.dayview import DaySnapshot
from hub.dispatch.policy import CallRule, Waiting

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(["prioritas", "umum"])),
        st.tuples(st.just("call"), st.none()),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=600)),
    ),
    max_size=60,
)


@pytest.mark.slow  # 300 examples
@settings(max_examples=300, deadline=None)
@given(
    steps=STEPS,
    ratio=st.sampled_from(["strict", "1:1", "2:1", "3:2"]),
    fairness_min=st.sampled_from([0, 5, 30]),
    history=st.lists(st.sampled_from(["prioritas", "umum"]), max_size=5),
)
def test_incremental_order_equals_full_projection(
    steps: list[tuple[str, object]], ratio: str, fairness_min: int, history: list[str]
) -> None:
    rule, fairness_s = CallRule.parse(ratio), fairness_min * 60.0
    now, key = 1_000.0, 0
    snapshot = DaySnapshot(date(2026, 2, 26), 0, (), tuple(history), 0.0, 0)  # type: ignore[arg-type]
    for version, (action, arg) in enumerate(steps, start=1):
        order = snapshot.order(rule, now, fairness_s)
        assert order == snapshot.projected(rule, now, fairness_s)
        if action == "add":
            key += 1
            snapshot = snapshot.derive(version, add=[Waiting(key, arg, now)])  # type: ignore[arg-type]
        elif action == "call" and order:
            snapshot = snapshot.derive(version, remove=[order[0].key], called=[order[0].category])
        elif action == "wait":
            now += float(arg)  # type: ignore[arg-type]
    assert snapshot.order(rule, now, fairness_s) == snapshot.projected(rule, now, fairness_s)


def test_adding_a_ticket_reuses_the_order_it_extends() -> None:
    rule = CallRule.parse("2:1")
    waiting = tuple(Waiting(k, "prioritas" if k % 4 == 0 else "umum", float(k)) for k in range(1, 200))
    snapshot = DaySnapshot(date(2026, 2, 26), 1, waiting, (), 0.0, 0)
    before = snapshot.order(rule, 500.0, 0.0)
    added = snapshot.derive(2, add=[Waiting(200, "prioritas", 300.0)])
    assert added._extends is not None and added._extends[1] is before  # no full projection needed
    assert added.order(rule, 500.0, 0.0) == added.projected(rule, 500.0, 0.0)
