"""The display node through a real MQTT broker, with the test playing the hub."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pygame
import pytest

from firmware.display_node import render, samples, texts
from firmware.display_node.audio import FakeSink
from firmware.display_node.config import DisplayConfig
from firmware.display_node.layout import Box
from firmware.display_node.model import ScreenView
from firmware.display_node.node import DisplayNode
from protocol.payloads import NodeStatus
from protocol.topics import Topics
from tests.display.test_announcer import ToneEngine
from tests.display.test_render import count_color
from tests.fakehub import FakeHub
from tests.netproxy import CuttableLink
from tests.support import Recorder, wait_until

WALL = datetime(2026, 2, 26, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
SIZE = (1366, 768)


def make_node(url: str, site: str, tmp_path: Path, sink: FakeSink) -> DisplayNode:
    config = DisplayConfig(
        site=site,
        node_id="display-1",
        mqtt={"url": url},
        voice={"warm_numbers": 3, "cache_dir": str(tmp_path / "clips")},
    )
    return DisplayNode(config, sink=sink, engine=ToneEngine())


@pytest.fixture
def hub(mqtt_url: str, site: str) -> Iterator[FakeHub]:
    fake = FakeHub(mqtt_url, site).start()
    yield fake
    fake.stop()


def draw(node: DisplayNode) -> pygame.Surface:
    surface = pygame.Surface(SIZE)
    node.frame(surface, t=0.0, wall=WALL)
    return surface


def test_retained_state_is_shown_and_calls_are_spoken(
    mqtt_url: str, site: str, hub: FakeHub, tmp_path: Path, artifacts: Path
) -> None:
    hub.set_online(True)
    hub.publish_state("busy")
    recorder = Recorder(mqtt_url, Topics(site).node_status("display-1"))
    sink = FakeSink(speed=40.0)
    node = make_node(mqtt_url, site, tmp_path, sink)
    try:
        assert node.start(wait=10)
        wait_until(lambda: node.model.view(0.0).state is not None and node.model.view(0.0).message == "")
        wait_until(lambda: node.model.view(0.0).site_name != texts.DEFAULT_SITE)
        view = node.model.view(0.0)
        assert view.site_name == "Puskesmas Gladak Pakem"
        assert view.state is not None
        assert [c.ticket.number for c in view.state.counters if c.ticket] == ["P-003", "A-010"]
        status = NodeStatus.decode(recorder.last(Topics(site).node_status("display-1")))
        assert (status.role, status.state, status.details["tts"]) == ("display", "online", True)

        hub.announce("call-1", "A-011", 2)
        hub.announce("call-1", "A-011", 2)  # delivered twice: spoken once
        hub.announce("call-2", "A-011", 2, repeat=True)  # a recall: spoken again
        assert node.announcer.wait_idle(10)
        wait_until(lambda: len(sink.played) == 4)
        assert sink.labels() == ["chime call-1", "voice call-1", "chime call-2", "voice call-2"]
        assert node.announcer.spoken[0].sentence == "Nomor antrean, A, sebelas. Silakan menuju loket dua."
        # the called loket is highlighted on screen
        surface = pygame.Surface(SIZE)
        node.frame(surface, wall=WALL)
        pygame.image.save(surface, str(artifacts / "node_after_call_1366x768.png"))
        card = node.renderer.layout_for(node.model.view(0.0), SIZE).cards[1]
        lit = count_color(surface, card, render.HIGHLIGHT) + count_color(surface, card, render.HIGHLIGHT_ALT)
        assert lit > 0.3 * card.w * card.h  # (the highlight blinks between two yellows)
    finally:
        node.stop()
        recorder.close()


def test_malformed_messages_are_ignored(mqtt_url: str, site: str, hub: FakeHub, tmp_path: Path) -> None:
    hub.set_online(True)
    hub.publish_state("busy")
    sink = FakeSink(speed=40.0)
    node = make_node(mqtt_url, site, tmp_path, sink)
    try:
        assert node.start(wait=10)
        wait_until(lambda: node.model.view(0.0).state is not None)
        topics = Topics(site)
        hub.raw(topics.display_state(), b"{not json")
        hub.raw(topics.display_announce(), b'{"v": 1, "id": "x"}')
        hub.raw(topics.hub_status(), b"[]")
        hub.announce("ok-1", "B-004", 1)
        wait_until(lambda: sink.labels() == ["chime ok-1", "voice ok-1"])
        assert node.model.view(0.0).state == samples.busy_day()
    finally:
        node.stop()


def test_offline_banner_when_the_hub_goes_away(
    mqtt_url: str, site: str, hub: FakeHub, tmp_path: Path
) -> None:
    hub.set_online(True)
    hub.publish_state("busy")
    node = make_node(mqtt_url, site, tmp_path, FakeSink(speed=40.0))
    try:
        assert node.start(wait=10)
        wait_until(lambda: node.model.view(0.0).message == "")
        hub.set_online(False)  # what the broker publishes as the hub's last will
        wait_until(lambda: node.model.view(0.0).message == texts.OFFLINE_HUB)
        surface = draw(node)
        title = node.renderer.layout_for(node.model.view(0.0), SIZE).title
        assert count_color(surface, title, render.ALERT) > 0.5 * title.w * title.h
        # the last state stays on screen under the banner
        assert node.model.view(0.0).state == samples.busy_day()
        hub.set_online(True)
        wait_until(lambda: node.model.view(0.0).message == "")
    finally:
        node.stop()


def test_after_a_restart_the_screen_is_whole_again(
    mqtt_url: str, site: str, hub: FakeHub, tmp_path: Path
) -> None:
    hub.set_online(True)
    hub.publish_state("big")
    first = make_node(mqtt_url, site, tmp_path, FakeSink(speed=40.0))
    assert first.start(wait=10)
    wait_until(lambda: first.model.view(0.0).message == "" and first.model.view(0.0).state is not None)
    wait_until(lambda: first.model.view(0.0).site_name != texts.DEFAULT_SITE)
    before = pygame.image.tobytes(draw(first), "RGB")
    first.stop()
    second = make_node(mqtt_url, site, tmp_path, FakeSink(speed=40.0))
    try:
        started = time.monotonic()
        assert second.start(wait=10)
        wait_until(lambda: second.model.view(0.0).message == "" and second.model.view(0.0).state is not None)
        wait_until(lambda: second.model.view(0.0).site_name != texts.DEFAULT_SITE)
        assert time.monotonic() - started < 5
        after = pygame.image.tobytes(draw(second), "RGB")
        assert after == before  # pixel for pixel the same screen, from retained messages alone
    finally:
        second.stop()


@pytest.mark.slow  # cuts the connection and waits for the reconnect
def test_network_loss_shows_the_banner_and_recovers(
    mqtt_url: str, site: str, hub: FakeHub, tmp_path: Path
) -> None:
    hub.set_online(True)
    hub.publish_state("busy")
    address = urlsplit(mqtt_url)
    cable = CuttableLink(address.hostname or "127.0.0.1", address.port or 1883)
    cable.start()
    node = make_node(cable.url, site, tmp_path, FakeSink(speed=40.0))
    try:
        assert node.start(wait=10)
        wait_until(lambda: node.model.view(0.0).message == "" and node.model.view(0.0).state is not None)
        cable.cut()
        wait_until(lambda: node.model.view(0.0).message == texts.OFFLINE_BROKER, timeout=10)
        surface = draw(node)
        title = node.renderer.layout_for(node.model.view(0.0), SIZE).title
        assert count_color(surface, title, render.ALERT) > 0.5 * title.w * title.h
        assert node.model.view(0.0).state == samples.busy_day()  # the last state stays visible
        hub.publish_state("big")  # the queue moved on while the cable was out
        cable.start()
        wait_until(node.link.connected.is_set, timeout=15)
        wait_until(lambda: node.model.view(0.0).message == "")
        wait_until(lambda: node.model.view(0.0).state == samples.big_numbers())
    finally:
        node.stop()
        cable.cut()


def test_a_frame_that_fails_does_not_stop_the_screen(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = DisplayConfig(node_id="display-1", screen={"fps": 60}, voice={"enabled": False})
    node = DisplayNode(config, sink=FakeSink())
    node.model.set_broker(True)
    node.model.set_state(samples.busy_day(), 0.0)
    calls: list[int] = []
    real = node.renderer.render

    def flaky(
        surface: pygame.Surface, view: ScreenView, wall: datetime | None, t: float, full: bool = False
    ) -> list[tuple[str, Box]]:
        calls.append(1)
        if len(calls) <= 3:
            raise ValueError("a glyph pygame cannot draw")
        return real(surface, view, wall, t, full)

    node.renderer.render = flaky  # type: ignore[method-assign]  # a renderer whose first frames fail
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    surface = pygame.Surface((800, 600))
    node.run(stop, screen=surface)
    assert len(calls) > 10  # it went on drawing
    assert "frame failed (1 so far)" in caplog.text
    assert count_color(
        surface, node.renderer.layout_for(node.model.view(0.0), (800, 600)).header, render.HEADER
    )
