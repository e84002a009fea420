"""High contrast for older eyes: every colour pair the kiosk draws meets WCAG AA (4.5:1)."""

from __future__ import annotations

import pytest

from firmware.kiosk_node import draw


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("style", sorted(draw.BUTTONS))
def test_button_text_contrast(style: str) -> None:
    fill, ink = draw.BUTTONS[style]
    assert contrast(fill, ink) >= 4.5


@pytest.mark.parametrize("role", sorted(set(draw.COLORS) - {"header"}))
def test_text_on_background_contrast(role: str) -> None:
    assert contrast(draw.COLORS[role], draw.BACKGROUND) >= 4.5


def test_header_and_disabled_contrast() -> None:
    assert contrast(draw.COLORS["header"], draw.HEADER) >= 4.5
    assert contrast(*draw.DISABLED) >= 4.5
