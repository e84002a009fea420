"""Property test: for any sequence of issue / call / skip / recall / cancel actions, numbers are unique
and gapless per prefix, the ratio and FIFO hold, and every waiting ticket is eventually called."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hub.db.models import Queue
from hub.dispatch.rules import load_rules
from tests.hub.dispatch_support import Desk

pytestmark = pytest.mark.slow  # property tests, many examples per rule

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.sampled_from(["prioritas", "umum"]), st.sampled_from(["A", "B", "C"])),
        st.tuples(st.just("call"), st.sampled_from([1, 2]), st.none()),
        st.tuples(st.just("skip"), st.sampled_from([1, 2]), st.none()),
        st.tuples(st.just("recall"), st.sampled_from([1, 2]), st.none()),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=30), st.none()),
    ),
    max_size=40,
)


def expected_class(history: list[str], n: int, m: int) -> str:
    """The spec's N:M rule written as a state machine: after N priority calls in a row, M general calls."""
    run_general = 0
    while run_general < len(history) and history[-1 - run_general] == "umum":
        run_general += 1
    run_priority = 0
    while (
        run_general + run_priority < len(history) and history[-1 - run_general - run_priority] == "prioritas"
    ):
        run_priority += 1
    if run_general == 0:
        return "umum" if run_priority >= n else "prioritas"
    return "umum" if run_priority >= n and run_general < m else "prioritas"


def assert_cache_coherent(desk: Desk) -> None:
    """The cached day snapshot (derived incrementally) equals a fresh load from the database."""
    dispatcher = desk.dispatcher
    with desk.sessions.begin() as session:
        rules = load_rules(session)
        today = dispatcher.day.today(rules, desk.clock())
        cached = dispatcher.projection.snapshot(session, today)
        fresh = dispatcher.projection.load(session, today, cached.version)
    assert [w.key for w in cached.waiting] == [w.key for w in fresh.waiting]
    assert cached.history == fresh.history
    now_ts, fairness_s = desk.clock().timestamp(), rules.max_general_wait_min * 60.0
    assert cached.order(rules.rule, now_ts, fairness_s) == fresh.order(rules.rule, now_ts, fairness_s)
    assert cached.measured_service_min == pytest.approx(fresh.measured_service_min)


@pytest.fixture(scope="module", params=["2:1", "1:2", "3:2", "strict"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    path: Path = tmp_path_factory.mktemp("prop") / "antrean.db"
    with closing(
        Desk(
            f"sqlite:///{path}",
            priority_ratio=request.param,
            operating_start="00:00",
            operating_end="00:00",
            max_general_wait_min=0,
        )
    ) as made:
        made.ratio = request.param  # type: ignore[attr-defined]
        yield made


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_any_sequence_keeps_the_rules(desk: Desk, actions: list[tuple[str, object, object]]) -> None:
    ratio: str = desk.ratio  # type: ignore[attr-defined]
    n, m = (1, 0) if ratio == "strict" else tuple(int(x) for x in ratio.split(":"))
    desk.clock.advance(days=1)  # each example is a fresh service day
    desk.dispatcher.expire_previous_days()
    issued: list[tuple[str, str]] = []  # (request_id, category) in issue order
    waiting: dict[str, list[str]] = {"prioritas": [], "umum": []}  # numbers, FIFO
    history: list[str] = []
    called_from_queue: dict[str, list[str]] = {"prioritas": [], "umum": []}
    number_of: dict[str, str] = {}

    def note_call(number: str | None, category_counts: dict[str, int]) -> None:
        if number is None or number.startswith("!"):
            return
        category = "prioritas" if number.startswith("P-") else "umum"
        if category_counts["prioritas"] and category_counts["umum"]:
            want = "prioritas" if ratio == "strict" else expected_class(history, n, m)
            assert category == want, f"ratio {ratio}: history {history} called {number}"
        assert waiting[category] and waiting[category][0] == number, "FIFO within the class"
        waiting[category].pop(0)
        called_from_queue[category].append(number)
        history.append(category)

    for step, (kind, arg, poly) in enumerate(actions):
        desk.clock.advance(seconds=10)
        counts = {k: len(v) for k, v in waiting.items()}
        if kind == "issue":
            request_id = f"p{step}"
            ticket = desk.ticket(str(arg), str(poly), request_id=request_id)
            issued.append((request_id, str(arg)))
            waiting[str(arg)].append(ticket.number)
            number_of[request_id] = ticket.number
        elif kind == "call":
            note_call(desk.call(int(str(arg))), counts)
        elif kind == "skip":
            reply = desk.act(int(str(arg)), "skip").reply
            if reply is not None and reply.ok and reply.ticket is not None:
                note_call(reply.ticket.number, counts)
        elif kind == "recall":
            desk.act(int(str(arg)), "recall")
        elif kind == "cancel" and issued:
            request_id, category = issued[int(str(arg)) % len(issued)]
            desk.dispatcher.cancel_request(request_id, node="k1")
            if number_of[request_id] in waiting[category]:
                waiting[category].remove(number_of[request_id])

        assert_cache_coherent(desk)

    while True:  # drain: every waiting ticket is eventually called
        counts = {k: len(v) for k, v in waiting.items()}
        result = desk.call(1)
        if result == "!no_waiting":
            break
        note_call(result, counts)
    assert waiting == {"prioritas": [], "umum": []}

    today = (desk.clock.now - timedelta(hours=0)).date()
    with desk.sessions.begin() as session:
        rows = session.execute(
            select(Queue.queue_prefix, Queue.queue_seq, Queue.status).where(Queue.queue_date == today)
        ).all()
    by_prefix: dict[str, list[int]] = {}
    for prefix, seq, status in rows:
        by_prefix.setdefault(prefix, []).append(seq)
        assert status in ("called", "done", "skipped", "cancelled")
    for prefix, seqs in by_prefix.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"numbers of {prefix} unique and gapless"
