"""The printable visit card (Kartu Kunjungan): an ID-1 sized PDF with the RM number as a Code 39 barcode.

Names are written with DejaVu Sans when the system has it (Debian ``fonts-dejavu-core``), so Indonesian
names with accents print as they are; characters the font lacks become ``?``. Without it the card falls back
to the PDF core font (Latin-1)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

CARD_W, CARD_H = 85.6, 54.0
_CODE39_UNITS = 16  # narrow-bar widths per character, gap included
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
VALUE_W = CARD_W - 25  # mm for a row's value, after its label
MIN_PT = 5.5  # the smallest type on the card


@dataclass(frozen=True)
class CardFont:
    family: str
    regular: Path | None = None
    bold: Path | None = None

    @functools.cached_property
    def codepoints(self) -> frozenset[int]:
        if self.regular is None:
            return frozenset(range(256))
        with TTFont(self.regular, lazy=True) as font:
            return frozenset(font.getBestCmap())

    def clean(self, text: str) -> str:
        return "".join(c if ord(c) in self.codepoints else "?" for c in text)


@functools.cache
def card_font() -> CardFont:
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        return CardFont("DejaVu", regular, bold)
    return CardFont("Helvetica")


def fitted(pdf: FPDF, family: str, style: str, text: str, width: float, size: float) -> tuple[str, float]:
    """``text`` at the largest size from ``size`` down to ``MIN_PT`` that fits ``width`` mm; still too long
    at the smallest, it is cut with an ellipsis (a long name stays whole wherever it can)."""
    while True:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(text) <= width or size <= MIN_PT:
            break
        size = max(MIN_PT, size - 0.5)
    mark = "..." if family == "Helvetica" else "…"  # the core font is Latin-1 only
    while pdf.get_string_width(text) > width and len(text) > len(mark):
        text = text[: -len(mark) - 1].rstrip() + mark
    return text, size


def visit_card_pdf(
    *,
    site_name: str,
    medical_record: str,
    name: str,
    birth_date: date | None,
    gender: str | None,
    address: str,
) -> bytes:
    font = card_font()
    pdf = FPDF(orientation="L", unit="mm", format=(CARD_H, CARD_W))
    if font.regular is not None and font.bold is not None:
        pdf.add_font(font.family, "", str(font.regular))
        pdf.add_font(font.family, "B", str(font.bold))
    pdf.set_auto_page_break(False)
    pdf.set_margins(4, 4, 4)
    pdf.add_page()
    pdf.set_fill_color(14, 116, 144)
    pdf.rect(0, 0, CARD_W, 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(font.family, "B", 9)
    pdf.set_xy(4, 2)
    pdf.cell(CARD_W - 8, 4, font.clean(site_name.upper()[:40]))
    pdf.set_font(font.family, "", 7)
    pdf.set_xy(4, 6)
    pdf.cell(CARD_W - 8, 4, "KARTU KUNJUNGAN PASIEN")
    pdf.set_text_color(0, 0, 0)
    rows = [
        ("No. RM", medical_record),
        ("Nama", name),
        ("Tgl. Lahir", f"{birth_date:%d-%m-%Y}" if birth_date else "-"),
        ("Jenis Kel.", {"L": "Laki-laki", "P": "Perempuan"}.get(gender or "", "-")),
        ("Alamat", address),
    ]
    y = 13.0
    for label, value in rows:
        pdf.set_xy(4, y)
        pdf.set_font(font.family, "", 7)
        pdf.cell(17, 4, label)
        style = "B" if label in ("No. RM", "Nama") else ""
        text, size = fitted(
            pdf, font.family, style, font.clean(f": {value}"), VALUE_W, 8 if label == "No. RM" else 7
        )
        pdf.set_font(font.family, style, size)
        pdf.cell(VALUE_W, 4, text)
        y += 4.2
    code = f"*{medical_record.upper()}*"
    narrow = min(0.33, (CARD_W - 10) / (len(code) * _CODE39_UNITS))
    width = narrow * len(code) * _CODE39_UNITS
    pdf.set_fill_color(0, 0, 0)  # scanners want black bars on white
    # fpdf2 takes the wide bar's width (3 narrow ones)
    pdf.code39(code, x=(CARD_W - width) / 2, y=35.5, w=3 * narrow, h=11)
    pdf.set_font(font.family, "", 7)
    pdf.set_xy(4, 47.5)
    pdf.cell(CARD_W - 8, 3, font.clean(medical_record), align="C")
    pdf.set_xy(4, 50.5)
    pdf.set_font(font.family, "", 5.5)
    pdf.cell(CARD_W - 8, 2.5, "Bawa kartu ini setiap berobat.", align="C")
    return bytes(pdf.output())
