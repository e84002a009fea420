r"""Text and placement for the waiting-room screen: DejaVu fonts cached by style and size, text fitted to a
box (shrunk, then ellipsized), control characters made printable, images placed in a box.

>>> printable("Selamat\x00datang")
'Selamat datang'
"""

from __future__ import annotations

import logging
import unicodedata
from collections import OrderedDict
from pathlib import Path

import pygame

from firmware.display_node.layout import Box

logger = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    "regular": FONT_DIR / "DejaVuSans.ttf",
    "bold": FONT_DIR / "DejaVuSans-Bold.ttf",
    "italic": FONT_DIR / "DejaVuSans-Oblique.ttf",
    "condensed": FONT_DIR / "DejaVuSansCondensed-Bold.ttf",
}

Color = tuple[int, int, int]


class Fonts:
    """DejaVu Sans by size and style (pygame's default font when DejaVu is missing), rendered text cached."""

    def __init__(self, cache_size: int = 256) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self._fonts: dict[tuple[str, int], pygame.font.Font] = {}
        self._text: OrderedDict[tuple[str, str, int, Color, Color | None], pygame.Surface] = OrderedDict()
        self._fitted: OrderedDict[tuple[str, str, int, int, Color, Color | None, float], pygame.Surface] = (
            OrderedDict()
        )
        self._cache_size = cache_size
        missing = [str(path) for path in FONT_FILES.values() if not path.is_file()]
        if missing:
            logger.warning("fonts missing (%s); using pygame's default font", ", ".join(missing))

    def font(self, style: str, size: int) -> pygame.font.Font:
        key = (style, size)
        font = self._fonts.get(key)
        if font is None:
            path = FONT_FILES.get(style)
            font = pygame.font.Font(str(path) if path and path.is_file() else None, size)
            self._fonts[key] = font
        return font

    def text(self, text: str, style: str, size: int, color: Color, bg: Color | None = None) -> pygame.Surface:
        """Rendered text; with ``bg`` (the colour it sits on) it is opaque and blits several times faster."""
        key = (text, style, size, color, bg)
        surface = self._text.get(key)
        if surface is None:
            font, shown = self.font(style, size), printable(text)
            if font.size(shown)[0] == 0:
                shown = ""  # only zero-width characters (a soft hyphen alone): pygame refuses to render them
            surface = font.render(shown, True, color, bg)
            self._text[key] = surface
            if len(self._text) > self._cache_size:
                self._text.popitem(last=False)
        else:
            self._text.move_to_end(key)
        return surface

    def fit_size(self, text: str, style: str, height: int, width: int) -> int:
        """The biggest size at which ``text`` is at most ``height`` tall and ``width`` wide."""
        text = printable(text)
        size = max(6, int(height * 0.78))
        text_w = self.font(style, size).size(text)[0]
        if text_w > width and text_w > 0:
            size = max(6, int(size * width / text_w))
        while size > 6 and self.font(style, size).size(text)[0] > width:
            size -= 1
        return size

    def fit(
        self,
        text: str,
        style: str,
        height: int,
        width: int,
        color: Color,
        bg: Color | None = None,
        shrink: float = 0.58,
    ) -> pygame.Surface:
        """``text`` at the biggest size whose line is at most ``height`` tall and ``width`` wide, shrunk
        down to ``shrink`` × the full size at most, then ellipsized (``shrink=1``: same size on every row)."""
        key = (text, style, height, width, color, bg, shrink)
        surface = self._fitted.get(key)
        if surface is None:
            surface = self._fit(text, style, height, width, color, bg, shrink)
            self._fitted[key] = surface
            if len(self._fitted) > self._cache_size:
                self._fitted.popitem(last=False)
        else:
            self._fitted.move_to_end(key)
        return surface

    def _fit(
        self, text: str, style: str, height: int, width: int, color: Color, bg: Color | None, shrink: float
    ) -> pygame.Surface:
        text = printable(text)
        size = max(6, int(height * 0.78))
        font = self.font(style, size)
        text_w = font.size(text)[0]
        if text_w > width and text_w > 0:
            size = max(6, int(size * width / text_w))
            min_size = max(6, int(height * 0.78 * shrink))
            if size < min_size:
                size = min_size
                text = self._ellipsize(text, self.font(style, size), width)
        while size > 6 and self.font(style, size).size(text)[0] > width:
            size -= 1
        return self.text(text, style, size, color, bg)

    @staticmethod
    def _ellipsize(text: str, font: pygame.font.Font, width: int) -> str:
        if font.size(text)[0] <= width:
            return text
        while text and font.size(text + "…")[0] > width:
            text = text[:-1]
        return text.rstrip() + "…"


def printable(text: str) -> str:
    """Control characters (a NUL or a newline typed into the running text) become spaces: pygame refuses
    some and draws boxes for the others."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in text)


def blit_in(surface: pygame.Surface, image: pygame.Surface, box: Box, align: str = "center") -> None:
    """Put ``image`` inside ``box``, vertically centred, aligned left/center/right."""
    y = box.y + (box.h - image.get_height()) // 2
    if align == "left":
        x = box.x
    elif align == "right":
        x = box.right - image.get_width()
    else:
        x = box.x + (box.w - image.get_width()) // 2
    surface.blit(image, (x, y))


def rect(box: Box) -> pygame.Rect:
    return pygame.Rect(box.as_tuple())
