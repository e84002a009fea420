"""Where everything goes on screen: a pure function from the flow's state and the screen size to a
:class:`Scene` (buttons, labels, a QR code). The same scene is drawn and hit-tested, so a touch always lands
on what is shown. Sizes are fractions of the screen, so 800×480 landscape and 1080×1920 portrait both work.

>>> from firmware.kiosk_node.config import TimingConfig
>>> from firmware.kiosk_node.flow import Flow
>>> scene = build_scene(Flow("kiosk-1", TimingConfig(), lambda: "x"), (800, 480))
>>> [label.text for label in scene.labels][:2]
['Puskesmas', 'Layanan antrean belum tersedia']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from firmware.kiosk_node.flow import BOOKING_KEYS, BOOKING_MIN, STEPS, Flow, Screen
from firmware.kiosk_node.ticket import ticket_lines
from protocol.payloads import PAYMENT_LABELS, PRIORITY_REASON_LABELS, ServicePoly

Style = Literal["priority", "general", "primary", "neutral", "back", "key", "online"]
Color = Literal["text", "muted", "header", "accent", "danger", "ok", "priority"]

PRIORITY_MARK = "\u267f"  # ♿, the marker the spec puts on priority tickets

REASON_DETAILS = {
    "lansia": "Usia 60 tahun ke atas",
    "bumil": "Sedang hamil",
    "disabilitas": "Penyandang disabilitas",
    "balita": "Anak di bawah 5 tahun",
}
REASON_SHORT = {
    "lansia": "Lansia ≥ 60 th",
    "bumil": "Ibu Hamil",
    "disabilitas": "Disabilitas",
    "balita": "Balita",
}
PAYMENT_DETAILS = {"bpjs": "Peserta JKN / KIS", "umum": "Bayar sendiri"}
PRINT_MESSAGES: dict[str, str] = {
    "ok": "Silakan ambil tiket Anda di bawah layar.",
    "paper_low": "Silakan ambil tiket Anda di bawah layar.",
    "paper_out": "Tiket tidak tercetak: kertas habis.",
    "cover_open": "Tiket tidak tercetak: tutup printer terbuka.",
    "offline": "Tiket tidak tercetak: printer tidak terhubung.",
    "error": "Tiket tidak tercetak: printer bermasalah.",
}
PRINT_FAILED_HINT = "Foto nomor ini atau pindai kode QR, lalu tunggu panggilan."


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h

    def inset(self, d: int) -> Box:
        return Box(self.x + d, self.y + d, max(1, self.w - 2 * d), max(1, self.h - 2 * d))

    def rows(self, *weights: float, gap: int = 0) -> list[Box]:
        """Split top to bottom by ``weights`` with ``gap`` pixels between parts."""
        return [b.transpose() for b in self.transpose().cols(*weights, gap=gap)]

    def cols(self, *weights: float, gap: int = 0) -> list[Box]:
        """Split left to right by ``weights`` with ``gap`` pixels between parts."""
        usable = self.w - gap * (len(weights) - 1)
        total = sum(weights)
        boxes, x = [], self.x
        for i, weight in enumerate(weights):
            w = self.x + self.w - x if i == len(weights) - 1 else round(usable * weight / total)
            boxes.append(Box(x, self.y, w, self.h))
            x += w + gap
        return boxes

    def transpose(self) -> Box:
        return Box(self.y, self.x, self.h, self.w)

    def grid(self, count: int, cols: int, gap: int) -> list[Box]:
        """``count`` equal cells, row by row, ``cols`` per row."""
        rows = max(1, -(-count // cols))
        cells = []
        for row in self.rows(*([1] * rows), gap=gap):
            cells += row.cols(*([1] * cols), gap=gap)
        return cells[:count]


@dataclass(frozen=True)
class Button:
    id: str
    box: Box
    label: str
    details: tuple[str, ...] = ()
    style: Style = "neutral"
    enabled: bool = True


@dataclass(frozen=True)
class Label:
    text: str
    box: Box
    size: int  # largest font size in pixels; the drawer shrinks it to fit
    color: Color = "text"
    bold: bool = False
    align: Literal["left", "center", "right"] = "center"
    group: str | None = None  # labels of one group are drawn at one size (the smallest that fits all)


@dataclass(frozen=True)
class Qr:
    data: str
    box: Box


@dataclass(frozen=True)
class Scene:
    size: tuple[int, int]
    header: Box
    labels: list[Label] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    qr: Qr | None = None

    def hit(self, x: float, y: float) -> Button | None:
        """The enabled button under a touch, if any."""
        for button in self.buttons:
            if button.enabled and button.box.contains(x, y):
                return button
        return None

    def button(self, button_id: str) -> Button:
        return next(b for b in self.buttons if b.id == button_id)


@dataclass(frozen=True)
class Frame:
    """The regions every screen shares, computed once per screen size."""

    portrait: bool
    unit: int  # a base length: 1/100 of the short side
    header: Box
    title: Box
    body: Box
    footer: Box


def frame(size: tuple[int, int]) -> Frame:
    w, h = size
    portrait = h > w
    unit = max(1, min(w, h) // 100)
    margin = 3 * unit
    header_h = round(h * (0.11 if portrait else 0.18))
    title_h = round(h * (0.07 if portrait else 0.1))
    footer_h = round(h * (0.08 if portrait else 0.16))
    header = Box(0, 0, w, header_h)
    title = Box(margin, header_h + margin, w - 2 * margin, title_h)
    footer = Box(margin, h - footer_h - margin, w - 2 * margin, footer_h)
    body_top = title.y + title.h + margin
    body = Box(margin, body_top, w - 2 * margin, footer.y - margin - body_top)
    return Frame(portrait, unit, header, title, body, footer)


def _header(flow: Flow, f: Frame) -> list[Label]:
    site = flow.services.site_name if flow.services else "Puskesmas"
    motto = flow.services.motto if flow.services else ""
    top, bottom = f.header.inset(f.unit * 2).rows(3, 2)
    labels = [Label(site, top, size=top.h, color="header", bold=True)]
    if motto:
        labels.append(Label(f"\u201c{motto}\u201d", bottom, size=bottom.h * 8 // 10, color="header"))
    return labels


def _back(f: Frame, label: str = "\u2190 KEMBALI") -> Button:
    width = round(f.footer.w * (0.45 if f.portrait else 0.3))
    return Button("back", Box(f.footer.x, f.footer.y, width, f.footer.h), label, style="back")


def _title(f: Frame, text: str) -> Label:
    return Label(text, f.title, size=f.title.h * 7 // 10, bold=True)


Choice = tuple[str, str, tuple[str, ...], Style, bool]  # button id, label, detail lines, style, enabled


def _choices(f: Frame, buttons: list[Choice]) -> list[Button]:
    gap = 3 * f.unit
    cols = 1 if f.portrait and len(buttons) <= 5 else (2 if len(buttons) <= 4 or f.portrait else 3)
    area = f.body
    if f.portrait:  # keep buttons a comfortable height instead of stretching them down the screen
        rows = -(-len(buttons) // cols)
        height = min(round(f.body.h * 0.26), (area.h - (rows - 1) * gap) // rows)
        area = Box(area.x, area.y, area.w, rows * height + (rows - 1) * gap)
    boxes = area.grid(len(buttons), cols, gap)
    return [
        Button(bid, box, label, details, style, enabled)
        for box, (bid, label, details, style, enabled) in zip(boxes, buttons, strict=True)
    ]


def _poly_state(poly: ServicePoly) -> tuple[str, bool]:
    if not poly.open:
        return "Tutup", False
    if poly.remaining <= 0:
        return "Kuota habis", False
    return f"Sisa: {poly.remaining}", True


def _start(flow: Flow, f: Frame, help_text: str) -> Scene:
    gap = 3 * f.unit
    if f.portrait:
        main, online, help_box = f.body.rows(6, 1.4, 0.6, gap=gap)
        pri, gen = main.rows(1, 1, gap=gap)
    else:
        main, online = f.body.rows(3.2, 1, gap=gap)
        pri, gen = main.cols(1, 1, gap=gap)
        help_box = f.footer
    reasons = [REASON_SHORT[r] for r in flow.reasons()]
    details = (", ".join(reasons[:2]), ", ".join(reasons[2:])) if len(reasons) > 2 else tuple(reasons)
    buttons = [
        Button("prioritas", pri, f"{PRIORITY_MARK} PRIORITAS", details, "priority"),
        Button("umum", gen, "UMUM", ("Pasien biasa",), "general"),
        Button("booking", online, "Sudah daftar online? Masukkan kode booking", style="online"),
    ]
    labels = [
        _title(f, "Selamat datang! Pilih kategori"),
        Label(help_text, help_box, size=help_box.h * 4 // 10, color="muted"),
    ]
    return Scene((0, 0), f.header, labels, buttons)


def _reason(flow: Flow, f: Frame) -> Scene:
    choices: list[Choice] = [
        (f"reason:{r}", PRIORITY_REASON_LABELS[r].upper(), (REASON_DETAILS[r],), "priority", True)
        for r in flow.reasons()
    ]
    return Scene((0, 0), f.header, [_title(f, "Pilih alasan prioritas")], [*_choices(f, choices), _back(f)])


def _payment(flow: Flow, f: Frame) -> Scene:
    choices: list[Choice] = [
        (f"pay:{p}", PAYMENT_LABELS[p].upper(), (PAYMENT_DETAILS[p],), "general", True)
        for p in flow.payments()
    ]
    return Scene((0, 0), f.header, [_title(f, "Pilih jenis pembayaran")], [*_choices(f, choices), _back(f)])


def _poly(flow: Flow, f: Frame) -> Scene:
    choices: list[Choice] = []
    for poly in flow.polys():
        state, enabled = _poly_state(poly)
        choices.append((f"poly:{poly.code}", poly.name, (state,), "general", enabled))
    return Scene((0, 0), f.header, [_title(f, "Pilih poli tujuan")], [*_choices(f, choices), _back(f)])


def _summary(flow: Flow) -> list[tuple[str, str]]:
    c = flow.choice
    category = "Umum"
    if c.category == "prioritas":
        category = f"Prioritas \u2013 {PRIORITY_REASON_LABELS.get(c.reason or '', '')}"
    return [
        ("Kategori", category),
        ("Pembayaran", PAYMENT_LABELS.get(c.payment or "", "")),
        ("Poli", c.poly.name if c.poly else ""),
    ]


def _rows(rows: list[tuple[str, str]], box: Box, unit: int, *, stacked: bool = False) -> list[Label]:
    """Label/value rows: side by side, or (``stacked``) the value in large type under its label."""
    labels = []
    for row_box, (key, value) in zip(box.rows(*([1] * len(rows)), gap=unit), rows, strict=True):
        if stacked:
            top, bottom = row_box.rows(1, 1.8)
            labels.append(Label(key, top, top.h * 6 // 10, "muted", align="left", group="keys"))
            labels.append(
                Label(value, bottom, bottom.h * 8 // 10, "text", bold=True, align="left", group="values")
            )
            continue
        left, right = row_box.cols(2, 3, gap=2 * unit)
        text_size = row_box.h * 7 // 10
        labels.append(Label(f"{key}:", left, text_size, "muted", align="left", group="rows"))
        labels.append(Label(value, right, text_size, "text", bold=True, align="left", group="rows"))
    return labels


def _confirm(flow: Flow, f: Frame) -> Scene:
    gap = 3 * f.unit
    info, take = f.body.rows(1.6, 1, gap=gap) if not f.portrait else f.body.rows(2, 1, gap=gap)
    if f.portrait:
        take = Box(take.x, take.y, take.w, min(take.h, round(f.body.h * 0.22)))
    labels = [
        _title(f, "Periksa pilihan Anda"),
        *_rows(_summary(flow), info, f.unit, stacked=f.portrait),
    ]
    take_button = Button("take", take, "AMBIL NOMOR ANTREAN", style="primary")
    return Scene((0, 0), f.header, labels, [take_button, _back(f)])


def _booking(flow: Flow, f: Frame) -> Scene:
    gap = 2 * f.unit
    shown = flow.booking_code or "_"
    back = _back(f)
    if f.portrait:
        entry, pad = f.body.rows(1, 6, gap=gap)
    else:  # the code sits beside the back button, so the keys get the whole body
        entry = Box(back.box.x + back.box.w + gap, f.footer.y, f.footer.w - back.box.w - gap, f.footer.h)
        pad = f.body
    cols = 6 if f.portrait else 10
    keys = list(BOOKING_KEYS)
    rows = -(-(len(keys) + 4) // cols)
    row_boxes = pad.rows(*([1] * rows), gap=gap)
    cells = [c for row in row_boxes for c in row.cols(*([1] * cols), gap=gap)]
    buttons = [Button(f"key:{k}", cell, k, style="key") for k, cell in zip(keys, cells, strict=False)]
    rest = row_boxes[-1]
    used = len(keys) - (rows - 1) * cols
    free = Box(
        rest.x + used * (cells[0].w + gap) if used > 0 else rest.x,
        rest.y,
        rest.w - (used * (cells[0].w + gap) if used > 0 else 0),
        rest.h,
    )
    delete, send = free.cols(1, 1, gap=gap)
    buttons += [
        Button("delete", delete, "HAPUS", style="neutral"),
        Button("send", send, "KIRIM", style="primary", enabled=len(flow.booking_code) >= BOOKING_MIN),
        back,
    ]
    labels = [
        _title(f, "Masukkan kode booking Anda"),
        Label(shown, entry, size=entry.h * 8 // 10, bold=True),
    ]
    return Scene((0, 0), f.header, labels, buttons)


def _message(f: Frame, title: str, lines: list[str], color: Color, button: str | None) -> Scene:
    body = f.body
    boxes = body.rows(*([1.3] + [1] * len(lines)), gap=f.unit * 2)
    labels = [Label(title, boxes[0], size=boxes[0].h * 6 // 10, color=color, bold=True)]
    labels += [
        Label(line, box, size=box.h * 5 // 10, group="lines")
        for line, box in zip(lines, boxes[1:], strict=True)
    ]
    buttons = [_back(f, button)] if button else []
    return Scene((0, 0), f.header, labels, buttons)


def _result(flow: Flow, f: Frame) -> Scene:
    outcome = flow.outcome
    assert outcome is not None
    ticket = outcome.ticket
    gap = 2 * f.unit
    failed = outcome.printing is not None and not outcome.printed
    status_color: Color
    if outcome.printing is None:
        status, status_color = "Mencetak tiket\u2026", "accent"
    elif outcome.printed:
        status, status_color = PRINT_MESSAGES[outcome.printing], "ok"
    else:
        status, status_color = f"{PRINT_MESSAGES[outcome.printing]} {PRINT_FAILED_HINT}", "danger"
    rows = ticket_lines(ticket, flow.timezone)
    marker = None
    if ticket.category == "prioritas":
        marker = (
            f"{PRIORITY_MARK} PRIORITAS \u2013 {PRIORITY_REASON_LABELS.get(ticket.priority_reason or '', '')}"
        )
    if f.portrait:
        parts = f.body.rows(0.5, 2.2, 0.6, 3, 2.6 if failed else 0.01, 1, gap=gap)
        heading, number, mark, info, qr_box, status_box = parts
    else:
        main, status_box = f.body.rows(3.8 if failed else 4.2, 1.2 if failed else 1, gap=gap)
        left, info = main.cols(1, 1.15, gap=4 * f.unit)
        if failed:
            left, qr_box = left.cols(1.5, 1, gap=gap)
            qr_box = Box(qr_box.x, qr_box.y + (qr_box.h - qr_box.w) // 2, qr_box.w, min(qr_box.w, qr_box.h))
        else:
            qr_box = Box(0, 0, 0, 0)
        heading, number, mark = left.rows(0.8, 2.6, 0.8, gap=gap)
    labels = [
        Label("NOMOR ANTREAN ANDA", heading, size=heading.h * 7 // 10, color="muted", bold=True),
        Label(ticket.number, number, size=number.h, color="priority" if marker else "text", bold=True),
        _title(f, "Silakan tunggu, perhatikan layar antrean"),
        *_rows(rows, info, f.unit),
        Label(
            status, status_box, size=status_box.h * (4 if failed else 5) // 10, color=status_color, bold=True
        ),
    ]
    if marker:
        labels.append(Label(marker, mark, size=mark.h * 7 // 10, color="priority", bold=True))
    qr = None
    if failed:
        side = min(qr_box.w, qr_box.h)
        qr = Qr(ticket.status_url, Box(qr_box.x + (qr_box.w - side) // 2, qr_box.y, side, side))
    back = _back(f).box
    done = Button(
        "done", Box(f.footer.x + f.footer.w - back.w, back.y, back.w, back.h), "SELESAI", style="primary"
    )
    return Scene((0, 0), f.header, labels, [done], qr)


def build_scene(flow: Flow, size: tuple[int, int], help_text: str = "") -> Scene:
    """Everything to draw for the flow's current screen at ``size`` (width, height)."""
    f = frame(size)
    screen = flow.screen
    if screen == Screen.START:
        scene = _start(flow, f, help_text)
    elif screen == Screen.REASON:
        scene = _reason(flow, f)
    elif screen == Screen.PAYMENT:
        scene = _payment(flow, f)
    elif screen == Screen.POLY:
        scene = _poly(flow, f)
    elif screen == Screen.CONFIRM:
        scene = _confirm(flow, f)
    elif screen == Screen.BOOKING:
        scene = _booking(flow, f)
    elif screen == Screen.WAITING:
        scene = _message(f, "Mohon tunggu\u2026", ["Nomor antrean Anda sedang dibuat."], "accent", None)
    elif screen == Screen.RESULT:
        scene = _result(flow, f)
    elif screen == Screen.FAILURE:
        scene = _message(
            f,
            "Layanan sedang gangguan",
            ["Silakan ke loket pendaftaran.", "Tidak ada tiket yang tercetak."],
            "danger",
            "\u2190 KEMBALI",
        )
    elif screen == Screen.REFUSED:
        message = flow.error.message if flow.error else ""
        scene = _message(
            f,
            "Nomor tidak dapat diambil",
            [message, "Silakan tanyakan petugas di loket."],
            "danger",
            "\u2190 KEMBALI",
        )
    elif screen == Screen.CLOSED:
        services = flow.services
        hours = f"Jam pendaftaran: {services.opens_at} \u2013 {services.closes_at}" if services else ""
        scene = _message(
            f, "Pendaftaran sedang tutup", [hours, "Untuk keadaan darurat, hubungi petugas."], "danger", None
        )
    else:
        scene = _message(
            f,
            "Layanan antrean belum tersedia",
            ["Mesin antrean sedang menghubungkan ke server.", "Silakan ke loket pendaftaran."],
            "danger",
            None,
        )
    assert (screen not in STEPS) or any(b.id == "back" for b in scene.buttons)
    return Scene(size, scene.header, _header(flow, f) + scene.labels, scene.buttons, scene.qr)
