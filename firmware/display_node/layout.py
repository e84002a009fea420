"""Where everything goes, as a pure function of (what is shown, screen size) → boxes.

Landscape TVs put the loket cards on the left and the two waiting lists on the right; portrait screens
stack them. Every size comes from the screen, so 1366×768, 1920×1080, 3840×2160 and 1080×1920 all work.

>>> lay = compute_layout(counters=2, size=(1920, 1080))
>>> lay.portrait, len(lay.cards), lay.header.w
(False, 2, 1920)
>>> all(lay.frame.contains(box) for box in lay.regions().values())
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def inset(self, dx: int, dy: int | None = None) -> Box:
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def rows(self, *fractions: float) -> list[Box]:
        """Split top to bottom by fractions of the height (the last takes what is left)."""
        boxes, y = [], self.y
        for index, fraction in enumerate(fractions):
            h = self.bottom - y if index == len(fractions) - 1 else round(self.h * fraction)
            boxes.append(Box(self.x, y, self.w, h))
            y += h
        return boxes

    def columns(self, *fractions: float) -> list[Box]:
        boxes, x = [], self.x
        for index, fraction in enumerate(fractions):
            w = self.right - x if index == len(fractions) - 1 else round(self.w * fraction)
            boxes.append(Box(x, self.y, w, self.h))
            x += w
        return boxes

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    portrait: bool
    unit: int  # one "design pixel": margins, borders, radii scale with it
    frame: Box
    header: Box
    title: Box  # section title, or the offline banner
    called: Box  # the SEDANG DIPANGGIL panel
    called_title: Box
    cards: tuple[Box, ...]
    priority: Box
    general: Box
    call_line: Box  # the seed's "Nomor P-003 silakan menuju LOKET 1" under the newest call
    list_rows: int  # entries shown per waiting list
    list_row_h: int
    ticker: Box
    footer: Box

    def regions(self) -> dict[str, Box]:
        """Every independently redrawn region by name."""
        named = {
            "header": self.header,
            "title": self.title,
            "called_title": self.called_title,
            "priority": self.priority,
            "general": self.general,
            "call_line": self.call_line,
            "ticker": self.ticker,
            "footer": self.footer,
        }
        named.update({f"card{index}": box for index, box in enumerate(self.cards)})
        return named


CARD_ASPECT = 2.0  # width / height a loket card looks best at


def card_grid(count: int, area: Box, gap: int) -> tuple[Box, ...]:
    """``count`` equal cards in ``area``, in the rows × columns that make them biggest."""
    if count <= 0:
        return ()
    best: tuple[float, int, int] = (-1.0, 1, count)
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        w = (area.w - gap * (cols - 1)) / cols
        h = (area.h - gap * (rows - 1)) / rows
        if w <= 0 or h <= 0:
            continue
        usable = min(w, h * CARD_ASPECT)  # width of the biggest CARD_ASPECT card that fits
        if usable > best[0] + 0.5:
            best = (usable, cols, rows)
    _, cols, rows = best
    w = (area.w - gap * (cols - 1)) // cols
    h = (area.h - gap * (rows - 1)) // rows
    h = min(h, round(w / 1.4))  # never taller than a near-square: leftover height stays below
    boxes = []
    for index in range(count):
        row, col = divmod(index, cols)
        boxes.append(Box(area.x + col * (w + gap), area.y + row * (h + gap), w, h))
    return tuple(boxes)


def compute_layout(counters: int, size: tuple[int, int]) -> Layout:
    """The boxes of every region for ``counters`` loket cards on a ``size`` screen."""
    width, height = size
    portrait = height > width
    unit = max(2, round(min(width, height) / 120))
    frame = Box(0, 0, width, height)
    if portrait:
        header, title, body, call_line, ticker, footer = frame.rows(0.085, 0.04, 0.72, 0.055, 0.05, 0.05)
    else:
        header, title, body, call_line, ticker, footer = frame.rows(0.115, 0.05, 0.67, 0.065, 0.05, 0.05)
    margin = 2 * unit
    body = body.inset(margin, unit)
    if portrait:
        called, lists = body.rows(0.52, 0.48)
        lists = Box(lists.x, lists.y + margin, lists.w, lists.h - margin)
        priority, general = lists.columns(0.5, 0.5)
        priority = Box(priority.x, priority.y, priority.w - margin // 2, priority.h)
        general = Box(general.x + margin // 2, general.y, general.w - margin // 2, general.h)
    else:
        called, lists = body.columns(0.6, 0.4)
        called = Box(called.x, called.y, called.w - margin // 2, called.h)
        lists = Box(lists.x + margin // 2, lists.y, lists.w - margin // 2, lists.h)
        priority, general = lists.rows(0.5, 0.5)
        priority = Box(priority.x, priority.y, priority.w, priority.h - margin // 2)
        general = Box(general.x, general.y + margin // 2, general.w, general.h - margin // 2)
    called_title, card_area = called.rows(0.11 if not portrait else 0.09, 1.0)
    cards = card_grid(max(1, counters), card_area.inset(margin, margin), margin)
    row_height = max(5.5 * unit, min(priority.h / 7.5, 8 * unit))
    list_rows = max(1, int((priority.h - 2.9 * row_height) / row_height))  # title, "Sisa", separator
    return Layout(
        size=(width, height),
        portrait=portrait,
        unit=unit,
        frame=frame,
        header=header,
        title=title,
        called=called,
        called_title=called_title,
        cards=cards,
        priority=priority,
        general=general,
        call_line=call_line,
        list_rows=list_rows,
        list_row_h=round(row_height),
        ticker=ticker,
        footer=footer,
    )
