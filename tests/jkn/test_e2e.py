"""End to end against a real hub: a patient books on the public page in headless Chromium, a BPJS
participant takes a number through Mobile JKN (the simulator, on the public listener), both are confirmed at
a kiosk and called at a loket (over MQTT); the WhatsApp messages reach the provider simulator in order, the
Mobile JKN call reaches the BPJS simulator, and Mobile JKN and kiosk numbers never collide."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import sync_playwright

from benchmarks.harness import ScriptedKiosk
from hub.bpjs.simstate import SimState
from hub.bpjs.simulator import SimulatorServer
from hub.broker import free_port
from hub.jkn.sim import JknSimState, JknSimulator, MobileJkn
from hub.web.passwords import hash_password
from hub.whatsapp.sim import WhatsAppSimState, WhatsAppSimulator
from protocol import BookingRequest, CounterCommand, CounterReply, MqttLink, TicketReply, Topics
from tests.support import artifacts_dir, wait_until
from tests.web.live import CREDS, bpjs_toml

pytestmark = pytest.mark.slow  # a browser and simulators against a real hub

WS_PASSWORD = "Rahasia#BPJS1"
WEB_PHONE, JKN_PHONE = "6281234567890", "6281398765432"
_WORDS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh"]


class Desk:
    """A kiosk confirming bookings and loket 1 calling, over MQTT like the real nodes."""

    def __init__(self, url: str, site: str) -> None:
        self.topics = Topics(site)
        self.replies: dict[str, Any] = {}
        self._cond = threading.Condition()
        self.link = MqttLink(url, client_id=f"{site}-desk-{uuid.uuid4().hex[:6]}")
        self.link.route(self.topics.booking_reply("kiosk-1"), self._on(TicketReply))
        self.link.route(self.topics.counter_reply(1), self._on(CounterReply))
        assert self.link.start(wait=10)

    def _on(self, kind: Any) -> Callable[[str, bytes], None]:
        def handle(_topic: str, payload: bytes) -> None:
            reply = kind.decode(payload)
            with self._cond:
                self.replies[reply.request_id] = reply
                self._cond.notify_all()

        return handle

    def _wait(self, request_id: str) -> Any:
        with self._cond:
            assert self._cond.wait_for(lambda: request_id in self.replies, 20), request_id
            return self.replies[request_id]

    def confirm(self, code: str) -> str:
        request_id = uuid.uuid4().hex
        self.link.publish(
            self.topics.booking_request("kiosk-1"), BookingRequest(request_id=request_id, booking_code=code)
        )
        reply = self._wait(request_id)
        assert reply.ok and reply.ticket is not None, reply.error
        return str(reply.ticket.number)

    def call(self) -> str:
        request_id = uuid.uuid4().hex
        command = CounterCommand(request_id=request_id, action="call", source="button")
        self.link.publish(self.topics.counter_command(1), command)
        reply = self._wait(request_id)
        assert reply.ok and reply.ticket is not None, reply.error
        return str(reply.ticket.number)

    def close(self) -> None:
        self.link.stop()


@pytest.fixture
def sims() -> Iterator[tuple[SimulatorServer, JknSimulator, WhatsAppSimulator]]:
    pcare = SimulatorServer(SimState(CREDS)).start()
    jkn = JknSimulator(JknSimState(SimState(CREDS))).start()
    whatsapp = WhatsAppSimulator(WhatsAppSimState()).start()
    try:
        yield pcare, jkn, whatsapp
    finally:
        whatsapp.stop()
        jkn.stop()
        pcare.stop()


def hub_toml(pcare: SimulatorServer, jkn: JknSimulator, whatsapp: WhatsAppSimulator, public_port: int) -> str:
    state = whatsapp.state
    return (
        bpjs_toml(pcare.url)
        + f"\n[public]\nport = {public_port}\n"
        + '\n[booking]\nclosed_weekdays = []\nrelease_at = "23:59"\n'
        + f'\n[jkn]\nws_username = "bpjs"\nws_password = "{hash_password(WS_PASSWORD)}"\n'
        + f'base_url = "{jkn.url}"\n'
        + f'\n[whatsapp]\nprovider = "cloud"\nbase_url = "{whatsapp.cloud_base_url}"\n'
        + f'phone_number_id = "{state.phone_number_id}"\ntoken = "{state.token}"\ninterval_s = 0.2\n'
    )


def book_on_the_page(url: str) -> str:
    """A booking made in Chromium on the public page; returns its code."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 412, "height": 915}, locale="id-ID").new_page()
        page.goto(f"{url}/booking")
        page.fill("input[name=nama]", "Sari Wulandari")
        page.check("input[name=kategori][value=umum]")
        page.check("input[name=pembayaran][value=umum]")
        page.check("input[name=poli][value=A]")
        first_day = page.locator("#tanggal option:not([value=''])").first.get_attribute("value")
        assert first_day
        page.select_option("#tanggal", first_day)
        page.fill("input[name=hp]", "0812-3456-7890")
        page.check("input[name=setuju_wa]")
        question = re.search(r"Berapa (\w+) \+ (\w+)\?", page.locator("#soal").inner_text())
        assert question
        page.fill("input[name=jawaban]", str(_WORDS.index(question[1]) + _WORDS.index(question[2])))
        page.click("button:has-text('Pesan antrean')")
        page.wait_for_selector("#booking-code")
        code = page.locator("#booking-code").inner_text().strip()
        page.screenshot(path=str(artifacts_dir("jkn") / "booking_page.png"), full_page=True)
        browser.close()
    return code


