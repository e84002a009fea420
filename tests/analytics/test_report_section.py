"""The staffing advice and the per-hour measures as a section of the period report (*Laporan*), read back
from its XLSX, PDF and CSV exports."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hub.reports.exports import to_csv, to_pdf, to_xlsx
from hub.reports.model import Report
from hub.reports.period import Period
from hub.reports.summary import summary_report
from tests.analytics.history import TZ, constant_day, seeded, write_history
from tests.support import artifacts_dir

MONDAY = date(2026, 3, 2)


@pytest.fixture
def report(database_url: str) -> Report:
    days = [MONDAY + timedelta(days=d) for d in range(5)]
    rng = random.Random(6)
    with seeded(database_url) as sessions:
        write_history(
            sessions,
            days,
            ([*constant_day(36, [8], rng), *constant_day(10, [11], rng)] for _ in days),
            lokets=2,
            service_rate_per_hour=15,
        )
        with sessions() as session:
            return summary_report(
                session,
                Period(days[0], days[-1]),
                site_name="Puskesmas Uji",
                tz=TZ,
                now=datetime(2026, 3, 7, 9, 0, tzinfo=TZ),
            )


def test_the_section_and_its_numbers(report: Report) -> None:
    section = next(s for s in report.sections if s.title == "Saran jumlah loket")
    advice, measures = section.tables
    assert [row[0] for row in advice.rows] == ["08.00–09.00", "11.00–12.00"]
    eight, eleven = advice.rows
    assert isinstance(eight[1], float) and eight[1] == pytest.approx(36, rel=0.15)
    assert eight[2] == 3  # 36/h at the measured ≈ 15/h: 2 lokets overflow, 3 wait ≈ 4 min
    assert eleven[2] == 1
    assert "tidak melebihi 15 menit" in advice.note
    assert [row[0] for row in measures.rows][:1] == ["08.00–09.00"]
    rho = measures.rows[0][4]
    assert isinstance(rho, float) and rho > 1  # 2 lokets at 36/h
    assert any("antrean terus memanjang" in note for note in section.notes)
    assert any(n.startswith("09.00–10.00: Tidak ada pasien datang") for n in section.notes)  # backlog only


def test_the_section_in_every_export(report: Report) -> None:
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert {"Saran loket", "Analisis antrean"} <= set(book.sheetnames)
    pdf = to_pdf(report)
    (artifacts_dir("reports") / "laporan-saran-loket.pdf").write_bytes(pdf)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Saran jumlah loket per jam" in text and "Analisis antrean per jam" in text
    lines = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    start = lines.index(["Saran jumlah loket per jam"])
    assert lines[start + 1][:3] == ["Jam", "Pasien per jam", "Saran loket"]
    assert lines[start + 2][0] == "08.00–09.00"
