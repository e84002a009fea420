"""The seed's line under the newest call, "Nomor P-003 silakan menuju LOKET 1": which call it names and how
it looks on the TV (a real pygame screenshot)."""

from __future__ import annotations

from pathlib import Path

import pygame

from firmware.display_node import render, samples
from firmware.display_node.model import ScreenModel
from firmware.display_node.render import Renderer
from protocol.payloads import DisplayCounter
from tests.display.test_render import HUB_ONLINE, WALL, colors_in, count_color


def test_the_newest_call_is_named() -> None:
    model = ScreenModel()
    state = samples.busy_day()
    model.set_state(state, now=0.0)
    assert model.view(0.0).latest_call is None  # the first state after a start: no call seen yet
    model.highlight(1, now=0.5)  # loket 1 announces P-003 (a call or a recall)
    assert model.view(1.0).latest_call == ("P-003", "Loket 1")
    counters = [state.counters[0], DisplayCounter(counter=2, name="Loket 2", ticket=state.next_general[0])]
    model.set_state(state.model_copy(update={"counters": counters}), now=2.0)
    assert model.view(2.0).latest_call == (state.next_general[0].number, "Loket 2")
    model.set_state(state.model_copy(update={"counters": counters}), now=3.0)  # no new call: kept
    assert model.view(30.0).latest_call == (state.next_general[0].number, "Loket 2")


def test_the_tv_shows_the_line_under_the_newest_call(artifacts: Path) -> None:
    model = ScreenModel()
    model.set_broker(True)
    model.set_hub_status(HUB_ONLINE)
    model.set_services(samples.services())
    model.set_state(samples.busy_day(), now=0.0)
    renderer = Renderer()
    for size in ((1920, 1080), (1080, 1920)):
        surface = pygame.Surface(size)
        renderer.render(surface, model.view(1.0), WALL, t=0.0, full=True)
        lay = renderer.layout_for(model.view(1.0), size)
        empty = colors_in(surface, lay.call_line)
        model.highlight(1, now=1.0)
        renderer.render(surface, model.view(1.0), WALL, t=0.0, full=True)
        pygame.image.save(surface, str(artifacts / f"call_line_{size[0]}x{size[1]}.png"))
        box = lay.call_line
        assert empty <= 2 and colors_in(surface, box) > 8  # text appeared in the strip
        assert count_color(surface, box, render.CALL_LINE) > 0.4 * box.w * box.h
        assert box.y >= max(lay.priority.bottom, lay.general.bottom, lay.called.bottom)
        assert box.bottom <= lay.ticker.y
        model = ScreenModel()  # the next size starts without a call again
        model.set_broker(True)
        model.set_hub_status(HUB_ONLINE)
        model.set_state(samples.busy_day(), now=0.0)
        renderer = Renderer()


def test_the_line_text() -> None:
    assert render.call_line_text("P-003", "Loket 1") == "Nomor P-003 silakan menuju LOKET 1"
