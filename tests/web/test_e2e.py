"""End to end in Debian's headless Chromium against a real hub and the PCare simulator: the admin sets up
a doctor's schedule, a receptionist calls the next patient, registers a new BPJS patient (check, consent,
bridge, Antar RM ke Poli) while the admin's dashboard changes by itself. Every page is photographed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect, sync_playwright

from benchmarks.harness import ScriptedKiosk
from hub.web.auth import REFUSED
from protocol import NodeStatus, Topics
from tests.support import artifacts_dir
from tests.web.live import PASSWORD, LiveHub

pytestmark = pytest.mark.slow  # a browser against a real hub

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "web"
BEST = {
    "login",
    "loket",
    "pasien_baru",
    "registrasi_bpjs",
    "dashboard",
    "admin_antrean",
    "admin_jadwal",
    "audit",
    "tiket_publik",
    "pasien",
    "node",
    "admin_bpjs",
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROBLEMS: list[str] = []  # script errors and Content-Security-Policy violations seen in any page
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def shot(page: Page, name: str, full: bool = False) -> None:
    path = artifacts_dir("web") / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    if name in BEST and os.environ.get("ANTREAN_UPDATE_SCREENSHOTS") == "1":  # refresh docs/ on request
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)


def open_page(browser: Browser, width: int = 1366, height: int = 768) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID").new_page()
    page.on("pageerror", lambda error: PROBLEMS.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            PROBLEMS.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Uncaught" in message.text
            else None
        ),
    )
    return page


def login(browser: Browser, live: LiveHub, username: str) -> Page:
    page = open_page(browser)
    page.goto(f"{live.url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_loket_day(browser: Browser, live_hub: LiveHub, mqtt_url: str, site: str) -> None:
    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-1")
    try:
        run_day(browser, live_hub, kiosk)
    finally:
        kiosk.close()


def run_day(browser: Browser, live: LiveHub, kiosk: ScriptedKiosk) -> None:
    # the login page, and a wrong password answered next to the form
    page = open_page(browser)
    page.goto(f"{live.url}/login")
    page.fill("#f-username", "siti")
    page.fill("#f-password", "salah")
    page.click("button[type=submit]")
    expect(page.locator("#err-form")).to_have_text(REFUSED)
    shot(page, "login")
    page.context.close()

    # the admin puts today's doctor on the schedule
    admin = login(browser, live, "admin")
    admin.goto(f"{live.url}/admin/dokter")
    admin.fill("#f-name", "dr. Ahmad Fauzi")
    admin.select_option("#f-poly_id", label="Poli Umum")
    admin.click("button:has-text('Simpan')")
    expect(admin.locator(".flash.success")).to_contain_text("Data dokter disimpan")
    shot(admin, "admin_dokter")
    weekday = datetime.now(ZoneInfo("Asia/Jakarta")).isoweekday()
    admin.goto(f"{live.url}/admin/jadwal")
    admin.select_option("#f-doctor_id", label="dr. Ahmad Fauzi")
    admin.select_option("#f-poly_id", label="Poli Umum")
    admin.select_option("#f-day_of_week", str(weekday))
    admin.fill("#f-start_time", "00:00")
    admin.fill("#f-end_time", "23:59")
    admin.click("button:has-text('Tambah')")
    expect(admin.locator(".flash.success")).to_contain_text("Jadwal ditambahkan")
    shot(admin, "admin_jadwal")
    for name, path in (
        ("admin_poli", "/admin/poli"),
        ("admin_loket", "/admin/loket"),
        ("admin_antrean", "/admin/antrean"),
        ("admin_bpjs", "/admin/bpjs"),
        ("admin_pengguna", "/admin/pengguna"),
    ):
        admin.goto(live.url + path)
        shot(admin, name)

    # patients take numbers at the kiosk; the dashboard is open and live
    tickets = [
        kiosk.take(f"k-{i}", category, poly).ticket
        for i, (category, poly) in enumerate(
            [("umum", "A"), ("prioritas", "A"), ("umum", "B"), ("umum", "C")]
        )
    ]
    assert all(tickets)
    admin.goto(f"{live.url}/dashboard")
    admin.wait_for_selector("body[data-live-ready='1']")
    expect(admin.locator("#stat-total")).to_have_text("4")
    expect(admin.locator("#stat-registered")).to_have_text("0")

    # the receptionist calls the next patient: the priority ticket, without a reload
    loket = login(browser, live, "siti")
    assert loket.url.endswith("/loket/1")
    loket.wait_for_selector("body[data-live-ready='1']")
    loket.click("#btn-call")
    priority = tickets[1]
    assert priority is not None
    expect(loket.locator("#current-number")).to_have_text(priority.number)
    expect(loket.locator("#toast")).to_contain_text(f"Memanggil: {priority.number}")
    expect(admin.locator("#stat-serving")).to_have_text("1")  # the dashboard followed by itself
    expect(loket.locator("#queue-panel .q.prioritas")).to_have_count(1)  # at the loket, no longer waiting
    shot(loket, "loket")

    # the public page of a waiting ticket
    mobile = open_page(browser, 390, 844)
    assert tickets[2] is not None
    mobile.goto(tickets[2].status_url)
    expect(mobile.locator("#ticket-status")).to_have_text("Menunggu")
    shot(mobile, "tiket_publik")

    # a new BPJS patient: data, KTP scan, then the registration page
    loket.click("#tab-baru")
    form = {
        "#f-nik": "3509121501900001",
        "#f-name": "Budi Santoso",
        "#f-birth_place": "Jember",
        "#f-birth_date": "15-01-1990",
        "#f-address": "Jl. Mastrip No. 10",
        "#f-rt_rw": "003/007",
        "#f-kelurahan": "Kranjingan",
        "#f-kecamatan": "Sumbersari",
        "#f-kabupaten": "Jember",
        "#f-phone": "081234567890",
        "#f-occupation": "Petani",
        "#f-bpjs_number": "0001234567890",
    }
    for selector, value in form.items():
        loket.fill(selector, value)
    loket.select_option("#f-gender", "L")
    loket.select_option("#f-blood_type", "O")
    loket.select_option("#f-marital_status", "kawin")
    loket.select_option("#f-patient_type", "bpjs")
    ktp: FilePayload = {"name": "ktp.png", "mimeType": "image/png", "buffer": PNG}
    loket.set_input_files("#f-doc_ktp", files=[ktp])
    shot(loket, "pasien_baru", full=True)
    loket.click("#btn-save-patient")
    loket.wait_for_url("**/registrasi/*")
    expect(loket.locator(".flash.success")).to_contain_text("Pasien baru terdaftar")

    # Cek BPJS against the simulator
    loket.click("#btn-cek-bpjs")
    expect(loket.locator("#participant")).to_contain_text("PESERTA AKTIF")
    expect(loket.locator("#participant")).to_contain_text("BUDI SANTOSO")
    expect(loket.locator("#participant")).to_contain_text("Kelas III")

    # the mandatory information, then poly, doctor and the bridge
    for key in ("rights_informed", "obligations_informed", "service_info_given", "general_consent"):
        loket.check(f"input[name={key}]")
    loket.click("#btn-consent")
    expect(loket.locator(".flash.success")).to_contain_text("Informasi wajib tercatat lengkap")
    loket.select_option("#f-poly_id", label="Poli Umum")
    doctor = loket.locator("#f-doctor_id option", has_text="dr. Ahmad Fauzi (00:00–23:59, 0/")
    expect(doctor).to_contain_text("pasien")  # the schedule's load: n/max_patient
    loket.select_option("#f-doctor_id", doctor.get_attribute("value"))
    loket.select_option("#f-payment_type", "bpjs")
    loket.fill("#f-keluhan", "demam tiga hari")
    loket.click("#btn-bridge")
    expect(loket.locator(".flash.success")).to_contain_text("Terdaftar di BPJS")
    expect(loket.locator("#bridged")).to_contain_text("Terdaftar di PCare")
    shot(loket, "registrasi_bpjs", full=True)
    assert len(live.sim.state.registrations_of("0001234567890")) == 1
    expect(admin.locator("#stat-registered")).to_have_text("1")
    expect(admin.locator("#bridge-sent")).to_have_text("1")

    # Antar RM ke Poli: back at the loket, the ticket has left the loket
    loket.click("#btn-deliver")
    loket.wait_for_url("**/loket/1")
    expect(loket.locator(".flash.success")).to_contain_text("RM diantar ke poli")
    expect(admin.locator("#stat-serving")).to_have_text("0")
    shot(admin, "dashboard")

    # the patient holding B-001 watches the number come closer, live
    expect(mobile.locator("#ticket-ahead")).to_contain_text("1 orang di depan Anda")
    loket.wait_for_selector("body[data-live-ready='1']")
    loket.click("#btn-call")
    expect(mobile.locator("#ticket-ahead")).to_contain_text("0 orang di depan Anda")
    expect(loket.locator("#btn-call")).to_be_enabled()
    loket.keyboard.press("F2")  # the loket works from the keyboard too
    expect(mobile.locator("#ticket-status")).to_have_text("Dipanggil")
    expect(loket.locator("#current-number")).to_have_text(tickets[2].number)

    # the patient's page, and the audit log of the day
    loket.goto(f"{live.url}/loket/1?nama=budi")
    loket.click("text=RM-")
    expect(loket.locator("h1")).to_contain_text("Budi Santoso")
    shot(loket, "pasien")
    admin.goto(f"{live.url}/admin/audit")
    for action in (
        "bpjs_check",
        "bpjs_register",
        "consent_record",
        "rm_delivered",
        "queue_call",
        "schedule_create",
    ):
        expect(admin.locator("table")).to_contain_text(action)
    shot(admin, "audit")

    # node health, from the nodes' retained status messages
    topics = Topics(live.handle.site)
    for node, role, state, details in (
        ("kiosk-1", "kiosk", "online", {"printer": "paper_out"}),
        ("display-1", "display", "offline", {}),
        ("counter-1", "counter", "online", {}),
    ):
        status = NodeStatus(node=node, role=role, state=state, version="0.1.0", details=details)
        kiosk.link.publish(topics.node_status(node), status, retain=True)
    for _ in range(50):
        admin.goto(f"{live.url}/admin/node")
        if admin.locator("text=counter-1").count():
            break
        admin.wait_for_timeout(100)
    expect(admin.locator("table")).to_contain_text("Kertas habis")
    expect(admin.locator("table")).to_contain_text("Offline")
    shot(admin, "node")
    assert PROBLEMS == []
