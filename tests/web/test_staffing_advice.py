"""The staffing advice on the dashboard (from weeks of history) and its target in the queue configuration;
the dashboard photographed in headless Chromium against a real hub."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import create_engine

from hub.analytics.staffing import staffing_advice
from hub.db.base import make_session_factory
from hub.dispatch.rules import load_settings
from hub.web.context import WebServices
from tests.analytics.history import TZ, constant_day, write_history
from tests.support import artifacts_dir
from tests.web.conftest import Web
from tests.web.live import PASSWORD, LiveHub
from tests.web.test_e2e import CHROMIUM_ARGS


def past_weekdays(today: date, weeks: int = 4) -> list[date]:
    days = [today - timedelta(days=n) for n in range(1, 7 * weeks + 1)]
    return sorted(d for d in days if d.weekday() < 5)


def history(sessions: object, today: date) -> None:
    rng = random.Random(4)
    days = past_weekdays(today)
    rates = {8: 30, 9: 24, 10: 12, 11: 5}
    write_history(
        sessions,  # type: ignore[arg-type]
        days,
        ([a for hour, rate in rates.items() for a in constant_day(rate, [hour], rng)] for _ in days),
        lokets=2,
        service_rate_per_hour=15,
    )


def test_dashboard_shows_the_advice(admin: Web, services: WebServices) -> None:
    today = services.clock().astimezone(TZ).date()
    history(services.sessions, today)
    with services.sessions() as session:
        advice = staffing_advice(session, today=today, tz=TZ)
    page = admin.get("/dashboard").get_data(as_text=True)
    assert "Saran jumlah loket" in page and "Target rata-rata waktu tunggu: <b>15 menit</b>" in page
    assert [h.hour for h in advice.hours] == [8, 9, 10, 11]
    assert advice.hours[0].lokets > advice.hours[-1].lokets  # the morning peak needs more lokets
    for hour in advice.hours:
        row = page.split(f'data-hour="{hour.hour}"', 1)[1].split("</tr>", 1)[0]
        assert f'<b class="advice-lokets">{hour.lokets}</b>' in row


def test_dashboard_without_history(staff: Web) -> None:
    page = staff.get("/dashboard").get_data(as_text=True)
    assert "Belum ada riwayat antrean hari kerja dalam 4 minggu terakhir" in page


QUEUE_FORM = {
    "priority_ratio": "2:1",
    "max_general_wait_min": "60",
    "avg_service_minutes": "5",
    "operating_start": "00:00",
    "operating_end": "00:00",
    "reset_time": "00:00",
    "running_text": "Selamat datang",
    "rm_pattern": "{YYYY}{MM}{SEQ:4}",
    "tts_enabled": "1",
}


def test_admin_sets_the_target(admin: Web, services: WebServices) -> None:
    assert 'name="target_wait_min"' in admin.get("/admin/antrean").get_data(as_text=True)
    assert admin.post("/admin/antrean", {**QUEUE_FORM, "target_wait_min": "25"}).status_code == 302
    with services.sessions() as session:
        assert load_settings(session).target_wait_min == 25
    bad = admin.post("/admin/antrean", {**QUEUE_FORM, "target_wait_min": "0"})
    assert bad.status_code == 400 and "Nilai tidak valid." in bad.get_data(as_text=True)
    assert admin.post("/admin/antrean", QUEUE_FORM).status_code == 302  # a form without the field keeps it
    with services.sessions() as session:
        assert load_settings(session).target_wait_min == 25
    assert "Target rata-rata waktu tunggu: <b>25 menit</b>" not in admin.get("/dashboard").get_data(
        as_text=True
    )  # no history yet: no advice table, only the note


@pytest.mark.slow
def test_dashboard_advice_in_chromium(live_hub: LiveHub, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        history(make_session_factory(engine), datetime.now(TZ).date())
    finally:
        engine.dispose()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="id-ID").new_page()
            page.goto(f"{live_hub.url}/login")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{live_hub.url}/dashboard")
            panel = page.locator("#staffing-advice")
            expect(panel).to_contain_text("Saran jumlah loket")
            expect(panel.locator("tbody tr")).to_have_count(4)
            expect(panel.locator("tr[data-hour='8'] .advice-lokets")).not_to_have_text("0")
            panel.scroll_into_view_if_needed()
            path: Path = artifacts_dir("web") / "dashboard_saran_loket.png"
            page.screenshot(path=str(path), full_page=True)
            days = past_weekdays(datetime.now(TZ).date())
            page.goto(f"{live_hub.url}/laporan/?dari={days[0]}&sampai={days[-1]}")
            expect(page.get_by_role("heading", name="Saran jumlah loket", exact=True)).to_be_visible()
            expect(page.get_by_text("Analisis antrean per jam (model M/M/c)")).to_be_visible()
            page.get_by_role("heading", name="Saran jumlah loket", exact=True).scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts_dir("web") / "laporan_saran_loket.png"))
        finally:
            browser.close()
