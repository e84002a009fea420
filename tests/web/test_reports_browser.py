"""The *Laporan* pages in Debian's headless Chromium, served by the web on a socket over two seeded
service days: the charts are drawn (no request leaves the hub), the petugas picks a period and downloads
the workbook. Every page is photographed."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import closing

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from tests.reports.seeded import seeded_app, seeded_desk
from tests.support import artifacts_dir
from tests.web.conftest import PASSWORD
from tests.web.test_e2e import PROBLEMS, browser, open_page

pytestmark = pytest.mark.slow  # a browser
__all__ = ["browser"]  # the fixture


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("laporan-browser")
    with closing(seeded_desk(f"sqlite:///{folder / 'hub.db'}")) as desk:
        server = make_server("127.0.0.1", 0, seeded_app(desk, folder), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(5)


def login(browser: Browser, site: str, username: str) -> Page:
    page = open_page(browser, height=900)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((site, "data:")) else outside.append(r.url))
    page.outside = outside  # type: ignore[attr-defined]
    page.goto(f"{site}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def drawn(page: Page, selector: str) -> None:
    """The chart's image loaded and has a size (an SVG the browser could not draw has none)."""
    image = page.locator(selector)
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 300 && img.naturalHeight > 100")


def test_petugas_reads_and_downloads_the_reports(browser: Browser, site: str) -> None:
    PROBLEMS.clear()
    page = login(browser, site, "siti")
    page.click("nav >> text=Laporan")
    expect(page.locator("h1")).to_contain_text("Laporan Harian — 27 Februari 2026")
    page.fill("#f-dari", "2026-02-26")
    page.fill("#f-sampai", "2026-02-27")
    page.click("button:has-text('Tampilkan')")
    expect(page.locator("h1")).to_contain_text("26 Februari 2026 s.d. 27 Februari 2026")
    for key in ("kedatangan-per-jam", "tunggu-per-poli", "peta-jam-hari"):
        drawn(page, f"#grafik-{key}")
    poly_row = page.locator("table:below(h3:has-text('Tiket per poli')) tr:has-text('Poli Umum')").first
    expect(poly_row).to_contain_text("4")
    page.screenshot(path=str(artifacts_dir("web") / "laporan.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#unduh-xlsx")
    assert download.value.suggested_filename == "laporan-periode-2026-02-26_2026-02-27.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert [c.value for c in book["Tiket per poli"][7]][:2] == ["Poli Umum", 4]

    page.click(".subnav >> text=BPJS")
    page.fill("#f-dari", "2026-02-26")
    page.fill("#f-sampai", "2026-02-27")
    page.click("button:has-text('Tampilkan')")
    drawn(page, "#grafik-bpjs-per-hari")
    expect(page.locator("tr:has-text('26-02-2026')")).to_contain_text("4")
    page.screenshot(path=str(artifacts_dir("web") / "laporan_bpjs.png"), full_page=True)

    page.click(".subnav >> text=Rekap Bulanan")
    page.fill("#f-bulan", "2026-02")
    page.click("button:has-text('Tampilkan')")
    expect(page.locator("h1")).to_contain_text("Februari 2026")
    drawn(page, "#grafik-pendaftaran-per-hari")
    page.screenshot(path=str(artifacts_dir("web") / "laporan_bulanan.png"), full_page=True)

    page.fill("#f-bulan", "")
    page.goto(f"{site}/laporan/?dari=2026-02-27&sampai=2026-02-01")
    expect(page.locator("#report-error")).to_have_text(
        "Tanggal awal harus sebelum atau sama dengan tanggal akhir."
    )
    assert page.outside == [] and PROBLEMS == []  # type: ignore[attr-defined]
