"""Printer backends through real transports: a TCP listener on 127.0.0.1, files, /dev/full."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.kiosk_node.config import PrinterConfig
from firmware.kiosk_node.printer import (
    DummyTransport,
    PrinterError,
    TicketPrinter,
    decode_status,
    open_transport,
)
from firmware.kiosk_node.printsim import NetworkPrinterSimulator
from firmware.kiosk_node.ticket import TicketSettings, render_ticket
from tests.kiosk import samples

TICKET = render_ticket(samples.ticket(), TicketSettings(width_mm=58, site_name=samples.SITE_NAME))


@pytest.fixture
def net_printer() -> Iterator[NetworkPrinterSimulator]:
    printer = NetworkPrinterSimulator("ok")
    yield printer
    printer.close()


def network(port: int, **changes: object) -> TicketPrinter:
    config = PrinterConfig(backend="network", host="127.0.0.1", port=port, timeout_s=2, status_timeout_s=0.3)
    states: list[str] = []
    printer = TicketPrinter(open_transport(config), status_timeout=0.3, on_state=states.append)
    printer.seen = states  # type: ignore[attr-defined]
    return printer


@pytest.mark.parametrize(
    ("cause", "paper", "state"),
    [
        (0x12, 0x12, "ok"),
        (0x12, 0x1E, "paper_low"),
        (0x32, 0x72, "paper_out"),
        (0x12, 0x72, "paper_out"),
        (0x16, 0x12, "cover_open"),
        (0x16, 0x72, "cover_open"),
        (0x52, 0x12, "error"),
    ],
)
def test_decode_status(cause: int, paper: int, state: str) -> None:
    assert decode_status(cause, paper) == state


def test_network_printer_receives_the_exact_ticket(net_printer: NetworkPrinterSimulator) -> None:
    printer = network(net_printer.port)
    assert printer.print_bytes(TICKET) == "ok"
    assert printer.print_bytes(TICKET) == "ok"
    assert net_printer.wait_for(2 * len(TICKET)) == TICKET * 2
    assert net_printer.wait_for_jobs(2)  # a job is complete when its connection closes
    assert net_printer.jobs == [TICKET, TICKET]


def test_network_paper_out_prints_nothing_and_is_reported(net_printer: NetworkPrinterSimulator) -> None:
    net_printer.condition = "paper_out"
    printer = network(net_printer.port)
    with pytest.raises(PrinterError) as failure:
        printer.print_bytes(TICKET)
    assert failure.value.state == "paper_out"
    assert printer.state == "paper_out" and printer.seen == ["paper_out"]  # type: ignore[attr-defined]
    time.sleep(0.1)
    assert net_printer.data == b""
    net_printer.condition = "ok"  # paper refilled: the idle check sees it
    assert printer.check() == "ok"
    assert printer.print_bytes(TICKET) == "ok"
    assert net_printer.wait_for(len(TICKET)) == TICKET


def test_network_cover_open_and_low_paper(net_printer: NetworkPrinterSimulator) -> None:
    printer = network(net_printer.port)
    net_printer.condition = "cover_open"
    assert printer.check() == "cover_open"
    with pytest.raises(PrinterError):
        printer.print_bytes(TICKET)
    net_printer.condition = "paper_low"  # still prints, but the hub is told
    assert printer.print_bytes(TICKET) == "paper_low"
    assert net_printer.wait_for(len(TICKET)) == TICKET


def test_network_printer_that_never_answers_status_still_prints() -> None:
    silent = NetworkPrinterSimulator(condition=None)
    try:
        printer = network(silent.port)
        assert printer.print_bytes(TICKET) == "ok"
        asked = silent.status_requests
        assert asked >= 1
        assert printer.print_bytes(TICKET) == "ok"
        assert printer.check() == "ok"
        assert silent.status_requests == asked  # not asked again: no status timeout per ticket
        assert silent.wait_for(2 * len(TICKET)) == TICKET * 2
    finally:
        silent.close()


def test_network_printer_offline_then_back() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = network(port)
    with pytest.raises(PrinterError) as failure:
        printer.print_bytes(TICKET)
    assert failure.value.state == "offline"
    assert printer.check() == "offline"
    back = NetworkPrinterSimulator("ok", port=port)
    try:
        assert printer.check() == "ok"
        assert printer.seen == ["offline", "ok"]  # type: ignore[attr-defined]
        printer.print_bytes(TICKET)
        assert back.wait_for(len(TICKET)) == TICKET
    finally:
        back.close()


def test_file_backend_appends_every_ticket(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer = TicketPrinter(open_transport(PrinterConfig(backend="file", file_path=str(target))))
    printer.print_bytes(TICKET)
    printer.print_bytes(b"second")
    printer.close()
    assert target.read_bytes() == TICKET + b"second"


def test_file_backend_paper_out_is_enospc() -> None:
    # Linux usblp answers a write with ENOSPC when the paper is out; /dev/full does exactly that
    printer = TicketPrinter(open_transport(PrinterConfig(backend="file", file_path="/dev/full")))
    with pytest.raises(PrinterError) as failure:
        printer.print_bytes(TICKET)
    assert failure.value.state == "paper_out"
    assert printer.check() == "paper_out"  # a write-only printer keeps its last known state


def test_file_backend_missing_device_is_offline(tmp_path: Path) -> None:
    missing = tmp_path / "unplugged" / "lp0"
    printer = TicketPrinter(open_transport(PrinterConfig(backend="file", file_path=str(missing))))
    with pytest.raises(PrinterError) as failure:
        printer.print_bytes(TICKET)
    assert failure.value.state == "offline"
    missing.parent.mkdir()
    assert printer.check() == "ok"  # plugged back in
    assert printer.print_bytes(TICKET) == "ok"
    assert missing.read_bytes() == TICKET


def test_dummy_backend_keeps_jobs() -> None:
    transport = DummyTransport()
    printer = TicketPrinter(transport)
    assert printer.print_bytes(TICKET) == "ok"
    assert transport.jobs == [TICKET]


def test_usb_and_serial_backends_are_built_from_config() -> None:
    usb = open_transport(PrinterConfig(backend="usb", usb_vendor_id=0x0416, usb_product_id=0x5011))
    serial = open_transport(PrinterConfig(backend="serial", serial_port="/dev/ttyUSB9"))
    assert usb.name == "usb 0416:5011" and usb.can_query
    assert serial.name == "serial /dev/ttyUSB9" and serial.can_query
    printer = TicketPrinter(serial)
    with pytest.raises(PrinterError) as failure:  # no such port on this machine
        printer.print_bytes(TICKET)
    assert failure.value.state in ("offline", "error")
