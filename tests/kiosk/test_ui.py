"""The real pygame UI, headless (SDL dummy), driven by touch events through a real broker with a stand-in
hub: every screen at 800×480 and 1080×1920, saved as PNG and checked on pixels and geometry."""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pygame
import pytest

from firmware.kiosk_node import draw
from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.flow import STEPS, Screen
from firmware.kiosk_node.layout import Scene
from firmware.kiosk_node.printer import DummyTransport, PrinterState
from hub.broker import BrokerProcess, BrokerSettings, free_port
from protocol.payloads import NodeStatus, ServicePoly
from tests.fakehub import FakeHub
from tests.kiosk import samples
from tests.kiosk.driver import center, pump, tap, walk_to_confirm
from tests.support import Recorder, wait_until

SIZES = [(800, 480), (1080, 1920)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "kiosk"
FOR_DOCS = {"start", "poly", "confirm", "result", "result_print_failed", "booking"}
MIN_TARGET_MM = 9.0  # smallest finger target, in mm on the physical screen
SCREEN_WIDTH_MM = {(800, 480): 155.0, (1080, 1920): 300.0}  # 7" official touchscreen, 24" portrait kiosk


class PaperOut(DummyTransport):
    """/dev/usb/lp0 with an empty roll: every write fails with ENOSPC."""

    def send(self, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def pixel(app: KioskApp, x: int, y: int) -> tuple[int, int, int]:
    assert app.surface is not None
    return tuple(app.surface.get_at((x, y)))[:3]  # type: ignore[return-value]


def check_geometry(scene: Scene, size: tuple[int, int]) -> None:
    """Buttons on screen, not overlapping, big enough for a finger; every text fits its box."""
    w, h = size
    px_per_mm = w / SCREEN_WIDTH_MM[size]
    for i, button in enumerate(scene.buttons):
        box = button.box
        assert box.x >= 0 and box.y >= 0 and box.x + box.w <= w and box.y + box.h <= h, button
        assert min(box.w, box.h) >= MIN_TARGET_MM * px_per_mm * (0.8 if button.style == "key" else 1), button
        for other in scene.buttons[i + 1 :]:
            o = other.box
            apart = box.x + box.w <= o.x or o.x + o.w <= box.x or box.y + box.h <= o.y or o.y + o.h <= box.y
            assert apart, (button.id, other.id)
    for label in scene.labels:
        size_px, lines = draw.fit(label.text, label.box.w, label.box.h, label.size, label.bold)
        face = draw.font(size_px, label.bold)
        assert all(face.size(line)[0] <= label.box.w for line in lines), label
        assert len(lines) * face.get_linesize() <= label.box.h, label
        assert size_px >= 14, label  # readable


class Shooter:
    def __init__(self, app: KioskApp, size: tuple[int, int], folder: Path) -> None:
        self.app, self.size, self.folder = app, size, folder
        self.taken: list[str] = []

    def __call__(self, name: str) -> None:
        self.app.redraw()
        assert self.app.scene is not None
        check_geometry(self.app.scene, self.size)
        if self.app.flow.screen in STEPS:
            assert any(b.id == "back" for b in self.app.scene.buttons)
        path = self.app.save_screenshot(self.folder / f"{name}_{self.size[0]}x{self.size[1]}.png")
        if (
            name in FOR_DOCS and os.environ.get("ANTREAN_UPDATE_SCREENSHOTS") == "1"
        ):  # refresh docs/ on request
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS / path.name)
        self.taken.append(name)


@pytest.mark.slow  # every screen at two sizes, with screenshots
@pytest.mark.parametrize("size", SIZES, ids=["800x480", "1080x1920"])
def test_every_screen_by_touch(
    size: tuple[int, int],
    make_kiosk: Callable[..., KioskApp],
    fake_hub: FakeHub,
    mqtt_url: str,
    site: str,
    artifacts: Path,
) -> None:
    printed = DummyTransport()
    app = make_kiosk(size, printed)
    shot = Shooter(app, size, artifacts)
    pump(app, lambda: app.flow.screen == Screen.START)
    shot("start")
    header = pixel(app, size[0] // 2, 2)
    assert header == draw.HEADER
    pri = app.scene.button("prioritas").box  # type: ignore[union-attr]
    assert pixel(app, pri.x + 6, pri.y + pri.h // 2) == draw.BUTTONS["priority"][0]

    tap(app, "prioritas")
    shot("reason")
    tap(app, "reason:disabilitas")
    shot("payment")
    tap(app, "pay:umum")
    shot("poly")
    full = app.scene.button("poly:B")  # type: ignore[union-attr]
    assert not full.enabled and full.details == ("Kuota habis",)
    assert pixel(app, full.box.x + 6, full.box.y + full.box.h // 2) == draw.DISABLED[0]
    assert not app.scene.button("poly:D").enabled  # type: ignore[union-attr]
    tap(app, "poly:B")  # disabled: nothing happens
    assert app.flow.screen == Screen.POLY
    tap(app, "poly:C")
    shot("confirm")

    fake_hub.mode = "silent"
    tap(app, "take")
    shot("waiting")
    fake_hub.mode = "answer"
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    shot("result")
    assert app.flow.outcome is not None
    ticket = app.flow.outcome.ticket
    assert (ticket.category, ticket.priority_reason, ticket.payment_type, ticket.poly_code) == (
        "prioritas",
        "disabilitas",
        "umum",
        "C",
    )
    assert len(printed.jobs) == 1 and ticket.number.encode() in printed.jobs[0]
    assert ticket.status_url.encode() in printed.jobs[0]
    tap(app, "done")
    assert app.flow.screen == Screen.START

    tap(app, "booking")
    for key in "JKN42":
        tap(app, f"key:{key}")
    shot("booking")
    tap(app, "send")
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    assert [b.booking_code for b in fake_hub.bookings] == ["JKN42"]
    assert len(printed.jobs) == 2
    tap(app, "done")

    fake_hub.mode = "quota_full"
    walk_to_confirm(app, "umum", "A")
    tap(app, "take")
    pump(app, lambda: app.flow.screen == Screen.REFUSED)
    shot("refused")
    tap(app, "back")

    fake_hub.mode = "silent"
    walk_to_confirm(app, "umum", "E")
    tap(app, "take")
    pump(app, lambda: app.flow.screen == Screen.FAILURE, timeout=5)
    shot("failure")
    assert len(printed.jobs) == 2  # nothing printed for the failed take
    tap(app, "back")
    fake_hub.mode = "answer"

    closed = samples.services(open_=False)
    closed = closed.model_copy(update={"polys": [p.model_copy(update={"open": False}) for p in closed.polys]})
    fake_hub.publish_services(closed)
    pump(app, lambda: app.flow.screen == Screen.CLOSED)
    shot("closed")

    fake_hub.set_online(False)  # the hub's last will
    pump(app, lambda: app.flow.screen == Screen.OUT_OF_SERVICE)
    shot("out_of_service")
    fake_hub.set_online(True)
    fake_hub.publish_services(samples.services())
    pump(app, lambda: app.flow.screen == Screen.START)
    assert len(shot.taken) == 12


@pytest.mark.parametrize("size", SIZES, ids=["800x480", "1080x1920"])
def test_printer_failure_shows_number_and_qr_and_tells_the_hub(
    size: tuple[int, int],
    make_kiosk: Callable[..., KioskApp],
    fake_hub: FakeHub,
    mqtt_url: str,
    site: str,
    artifacts: Path,
) -> None:
    recorder = Recorder(mqtt_url, fake_hub.topics.node_status("kiosk-1"))
    try:
        app = make_kiosk(size, PaperOut())
        walk_to_confirm(app, "prioritas")
        tap(app, "take")
        pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printing == "paper_out")
        Shooter(app, size, artifacts)("result_print_failed")
        qr = app.scene.qr  # type: ignore[union-attr]
        assert qr is not None and qr.data == app.flow.outcome.ticket.status_url  # type: ignore[union-attr]
        colours = {
            pixel(app, qr.box.x + dx, qr.box.y + dy)
            for dx in range(0, qr.box.w, 3)
            for dy in range(0, qr.box.h, 3)
        }
        assert (0, 0, 0) in colours and (255, 255, 255) in colours

        def printer_state() -> PrinterState | None:
            messages = recorder.on(fake_hub.topics.node_status("kiosk-1"))
            return NodeStatus.decode(messages[-1].payload).details.get("printer") if messages else None

        wait_until(lambda: printer_state() == "paper_out")
    finally:
        recorder.close()


@pytest.mark.slow  # real-time debounce
def test_double_tap_gives_one_ticket(make_kiosk: Callable[..., KioskApp], fake_hub: FakeHub) -> None:
    printed = DummyTransport()
    app = make_kiosk((800, 480), printed, timing={"debounce_s": 0.4})
    pump(app, lambda: app.flow.screen == Screen.START)
    pump(app, lambda: app.clock() - app.flow.changed_at > 0.5)
    x, y = center(app, "umum")
    for _ in range(2):  # the second tap lands on the payment screen a moment later: ignored
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
    app.step(20)
    assert app.flow.screen == Screen.PAYMENT
    for button in ("pay:bpjs", "poly:A"):
        pump(app, lambda: app.clock() - app.flow.changed_at > 0.5)
        tap(app, button)
    pump(app, lambda: app.clock() - app.flow.changed_at > 0.5)
    x, y = app.scene.button("take").box.x + 20, app.scene.button("take").box.y + 20  # type: ignore[union-attr]
    for _ in range(3):  # a trembling finger: three touches in one go
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
    app.step(20)
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    time.sleep(0.3)  # any duplicate would have reached the hub and come back by now
    app.step(20)
    assert len({r.request_id for r in fake_hub.requests}) == 1
    assert len(fake_hub.issued) == 1 and len(printed.jobs) == 1


@pytest.mark.slow  # waits out the kiosk's resend and cancel timers
def test_hub_silent_resends_then_cancels_and_prints_nothing(
    make_kiosk: Callable[..., KioskApp], fake_hub: FakeHub
) -> None:
    printed = DummyTransport()
    app = make_kiosk((800, 480), printed)
    fake_hub.mode = "silent"
    walk_to_confirm(app)
    tap(app, "take")
    pump(app, lambda: app.flow.screen == Screen.FAILURE, timeout=5)
    wait_until(lambda: len(fake_hub.requests) >= 3)
    ids = [r.request_id for r in fake_hub.requests]
    assert len(set(ids)) == 1  # re-sent, always the same request_id
    wait_until(lambda: fake_hub.cancels == ids[:1])
    assert printed.jobs == []
    labels = " ".join(label.text for label in app.scene.labels)  # type: ignore[union-attr]
    assert "Layanan sedang gangguan" in labels and "loket" in labels


def test_services_update_live(make_kiosk: Callable[..., KioskApp], fake_hub: FakeHub) -> None:
    app = make_kiosk((800, 480))
    walk_to_confirm(app)
    tap(app, "back")
    assert app.flow.screen == Screen.POLY
    base = samples.services()
    polys = [*base.polys, ServicePoly(code="F", name="Poli Lansia", prefix="F", remaining=3, open=True)]
    fake_hub.publish_services(base.model_copy(update={"polys": polys, "site_name": "Puskesmas Kranjingan"}))
    pump(app, lambda: app.scene is not None and any(b.id == "poly:F" for b in app.scene.buttons))
    assert any(label.text == "Puskesmas Kranjingan" for label in app.scene.labels)  # type: ignore[union-attr]


@pytest.mark.slow  # stops and restarts a broker
def test_broker_lost_shows_out_of_service_until_it_is_back(
    make_kiosk: Callable[..., KioskApp], site: str, artifacts: Path
) -> None:
    port = free_port()
    broker = BrokerProcess(BrokerSettings.anonymous("127.0.0.1", port))
    broker.start()
    hub = FakeHub(broker.url, site, samples.services()).start()
    try:
        app = make_kiosk((800, 480), url=broker.url)
        walk_to_confirm(app)
        broker.stop()
        # a broker process that goes away (its own process, as on a hub); a silent one is noticed by the
        # keepalive (1.5 x 10 s)
        pump(app, lambda: app.flow.screen == Screen.OUT_OF_SERVICE, timeout=25)
        scene_text = " ".join(label.text for label in app.scene.labels)  # type: ignore[union-attr]
        assert "belum tersedia" in scene_text
        broker = BrokerProcess(BrokerSettings.anonymous("127.0.0.1", port))
        broker.start()
        pump(app, lambda: app.flow.screen == Screen.START, timeout=15)  # reconnected, services again
        walk_to_confirm(app)
        tap(app, "take")
        pump(app, lambda: app.flow.screen == Screen.RESULT)
    finally:
        hub.stop()
        broker.stop()
