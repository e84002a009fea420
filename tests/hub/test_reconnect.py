"""The hub reconnects by itself when the broker restarts, and makes the new broker whole again: the retained
state a fresh broker lost is published again, so nodes that reconnect see the current queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.harness import HubProcess, ScriptedKiosk, write_hub_config
from hub.broker import BrokerProcess, BrokerSettings, free_port
from protocol import DisplayState, NodeStatus, Services, Topics
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # restarts a broker under a real hub


def test_hub_survives_a_broker_restart(tmp_path: Path, site: str, database_url: str) -> None:
    port = free_port()
    broker = BrokerProcess(BrokerSettings.anonymous("127.0.0.1", port))
    broker.start()
    config = write_hub_config(
        tmp_path / "hub.toml", site=site, mqtt_url=broker.url, database_url=database_url, data_dir=tmp_path
    )
    hub = HubProcess(config, tmp_path / "hub.log").start()
    topics = Topics(site)
    try:
        kiosk = ScriptedKiosk(broker.url, site, "k1")
        assert kiosk.take("before").ok
        kiosk.close()
        broker.stop()
        broker = BrokerProcess(
            BrokerSettings.anonymous("127.0.0.1", port)
        )  # a new, empty broker: no retained messages
        broker.start()
        recorder = Recorder(broker.url, f"{topics.root}/#")

        def whole_again() -> bool:
            if not (recorder.on(topics.display_state()) and recorder.on(topics.services())):
                return False
            state = DisplayState.decode(recorder.last(topics.display_state()))
            hub_up = NodeStatus.decode(recorder.last(topics.hub_status())).state == "online"
            return (
                hub_up
                and state.totals.issued == 1
                and len(Services.decode(recorder.last(topics.services())).polys) == 5
            )

        wait_until(whole_again, timeout=20)
        kiosk = ScriptedKiosk(broker.url, site, "k1")
        after = kiosk.take("after")
        assert after.ticket is not None and after.ticket.seq == 2
        kiosk.close()
        recorder.close()
    finally:
        hub.stop()
        broker.stop()
