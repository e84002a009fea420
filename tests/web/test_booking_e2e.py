"""End to end: a patient books on the public listener in real Chromium (phone-sized), a USB code reader types
the booking code at a real kiosk (MQTT through the broker, ticket printed), the loket calls the ticket,
and the open ticket page rings when the ticket is near and when it is called. Staff pages are not there on
the public port. Every page is photographed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pygame
import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from benchmarks.harness import ScriptedKiosk
from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.flow import Screen
from hub.broker import free_port
from hub.web.humancheck import WORDS
from tests.kiosk.conftest import make_kiosk  # noqa: F401  (the fixture)
from tests.kiosk.driver import pump
from tests.support import artifacts_dir
from tests.web.live import LiveHub, start_live_hub, wait_for_http
from tests.web.test_e2e import CHROMIUM_ARGS, login

pytestmark = pytest.mark.slow  # a browser, a kiosk and a real hub

ACTIVE_CARD, INACTIVE_CARD = "0001234567890", "0002345678901"  # the PCare simulator's participants
_QUESTION = re.compile(r"Berapa (\w+) \+ (\w+)\?")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live(hub_runner: Callable[..., Any], pcare_sim: Any) -> tuple[LiveHub, str]:
    port = free_port()
    extra = (
        f'[public]\nport = {port}\nurl = "http://127.0.0.1:{port}"\n'
        '[booking]\nclosed_weekdays = []\nrelease_at = "23:59"\n'
        "[whatsapp]\nnotify_before = 2\n"
    )
    hub = start_live_hub(hub_runner, pcare_sim, extra)
    wait_for_http(f"http://127.0.0.1:{port}/booking")
    return hub, f"http://127.0.0.1:{port}"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(artifacts_dir("web") / f"{name}.png"), full_page=True)


def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID", is_mobile=True)
    context.add_init_script(
        "window.__vibrations = [];"
        "navigator.vibrate = function (p) { window.__vibrations.push(p); return true; };"
    )
    return context.new_page()


def answer(page: Page) -> None:
    match = _QUESTION.search(page.inner_text("#soal"))
    assert match
    page.fill("input[name=jawaban]", str(WORDS.index(match.group(1)) + WORDS.index(match.group(2))))


def fill_booking(page: Page, card: str) -> None:
    page.fill("input[name=nama]", "Sari Wulandari")
    page.check("input[name=kategori][value=umum]")
    page.check("input[name=pembayaran][value=bpjs]")
    page.check("input[name=poli][value=A]")
    page.select_option("#tanggal", index=1)  # the first day offered: today
    page.fill("input[name=kartu]", card)
    page.fill("input[name=hp]", "0812 3456 7890")
    page.check("input[name=setuju_wa]")
    answer(page)


def scan(app: KioskApp, text: str) -> None:
    """A USB HID code reader: one key press per character, then Enter."""
    for char in text:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=ord(char.lower()), unicode=char, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, unicode="\r", mod=0))
    app.step(20)


def test_book_online_confirm_at_the_kiosk_call_at_the_loket(
    browser: Browser,
    live: tuple[LiveHub, str],
    make_kiosk: Callable[..., KioskApp],  # noqa: F811
) -> None:
    hub, public = live
    for staff_url in ("/login", "/dashboard", "/loket/1", "/admin/poli", "/loket/1/booking"):
        assert requests.get(public + staff_url, timeout=5).status_code == 404, staff_url
    page = phone(browser)
    page.goto(f"{public}/booking")
    shot(page, "booking_form")
    fill_booking(page, INACTIVE_CARD)  # PCare says this card is not active: refused next to the field
    page.click("button[type=submit]")
    expect(page.locator("#err-kartu")).to_contain_text("tidak aktif")
    shot(page, "booking_refused")
    fill_booking(page, ACTIVE_CARD)
    page.click("button[type=submit]")
    expect(page.locator("#booking-code")).to_be_visible()
    code = page.inner_text("#booking-code").strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    expect(page.locator("#booking-status")).to_have_text("Menunggu kedatangan")
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 0
    shot(page, "booking_made")

    others = hub.session("siti")
    kiosk = make_kiosk()
    pump(kiosk, lambda: kiosk.flow.screen == Screen.START)
    scan(kiosk, code)
    pump(kiosk, lambda: kiosk.flow.outcome is not None and kiosk.flow.outcome.printed, timeout=10)
    ticket = kiosk.flow.outcome.ticket  # type: ignore[union-attr]
    assert ticket.status == "confirmed" and ticket.source == "web" and ticket.number == "A-001"
    assert ticket.status_url.startswith(public + "/t/")

    page.reload()
    expect(page.locator("#ticket-number")).to_have_text("A-001")
    shot(page, "booking_arrived")
    page.click("#ticket-link")
    expect(page.locator("#ticket-number")).to_have_text("A-001")
    page.wait_for_selector("body[data-live-ready]")
    assert "Sebentar lagi" in page.title()  # nobody ahead: near at once
    called = others.post(f"{hub.url}/loket/1/aksi/call", headers={"X-Requested-With": "fetch"}, timeout=10)
    assert called.json() == {"ok": True, "message": "Memanggil: A-001"}
    expect(page.locator("#ticket-status")).to_have_text("Dipanggil")
    expect(page).to_have_title(re.compile("^DIPANGGIL"))
    assert page.evaluate("document.body.getAttribute('data-alerted')") == "near called"
    assert page.evaluate("window.__vibrations.length") == 2
    shot(page, "ticket_called")
    desk = login(browser, hub, "siti")
    desk.goto(f"{hub.url}/loket/1/booking?q=wulan")
    expect(desk.locator("#bookings")).to_contain_text(code)
    expect(desk.locator("#bookings")).to_contain_text("Sudah datang · A-001")
    shot(desk, "loket_booking")
    desk.goto(f"{hub.url}/dashboard")
    expect(desk.locator("#booking-confirmed")).to_have_text("1")
    shot(desk, "dashboard_online")


def test_the_ticket_page_rings_when_the_ticket_comes_near(
    browser: Browser, live: tuple[LiveHub, str], mqtt_url: str, site: str
) -> None:
    hub, _public = live
    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-1")
    try:
        tickets = [kiosk.take(f"k-{n}").ticket for n in range(4)]
    finally:
        kiosk.close()
    last = tickets[-1]
    assert last is not None and last.number == "A-004" and last.ahead == 3
    page = phone(browser)
    page.goto(last.status_url)
    page.wait_for_selector("body[data-live-ready]")
    assert "Sebentar lagi" not in page.title() and page.evaluate("window.__vibrations.length") == 0
    shot(page, "ticket_waiting")
    staff = hub.session("siti")

    def call(expected: str) -> None:
        reply = staff.post(f"{hub.url}/loket/1/aksi/call", headers={"X-Requested-With": "fetch"}, timeout=10)
        assert reply.json()["message"] == f"Memanggil: {expected}"

    call("A-001")
    expect(page.locator("#ticket-ahead")).to_contain_text("2 orang")
    expect(page.locator("#ticket-near")).to_be_visible()
    expect(page).to_have_title(re.compile("^Sebentar lagi: A-004"))
    shot(page, "ticket_near")
    call("A-002")
    call("A-003")
    expect(page.locator("#ticket-ahead")).to_contain_text("0 orang")
    assert page.evaluate("window.__vibrations.length") == 1  # once per event, not on every change
    call("A-004")
    expect(page).to_have_title(re.compile("^DIPANGGIL: A-004"))
    assert page.evaluate("window.__vibrations.length") == 2
