"""End to end with the real hub process and a real broker: a kiosk takes tickets, a loket calls,
the screen shows the call and the announcement is spoken (espeak-ng, recorded by the fake sink)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pygame
import pytest

from benchmarks.harness import ScriptedKiosk
from firmware.display_node import render, texts
from firmware.display_node.audio import FakeSink
from firmware.display_node.config import DisplayConfig
from firmware.display_node.node import DisplayNode
from firmware.display_node.tts import EspeakEngine
from protocol import MqttLink
from protocol.payloads import CounterAction, CounterCommand, DisplayState
from protocol.topics import Topics
from tests.display.test_render import count_color
from tests.support import wait_until

pytestmark = pytest.mark.slow  # the display against a real hub

SIZE = (1920, 1080)
WALL = datetime(2026, 2, 26, 8, 15, tzinfo=ZoneInfo("Asia/Jakarta"))


def command(link: MqttLink, site: str, counter: int, action: CounterAction) -> None:
    message = CounterCommand(request_id=f"web-{uuid.uuid4().hex[:8]}", action=action, source="web")
    link.publish(Topics(site).counter_command(counter), message).wait_for_publish(5)


def shown(node: DisplayNode) -> DisplayState:
    state = node.model.view(0.0).state
    assert state is not None
    return state


def current(node: DisplayNode, counter: int) -> str | None:
    state = node.model.view(0.0).state
    if state is None:
        return None
    found = [c.ticket.number for c in state.counters if c.counter == counter and c.ticket]
    return found[0] if found else None


def test_a_call_at_the_loket_is_shown_and_spoken(
    hub_runner: Callable, mqtt_url: str, site: str, tmp_path: Path, artifacts: Path
) -> None:
    hub = hub_runner()
    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-1")
    loket = MqttLink(mqtt_url, client_id=f"loket-web-{uuid.uuid4().hex[:6]}")
    assert loket.start(wait=10)
    sink = FakeSink(speed=20.0)
    config = DisplayConfig(
        site=site,
        node_id="display-1",
        mqtt={"url": mqtt_url},
        voice={"warm_numbers": 3, "cache_dir": str(tmp_path / "clips")},
    )
    node = DisplayNode(config, sink=sink, engine=EspeakEngine())
    try:
        assert node.start(wait=10)
        wait_until(lambda: node.model.view(0.0).state is not None and node.model.view(0.0).message == "", 10)
        priority = kiosk.take("k1-0001", "prioritas", "A").ticket
        general = kiosk.take("k1-0002", "umum", "B").ticket
        assert priority is not None and general is not None
        wait_until(lambda: len(shown(node).next_priority) == 1, 10)

        command(loket, site, 1, "call")
        wait_until(lambda: current(node, 1) == priority.number, 10)
        assert node.announcer.wait_idle(20)
        wait_until(lambda: len(sink.played) >= 2, 10)
        spoken = node.announcer.spoken[0]
        assert spoken.call.ticket_number == priority.number == "P-001"
        assert spoken.sentence.startswith("Nomor antrean, Pe, satu. Silakan menuju loket satu")
        voice = sink.played[1]
        assert voice.label.startswith("voice ") and voice.clip.duration > 2.0 and voice.clip.peak() > 3000

        surface = pygame.Surface(SIZE)
        node.frame(surface, wall=WALL)
        pygame.image.save(surface, str(artifacts / "e2e_called_1920x1080.png"))
        lay = node.renderer.layout_for(node.model.view(0.0), SIZE)
        card = lay.cards[0]
        lit = count_color(surface, card, render.HIGHLIGHT) + count_color(surface, card, render.HIGHLIGHT_ALT)
        assert lit > 0.3 * card.w * card.h
        assert shown(node).next_general[0].number == general.number

        command(loket, site, 2, "call")
        command(loket, site, 1, "recall")
        wait_until(lambda: current(node, 2) == general.number, 10)
        wait_until(lambda: len(node.announcer.spoken) == 3, 20)
        assert [s.call.ticket_number for s in node.announcer.spoken] == ["P-001", general.number, "P-001"]
        assert node.announcer.spoken[2].call.repeat and not node.announcer.spoken[1].call.repeat
        assert node.announcer.spoken[1].sentence.startswith(
            "Nomor antrean, Be, satu. Silakan menuju loket dua"
        )

        hub.stop()
        wait_until(lambda: node.model.view(0.0).message == texts.OFFLINE_HUB, 10)
        hub.start()
        wait_until(lambda: node.model.view(0.0).message == "", 20)
        assert (current(node, 1), current(node, 2)) == ("P-001", general.number)  # whole again, retained
    finally:
        node.stop()
        kiosk.close()
        loket.stop()