def test_booking_and_mobile_jkn_through_a_real_hub(
    hub_runner: Callable[..., Any],
    sims: tuple[SimulatorServer, JknSimulator, WhatsAppSimulator],
    mqtt_url: str,
    site: str,
) -> None:
    pcare, jkn, whatsapp = sims
    public_port = free_port()
    hub_runner(web_port=free_port(), extra_toml=hub_toml(pcare, jkn, whatsapp, public_port))
    public = f"http://127.0.0.1:{public_port}"

    def up() -> bool:
        try:
            return requests.get(f"{public}/booking", timeout=2).ok
        except requests.ConnectionError:
            return False

    wait_until(up, timeout=20, interval=0.2)

    web_code = book_on_the_page(public)

    mobile = MobileJkn(f"{public}/jkn", "bpjs", WS_PASSWORD, jkn.state)
    assert mobile.auth().code == 200
    card, nik = "0002345678901", "3509124507850002"
    day = requests.get(f"{public}/booking", timeout=5).text
    today = re.search(r'<option value="(\d{4}-\d\d-\d\d)"', day)
    assert today
    taken = dict(nomorkartu=card, nik=nik, nohp="0813-9876-5432", kodepoli="001", tanggalperiksa=today[1],
                 keluhan="Batuk", kodedokter=0, jampraktek="", norm="")  # fmt: skip
    assert mobile.take(**taken).code == 202  # not a patient here yet
    registered = mobile.new_patient(nomorkartu=card, nik=nik, nama="Budi Santoso", jeniskelamin="P",
                                    tanggallahir="1985-07-05", nohp="081398765432", alamat="Jl. Mawar 2",
                                    namakel="Gebang", namakec="Patrang", namadati2="Jember")  # fmt: skip
    assert registered.code == 200, registered.message
    reply = mobile.take(**taken)
    assert reply.code == 200 and reply.response["nomorantrean"] == "JA-001"
    jkn_code = reply.response["keterangan"].split()[2].rstrip(".")

    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-2")
    desk = Desk(mqtt_url, site)
    try:
        numbers = [kiosk.take(f"k{n}").ticket.number for n in range(4)]  # type: ignore[union-attr]
        web_number = desk.confirm(web_code)
        jkn_number = desk.confirm(jkn_code)
        numbers += [web_number, jkn_number]
        assert (web_number, jkn_number) == ("A-005", "JA-001") and len(set(numbers)) == 6
        wait_until(lambda: len(whatsapp.state.messages) == 2, timeout=20, interval=0.1)
        called = []
        for _ in range(6):  # a loket calls every few minutes; the followers look every 0.2 s
            called.append(desk.call())
            time.sleep(0.6)
    finally:
        kiosk.close()
        desk.close()
        mobile.close()
    assert sorted(called) == sorted(numbers)

    expected = ["antrean_booking_confirmed", "antrean_soon", "antrean_called"]
    wait_until(
        lambda: (
            whatsapp.state.templates_of(WEB_PHONE) == expected
            and whatsapp.state.templates_of(JKN_PHONE) == expected
        ),
        timeout=20,
        interval=0.2,
    )
    called_params = [m.params for m in whatsapp.state.messages if m.text == "antrean_called"]
    assert {params[1] for params in called_params} == {"A-005", "JA-001"}
    assert whatsapp.state.refused == []
    wait_until(lambda: jkn.state.kinds() == ["panggil"], timeout=20, interval=0.2)
    assert jkn.state.events[0][1]["nomorkartu"] == card and jkn.state.events[0][1]["status"] == 1
