"""The layout is a pure function of (lokets, screen size): everything on screen, nothing overlapping."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.display_node.layout import Box, card_grid, compute_layout

SIZES = [(1920, 1080), (1366, 768), (3840, 2160), (1080, 1920)]


def check(lokets: int, size: tuple[int, int]) -> None:
    lay = compute_layout(lokets, size)
    regions = lay.regions()
    for name, box in regions.items():
        assert box.w > 0 and box.h > 0, name
        assert lay.frame.contains(box), (name, box)
    for (a, box_a), (b, box_b) in itertools.combinations(regions.items(), 2):
        if {a, b} & {"called_title"} and (a.startswith("card") or b.startswith("card")):
            continue
        assert not box_a.overlaps(box_b), (a, b, box_a, box_b)
    for card in lay.cards:
        assert lay.called.contains(card)
        assert not card.overlaps(lay.called_title)
    assert len(lay.cards) == max(1, lokets)
    assert lay.list_rows >= 3
    assert lay.list_row_h * (lay.list_rows + 2) <= lay.priority.h


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lokets", [0, 1, 2, 3, 4, 6])
def test_every_region_fits_on_the_four_screens(size: tuple[int, int], lokets: int) -> None:
    check(lokets, size)


def test_orientation_decides_the_arrangement() -> None:
    landscape = compute_layout(2, (1920, 1080))
    portrait = compute_layout(2, (1080, 1920))
    assert not landscape.portrait and portrait.portrait
    assert landscape.priority.x > landscape.called.right - 1  # lists beside the cards
    assert portrait.priority.y >= portrait.called.bottom  # lists below the cards
    assert portrait.list_rows > landscape.list_rows


def test_sizes_scale_with_the_screen() -> None:
    hd, uhd = compute_layout(6, (1920, 1080)), compute_layout(6, (3840, 2160))
    assert uhd.cards[0].w == pytest.approx(2 * hd.cards[0].w, abs=4)
    assert uhd.cards[0].h == pytest.approx(2 * hd.cards[0].h, abs=4)


def test_six_lokets_make_a_grid_of_readable_cards() -> None:
    lay = compute_layout(6, (1366, 768))
    columns = {card.x for card in lay.cards}
    assert len(columns) == 2
    assert all(card.h >= 120 and card.w >= 300 for card in lay.cards)


def test_card_grid_never_overlaps() -> None:
    boxes = card_grid(5, Box(0, 0, 1000, 600), 10)
    assert len(boxes) == 5
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


@given(st.integers(0, 8), st.integers(480, 4096), st.integers(480, 4096))
def test_any_reasonable_screen(lokets: int, width: int, height: int) -> None:
    if max(width, height) / min(width, height) > 2.4:
        return  # not a screen anyone hangs in a waiting room
    check(lokets, (width, height))
