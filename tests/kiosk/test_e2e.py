"""End to end with the real hub process and a real broker: touch → ticket issued → bytes on a network
printer; hub down → nothing printed and the clear message; duplicate taps → one ticket."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

import pygame
import pytest

from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.config import PrinterConfig
from firmware.kiosk_node.flow import Screen
from firmware.kiosk_node.printer import open_transport
from firmware.kiosk_node.printsim import NetworkPrinterSimulator
from firmware.kiosk_node.ticket import render_ticket
from hub.db.base import make_engine, make_session_factory
from hub.dispatch.policy import service_date
from hub.dispatch.service import Dispatcher
from protocol.payloads import DisplayState, TicketRequest
from protocol.topics import Topics
from tests.kiosk.driver import center, pump, tap, walk_to_confirm
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # the kiosk against a real hub

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def net_printer() -> Iterator[NetworkPrinterSimulator]:
    printer = NetworkPrinterSimulator("ok")
    yield printer
    printer.close()


def network_kiosk(
    make_kiosk: Callable[..., KioskApp], printer: NetworkPrinterSimulator, **sections: dict
) -> KioskApp:
    config = PrinterConfig(backend="network", host="127.0.0.1", port=printer.port)
    return make_kiosk((800, 480), open_transport(config), **sections)


def issued(recorder: Recorder, topics: Topics) -> int:
    messages = recorder.on(topics.display_state())
    return DisplayState.decode(messages[-1].payload).totals.issued if messages else -1


def test_touch_issues_and_prints_a_real_ticket(
    hub_runner: Callable, make_kiosk: Callable[..., KioskApp], net_printer: NetworkPrinterSimulator
) -> None:
    hub_runner()
    app = network_kiosk(make_kiosk, net_printer)
    walk_to_confirm(app, "prioritas", "A")
    tap(app, "take")
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    ticket = app.flow.outcome.ticket  # type: ignore[union-attr]
    assert ticket.number == "P-001" and ticket.priority_reason == "lansia" and ticket.poly_code == "A"
    expected = render_ticket(ticket, app.ticket_settings())
    assert net_printer.wait_for(len(expected)) == expected
    assert app.flow.services is not None and app.flow.services.site_name.encode() in expected

    tap(app, "done")
    walk_to_confirm(app, "umum", "B")
    tap(app, "take")
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    assert app.flow.outcome.ticket.number == "B-001"  # type: ignore[union-attr]
    assert len(net_printer.wait_for(len(expected) + 100)) > len(expected)


def test_hub_down_prints_nothing_and_says_so(
    hub_runner: Callable, make_kiosk: Callable[..., KioskApp], net_printer: NetworkPrinterSimulator
) -> None:
    hub = hub_runner()
    app = network_kiosk(make_kiosk, net_printer)
    walk_to_confirm(app)
    hub.kill()  # no clean offline status: the kiosk only finds out by getting no answer
    tap(app, "take")
    pump(app, lambda: app.flow.screen == Screen.FAILURE, timeout=6)
    text = " ".join(label.text for label in app.scene.labels)  # type: ignore[union-attr]
    assert "Layanan sedang gangguan" in text and "Silakan ke loket" in text
    time.sleep(0.3)
    app.step(20)
    assert net_printer.data == b"" and net_printer.jobs == []


def test_hub_stopped_cleanly_shows_out_of_service_until_it_is_back(
    hub_runner: Callable, make_kiosk: Callable[..., KioskApp], net_printer: NetworkPrinterSimulator
) -> None:
    hub = hub_runner()
    app = network_kiosk(make_kiosk, net_printer)
    pump(app, lambda: app.flow.screen == Screen.START)
    hub.stop()  # publishes hub/status offline
    pump(app, lambda: app.flow.screen == Screen.OUT_OF_SERVICE, timeout=10)
    hub.start()
    pump(app, lambda: app.flow.screen == Screen.START, timeout=10)
    walk_to_confirm(app)
    tap(app, "take")
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    assert net_printer.wait_for_jobs(1) and len(net_printer.jobs) == 1


def test_duplicate_taps_and_resends_give_one_ticket(
    hub_runner: Callable,
    make_kiosk: Callable[..., KioskApp],
    net_printer: NetworkPrinterSimulator,
    mqtt_url: str,
    site: str,
) -> None:
    hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.display_state(), topics.ticket_request("kiosk-1"))
    try:
        # re-send every 10 ms: the hub sees the same request_id several times before it answers
        app = network_kiosk(make_kiosk, net_printer, timing={"resend_s": 0.01, "deadline_s": 5.0})
        wait_until(lambda: issued(recorder, topics) == 0)
        walk_to_confirm(app)
        x, y = center(app, "take")
        for _ in range(3):
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
        pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
        wait_until(lambda: issued(recorder, topics) == 1)
        pump(app, lambda: app.clock() - app.flow.changed_at > 0.5)
        assert issued(recorder, topics) == 1
        assert net_printer.wait_for_jobs(1) and len(net_printer.jobs) == 1
        sent = {
            TicketRequest.decode(m.payload).request_id for m in recorder.on(topics.ticket_request("kiosk-1"))
        }
        assert len(sent) == 1
    finally:
        recorder.close()


def test_online_booking_confirmed_on_the_keypad(
    hub_runner: Callable,
    make_kiosk: Callable[..., KioskApp],
    net_printer: NetworkPrinterSimulator,
    database_url: str,
) -> None:
    hub_runner()
    # through the dispatcher (tests/web/test_booking_e2e.py books on the page)
    engine = make_engine(database_url)
    try:
        dispatcher = Dispatcher(make_session_factory(engine), tz=JAKARTA, public_url="http://hub")
        booking = dispatcher.create_booking(
            day=service_date(datetime.now(UTC), JAKARTA, time_of_day(0, 0)),  # test hubs reset at 00:00
            category="prioritas",
            reason="balita",
            payment="bpjs",
            poly_code="D",
            source="web",
        )
        code = booking.booking_code
    finally:
        engine.dispose()
    app = network_kiosk(make_kiosk, net_printer)
    pump(app, lambda: app.flow.screen == Screen.START)
    tap(app, "booking")
    for key in code:
        tap(app, f"key:{key}")
    tap(app, "send")
    pump(app, lambda: app.flow.outcome is not None and app.flow.outcome.printed)
    ticket = app.flow.outcome.ticket  # type: ignore[union-attr]
    assert (ticket.number, ticket.priority_reason, ticket.poly_code, ticket.status) == (
        "P-001",
        "balita",
        "D",
        "confirmed",
    )
    assert net_printer.wait_for_jobs(1) and b"P-001" in net_printer.jobs[0]

    tap(app, "done")  # the same code again: the hub refuses, nothing printed
    tap(app, "booking")
    for key in code:
        tap(app, f"key:{key}")
    tap(app, "send")
    pump(app, lambda: app.flow.screen == Screen.REFUSED)
    assert app.flow.error is not None and app.flow.error.message
    assert len(net_printer.jobs) == 1
