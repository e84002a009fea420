"""The state publisher through a real broker: a call's state goes out at once, in order, never stale."""

from __future__ import annotations

import uuid
from contextlib import closing

from hub.dispatch.service import Outcome
from hub.publisher import StatePublisher
from protocol import Announcement, CounterState, DisplayState, MqttLink, Topics
from tests.hub.dispatch_support import Desk
from tests.support import Recorder, wait_until


def test_a_call_goes_out_at_once_and_an_older_state_never_after_a_newer(
    mqtt_url: str, site: str, database_url: str
) -> None:
    topics = Topics(site)
    recorder = Recorder(mqtt_url, f"{topics.root}/#")
    link = MqttLink(mqtt_url, client_id=f"test-publisher-{uuid.uuid4().hex[:6]}")
    assert link.start(wait=10)
    with closing(Desk(database_url)) as desk:
        # its thread is not started: only what a call publishes itself reaches the broker
        publisher = StatePublisher(link, topics, desk.dispatcher)
        desk.take("umum", "A")
        before = desk.dispatcher.live_state()
        call = desk.act(1, "call")
        assert call.live_now is not None and call.announcement is not None
        assert call.live_now.version > before.version

        publisher.apply(call)
        stale = Announcement(**{**call.announcement.model_dump(), "id": "late-recall", "repeat": True})
        publisher.apply(Outcome(live=True, live_now=before, announcement=stale))  # lost a race: too old

        wait_until(lambda: len(recorder.on(topics.display_announce())) == 2)
        link.stop()
        order = [m.topic for m in recorder.messages if not m.topic.endswith("/status")]
        assert order[:2] == [topics.display_state(), topics.display_announce()]  # the room first
        displays = [DisplayState.decode(m.payload) for m in recorder.on(topics.display_state())]
        assert len(displays) == 1  # the older state was not published at all ...
        shown = displays[0].counters[0].ticket
        assert shown is not None and shown.number == "A-001"
        loket = CounterState.decode(recorder.last(topics.counter_state(1)))
        assert loket.current is not None and loket.current.number == "A-001"
        assert len(recorder.on(topics.counter_state(1))) == 1
        assert order[-1] == topics.display_announce()  # ... but its announcement was
    recorder.close()
