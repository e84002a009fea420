"""The real hub process through a real broker: tickets, calls, retained state, bad input, restarts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from protocol import (
    CounterCommand,
    CounterReply,
    CounterState,
    DisplayState,
    NodeStatus,
    Services,
    TicketReply,
    TicketRequest,
    Topics,
)
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # real hub processes


def _take(recorder: Recorder, topics: Topics, node: str, request_id: str, **fields: object) -> TicketReply:
    request = TicketRequest(request_id=request_id, **fields)
    recorder.link.publish(topics.ticket_request(node), request)

    def replied() -> TicketReply | None:
        for message in recorder.on(topics.ticket_reply(node)):
            reply = TicketReply.decode(message.payload)
            if reply.request_id == request_id:
                return reply
        return None

    return wait_until(replied)  # type: ignore[return-value]


def test_ticket_call_and_retained_state(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, f"{topics.root}/#")
    services = Services.decode(recorder.last(topics.services()))
    assert [p.code for p in services.polys] == ["A", "B", "C", "D", "E"]
    assert services.open and services.site_name
    assert NodeStatus.decode(recorder.last(topics.hub_status())).state == "online"

    general = _take(recorder, topics, "k1", "r1", category="umum", payment_type="bpjs", poly_code="B")
    priority = _take(
        recorder,
        topics,
        "k1",
        "r2",
        category="prioritas",
        priority_reason="lansia",
        payment_type="umum",
        poly_code="A",
    )
    assert general.ok and general.ticket and general.ticket.number == "B-001"
    assert priority.ok and priority.ticket and priority.ticket.number == "P-001"
    assert priority.ticket.status_url.startswith("http://127.0.0.1:0/t/")

    recorder.link.publish(
        topics.counter_command(1), CounterCommand(request_id="c1", action="call", source="web")
    )
    reply = CounterReply.decode(recorder.last(topics.counter_reply(1)))
    assert reply.ok and reply.ticket and reply.ticket.number == "P-001"
    wait_until(lambda: any(m for m in recorder.on(topics.display_announce())))

    def display_shows_call() -> DisplayState | None:
        state = DisplayState.decode(recorder.last(topics.display_state()))
        return state if state.counters[0].ticket and state.counters[0].ticket.number == "P-001" else None

    state = wait_until(display_shows_call)
    assert isinstance(state, DisplayState)
    assert [t.number for t in state.next_general] == ["B-001"]

    def loket_shows_call() -> CounterState | None:  # published just after the waiting room's state
        state = CounterState.decode(recorder.last(topics.counter_state(1)))
        return state if state.current is not None else None

    counter = wait_until(loket_shows_call)
    assert isinstance(counter, CounterState) and counter.current is not None
    assert counter.current.number == "P-001" and counter.current.status == "called"
    recorder.close()


def test_malformed_payloads_get_invalid_request_and_hub_survives(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, f"{topics.root}/#")
    # (over 64 KiB the broker itself refuses a payload: tests/security/test_mqtt_access.py)
    for bad in (b"", b"{", b"[1,2]", b'{"v":1,"request_id":"x1","category":"vip"}', b"\x00" * 60_000):
        recorder.link.publish(topics.ticket_request("k9"), bad)
    recorder.link.publish(topics.counter_command(1), b'{"v": 1, "request_id": "zz", "action": "fly"}')
    wait_until(lambda: len(recorder.on(topics.ticket_reply("k9"))) == 5)
    replies = [TicketReply.decode(m.payload) for m in recorder.on(topics.ticket_reply("k9"))]
    assert all(not r.ok and r.error and r.error.code == "invalid_request" for r in replies)
    assert "x1" in {r.request_id for r in replies}
    counter_reply = CounterReply.decode(recorder.last(topics.counter_reply(1)))
    assert counter_reply.error is not None and counter_reply.error.code == "invalid_request"
    assert counter_reply.request_id == "zz"
    ok = _take(recorder, topics, "k9", "fine", category="umum", payment_type="umum", poly_code="A")
    assert ok.ok
    assert hub.process is not None and hub.process.poll() is None
    recorder.close()


def test_clean_stop_publishes_offline(hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str) -> None:
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.hub_status())
    wait_until(lambda: NodeStatus.decode(recorder.last(topics.hub_status())).state == "online")
    assert hub.stop() == 0
    wait_until(lambda: NodeStatus.decode(recorder.last(topics.hub_status())).state == "offline")
    recorder.close()
