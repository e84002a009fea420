"""Drawing the waiting-room screen with pygame: each region redrawn only when what it shows changed.

Works on any ``pygame.Surface`` (the TV's display surface, or an off-screen one for PNGs); needs only
``pygame.font`` and no display.

>>> import pygame
>>> from firmware.display_node.model import ScreenModel
>>> surface = pygame.Surface((1366, 768))
>>> renderer = Renderer()
>>> view = ScreenModel().view(now=0)
>>> len(renderer.render(surface, view, wall=None, t=0.0)) > 5   # first frame: everything
True
>>> [name for name, _ in renderer.render(surface, view, wall=None, t=0.0)]   # nothing changed
[]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pygame

from firmware.display_node import texts
from firmware.display_node.fonts import Color, Fonts, blit_in, rect
from firmware.display_node.layout import Box, Layout, compute_layout
from firmware.display_node.model import ScreenView
from protocol.payloads import DisplayCounter, TicketSummary

logger = logging.getLogger(__name__)

BACKGROUND: Color = (11, 29, 56)
PANEL: Color = (22, 49, 88)
PANEL_EDGE: Color = (48, 84, 134)
HEADER: Color = (0, 104, 90)
WHITE: Color = (255, 255, 255)
MUTED: Color = (186, 204, 226)
DARK: Color = (10, 22, 40)
PRIORITY: Color = (255, 170, 40)
GENERAL: Color = (64, 214, 128)
HIGHLIGHT: Color = (255, 221, 0)
HIGHLIGHT_ALT: Color = (255, 244, 160)
TICKER: Color = (240, 245, 250)
FOOTER: Color = (6, 17, 34)
CALL_LINE: Color = (0, 84, 72)  # the line under the newest call: the header's green, darker
ALERT: Color = (200, 28, 36)
NOTICE: Color = (214, 120, 0)


def call_line_text(number: str, loket_name: str) -> str:
    """The seed's line under the newest call.

    >>> call_line_text("P-003", "Loket 1")
    'Nomor P-003 silakan menuju LOKET 1'
    """
    return f"Nomor {number} silakan menuju {loket_name.upper()}"


class Renderer:
    """Draws a :class:`ScreenView` onto a surface; ``render`` returns the regions it repainted."""

    def __init__(
        self,
        timezone: str = "Asia/Jakarta",
        title: str = "LOKET PENDAFTARAN",
        ticker_speed: float = 0.08,
        fonts: Fonts | None = None,
    ) -> None:
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self.title = title
        self.ticker_speed = ticker_speed
        self.fonts = fonts or Fonts()
        self._layout: Layout | None = None
        self._keys: dict[str, object] = {}
        self._fresh = True

    def layout_for(self, view: ScreenView, size: tuple[int, int]) -> Layout:
        counters = len(view.state.counters) if view.state else 0
        if self._layout is None or self._layout.size != size or len(self._layout.cards) != max(1, counters):
            self._layout = compute_layout(counters, size)
            self._keys.clear()
        return self._layout

    def invalidate(self) -> None:
        """Repaint everything on the next frame (e.g. after the window was exposed)."""
        self._keys.clear()

    def render(
        self, surface: pygame.Surface, view: ScreenView, wall: datetime | None, t: float, full: bool = False
    ) -> list[tuple[str, Box]]:
        """Draw what changed since the last call; ``wall`` is the clock shown, ``t`` drives motion."""
        lay = self.layout_for(view, surface.get_size())
        self._fresh = full or not self._keys
        if self._fresh:
            # header, title, ticker and footer paint their own backgrounds: clear only the band between
            self._keys.clear()
            band = Box(0, lay.title.y, lay.size[0], lay.ticker.y - lay.title.y)
            surface.fill(BACKGROUND, rect(band))
        wall = wall or datetime.now(self.zone)
        state = view.state
        drawers: list[tuple[str, Box, object, Callable[[], None]]] = []
        header_key = (view.site_name, view.motto, texts.tanggal(wall), texts.jam(wall, self.timezone))
        drawers.append(("header", lay.header, header_key, lambda: self._header(surface, lay, header_key)))
        drawers.append(
            ("title", lay.title, (view.message, view.online), lambda: self._title(surface, lay.title, view))
        )
        drawers.append(("called_title", lay.called_title, "", lambda: self._called_title(surface, lay)))
        counters: list[DisplayCounter | None] = list(state.counters) if state else [None]
        for index, box in enumerate(lay.cards):
            counter = counters[index] if index < len(counters) else None
            lit = counter is not None and counter.counter in view.highlighted
            phase = int(t * 2) % 2 if lit else 0
            key = (counter, lit, phase)
            drawers.append(
                (
                    f"card{index}",
                    box,
                    key,
                    partial(self._card, surface, box, counter, lit, phase, lay.unit),
                )
            )
        prio = (tuple(state.next_priority[: lay.list_rows]), state.remaining_priority) if state else None
        gen = (tuple(state.next_general[: lay.list_rows]), state.remaining_general) if state else None
        drawers.append(("priority", lay.priority, prio, lambda: self._list(surface, lay, True, prio)))
        drawers.append(("general", lay.general, gen, lambda: self._list(surface, lay, False, gen)))
        line = call_line_text(*view.latest_call) if view.latest_call else ""
        drawers.append(
            ("call_line", lay.call_line, line, lambda: self._call_line(surface, lay.call_line, line))
        )
        running = state.running_text if state else ""
        offset = self._ticker_offset(running, lay, t)
        drawers.append(
            (
                "ticker",
                lay.ticker,
                (running, offset),
                lambda: self._ticker(surface, lay.ticker, running, offset),
            )
        )
        totals = state.totals if state else None
        drawers.append(("footer", lay.footer, totals, lambda: self._footer(surface, lay.footer, totals)))

        dirty: list[tuple[str, Box]] = []
        for name, box, content, draw in drawers:
            if self._keys.get(name, _UNSET) == content:
                continue
            surface.set_clip(rect(box))
            try:
                draw()
            finally:
                surface.set_clip(None)
            self._keys[name] = content
            dirty.append((name, box))
        return dirty

    def _clear(self, surface: pygame.Surface, box: Box) -> None:
        if not self._fresh:  # a full redraw has just cleared it
            surface.fill(BACKGROUND, rect(box))

    # -- regions --------------------------------------------------------------------------------

    def _header(self, surface: pygame.Surface, lay: Layout, key: tuple[str, str, str, str]) -> None:
        site, motto, day, clock = key
        box = lay.header
        surface.fill(HEADER, rect(box))
        inner = box.inset(3 * lay.unit, lay.unit * 2)
        left, right = inner.columns(0.64, 0.36)
        name_row, motto_row = left.rows(0.6, 0.4)
        blit_in(
            surface,
            self.fonts.fit(site.upper(), "bold", name_row.h, name_row.w, WHITE, HEADER),
            name_row,
            "left",
        )
        if motto:
            blit_in(
                surface,
                self.fonts.fit(f"“{motto}”", "italic", motto_row.h, motto_row.w, (220, 245, 238), HEADER),
                motto_row,
                "left",
            )
        day_row, clock_row = right.rows(0.4, 0.6)
        blit_in(
            surface, self.fonts.fit(day, "regular", day_row.h, day_row.w, WHITE, HEADER), day_row, "right"
        )
        blit_in(
            surface,
            self.fonts.fit(clock, "bold", clock_row.h, clock_row.w, WHITE, HEADER),
            clock_row,
            "right",
        )

    def _title(self, surface: pygame.Surface, box: Box, view: ScreenView) -> None:
        if view.message:
            banner = ALERT if not view.online else NOTICE
            surface.fill(banner, rect(box))
            text = "⚠  " + view.message
            image = self.fonts.fit(text, "bold", int(box.h * 0.8), int(box.w * 0.94), WHITE, banner)
        else:
            self._clear(surface, box)
            image = self.fonts.fit(self.title, "bold", int(box.h * 0.85), int(box.w * 0.9), MUTED, BACKGROUND)
        blit_in(surface, image, box)

    def _called_title(self, surface: pygame.Surface, lay: Layout) -> None:
        box = lay.called_title
        self._clear(surface, box)
        inner = box.inset(lay.unit * 2, lay.unit)
        image = self.fonts.fit(texts.TITLE_CALLED, "bold", int(inner.h * 0.9), inner.w, WHITE, BACKGROUND)
        blit_in(surface, image, inner)

    def _card(
        self,
        surface: pygame.Surface,
        box: Box,
        counter: DisplayCounter | None,
        lit: bool,
        phase: int,
        unit: int,
    ) -> None:
        self._clear(surface, box)
        ticket = counter.ticket if counter else None
        radius = max(4, box.h // 12)
        fill = (HIGHLIGHT if phase == 0 else HIGHLIGHT_ALT) if lit else PANEL
        pygame.draw.rect(surface, fill, rect(box), border_radius=radius)
        if not lit:
            pygame.draw.rect(surface, PANEL_EDGE, rect(box), width=max(1, box.h // 80), border_radius=radius)
        ink = DARK if lit else WHITE
        inner = box.inset(max(4, box.w // 30), max(3, box.h // 24))
        content_h = min(inner.h, round(inner.w * 0.5), 40 * unit)  # one big card must not shout
        inner = Box(inner.x, inner.y + (inner.h - content_h) // 2, inner.w, content_h)
        name_row, number_row, badge_row, poly_row = inner.rows(0.2, 0.44, 0.19, 0.17)
        name = counter.name.upper() if counter else "LOKET"
        blit_in(
            surface,
            self.fonts.fit(name, "bold", name_row.h, name_row.w, DARK if lit else MUTED, fill),
            name_row,
        )
        if ticket is None:
            blit_in(
                surface,
                self.fonts.fit(texts.NO_CALL, "bold", number_row.h, number_row.w, MUTED, fill),
                number_row,
            )
            blit_in(
                surface,
                self.fonts.fit(texts.WAITING_FOR_CALL, "regular", badge_row.h, badge_row.w, MUTED, fill),
                badge_row,
            )
            return
        priority = ticket.category == "prioritas"
        number_color = ink if lit or not priority else PRIORITY
        blit_in(
            surface,
            self.fonts.fit(ticket.number, "bold", number_row.h, number_row.w, number_color, fill),
            number_row,
        )
        self._badge(surface, badge_row, priority)
        detail = ticket.poly_name
        if priority and ticket.priority_reason:
            detail = f"{texts.reason(ticket)} · {ticket.poly_name}"
        blit_in(surface, self.fonts.fit(detail, "regular", poly_row.h, poly_row.w, ink, fill), poly_row)

    def _badge(self, surface: pygame.Surface, row: Box, priority: bool) -> None:
        label = texts.PRIORITY_BADGE if priority else texts.GENERAL_BADGE
        color = PRIORITY if priority else GENERAL
        image = self.fonts.fit(label, "bold", int(row.h * 0.82), int(row.w * 0.8), DARK, color)
        pad_x = max(4, row.h // 2)
        pill = Box(
            row.x + (row.w - image.get_width()) // 2 - pad_x,
            row.y + row.h // 16,
            image.get_width() + 2 * pad_x,
            row.h - row.h // 8,
        )
        pygame.draw.rect(surface, color, rect(pill), border_radius=pill.h // 2)
        blit_in(surface, image, pill)

    def _list(
        self,
        surface: pygame.Surface,
        lay: Layout,
        priority: bool,
        content: tuple[tuple[TicketSummary, ...], int] | None,
    ) -> None:
        box = lay.priority if priority else lay.general
        accent = PRIORITY if priority else GENERAL
        self._clear(surface, box)
        radius = max(4, lay.unit * 2)
        pygame.draw.rect(surface, PANEL, rect(box), border_radius=radius)
        row_h = lay.list_row_h
        title_box, rest = Box(box.x, box.y, box.w, round(row_h * 1.2)), None
        pygame.draw.rect(
            surface, accent, rect(title_box), border_top_left_radius=radius, border_top_right_radius=radius
        )
        pad = 3 * lay.unit
        titles = (texts.TITLE_PRIORITY + " ♿", texts.TITLE_GENERAL)
        size = min(
            self.fonts.fit_size(t, "bold", int(title_box.h * 0.75), title_box.w - 2 * pad) for t in titles
        )
        title = titles[0] if priority else titles[1]
        blit_in(surface, self.fonts.text(title, "bold", size, DARK, accent), title_box.inset(pad, 0), "left")
        inner = Box(box.x + pad, title_box.bottom, box.w - 2 * pad, box.bottom - title_box.bottom)
        y = inner.y
        tickets, remaining = content if content else ((), 0)
        sub = Box(inner.x, y, inner.w, round(row_h * 0.8))
        blit_in(
            surface, self.fonts.fit(texts.NEXT, "regular", int(sub.h * 0.8), sub.w, MUTED, PANEL), sub, "left"
        )
        y = sub.bottom
        if content and not tickets:
            empty = Box(inner.x, y, inner.w, row_h)
            blit_in(
                surface,
                self.fonts.fit(texts.NONE_WAITING, "italic", int(row_h * 0.7), inner.w, MUTED, PANEL),
                empty,
            )
        number_size = self.fonts.fit_size("W-0000", "bold", int(row_h * 0.85), int(inner.w * 0.42))
        number_w = self.fonts.font("bold", number_size).size("W-0000 ")[0]
        for ticket in tickets[: lay.list_rows]:
            row = Box(inner.x, y, inner.w, row_h)
            number_box, text_box = row.columns(number_w / max(1, row.w), 1.0)
            blit_in(
                surface,
                self.fonts.fit(ticket.number, "bold", int(row_h * 0.85), number_box.w, accent, PANEL),
                number_box,
                "left",
            )
            detail = texts.reason(ticket) if priority else ticket.poly_name
            blit_in(
                surface,
                self.fonts.fit(detail, "regular", int(row_h * 0.72), text_box.w, WHITE, PANEL, shrink=1.0),
                text_box,
                "left",
            )
            y += row_h
        rest = Box(inner.x, box.bottom - round(row_h * 1.05), inner.w, row_h)
        pygame.draw.line(surface, PANEL_EDGE, (rest.x, rest.y), (rest.right, rest.y), max(1, lay.unit // 3))
        blit_in(
            surface,
            self.fonts.fit(
                texts.sisa(remaining) if content else "", "bold", int(row_h * 0.8), inner.w, WHITE, PANEL
            ),
            rest,
            "right",
        )

    def _call_line(self, surface: pygame.Surface, box: Box, line: str) -> None:
        if not line:  # no call since the start: no empty band
            surface.fill(BACKGROUND, rect(box))
            return
        surface.fill(CALL_LINE, rect(box))
        image = self.fonts.fit(line, "bold", int(box.h * 0.7), int(box.w * 0.94), WHITE, CALL_LINE)
        blit_in(surface, image, box)

    def _ticker_offset(self, text: str, lay: Layout, t: float) -> int:
        if not text:
            return 0
        speed = self.ticker_speed * lay.size[0]
        period = self._ticker_image(text, lay.ticker).get_width() + lay.ticker.w // 3
        return int((t * speed) % period)

    def _ticker_image(self, text: str, box: Box) -> pygame.Surface:
        return self.fonts.text(text, "bold", max(8, int(box.h * 0.55)), DARK, TICKER)

    def _ticker(self, surface: pygame.Surface, box: Box, text: str, offset: int) -> None:
        surface.fill(TICKER, rect(box))
        if not text:
            return
        image = self._ticker_image(text, box)
        period = image.get_width() + box.w // 3
        x = box.x + box.h // 2 - offset  # at t=0 the text starts at the left edge, then moves left
        y = box.y + (box.h - image.get_height()) // 2
        while x > box.x:
            x -= period
        while x < box.right:
            surface.blit(image, (x, y))
            x += period

    def _footer(self, surface: pygame.Surface, box: Box, totals: object) -> None:
        surface.fill(FOOTER, rect(box))
        if totals is None:
            return
        issued, registered, waiting = (getattr(totals, k) for k in ("issued", "registered", "waiting"))
        items = texts.totals_line(issued, registered, waiting)
        cells = box.inset(box.w // 60, 0).columns(1 / 3, 1 / 3, 1 / 3)
        size = min(
            self.fonts.fit_size(item, "bold", int(box.h * 0.7), int(cell.w * 0.84))
            for item, cell in zip(items, cells, strict=True)
        )
        for index, (item, cell) in enumerate(zip(items, cells, strict=True)):
            blit_in(surface, self.fonts.text(item, "bold", size, WHITE, FOOTER), cell)
            if index:
                top, bottom = box.y + box.h // 4, box.bottom - box.h // 4
                pygame.draw.line(surface, MUTED, (cell.x, top), (cell.x, bottom), max(1, box.h // 30))


_UNSET = object()
