"""The report numbers on two known service days (tests/reports/seeded.py): counts, waits and service
times to the minute, the BPJS report per day, the monthly recap, and that every query reads only the
period through an index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from hub.reports.bpjs import bpjs_report
from hub.reports.model import Cell, Report, Table
from hub.reports.monthly import monthly_report
from hub.reports.period import Period, PeriodError
from hub.reports.summary import summary_report
from tests.hub.dispatch_support import JAKARTA, Desk
from tests.reports.seeded import DAY1, DAY2, seeded_database, seeded_desk


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    with seeded_database(tmp_path_factory.mktemp("reports")) as seeded:
        yield seeded


def build(desk: Desk, maker: Any, period: Period) -> Report:
    with desk.sessions() as session:
        return maker(session, period, site_name="Puskesmas Uji", tz=JAKARTA, now=desk.clock())


def table(report: Report, title: str) -> Table:
    return next(t for t in report.tables() if t.title == title)


def rows(report: Report, title: str) -> dict[Cell, list[Cell]]:
    return {row[0]: row[1:] for row in table(report, title).rows}


def test_day_report_counts_every_ticket(desk: Desk) -> None:
    report = build(desk, summary_report, Period(DAY1, DAY1))
    assert report.title == "Laporan Harian" and report.filename_stem == "laporan-harian-2026-02-26"
    assert "Rata-rata waktu tunggu per hari (menit)" not in [t.title for t in report.tables()]
    overview = {k: v[0] for k, v in rows(report, "Angka utama").items()}
    assert overview == {
        "Tiket diambil": 5,
        "Terlayani di loket": 4,
        "Prioritas": 1,
        "Bayar BPJS": 2,
        "Bayar umum": 3,
        "Pendaftaran pasien baru": 3,  # the cancelled registration is not counted
        "Pendaftaran pasien lama": 2,
        "Pernah dilewati": 1,
        "Batal": 1,
    }
    assert rows(report, "Tiket per poli") == {
        "Poli Umum": [3, 0, 2, 2, 1, 1],
        "Poli Gigi": [2, 1, 0, 2, 0, 0],
        "Jumlah": [5, 1, 2, 4, 1, 1],
    }
    assert rows(report, "Tiket per kategori") == {"Umum": [4], "Prioritas": [1], "Jumlah": [5]}
    assert rows(report, "Tiket prioritas per alasan") == {"Lansia": [1], "Jumlah": [1]}
    assert rows(report, "Tiket per jenis bayar") == {"Umum (bayar sendiri)": [3], "BPJS": [2], "Jumlah": [5]}
    assert rows(report, "Tiket per sumber") == {"Kios": [5], "Jumlah": [5]}
    assert rows(report, "Pendaftaran: pasien baru dan lama, BPJS dan umum") == {
        "Pasien baru": [3, 0, 3],
        "Pasien lama": [1, 1, 2],
        "Jumlah": [4, 1, 5],
    }
    assert rows(report, "Dilewati dan batal") == {
        "Pernah dilewati (tidak datang saat dipanggil)": [1],
        "  … lalu tetap terlayani": [1],
        "Batal: Belum selesai saat hari layanan berganti": [1],
        "Batal seluruhnya": [1],
    }


def test_waiting_and_service_times_per_poly_and_hour(desk: Desk) -> None:
    """Waits (issue → first call): A-001 30, P-001 15, B-001 24, A-002 5. Services (last call →
    registered, or the next call): A-001 3, P-001 6, B-001 10, A-002 10."""
    report = build(desk, summary_report, Period(DAY1, DAY1))
    assert rows(report, "Waktu tunggu dan layanan per poli") == {
        # tickets, wait mean / median / p90, service mean / median / p90
        "Poli Umum": [3, 17.5, 17.5, 30.0, 6.5, 6.5, 10.0],
        "Poli Gigi": [2, 19.5, 19.5, 24.0, 8.0, 8.0, 10.0],
        "Semua poli": [5, 18.5, 19.5, 30.0, 7.25, 8.0, 10.0],
    }
    per_hour = rows(report, "Waktu tunggu dan layanan per jam kedatangan")
    assert per_hour["08.00–09.00"] == [3, 23.0, 24.0, 30.0, pytest.approx(19 / 3), 6.0, 10.0]
    assert per_hour["09.00–10.00"] == [2, 5.0, 5.0, 5.0, 10.0, 10.0, 10.0]
    assert list(rows(report, "Jam tersibuk").items()) == [
        ("08.00–09.00", [3, 3.0]),
        ("09.00–10.00", [2, 2.0]),
    ]


def test_range_charts_average_per_day(desk: Desk) -> None:
    report = build(desk, summary_report, Period(DAY1, DAY2))
    assert report.title == "Laporan Periode"
    assert report.filename_stem == "laporan-periode-2026-02-26_2026-02-27"
    charts = {chart.key: chart for chart in report.charts()}
    arrivals = charts["kedatangan-per-jam"]
    assert arrivals.labels == ["08", "09"] and arrivals.series == {"Tiket per hari": [2.0, 1.0]}
    waits = charts["tunggu-per-poli"]
    assert waits.labels == ["Poli Umum", "Poli Gigi"]
    assert waits.series == {"Rata-rata": [(30 + 5 + 12) / 3, 19.5], "p90": [30.0, 24.0]}
    assert rows(report, "Rata-rata waktu tunggu per hari (menit)") == {
        DAY1: [17.5, 19.5, 18.5],  # Poli Umum, Poli Gigi, all polys
        DAY2: [12.0, None, 12.0],
    }
    heat = charts["peta-jam-hari"]
    assert heat.rows == ["Kamis", "Jumat"] and heat.grid == [[3.0, 2.0], [1.0, 0.0]]


def test_bpjs_report_counts_each_day_apart(desk: Desk) -> None:
    report = build(desk, bpjs_report, Period(DAY1, DAY2))
    assert report.filename_stem == "laporan-bpjs-periode-2026-02-26_2026-02-27"
    # participants, sent, failed, waiting, never sent, PCare calls, failed calls
    assert rows(report, "Bridging BPJS per hari") == {
        DAY1: [4, 1, 1, 1, 1, 3, 1],  # the call at 05:30 on the 27th belongs to the 26th's service day
        DAY2: [1, 1, 0, 0, 0, 1, 0],
        "Jumlah": [5, 2, 1, 1, 1, 4, 1],
    }
    only_day2 = build(desk, bpjs_report, Period(DAY2, DAY2))
    assert rows(only_day2, "Bridging BPJS per hari") == {
        DAY2: [1, 1, 0, 0, 0, 1, 0],
        "Jumlah": [1, 1, 0, 0, 0, 1, 0],
    }


def test_monthly_recap(desk: Desk) -> None:
    report = build(desk, monthly_report, Period.month("2026-02"))
    assert report.filename_stem == "laporan-bulanan-2026-02"
    recap = rows(report, "Rekap pendaftaran per hari")
    assert len(recap) == 29  # 28 days and the total
    # weekday, tickets, cancelled tickets, registrations, new, returning, BPJS, umum
    assert recap[DAY1] == ["Kamis", 5, 1, 5, 3, 2, 4, 1]
    assert recap[DAY2] == ["Jumat", 1, 0, 1, 0, 1, 1, 0]
    assert recap["Jumlah"] == [None, 6, 1, 6, 3, 3, 5, 1]
    assert rows(report, "Pendaftaran per poli") == {"Tanpa poli": [6], "Jumlah": [6]}


def test_a_period_outside_the_data_is_empty_not_an_error(desk: Desk) -> None:
    report = build(desk, summary_report, Period.parse("2026-03-01", "2026-03-31"))
    assert rows(report, "Angka utama")["Tiket diambil"] == [0]
    assert rows(report, "Waktu tunggu dan layanan per poli") == {
        "Semua poli": [0, None, None, None, None, None, None]
    }
    assert report.charts() == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-30", "", "Tanggal awal tidak valid"),
        ("2026-02-01", "kemarin", "Tanggal akhir tidak valid"),
        ("2026-03-01", "2026-02-01", "sebelum atau sama"),
        ("2025-01-01", "2026-02-01", "paling panjang 366 hari"),
    ],
)
def test_bad_periods_are_refused_in_indonesian(start: str, end: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        Period.parse(start, end)
    with pytest.raises(PeriodError, match="Bulan tidak valid"):
        Period.month("2026-13")


@pytest.fixture(scope="module")
def sqlite_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'hub.db'}"
    with closing(seeded_desk(url)) as seeded:
        yield seeded


def test_every_query_reads_the_period_through_an_index(sqlite_desk: Desk) -> None:
    """No query scans a table that grows with the history (SQLite's query plans, the Pi's database)."""
    desk = sqlite_desk
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))

    event.listen(desk.engine, "before_cursor_execute", capture)
    try:
        for maker, period in (
            (summary_report, Period(DAY1, DAY2)),
            (bpjs_report, Period(DAY1, DAY2)),
            (monthly_report, Period.month("2026-02")),
        ):
            build(desk, maker, period)
    finally:
        event.remove(desk.engine, "before_cursor_execute", capture)
    growing = ("queues", "ticket_events", "registrations", "bpjs_outbox", "bpjs_logs")
    with Session(desk.engine) as session:
        connection = session.connection()
        plans = [
            step[-1]
            for statement, params in statements
            if statement.lstrip().upper().startswith("SELECT")
            for step in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
        ]
    assert any("ix_queues_queue_date" in step for step in plans)
    assert [s for s in plans if s.startswith("SCAN") and s.split()[1] in growing] == []


def test_period_names_for_downloads() -> None:
    assert Period.parse("2026-12-02", "2026-12-02").name == "harian-2026-12-02"
    assert Period.month("2026-12").label == "Desember 2026"
