"""The printable visit card (Kartu Kunjungan): an ID-1 sized PDF with the RM number as a Code 39 barcode."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF

CARD_W, CARD_H = 85.6, 54.0
_CODE39_UNITS = 16  # narrow-bar widths per character, gap included


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def visit_card_pdf(
    *,
    site_name: str,
    medical_record: str,
    name: str,
    birth_date: date | None,
    gender: str | None,
    address: str,
) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format=(CARD_H, CARD_W))
    pdf.set_auto_page_break(False)
    pdf.set_margins(4, 4, 4)
    pdf.add_page()
    pdf.set_fill_color(14, 116, 144)
    pdf.rect(0, 0, CARD_W, 11, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_xy(4, 2)
    pdf.cell(CARD_W - 8, 4, _latin(site_name.upper()))
    pdf.set_font("Helvetica", "", 7)
    pdf.set_xy(4, 6)
    pdf.cell(CARD_W - 8, 4, "KARTU KUNJUNGAN PASIEN")
    pdf.set_text_color(0, 0, 0)
    rows = [
        ("No. RM", medical_record),
        ("Nama", name),
        ("Tgl. Lahir", f"{birth_date:%d-%m-%Y}" if birth_date else "-"),
        ("Jenis Kel.", {"L": "Laki-laki", "P": "Perempuan"}.get(gender or "", "-")),
        ("Alamat", address[:48]),
    ]
    y = 13.0
    for label, value in rows:
        pdf.set_xy(4, y)
        pdf.set_font("Helvetica", "", 7)
        pdf.cell(17, 4, label)
        pdf.set_font("Helvetica", "B" if label in ("No. RM", "Nama") else "", 8 if label == "No. RM" else 7)
        pdf.cell(CARD_W - 25, 4, _latin(f": {value}"))
        y += 4.2
    code = f"*{medical_record.upper()}*"
    narrow = min(0.33, (CARD_W - 10) / (len(code) * _CODE39_UNITS))
    width = narrow * len(code) * _CODE39_UNITS
    pdf.code39(code, x=(CARD_W - width) / 2, y=35.5, w=narrow, h=11)
    pdf.set_font("Helvetica", "", 7)
    pdf.set_xy(4, 47.5)
    pdf.cell(CARD_W - 8, 3, _latin(medical_record), align="C")
    pdf.set_xy(4, 50.5)
    pdf.set_font("Helvetica", "I", 5.5)
    pdf.cell(CARD_W - 8, 2.5, "Bawa kartu ini setiap berobat.", align="C")
    return bytes(pdf.output())
