"""End to end with the real hub process: a CALL pressed on a mock pin reaches the waiting-room display."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from protocol import Announcement, DisplayState, TicketReply, TicketRequest, Topics
from tests.conftest import HubHandle
from tests.counter.conftest import SKIP_HOLD, RunningNode
from tests.counter.fakes import lit_durations, press
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # the counter node against a real hub

StartNode = Callable[..., RunningNode]


def take_ticket(recorder: Recorder, topics: Topics, request_id: str, poly_code: str = "A") -> str:
    request = TicketRequest(request_id=request_id, category="umum", payment_type="bpjs", poly_code=poly_code)
    recorder.link.publish(topics.ticket_request("kiosk-t"), request)

    def number() -> str | None:
        for message in recorder.on(topics.ticket_reply("kiosk-t")):
            reply = TicketReply.decode(message.payload)
            if reply.request_id == request_id and reply.ticket:
                return reply.ticket.number
        return None

    return str(wait_until(number, timeout=10))


def shown_at(recorder: Recorder, topics: Topics, counter: int) -> str | None:
    messages = recorder.on(topics.display_state())
    if not messages:
        return None
    state = DisplayState.decode(messages[-1].payload)
    for entry in state.counters:
        if entry.counter == counter and entry.ticket is not None:
            return entry.ticket.number
    return None


def announcements(recorder: Recorder, topics: Topics) -> list[Announcement]:
    return [Announcement.decode(m.payload) for m in recorder.on(topics.display_announce())]


def test_buttons_drive_the_real_hub_and_the_display_follows(
    hub_runner: Callable[..., HubHandle], start_node: StartNode, mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, f"{topics.root}/#")
    running = start_node()
    first, second = take_ticket(recorder, topics, "e2e-1"), take_ticket(recorder, topics, "e2e-2", "B")
    third = take_ticket(recorder, topics, "e2e-3", "C")

    press(running.pin(1, "call"))
    assert running.wait_for("ack").detail == first
    wait_until(lambda: shown_at(recorder, topics, 1) == first)
    wait_until(lambda: [a.ticket_number for a in announcements(recorder, topics)] == [first])
    call = announcements(recorder, topics)[0]
    assert (call.counter, call.repeat) == (1, False)

    time.sleep(0.05)
    press(running.pin(1, "recall"))
    running.wait_for("ack", count=2)
    wait_until(lambda: len(announcements(recorder, topics)) == 2)
    assert announcements(recorder, topics)[1].repeat is True

    press(running.pin(2, "call"))
    assert running.wait_for("ack", counter=2).detail == second
    wait_until(lambda: shown_at(recorder, topics, 2) == second)
    time.sleep(0.05)
    press(running.pin(2, "skip"), seconds=SKIP_HOLD + 0.3)  # the patient is absent: skip, call the next
    assert running.wait_for("ack", counter=2, count=2).detail == third
    wait_until(lambda: shown_at(recorder, topics, 2) == third)
    wait_until(lambda: any(e.kind == "state" and f"current={third}" in e.detail for e in running.events))

    time.sleep(0.05)
    press(running.pin(2, "call"))  # the queue is empty now
    assert running.wait_for("no_waiting", counter=2).detail == "Tidak ada antrean yang menunggu."

    assert hub.stop() == 0
    assert running.wait_for("offline").detail == "hub unreachable"
    amber = running.led(1, "amber")
    amber.clear_states()
    wait_until(lambda: lit_durations(amber), timeout=3)  # the slow amber blink
    recorder.close()


def test_a_killed_hub_is_offline_through_its_last_will(
    hub_runner: Callable[..., HubHandle], start_node: StartNode
) -> None:
    hub = hub_runner()
    running = start_node()
    hub.kill()
    assert running.wait_for("offline", timeout=30).detail == "hub unreachable"
    hub.start()
    running.wait_for("online", count=2, timeout=30)
