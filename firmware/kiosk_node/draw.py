"""Draws a :class:`~firmware.kiosk_node.layout.Scene` with pygame: the only module that paints pixels.

Text is shrunk and wrapped to fit its box; fonts are DejaVu Sans (it has ♿) with pygame's default font as
fallback. Fits, fonts and QR codes are cached so an unchanged screen costs nothing to redraw.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pygame
import qrcode

from firmware.kiosk_node.layout import Box, Button, Label, Scene

logger = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
MIN_FONT = 10

RGB = tuple[int, int, int]
BACKGROUND: RGB = (245, 247, 250)
HEADER: RGB = (20, 83, 45)
COLORS: dict[str, RGB] = {
    "text": (17, 24, 39),
    "muted": (55, 65, 81),
    "header": (255, 255, 255),
    "accent": (29, 78, 216),
    "danger": (185, 28, 28),
    "ok": (21, 128, 61),
    "priority": (180, 83, 9),
}
# style -> (fill, text)
BUTTONS: dict[str, tuple[RGB, RGB]] = {
    "priority": ((180, 83, 9), (255, 255, 255)),
    "general": ((29, 78, 216), (255, 255, 255)),
    "primary": ((21, 128, 61), (255, 255, 255)),
    "neutral": ((75, 85, 99), (255, 255, 255)),
    "back": ((55, 65, 81), (255, 255, 255)),
    "key": ((229, 231, 235), (17, 24, 39)),
    "online": ((15, 118, 110), (255, 255, 255)),
}
DISABLED: tuple[RGB, RGB] = ((209, 213, 219), (55, 65, 81))


@lru_cache(maxsize=256)
def font(size: int, bold: bool) -> pygame.font.Font:
    path = FONT_FILES[bold]
    if path.exists():
        return pygame.font.Font(str(path), size)
    logger.warning("font %s missing; using pygame's default font", path)
    fallback = pygame.font.Font(None, size)
    fallback.set_bold(bold)
    return fallback


def wrap(text: str, face: pygame.font.Font, width: int) -> list[str] | None:
    """Lines of ``text`` no wider than ``width``; None if a single word does not fit."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if face.size(candidate)[0] <= width:
                current = candidate
            elif not current or face.size(word)[0] > width:
                return None
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


@lru_cache(maxsize=1024)
def fit(text: str, width: int, height: int, size: int, bold: bool) -> tuple[int, tuple[str, ...]]:
    """The largest font size (<= ``size``) at which ``text`` wraps into ``width`` × ``height``."""
    best: tuple[int, tuple[str, ...]] = (MIN_FONT, (text,))
    low, high = MIN_FONT, max(MIN_FONT, size)
    while low <= high:
        mid = (low + high) // 2
        face = font(mid, bold)
        lines = wrap(text, face, width)
        if lines is not None and len(lines) * face.get_linesize() <= height:
            best, low = (mid, tuple(lines)), mid + 1
        else:
            high = mid - 1
    return best


@lru_cache(maxsize=8)
def qr_surface(data: str, side: int) -> pygame.Surface:
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    cells = len(matrix)
    module = max(1, side // cells)
    surface = pygame.Surface((cells * module, cells * module))
    surface.fill((255, 255, 255))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                surface.fill((0, 0, 0), (x * module, y * module, module, module))
    return surface


def _rect(box: Box) -> pygame.Rect:
    return pygame.Rect(box.x, box.y, box.w, box.h)


def draw_text(
    surface: pygame.Surface, text: str, box: Box, size: int, color: RGB, bold: bool, align: str = "center"
) -> None:
    if not text or box.w <= 0 or box.h <= 0:
        return
    font_size, lines = fit(text, box.w, box.h, size, bold)
    face = font(font_size, bold)
    line_h = face.get_linesize()
    y = box.y + (box.h - line_h * len(lines)) // 2
    for line in lines:
        image = face.render(line, True, color)
        if align == "left":
            x = box.x
        elif align == "right":
            x = box.x + box.w - image.get_width()
        else:
            x = box.x + (box.w - image.get_width()) // 2
        surface.blit(image, (x, y))
        y += line_h


def draw_label(surface: pygame.Surface, label: Label, size: int | None = None) -> None:
    text_size = label.size if size is None else size
    draw_text(surface, label.text, label.box, text_size, COLORS[label.color], label.bold, label.align)


def group_sizes(labels: list[Label]) -> dict[str, int]:
    """For each label group, the largest size at which every label of the group fits."""
    sizes: dict[str, int] = {}
    for label in labels:
        if label.group is not None and label.text:
            fitted, _ = fit(label.text, label.box.w, label.box.h, label.size, label.bold)
            sizes[label.group] = min(sizes.get(label.group, fitted), fitted)
    return sizes


def draw_button(surface: pygame.Surface, button: Button, unit: int) -> None:
    fill, ink = BUTTONS[button.style] if button.enabled else DISABLED
    rect = _rect(button.box)
    radius = max(4, 2 * unit)
    pygame.draw.rect(surface, fill, rect, border_radius=radius)
    if button.style == "key" or not button.enabled:
        pygame.draw.rect(surface, (107, 114, 128), rect, width=max(1, unit // 3), border_radius=radius)
    inner = button.box.inset(max(2, min(unit * 2, min(button.box.w, button.box.h) // 10)))
    if not button.details:
        draw_text(
            surface, button.label, inner, inner.h * (8 if button.style == "key" else 6) // 10, ink, True
        )
        return
    head, rest = inner.rows(1.2, max(1, len(button.details)) * 0.8, gap=unit)
    draw_text(surface, button.label, head, head.h * 8 // 10, ink, True)
    size = min(rest.h // len(button.details) * 7 // 10, head.h * 55 // 100)
    for line_box, line in zip(rest.rows(*([1] * len(button.details))), button.details, strict=True):
        draw_text(surface, line, line_box, size, ink, False)


def draw_scene(surface: pygame.Surface, scene: Scene) -> None:
    surface.fill(BACKGROUND)
    surface.fill(HEADER, _rect(scene.header))
    unit = max(1, min(scene.size) // 100)
    for button in scene.buttons:
        draw_button(surface, button, unit)
    sizes = group_sizes(scene.labels)
    for label in scene.labels:
        draw_label(surface, label, sizes.get(label.group) if label.group else None)
    if scene.qr is not None:
        image = qr_surface(scene.qr.data, scene.qr.box.w)
        box = scene.qr.box
        surface.blit(
            image, (box.x + (box.w - image.get_width()) // 2, box.y + (box.h - image.get_height()) // 2)
        )
