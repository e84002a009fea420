"""The pure loket machine: buttons, holds, debounce, in-flight, timeouts, replies, availability."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.counter_button.machine import ACTIONS, Action, LoketMachine
from protocol import CounterReply, ErrorInfo
from tests.counter.fakes import ticket

TIMEOUT = 3.0
BOUNCE = 0.03
SKIP_HOLD = 0.8


def machine(online: bool = True) -> LoketMachine:
    counter = iter(range(1, 10_000))
    m = LoketMachine(
        1,
        timeout_s=TIMEOUT,
        bounce_s=BOUNCE,
        holds={"skip": SKIP_HOLD},
        new_request_id=lambda: f"r{next(counter)}",
    )
    if online:
        m.connection(True, 0.0)
        m.hub(True, 0.0)
    return m


def ok(request_id: str) -> CounterReply:
    return CounterReply(request_id=request_id, ok=True, ticket=ticket())


def refused(request_id: str, code: str) -> CounterReply:
    return CounterReply(request_id=request_id, ok=False, error=ErrorInfo.of(code))  # type: ignore[arg-type]


@pytest.mark.parametrize("action", ["call", "recall"])
def test_call_and_recall_act_on_press_with_a_button_command(action: Action) -> None:
    m = machine()
    step = m.pressed(action, 10.0)
    assert step.command is not None
    assert (step.command.action, step.command.source, step.command.request_id) == (action, "button", "r1")
    assert [e.kind for e in step.events] == ["waiting"]
    assert m.lamp(10.1).pattern == "waiting" and m.lamp(10.1).color == "amber"
    assert m.released(action, 10.1).command is None


def test_skip_needs_its_hold() -> None:
    m = machine()
    assert m.pressed("skip", 10.0).command is None
    assert m.lamp(10.1).pattern == "idle"
    step = m.held("skip", 10.8)
    assert step.command is not None and step.command.action == "skip"
    assert m.released("skip", 11.0).events == ()


def test_skip_released_before_its_hold_does_nothing_but_says_so() -> None:
    m = machine()
    m.pressed("skip", 10.0)
    step = m.released("skip", 10.3)
    assert step.command is None
    assert [(e.kind, e.detail) for e in step.events] == [("ignored", "released before hold")]
    # a late when_held for that press (it cannot come from gpiozero, but must not act either)
    assert m.held("skip", 10.8).command is None


def test_a_held_event_without_an_accepted_press_is_ignored() -> None:
    m = machine()
    assert m.held("skip", 5.0).command is None
    assert m.held("call", 5.0).command is None  # call has no hold: when_held means nothing


def test_contact_bounce_is_ignored() -> None:
    m = machine()
    first = m.pressed("call", 10.0)
    assert first.command is not None
    m.reply(ok("r1"), 10.005)
    # bouncing contact: release/press edges within the bounce time of the previous edge
    assert m.released("call", 10.010).events == ()
    assert m.pressed("call", 10.020).command is None
    assert m.released("call", 10.040).events == ()
    # a real second press after things settle acts
    assert m.pressed("call", 10.2).command is not None


def test_bounce_while_holding_skip_keeps_the_hold() -> None:
    m = machine()
    m.pressed("skip", 10.0)
    assert m.released("skip", 10.01).events == ()  # bounce, not a release
    assert m.pressed("skip", 10.02).command is None
    step = m.held("skip", 10.82)
    assert step.command is not None


def test_a_press_while_in_flight_is_ignored() -> None:
    m = machine()
    m.pressed("call", 10.0)
    m.released("call", 10.1)
    for action in ("call", "recall"):
        step = m.pressed(action, 10.5)
        assert step.command is None
        assert [(e.kind, e.detail) for e in step.events] == [("ignored", "in flight")]
        m.released(action, 10.6)
    m.pressed("skip", 10.7)
    assert m.held("skip", 11.5).command is None
    assert m.pending is not None and m.pending.request_id == "r1"
    # once the reply is in, the next press acts
    m.reply(ok("r1"), 11.6)
    assert m.pressed("recall", 11.7).command is not None


def test_ack_shows_short_green_then_idle() -> None:
    m = machine()
    m.pressed("call", 10.0)
    step = m.reply(ok("r1"), 10.1)
    assert [(e.kind, e.action, e.detail) for e in step.events] == [("ack", "call", "A-001")]
    assert m.lamp(10.2).color == "green" and m.lamp(10.2).pattern == "ack"
    assert m.lamp(10.69).color == "green"
    assert m.lamp(10.8).pattern == "idle" and m.lamp(10.8).color is None
    assert m.pending is None


def test_no_waiting_is_a_red_double_blink() -> None:
    m = machine()
    m.pressed("call", 10.0)
    step = m.reply(refused("r1", "no_waiting"), 10.0)
    assert step.events[0].kind == "no_waiting"
    colors = [m.lamp(10.0 + t).color for t in (0.1, 0.3, 0.5, 0.7)]
    assert colors == ["red", None, "red", None]
    assert m.lamp(10.9).pattern == "idle"


@pytest.mark.parametrize("code", ["closed", "conflict", "internal", "not_found", "invalid_request"])
def test_other_refusals_are_one_long_red(code: str) -> None:
    m = machine()
    m.pressed("skip", 10.0)
    m.held("skip", 10.8)
    step = m.reply(refused("r1", code), 10.9)
    assert step.events[0].kind == "refused"
    assert step.events[0].detail.startswith(code + ": ")
    assert [m.lamp(10.9 + t).color for t in (0.1, 0.7, 1.4)] == ["red", "red", "red"]
    assert m.lamp(12.7).pattern == "idle"


def test_distinct_patterns_per_outcome() -> None:
    seen = {}
    for reply in (ok, lambda r: refused(r, "no_waiting"), lambda r: refused(r, "closed")):
        m = machine()
        m.pressed("call", 0.0)
        m.reply(reply("r1"), 0.0)
        seen[m.lamp(0.0).pattern] = tuple(m.lamp(t / 20).color for t in range(40))
    m = machine()
    m.pressed("call", 0.0)
    m.tick(TIMEOUT)
    seen[m.lamp(TIMEOUT).pattern] = tuple(m.lamp(TIMEOUT + t / 20).color for t in range(40))
    assert set(seen) == {"ack", "no_waiting", "refused", "no_reply"}
    assert len(set(seen.values())) == 4


def test_no_reply_within_the_deadline_shows_the_error_and_drops_the_press() -> None:
    m = machine()
    m.pressed("call", 10.0)
    assert m.lamp(10.0).wake_in == pytest.approx(TIMEOUT)
    assert m.tick(12.9).events == ()
    step = m.tick(13.0)
    assert step.command is None
    assert [(e.kind, e.action) for e in step.events] == [("no_reply", "call")]
    assert m.pending is None
    assert [m.lamp(13.0 + t).color for t in (0.05, 0.15, 0.25)] == ["red", None, "red"]
    # the late reply to the abandoned request changes nothing and nothing is re-sent
    late = m.reply(ok("r1"), 14.0)
    assert late.events == () and late.command is None
    assert m.tick(20.0).events == ()
    assert m.lamp(20.0).pattern == "idle"
    # the next press is a new request
    step = m.pressed("call", 21.0)
    assert step.command is not None and step.command.request_id == "r2"


def test_replies_for_other_requests_are_ignored() -> None:
    m = machine()
    assert m.reply(ok("web-123"), 1.0).events == ()
    m.pressed("call", 10.0)
    assert m.reply(ok("web-123"), 10.1).events == ()
    assert m.pending is not None
    assert m.reply(ok("r1"), 10.2).events[0].kind == "ack"


def test_offline_until_both_broker_and_hub_are_up() -> None:
    m = machine(online=False)
    assert m.lamp(0.0).pattern == "offline"
    assert m.connection(True, 1.0).events == ()
    assert m.offline
    assert [e.kind for e in m.hub(True, 2.0).events] == ["online"]
    assert m.lamp(2.0).pattern == "idle"
    step = m.hub(False, 3.0)
    assert [(e.kind, e.detail) for e in step.events] == [("offline", "hub unreachable")]
    assert [m.lamp(3.0 + t).color for t in (0.5, 1.5, 2.5)] == ["amber", None, "amber"]
    assert m.hub(True, 4.0).events[0].kind == "online"
    assert m.connection(False, 5.0).events[0].detail == "broker unreachable"
    # after a reconnect the hub is unknown until its retained status arrives again
    assert m.connection(True, 6.0).events == ()
    assert m.offline
    assert m.hub(True, 6.1).events[0].kind == "online"


def test_a_press_while_offline_is_not_sent_and_shows_the_error() -> None:
    m = machine(online=False)
    m.connection(True, 0.0)
    step = m.pressed("call", 1.0)
    assert step.command is None
    assert [(e.kind, e.detail) for e in step.events] == [("no_reply", "not sent: hub offline")]
    assert m.lamp(1.05).color == "red"
    assert m.lamp(5.0).pattern == "offline"
    # coming back online does not send the old press
    assert m.hub(True, 6.0).command is None
    assert m.pending is None


def test_going_offline_in_flight_still_times_out() -> None:
    m = machine()
    m.pressed("call", 10.0)
    m.connection(False, 10.5)
    assert m.lamp(10.6).pattern == "offline"
    assert m.tick(13.0).events[0].kind == "no_reply"


def test_counter_state_is_reported_once_per_change() -> None:
    from protocol import CounterState, WaitingCounts

    m = machine()
    state = CounterState(
        counter=1, name="Loket 1", current=ticket(), waiting=WaitingCounts(prioritas=1, umum=4), open=True
    )
    step = m.counter_state(state)
    assert step.events[0].line() == "loket 1 state current=A-001 prioritas=1 umum=4 open=yes"
    assert m.counter_state(state).events == ()


inputs = st.lists(
    st.tuples(
        st.sampled_from(["pressed", "released", "held", "reply_ok", "reply_late", "tick", "link", "hub"]),
        st.sampled_from(ACTIONS),
        st.floats(min_value=0.0, max_value=2.0),
        st.booleans(),
    ),
    max_size=60,
)


@pytest.mark.slow  # 200 examples
@settings(max_examples=200, deadline=None)
@given(inputs)
def test_at_most_one_command_in_flight_and_every_command_is_fresh(
    script: list[tuple[str, Action, float, bool]],
) -> None:
    m = machine()
    now = 0.0
    sent: list[str] = []
    for kind, action, dt, flag in script:
        now += dt
        if kind in ("pressed", "released", "held"):
            step = getattr(m, kind)(action, now)
        elif kind == "reply_ok":
            step = m.reply(ok(m.pending.request_id), now) if m.pending else m.tick(now)
        elif kind == "reply_late":
            step = m.reply(ok(sent[0]), now) if sent else m.tick(now)
        elif kind == "tick":
            step = m.tick(now)
        elif kind == "link":
            step = m.connection(flag, now)
        else:
            step = m.hub(flag, now)
        if step.command is not None:
            assert m.pending is not None and m.pending.request_id == step.command.request_id
            assert step.command.request_id not in sent
            assert not m.offline
            sent.append(step.command.request_id)
        if m.pending is not None:
            assert m.pending.deadline - now <= TIMEOUT + 1e-9
        view = m.lamp(now)
        assert view.wake_in is None or view.wake_in >= 0
