"""A report as a file: XLSX (openpyxl; numbers as numbers, dates as dates, one sheet per table and one for
the charts), PDF (fpdf2; the tables and the charts) and CSV (every table one after another).

>>> from datetime import datetime
>>> from hub.reports.model import Column, Report, Section, Table
>>> from hub.reports.period import Period
>>> table = Table("Per poli", [Column("Poli"), Column("Tiket", "int")], [["Poli Umum", 3]])
>>> report = Report("ringkasan", "Laporan Harian", Period.parse("2026-12-02", ""), "Puskesmas Uji",
...     datetime(2026, 12, 2, 15, 0), [Section("S", [table])])
>>> print(to_csv(report).decode("utf-8-sig").splitlines()[4:7])
['Per poli', 'Poli,Tiket', 'Poli Umum,3']
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from fpdf import FPDF, FontFace
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from hub.reports.charts import render
from hub.reports.formatting import show
from hub.reports.model import Cell, Kind, Report, Table
from hub.web.cards import card_font

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}
NUMBER_FORMATS: dict[Kind, str] = {"int": "0", "min": "0.0", "pct": "0%", "date": "DD-MM-YYYY"}


def _heading(report: Report) -> list[str]:
    return [
        report.site_name,
        f"{report.title} — {report.period.label}",
        f"Dibuat {report.generated_at:%d-%m-%Y %H:%M}",
    ]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Cell, kind: Kind) -> Cell:
    """The value the CSV writes: minutes rounded to a tenth (the workbook keeps them whole and shows a
    tenth); text a spreadsheet would run as a formula (a poly named ``=HYPERLINK(...)``) starts with
    an apostrophe."""
    if kind == "min" and isinstance(value, float):
        return round(value, 1)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


# -- CSV ---------------------------------------------------------------------------------------------


def to_csv(report: Report) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read it as UTF-8); comma-separated, a dot
    for decimals, dates as ``YYYY-MM-DD``; each table starts with its title and ends with an empty line."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for line in _heading(report):
        writer.writerow([line])
    writer.writerow([])
    for table in report.tables():
        writer.writerow([table.title])
        writer.writerow([column.header for column in table.columns])
        for row in table.rows:
            cells = [_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)]
            writer.writerow(["" if c is None else c.isoformat() if isinstance(c, date) else c for c in cells])
        writer.writerow([])
    return text.getvalue().encode("utf-8-sig")


# -- XLSX --------------------------------------------------------------------------------------------

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", title)[:28].strip()
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base[:25]} ({n})", n + 1
    taken.add(name.lower())
    return name


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for table in report.tables():
        sheet = book.create_sheet(_sheet_name(table.sheet or table.title, taken))
        for index, line in enumerate(_heading(report), start=1):
            sheet.cell(index, 1, line).font = Font(bold=index == 1, size=13 if index == 1 else 11)
        sheet.cell(5, 1, table.title).font = Font(bold=True, size=12)
        header_row = 6
        for col, column in enumerate(table.columns, start=1):
            cell = sheet.cell(header_row, col, column.header)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            width = max(
                [len(column.header) * 0.8, 10] + [len(show(r[col - 1], column.kind)) + 2 for r in table.rows]
            )
            sheet.column_dimensions[get_column_letter(col)].width = min(48, width)
        for offset, row in enumerate(table.rows, start=1):
            last = table.has_total and offset == len(table.rows)
            for col, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                cell = sheet.cell(header_row + offset, col, value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, also when it starts with "=" (no formula)
                if column.kind in NUMBER_FORMATS and value is not None:
                    cell.number_format = NUMBER_FORMATS[column.kind]
                if last:
                    cell.font = bold
        if table.note:
            sheet.cell(header_row + len(table.rows) + 2, 1, table.note).font = Font(italic=True)
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    charts = [chart for chart in report.charts() if not chart.empty]
    if charts:
        sheet = book.create_sheet(_sheet_name("Grafik", taken))
        sheet.cell(1, 1, report.site_name).font = bold
        for index, chart in enumerate(charts):
            image = Image(io.BytesIO(render(chart, "png")))
            image.width, image.height = 900, 384
            sheet.add_image(image, f"A{3 + 21 * index}")
    if not book.sheetnames:
        book.create_sheet("Laporan")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- PDF ---------------------------------------------------------------------------------------------


class _Pdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        font = card_font()
        if font.regular is not None and font.bold is not None:
            self.add_font(font.family, "", str(font.regular))
            self.add_font(font.family, "B", str(font.bold))
            self.add_font(font.family, "I", str(font.regular))
        self.family = font.family
        self.clean = font.clean
        self.set_auto_page_break(True, margin=14)
        self.set_margins(12, 12, 12)
        self.set_title(f"{report.title} {report.period.label}")
        self.set_creator("Antrean")

    def header(self) -> None:
        site, title, made = _heading(self.report)
        self.set_font(self.family, "B", 13)
        self.cell(0, 6, self.clean(site), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)
        self.cell(0, 5, self.clean(title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 8)
        self.cell(0, 4, made, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, f"Halaman {self.page_no()}/{{nb}}", align="R")

    def table_of(self, table: Table) -> None:
        if self.get_y() + 30 > self.h - 14:  # a title with less than a few rows below it: start a page
            self.add_page()
        self.set_font(self.family, "B", 10)
        self.multi_cell(0, 5, self.clean(table.title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 7.5)
        widths = [3.0 if index == 0 else 1.6 for index in range(len(table.columns))]
        align = ["LEFT" if c.kind == "text" else "RIGHT" for c in table.columns]
        with self.table(
            col_widths=widths,
            text_align=align,
            headings_style=FontFace(emphasis="BOLD", fill_color=(224, 242, 254)),
            line_height=4.2,
            width=min(self.epw, 40 + 26 * len(table.columns)),
            align="LEFT",
        ) as body:
            heading = body.row()
            for column in table.columns:
                heading.cell(self.clean(column.header))
            for index, values in enumerate(table.rows, start=1):
                last = table.has_total and index == len(table.rows)
                row = body.row(style=FontFace(emphasis="BOLD") if last else None)
                for value, column in zip(values, table.columns, strict=True):
                    row.cell(self.clean(show(value, column.kind)))
        if table.note:
            self.set_font(self.family, "I", 7)
            self.multi_cell(0, 3.5, self.clean(table.note), new_x="LMARGIN", new_y="NEXT")
        self.ln(4)


def to_pdf(report: Report) -> bytes:
    pdf = _Pdf(report)
    pdf.add_page()
    for section in report.sections:
        pdf.set_font(pdf.family, "B", 12)
        pdf.cell(0, 7, pdf.clean(section.title), new_x="LMARGIN", new_y="NEXT")
        for note in section.notes:
            pdf.set_font(pdf.family, "", 8)
            pdf.multi_cell(0, 4, pdf.clean(note), new_x="LMARGIN", new_y="NEXT")
        for table in section.tables:
            pdf.table_of(table)
        for chart in section.charts:
            if chart.empty:
                continue
            height = 190 * 3.2 / 7.5
            if pdf.get_y() + height > pdf.h - 14:
                pdf.add_page()
            pdf.image(io.BytesIO(render(chart, "png")), w=190, h=height)
            pdf.ln(3)
    return bytes(pdf.output())


def export(report: Report, fmt: str) -> bytes:
    """``report`` as ``xlsx``, ``pdf`` or ``csv``."""
    makers = {"xlsx": to_xlsx, "pdf": to_pdf, "csv": to_csv}
    return makers[fmt](report)
