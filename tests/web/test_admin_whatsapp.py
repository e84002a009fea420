"""Admin: the WhatsApp message templates are edited and checked; staff cannot reach the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hub.db.models import NotificationTemplate
from hub.web.context import WebServices
from tests.support import artifacts_dir
from tests.web.conftest import Web, audit_actions
from tests.web.live import LiveHub
from tests.web.test_e2e import browser, login

__all__ = ["browser"]  # the module's browser fixture


def test_admin_edits_a_template_and_sees_the_counts(admin: Web, services: WebServices) -> None:
    page = admin.get("/admin/whatsapp").get_data(as_text=True)
    assert "Giliran sebentar lagi" in page and "{sisa}" in page and 'id="wa-sent">0<' in page
    bad = admin.post(
        "/admin/whatsapp",
        {"event": "called", "body": "Nomor {nomor} ke {ruang}", "cloud_template": "antrean_called"},
    )
    assert bad.status_code == 400
    assert "{ruang} tidak dikenal" in bad.get_data(as_text=True)
    good = admin.post(
        "/admin/whatsapp",
        {"event": "called", "body": "Nomor {nomor}, silakan ke {loket}.", "cloud_template": "panggilan_v2"},
    )
    assert good.status_code == 302
    with services.sessions() as session:
        row = session.scalars(select(NotificationTemplate)).one()
        assert (row.event, row.body, row.cloud_template) == (
            "called",
            "Nomor {nomor}, silakan ke {loket}.",
            "panggilan_v2",
        )
    assert "whatsapp_template_update" in audit_actions(services)
    assert "panggilan_v2" in admin.get("/admin/whatsapp").get_data(as_text=True)


def test_staff_cannot_edit_templates(staff: Web) -> None:
    assert staff.get("/admin/whatsapp").status_code in (302, 403)


@pytest.mark.slow  # a browser against a real hub
def test_the_whatsapp_page_in_chromium(browser: Browser, live_hub: LiveHub) -> None:
    page = login(browser, live_hub, "admin")
    page.goto(f"{live_hub.url}/admin/whatsapp")
    page.fill("#f-body-soon", "{puskesmas}: tinggal {sisa} antrean lagi sebelum nomor {nomor}.")
    page.click("#tpl-soon button")
    expect(page.locator(".flash.success")).to_contain_text("Template pesan disimpan")
    expect(page.locator("#f-body-soon")).to_have_value(
        "{puskesmas}: tinggal {sisa} antrean lagi sebelum nomor {nomor}."
    )
    page.fill("#f-body-called", "Nomor {nomor} ke {ruang}")
    page.click("#tpl-called button")
    expect(page.locator("#tpl-called .error")).to_contain_text("{ruang} tidak dikenal")
    page.screenshot(path=str(artifacts_dir("web") / "admin_whatsapp.png"), full_page=True)
