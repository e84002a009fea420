"""Each report exported and read back: the workbook with openpyxl (numbers as numbers, dates as dates,
the charts as images), the PDF with pypdf (its text and its images), the CSV with the csv module."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hub.reports.bpjs import bpjs_report
from hub.reports.exports import to_csv, to_pdf, to_xlsx
from hub.reports.model import Column, Report, Section, Table
from hub.reports.monthly import monthly_report
from hub.reports.period import Period
from hub.reports.summary import summary_report
from tests.hub.dispatch_support import JAKARTA, Desk
from tests.reports.seeded import DAY1, DAY2, seeded_database
from tests.support import artifacts_dir


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with seeded_database(tmp_path_factory.mktemp("exports")) as seeded:
        yield seeded


@pytest.fixture(scope="module")
def day(desk: Desk) -> Report:
    with desk.sessions() as session:
        return summary_report(
            session, Period(DAY1, DAY1), site_name="Puskesmas Uji", tz=JAKARTA, now=desk.clock()
        )


def test_xlsx_holds_numbers_dates_and_charts(desk: Desk, day: Report) -> None:
    data = to_xlsx(day)
    (artifacts_dir("reports") / "laporan-harian.xlsx").write_bytes(data)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[:2] == ["Angka utama", "Tiket per poli"] and book.sheetnames[-1] == "Grafik"
    sheet = book["Tiket per poli"]
    assert [sheet.cell(r, 1).value for r in (1, 2, 5)] == [
        "Puskesmas Uji",
        "Laporan Harian — 26 Februari 2026",
        "Tiket per poli",
    ]
    assert [c.value for c in sheet[6]] == [
        "Poli",
        "Tiket",
        "Prioritas",
        "BPJS",
        "Terlayani",
        "Pernah dilewati",
        "Batal",
    ]
    assert [c.value for c in sheet[7]] == ["Poli Umum", 3, 0, 2, 2, 1, 1]
    assert [c.value for c in sheet[9]] == ["Jumlah", 5, 1, 2, 4, 1, 1] and sheet["A9"].font.b
    times = book["Waktu per poli"]
    assert [c.value for c in times[9]] == ["Semua poli", 5, 18.5, 19.5, 30, 7.25, 8, 10]
    assert times["C9"].number_format == "0.0"
    assert len(book["Grafik"]._images) == 3

    with desk.sessions() as session:
        bpjs = bpjs_report(
            session, Period(DAY1, DAY2), site_name="Puskesmas Uji", tz=JAKARTA, now=desk.clock()
        )
    sheet = load_workbook(io.BytesIO(to_xlsx(bpjs)))["Bridging BPJS per hari"]
    assert sheet["A7"].value == datetime(2026, 2, 26) and sheet["A7"].number_format == "DD-MM-YYYY"
    assert [c.value for c in sheet[7]][1:] == [4, 1, 1, 1, 1, 3, 1]


def test_pdf_has_the_tables_and_the_charts(day: Report) -> None:
    data = to_pdf(day)
    (artifacts_dir("reports") / "laporan-harian.pdf").write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Puskesmas Uji",
        "Laporan Harian — 26 Februari 2026",
        "Tiket per poli",
        "Poli Gigi",
        "Waktu tunggu dan layanan per poli",
        "18,5",  # the mean wait of all polys, written the Indonesian way
        f"Halaman 1/{len(reader.pages)}",
    ):
        assert expected in text, expected
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 3 and all(image.image is not None and image.image.width > 500 for image in images)


def test_csv_parses_back(desk: Desk, day: Report) -> None:
    data = to_csv(day)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == ["Puskesmas Uji"]
    start = lines.index(["Tiket per poli"])
    assert lines[start + 1][:2] == ["Poli", "Tiket"] and lines[start + 2] == [
        "Poli Umum",
        "3",
        "0",
        "2",
        "2",
        "1",
        "1",
    ]
    times = lines.index(["Waktu tunggu dan layanan per poli"])
    assert lines[times + 4] == ["Semua poli", "5", "18.5", "19.5", "30.0", "7.2", "8.0", "10.0"]
    with desk.sessions() as session:
        month = monthly_report(
            session, Period.month("2026-02"), site_name="Puskesmas Uji", tz=JAKARTA, now=desk.clock()
        )
    rows = list(csv.reader(io.StringIO(to_csv(month).decode("utf-8-sig"))))
    assert ["2026-02-26", "Kamis", "5", "1", "5", "3", "2", "4", "1"] in rows


def test_text_never_becomes_a_formula() -> None:
    """A poly name typed as a formula stays text in the workbook and in the CSV."""
    table = Table("Per poli", [Column("Poli"), Column("Tiket", "int")], [['=HYPERLINK("http://x")', 2]])
    report = Report(
        "ringkasan", "Laporan Harian", Period.parse("2026-12-02", ""), "Puskesmas Uji",
        datetime(2026, 12, 2, 15, 0), [Section("S", [table])],
    )  # fmt: skip
    cell = load_workbook(io.BytesIO(to_xlsx(report)))["Per poli"]["A7"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert ['\'=HYPERLINK("http://x")', "2"] in rows
