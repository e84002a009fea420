"""Real pygame rendering to PNG at the four screen sizes, with pixel checks and dirty-region checks."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.display_node import fonts, render, samples
from firmware.display_node.layout import Box
from firmware.display_node.model import ScreenModel
from firmware.display_node.render import Fonts, Renderer
from protocol.payloads import DisplayCounter, DisplayState, NodeStatus, TicketSummary, Totals

SIZES = [(1920, 1080), (1366, 768), (3840, 2160), (1080, 1920)]
WALL = datetime(2026, 2, 26, 8, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
HUB_ONLINE = NodeStatus(node="hub", role="hub", state="online", version="1")
HUB_OFFLINE = NodeStatus(node="hub", role="hub", state="offline", version="1")


def model_with(state_name: str, highlight: int | None = 1) -> ScreenModel:
    model = ScreenModel(highlight_seconds=8)
    model.set_broker(True)
    model.set_hub_status(HUB_ONLINE)
    model.set_services(samples.services())
    model.set_state(samples.STATES[state_name](), now=0.0)
    if highlight is not None:
        model.highlight(highlight, now=0.0)
    return model


def count_color(surface: pygame.Surface, box: Box, color: tuple[int, int, int], tolerance: int = 12) -> int:
    """Pixels of ``color`` (± ``tolerance`` per channel) in ``box``."""
    sub = surface.subsurface(pygame.Rect(box.as_tuple()))
    mask = pygame.mask.from_threshold(sub, (*color, 255), (tolerance + 1, tolerance + 1, tolerance + 1, 255))
    return int(mask.count())


def colors_in(surface: pygame.Surface, box: Box) -> int:
    """How many distinct colours a region has (text drawn = many anti-aliased shades)."""
    sub = surface.subsurface(pygame.Rect(box.as_tuple()))
    step = max(2, box.h // 60)
    return len({tuple(sub.get_at((x, y)))[:3] for y in range(0, box.h, step) for x in range(0, box.w, step)})


@pytest.mark.slow  # every sample state at every size, 4K included
@pytest.mark.parametrize("state_name", ["empty", "busy", "long", "big"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screenshots(state_name: str, size: tuple[int, int], artifacts: Path) -> None:
    model = model_with(state_name, highlight=None if state_name == "empty" else 1)
    surface = pygame.Surface(size)
    renderer = Renderer()
    renderer.render(surface, model.view(1.0), WALL, t=0.0)
    pygame.image.save(surface, str(artifacts / f"{state_name}_{size[0]}x{size[1]}.png"))
    lay = renderer.layout_for(model.view(1.0), size)
    state = samples.STATES[state_name]()
    assert len(lay.cards) == len(state.counters)
    # header, lists, footer and every card carry text
    for name, box in lay.regions().items():
        if name == "footer" or name.startswith("card"):
            assert colors_in(surface, box) > 8, name
    assert count_color(surface, lay.header, render.HEADER) > 0.5 * (lay.header.w * lay.header.h)
    first = lay.cards[0]
    if state_name == "empty":
        assert count_color(surface, first, render.HIGHLIGHT) == 0
        assert count_color(surface, first, render.PANEL) > 0.5 * first.w * first.h
    else:
        # the newest call is highlighted; the others are not
        assert count_color(surface, first, render.HIGHLIGHT) > 0.4 * first.w * first.h
        assert count_color(surface, lay.cards[1], render.HIGHLIGHT) == 0
        # priority list entries are drawn in the priority colour, general ones in green
        assert count_color(surface, lay.priority, render.PRIORITY, 30) > 200
        assert count_color(surface, lay.general, render.GENERAL, 30) > 200


def test_offline_banner_and_waiting_banner(artifacts: Path) -> None:
    size = (1920, 1080)
    model = model_with("busy", highlight=None)
    renderer = Renderer()
    surface = pygame.Surface(size)
    renderer.render(surface, model.view(1.0), WALL, t=0.0)
    title = renderer.layout_for(model.view(1.0), size).title
    assert count_color(surface, title, render.ALERT) == 0

    model.set_hub_status(HUB_OFFLINE)
    dirty = [name for name, _ in renderer.render(surface, model.view(1.0), WALL, t=0.0)]
    assert dirty == ["title"]
    assert count_color(surface, title, render.ALERT) > 0.5 * title.w * title.h
    pygame.image.save(surface, str(artifacts / "offline_hub_1920x1080.png"))

    model.set_hub_status(HUB_ONLINE)
    model.set_broker(False)
    renderer.render(surface, model.view(1.0), WALL, t=0.0)
    assert count_color(surface, title, render.ALERT) > 0.5 * title.w * title.h

    fresh = ScreenModel()
    fresh.set_broker(True)
    surface = pygame.Surface((1080, 1920))
    renderer = Renderer()
    renderer.render(surface, fresh.view(0.0), WALL, t=0.0)
    pygame.image.save(surface, str(artifacts / "waiting_for_hub_1080x1920.png"))
    title = renderer.layout_for(fresh.view(0.0), (1080, 1920)).title
    assert count_color(surface, title, render.NOTICE) > 0.5 * title.w * title.h


def test_only_what_changed_is_redrawn() -> None:
    model = model_with("busy", highlight=None)
    renderer = Renderer()
    surface = pygame.Surface((1366, 768))
    first = {name for name, _ in renderer.render(surface, model.view(1.0), WALL, t=0.0)}
    assert {"header", "title", "card0", "card1", "priority", "general", "ticker", "footer"} <= first
    assert renderer.render(surface, model.view(1.0), WALL, t=0.0) == []
    # the running text moves: only its strip is repainted
    assert [name for name, _ in renderer.render(surface, model.view(1.0), WALL, t=0.1)] == ["ticker"]
    # the clock turns a minute: only the header
    later = WALL + timedelta(minutes=1)
    assert [name for name, _ in renderer.render(surface, model.view(1.0), later, t=0.1)] == ["header"]
    # loket 2 calls A-011: its card (highlighted), the general list and the footer
    state = samples.busy_day()
    counters = [state.counters[0], DisplayCounter(counter=2, name="Loket 2", ticket=state.next_general[0])]
    called = state.model_copy(
        update={
            "counters": counters,
            "next_general": state.next_general[1:],
            "remaining_general": 27,
            "totals": state.totals.model_copy(update={"registered": 13, "waiting": 32}),
        }
    )
    model.set_state(called, now=1.0)
    dirty = {name for name, _ in renderer.render(surface, model.view(1.5), later, t=0.1)}
    assert dirty == {"card1", "general", "footer", "call_line"}  # "Nomor A-011 silakan menuju LOKET 2"
    # the highlight blinks while it lasts, then ends
    assert {n for n, _ in renderer.render(surface, model.view(2.0), later, t=0.6)} == {"ticker", "card1"}
    renderer.render(surface, model.view(20.0), later, t=0.6)
    lay = renderer.layout_for(model.view(20.0), (1366, 768))
    assert count_color(surface, lay.cards[1], render.HIGHLIGHT) == 0


def test_long_text_is_fitted_never_clipped() -> None:
    fonts = Fonts()
    long_name = samples.LONG_POLYS["C"] * 3
    image = fonts.fit(long_name, "regular", 40, 300, render.WHITE)
    assert image.get_width() <= 300 and image.get_height() <= 60
    short = fonts.fit("A-1024", "bold", 100, 2000, render.WHITE)
    assert short.get_height() >= 90  # a short number uses the whole height


@pytest.mark.parametrize("text", ["\xad", "\u200b", "\ufeff"])
def test_text_of_only_zero_width_characters_draws_nothing(text: str) -> None:
    assert Fonts().text(text, "bold", 40, (0, 0, 0), (255, 255, 255)).get_width() == 0


def test_dejavu_has_the_wheelchair_sign() -> None:
    font = Fonts().font("bold", 40)
    assert font.metrics("♿")[0] is not None
    assert fonts.FONT_FILES["bold"].is_file()


POLY_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz /", min_size=1, max_size=70).map(str.title)


@st.composite
def display_states(draw: st.DrawFn) -> DisplayState:
    def summary() -> TicketSummary:
        priority = draw(st.booleans())
        prefix = "P" if priority else draw(st.sampled_from("ABCDE"))
        return TicketSummary(
            number=f"{prefix}-{draw(st.integers(1, 9999)):03d}",
            category="prioritas" if priority else "umum",
            priority_reason=draw(st.sampled_from(["lansia", "bumil", "disabilitas", "balita"]))
            if priority
            else None,
            poly_code=prefix,
            poly_name=draw(POLY_NAMES),
        )

    lokets = draw(st.integers(1, 8))
    return DisplayState(
        counters=[
            DisplayCounter(counter=n, name=f"Loket {n}", ticket=summary() if draw(st.booleans()) else None)
            for n in range(1, lokets + 1)
        ],
        next_priority=[summary() for _ in range(draw(st.integers(0, 12)))],
        next_general=[summary() for _ in range(draw(st.integers(0, 12)))],
        remaining_priority=draw(st.integers(0, 99999)),
        remaining_general=draw(st.integers(0, 99999)),
        totals=Totals(issued=draw(st.integers(0, 99999)), registered=0, waiting=draw(st.integers(0, 99999))),
        running_text=draw(st.text(min_size=0, max_size=300)),
        updated_at=samples.UPDATED,
    )


@pytest.mark.slow  # renders 30 whole screens
@settings(max_examples=30, deadline=None)
@given(
    display_states(),
    st.sampled_from([(1920, 1080), (1366, 768), (1080, 1920), (1280, 720), (800, 600)]),
    st.booleans(),
)
def test_no_text_ever_spills_out_of_its_box(
    state: DisplayState, size: tuple[int, int], offline: bool
) -> None:
    """Whatever the hub sends, every piece of text is drawn inside the box meant for it."""
    model = ScreenModel()
    model.set_broker(True)
    model.set_hub_status(HUB_OFFLINE if offline else HUB_ONLINE)
    model.set_services(samples.services("Puskesmas " + "Sukamaju Makmur Sejahtera " * 3, "Sehat " * 20))
    model.set_state(state, now=0.0)
    spills: list[tuple[tuple[int, int], Box]] = []
    original = render.blit_in

    def checked(surface: pygame.Surface, image: pygame.Surface, box: Box, align: str = "center") -> None:
        if image.get_width() > box.w + 1 or image.get_height() > box.h + 2:
            spills.append((image.get_size(), box))
        original(surface, image, box, align)

    render.blit_in = checked
    try:
        Renderer().render(pygame.Surface(size), model.view(0.0), WALL, t=0.0)
    finally:
        render.blit_in = original
    assert spills == []
