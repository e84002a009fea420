"""Tickets at the loket in a real Chromium against a real hub process, with NO kiosk running: the loket
issues a ticket and prints it on the loket PC (a ticket-sized page), finds it again and reprints it; then a
kiosk node comes up and the loket sends the ticket to its ESC/POS printer over MQTT."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.config import PrinterConfig
from firmware.kiosk_node.printer import open_transport
from firmware.kiosk_node.printsim import NetworkPrinterSimulator
from firmware.kiosk_node.ticket import render_ticket
from protocol import PrintRequest, Topics
from tests.kiosk.conftest import kiosk_config
from tests.support import Recorder, artifacts_dir, wait_until
from tests.web.live import PASSWORD, LiveHub
from tests.web.test_e2e import CHROMIUM_ARGS

pytestmark = pytest.mark.slow  # a browser, a hub process and a kiosk node
MM_PER_POINT = 25.4 / 72


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def login(browser: Browser, live: LiveHub) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID").new_page()
    page.add_init_script("window.print = function () { document.body.setAttribute('data-printed', '1'); };")
    page.goto(f"{live.url}/login")
    page.fill("#f-username", "siti")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def page_width_mm(pdf: bytes) -> float:
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert box, "no MediaBox in the PDF"
    return float(box.group(1)) * MM_PER_POINT


def test_loket_issues_reprints_and_prints_on_a_kiosk(
    browser: Browser, live_hub: LiveHub, mqtt_url: str, site: str
) -> None:
    shots = artifacts_dir("web")
    page = login(browser, live_hub)
    page.goto(f"{live_hub.url}/loket/1")
    page.click("#link-desk")
    # the kiosk is down: the loket takes a priority number for the patient, printed on the loket PC
    page.select_option("#d-category", "prioritas")
    page.select_option("#d-reason", "lansia")
    page.select_option("#d-payment", "umum")
    page.select_option("#d-poly", "A")
    assert page.is_hidden("[data-desk-kiosk]")  # no kiosk choice unless printing on a kiosk
    page.screenshot(path=str(shots / "desk_issue.png"))
    page.click("#btn-desk-issue")
    page.wait_for_selector("body[data-printed='1']")  # the print dialog opened by itself
    assert page.inner_text("#desk-number") == "P-001"
    assert page.locator("#desk-qr svg").count() == 1
    page.screenshot(path=str(shots / "desk_ticket.png"))
    page.emulate_media(media="print")
    assert page.is_hidden(".topbar") and page.is_hidden("#desk-reprint")
    pdf = page.pdf(prefer_css_page_size=True)
    assert 79 < page_width_mm(pdf) < 81  # an 80 mm ticket, not an A4 sheet
    page.emulate_media(media="screen")

    # the patient lost it: found by the number they remember, reprinted on 58 mm paper
    page.goto(f"{live_hub.url}/loket/1/tiket")
    page.fill("#d-nomor", "p1")
    page.click("#btn-desk-find")
    page.click("#desk-found a")
    page.select_option("#d-lebar", "58")
    page.click("#btn-desk-reprint")
    page.wait_for_selector("body[data-printed='1']")
    assert "CETAK ULANG" in page.inner_text("#print-ticket")
    page.emulate_media(media="print")
    assert 57 < page_width_mm(page.pdf(prefer_css_page_size=True)) < 59
    page.emulate_media(media="screen")
    page.screenshot(path=str(shots / "desk_reprint.png"))

    # a kiosk node comes up (its screen is broken, its printer is not): the loket sends the ticket there
    printer = NetworkPrinterSimulator("ok")
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.kiosk_print("kiosk-1"))
    config = kiosk_config(mqtt_url, site)
    kiosk = KioskApp(
        config,
        transport=open_transport(PrinterConfig(backend="network", host="127.0.0.1", port=printer.port)),
    )
    try:
        kiosk.start((800, 480), fullscreen=False)

        def kiosk_listed() -> bool:
            page.reload()
            return page.locator("#d-kiosk-reprint option[value='kiosk-1']").count() == 1

        wait_until(kiosk_listed, timeout=20, interval=0.5)
        page.select_option("#d-output-reprint", "kiosk")
        page.select_option("#d-kiosk-reprint", "kiosk-1")
        page.click("#btn-desk-reprint")
        wait_until(lambda: len(printer.jobs) == 1, timeout=10)
        job = PrintRequest.decode(recorder.last(topics.kiosk_print("kiosk-1")))
        assert job.reprint and job.ticket.number == "P-001"
        assert printer.jobs[0] == render_ticket(job.ticket, kiosk.ticket_settings(), reprint=True)
        assert b"P-001" in printer.jobs[0] and b"CETAK ULANG" in printer.jobs[0]
        assert "dikirim ke printer kiosk-1" in page.inner_text(".flashes")
    finally:
        kiosk.stop()
        recorder.close()
        printer.close()
    admin = browser.new_context().new_page()
    admin.goto(f"{live_hub.url}/login")
    admin.fill("#f-username", "admin")
    admin.fill("#f-password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(lambda url: "/login" not in url)
    admin.goto(f"{live_hub.url}/admin/audit")
    audit = admin.inner_text("main")
    assert "ticket_issue_loket" in audit and audit.count("ticket_reprint") >= 2
