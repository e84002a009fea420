"""The *Laporan* pages and downloads through the Flask client on two seeded service days
(tests/reports/seeded.py): what admin and petugas see, the downloads' names and contents, bad periods
answered in Indonesian, and the anonymous sent to the login."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator

import pytest
from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.hub.dispatch_support import Desk
from tests.reports.seeded import seeded_app, seeded_database
from tests.web.conftest import Web


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Desk, Flask]]:
    folder = tmp_path_factory.mktemp("laporan")
    with seeded_database(folder) as desk:
        yield desk, seeded_app(desk, folder)


def logged_in(app: Flask, username: str) -> Web:
    helper = Web(app.test_client())
    assert helper.login(username).status_code == 302
    return helper


@pytest.mark.parametrize("username", ["admin", "siti"])
def test_admin_and_petugas_see_the_reports(seeded: tuple[Desk, Flask], username: str) -> None:
    web = logged_in(seeded[1], username)
    page = web.get("/laporan/?dari=2026-02-26").get_data(as_text=True)
    assert "Laporan Harian — 26 Februari 2026" in page
    assert 'href="/laporan/"' in web.get("/dashboard").get_data(as_text=True)  # in the menu
    assert "<td>Poli Umum</td>" in page and '<td class="right">18,5</td>' in page
    assert page.count('src="data:image/svg+xml;base64,') == 3
    assert 'href="/laporan/unduh?jenis=ringkasan&amp;format=xlsx&amp;dari=2026-02-26"' in page
    bpjs = web.get("/laporan/bpjs?dari=2026-02-26&sampai=2026-02-27").get_data(as_text=True)
    assert "Bridging BPJS per hari" in bpjs and "<td>26-02-2026</td>" not in bpjs  # dates are right-aligned
    assert '<td class="right">26-02-2026</td>' in bpjs
    monthly = web.get("/laporan/bulanan?bulan=2026-02").get_data(as_text=True)
    assert "Rekap Pendaftaran Bulanan — Februari 2026" in monthly


def test_default_period_is_the_current_service_day(seeded: tuple[Desk, Flask]) -> None:
    page = logged_in(seeded[1], "siti").get("/laporan/").get_data(as_text=True)
    assert "Laporan Harian — 27 Februari 2026" in page  # the seeded clock stands on the 27th, 10:00


def test_downloads(seeded: tuple[Desk, Flask]) -> None:
    web = logged_in(seeded[1], "siti")
    xlsx = web.get("/laporan/unduh?jenis=ringkasan&format=xlsx&dari=2026-02-26")
    assert xlsx.status_code == 200
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="laporan-harian-2026-02-26.xlsx"'
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(xlsx.data))["Tiket per poli"]
    assert [c.value for c in sheet[7]] == ["Poli Umum", 3, 0, 2, 2, 1, 1]
    pdf = web.get("/laporan/unduh?jenis=bpjs&format=pdf&dari=2026-02-26&sampai=2026-02-27")
    assert pdf.headers["Content-Disposition"].endswith(
        'filename="laporan-bpjs-periode-2026-02-26_2026-02-27.pdf"'
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Bridging BPJS per hari" in text and "Puskesmas Uji" in text
    recap = web.get("/laporan/unduh?jenis=bulanan&format=csv&bulan=2026-02")
    assert recap.headers["Content-Disposition"].endswith('filename="laporan-bulanan-2026-02.csv"')
    assert ["2026-02-27", "Jumat", "1", "0", "1", "0", "1", "1", "0"] in list(
        csv.reader(io.StringIO(recap.data.decode("utf-8-sig")))
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/laporan/?dari=2026-02-31", "Tanggal awal tidak valid"),
        ("/laporan/?dari=2026-02-27&sampai=2026-02-01", "Tanggal awal harus sebelum"),
        ("/laporan/bulanan?bulan=februari", "Bulan tidak valid"),
        (
            "/laporan/unduh?jenis=ringkasan&format=pdf&dari=2020-01-01&sampai=2026-01-01",
            "paling panjang 366 hari",
        ),
    ],
)
def test_bad_periods_get_an_indonesian_answer(seeded: tuple[Desk, Flask], url: str, message: str) -> None:
    response = logged_in(seeded[1], "admin").get(url)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_reports_change_nothing_and_need_a_login(seeded: tuple[Desk, Flask]) -> None:
    web = Web(seeded[1].test_client())
    for url in ("/laporan/", "/laporan/bpjs", "/laporan/bulanan", "/laporan/unduh?jenis=bpjs&format=csv"):
        response = web.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    staff = logged_in(seeded[1], "siti")
    assert staff.post("/laporan/?dari=2026-02-26").status_code == 405
    for query in ("jenis=ringkasan&format=docx", "jenis=pasien&format=csv", ""):
        assert staff.get(f"/laporan/unduh?{query}").status_code == 404


def test_the_hub_starts_without_loading_the_chart_and_workbook_libraries() -> None:
    """matplotlib and openpyxl load on the first report, not when the web starts (seconds on a Pi)."""
    probe = (
        "import sys, hub.web, hub.web.reports; print(sorted({'matplotlib', 'openpyxl'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
