"""The visit card PDF: its Code 39 barcode, read back from the drawing, says the RM number."""

from __future__ import annotations

import re
import zlib
from datetime import date

from fpdf import FPDF

from hub.web.cards import MIN_PT, card_font, fitted, visit_card_pdf

# Code 39: per character 9 elements (bar, space, bar, ... bar), n = narrow, w = wide
CODE39 = {
    "nnnwwnwnn": "0", "wnnwnnnnw": "1", "nnwwnnnnw": "2", "wnwwnnnnn": "3", "nnnwwnnnw": "4",
    "wnnwwnnnn": "5", "nnwwwnnnn": "6", "nnnwnnwnw": "7", "wnnwnnwnn": "8", "nnwwnnwnn": "9",
    "wnnnnnwwn": "R", "wnwnnnnwn": "M", "nwnnnnwnw": "-", "nwnnwnwnn": "*",
}  # fmt: skip


def bars(pdf: bytes) -> list[tuple[float, float]]:
    """(x, width) of every filled rectangle under the header band, left to right."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        for x, _y, w, _h in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.-]+) re f", text):
            if float(x) > 0:  # the header band starts at x = 0
                found.append((float(x), float(w)))
    return sorted(found)


def decode(rects: list[tuple[float, float]]) -> str:
    narrow = min(w for _x, w in rects)
    elements = []
    for (x, w), (next_x, _w) in zip(
        rects, [*rects[1:], (rects[-1][0] + rects[-1][1] + narrow, 0.0)], strict=True
    ):
        elements.append("w" if w > 1.5 * narrow else "n")
        elements.append("w" if next_x - (x + w) > 1.5 * narrow else "n")
    text = ""
    for start in range(0, len(elements), 10):  # 9 elements, then the narrow gap between characters
        text += CODE39.get("".join(elements[start : start + 9]), "?")
    return text


def test_barcode_reads_back_as_the_rm_number() -> None:
    pdf = visit_card_pdf(
        site_name="Puskesmas Gladak Pakem",
        medical_record="RM-2026-00371",
        name="Sari Wulandari",
        birth_date=date(1995, 3, 15),
        gender="P",
        address="Jl. Mastrip",
    )
    assert pdf.startswith(b"%PDF-")
    rects = bars(pdf)
    assert len(rects) == 15 * 5  # *RM-2026-00371*: 15 characters of 5 bars
    assert decode(rects) == "*RM-2026-00371*"
    assert rects[-1][0] + rects[-1][1] - rects[0][0] <= 85.6 * 72 / 25.4  # fits on the ID-1 card
    narrow_mm = min(w for _x, w in rects) * 25.4 / 72
    assert narrow_mm >= 0.19  # Code 39's smallest printable, scannable bar
    left, right = rects[0][0], 85.6 * 72 / 25.4 - (rects[-1][0] + rects[-1][1])
    assert abs(left - right) < 1 and left >= 10 * narrow_mm * 72 / 25.4  # centred, with quiet zones


def test_long_values_shrink_to_fit_and_are_cut_only_at_the_smallest_size() -> None:
    pdf = FPDF(unit="mm")
    pdf.add_page()
    family = card_font().family
    if family == "DejaVu":
        pdf.add_font(family, "B", str(card_font().bold))
    name = "Ni Luh Putu Ayu Dewi Kusumawardhani"
    text, size = fitted(pdf, family, "B", name, 50, 7)
    assert text == name and MIN_PT <= size < 7  # whole, smaller
    pdf.set_font(family, "B", size)
    assert pdf.get_string_width(text) <= 50
    text, size = fitted(pdf, family, "B", name * 3, 50, 7)
    assert size == MIN_PT and text.endswith(("…", "...")) and text.startswith("Ni Luh Putu")
    pdf.set_font(family, "B", size)
    assert pdf.get_string_width(text) <= 50
    assert fitted(pdf, family, "B", "Sari", 50, 7) == ("Sari", 7)
    pdf.output()  # fpdf2 closes the font files it opened when it writes the document


def test_names_beyond_latin1_do_not_break_the_card() -> None:
    pdf = visit_card_pdf(
        site_name="Puskesmas Gladak Pakem",
        medical_record="RM-2026-00001",
        name="NI WAYAN SÉKAR ÇAHYANI ‘AYU’ TAN 𠮷 陈美玲",
        birth_date=None,
        gender=None,
        address="",
    )
    assert pdf.startswith(b"%PDF-") and decode(bars(pdf)) == "*RM-2026-00001*"
