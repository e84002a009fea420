"""The thermal printer behind a thin seam: ``send(bytes)`` and ``query(bytes) -> bytes``.

Backends come from the config (usb, serial, file, network, dummy); the transports are python-escpos's
printer classes, used only for their byte pipes. :class:`TicketPrinter` adds what the kiosk needs: a status
(``ok``, ``paper_low``, ``paper_out``, ``cover_open``, ``offline``, ``error``) read with the ESC/POS
real-time status commands where the printer answers them, and kept from write errors where it cannot
(``/dev/usb/lp0`` reports a paper-out as ``ENOSPC``).

>>> printer = TicketPrinter(DummyTransport())
>>> printer.print_bytes(b"\\x1b@hello")
'ok'
>>> printer.transport.jobs
[b'\\x1b@hello']
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Literal, Protocol

from escpos.escpos import Escpos

from firmware.kiosk_node.config import PrinterConfig

logger = logging.getLogger(__name__)

PrinterState = Literal["ok", "paper_low", "paper_out", "cover_open", "offline", "error"]

# DLE EOT n: real-time status (ESC/POS). n=2 offline cause, n=4 paper roll sensor.
STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"
STATUS_PAPER = b"\x10\x04\x04"
CAN_PRINT: frozenset[str] = frozenset({"ok", "paper_low"})


class PrinterError(Exception):
    """The printer did not take the bytes; ``state`` says why as far as we know."""

    def __init__(self, state: PrinterState, detail: str) -> None:
        super().__init__(detail)
        self.state: PrinterState = state


def decode_status(offline_cause: int, paper: int) -> PrinterState:
    """Printer state from the answers to DLE EOT 2 and DLE EOT 4 (one byte each)."""
    if offline_cause & 0x04:
        return "cover_open"
    if paper & 0x60 or offline_cause & 0x20:
        return "paper_out"
    if offline_cause & 0x40:
        return "error"
    if paper & 0x0C:
        return "paper_low"
    return "ok"


def state_from_oserror(exc: OSError) -> PrinterState:
    """What a failed write on a device file means (Linux usblp: ENOSPC is paper out)."""
    if exc.errno == errno.ENOSPC:
        return "paper_out"
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ECONNREFUSED, errno.EHOSTUNREACH):
        return "offline"
    if isinstance(exc, (TimeoutError, ConnectionError, socket.gaierror)):
        return "offline"
    return "error"


class Transport(Protocol):
    """The seam: one way to push bytes to a printer and (maybe) read its answer."""

    name: str
    can_query: bool

    def send(self, data: bytes) -> None: ...

    def query(self, request: bytes, timeout: float) -> bytes: ...

    def job(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


class DummyTransport:
    """No paper: keeps every job in memory (tests, demo, kiosks without a printer)."""

    name = "dummy"
    can_query = False

    def __init__(self) -> None:
        self.jobs: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.jobs.append(data)

    def query(self, request: bytes, timeout: float) -> bytes:
        return b""

    def job(self) -> AbstractContextManager[None]:
        return nullcontext()

    def close(self) -> None:
        pass


class EscposTransport:
    """A python-escpos printer used as a byte pipe.

    ``per_job`` opens and closes the device around every job (network printers: a rebooted printer never
    leaves a dead socket behind); otherwise the device stays open and is reopened after an error.
    """

    def __init__(self, name: str, factory: Callable[[], Escpos], *, per_job: bool, can_query: bool) -> None:
        self.name = name
        self.can_query = can_query
        self._factory = factory
        self._per_job = per_job
        self._in_job = False
        self._device: Escpos | None = None

    def _open(self) -> Escpos:
        if self._device is None:
            device = self._factory()
            device.open()
            self._device = device
        return self._device

    @contextmanager
    def job(self) -> Iterator[None]:
        """Status queries and the ticket of one job share one connection."""
        self._in_job = True
        try:
            yield
        finally:
            self._in_job = False
            if self._per_job:
                self.close()

    def _done(self) -> None:
        if self._per_job and not self._in_job:
            self.close()

    def send(self, data: bytes) -> None:
        try:
            self._open()._raw(data)
        except Exception:
            self.close()
            raise
        self._done()

    def query(self, request: bytes, timeout: float) -> bytes:
        try:
            device = self._open()
            raw = device.device
            if isinstance(raw, socket.socket):
                raw.settimeout(timeout)
            elif hasattr(raw, "timeout"):  # pyserial
                raw.timeout = timeout
            device._raw(request)
            answer = device._read()
        except TimeoutError:
            answer = b""
        except Exception:
            self.close()
            raise
        self._done()
        return bytes(answer or b"")

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # closing a broken device must never hide the original error
                logger.debug("closing the printer failed", exc_info=True)


def _network_printer(host: str, port: int, timeout: float) -> Escpos:
    """python-escpos's Network printer, but a refused connection closes its socket and raises OSError."""
    from escpos.printer import Network

    class _Network(Network):
        def open(self, raise_not_found: bool = True) -> None:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)

    return _Network(host, port, timeout=timeout)


def open_transport(config: PrinterConfig) -> Transport:
    """The transport the config names. Devices are opened lazily, on the first job."""
    from escpos import printer as escpos_printer

    if config.backend == "dummy":
        return DummyTransport()
    if config.backend == "network":
        return EscposTransport(
            f"network {config.host}:{config.port}",
            lambda: _network_printer(config.host, config.port, config.timeout_s),
            per_job=True,
            can_query=True,
        )
    if config.backend == "file":
        return EscposTransport(
            f"file {config.file_path}",
            lambda: escpos_printer.File(config.file_path),
            per_job=False,
            can_query=False,
        )
    if config.backend == "serial":
        return EscposTransport(
            f"serial {config.serial_port}",
            lambda: escpos_printer.Serial(
                config.serial_port, baudrate=config.serial_baudrate, timeout=config.timeout_s
            ),
            per_job=False,
            can_query=True,
        )
    assert config.usb_vendor_id is not None and config.usb_product_id is not None
    vendor, product = config.usb_vendor_id, config.usb_product_id
    return EscposTransport(
        f"usb {vendor:04x}:{product:04x}",
        lambda: escpos_printer.Usb(vendor, product, timeout=int(config.timeout_s * 1000)),
        per_job=False,
        can_query=True,
    )


class TicketPrinter:
    """Prints ticket bytes and knows the printer's state; safe to use from several threads."""

    def __init__(
        self,
        transport: Transport,
        *,
        status_timeout: float = 0.5,
        on_state: Callable[[PrinterState], None] | None = None,
    ) -> None:
        self.transport = transport
        self.state: PrinterState = "ok"
        self._status_timeout = status_timeout
        self._answers = transport.can_query  # False once the printer stayed silent
        self._on_state = on_state
        self._lock = threading.Lock()

    def _set(self, state: PrinterState) -> PrinterState:
        if state != self.state:
            logger.warning("printer %s: %s -> %s", self.transport.name, self.state, state)
            self.state = state
            if self._on_state is not None:
                self._on_state(state)
        return state

    def _query(self) -> PrinterState | None:
        """Ask the printer; None when it does not answer status requests."""
        if not self._answers:
            return None
        cause = self.transport.query(STATUS_OFFLINE_CAUSE, self._status_timeout)
        paper = self.transport.query(STATUS_PAPER, self._status_timeout) if cause else b""
        if not cause or not paper:
            logger.info("printer %s does not answer status requests; not asking again", self.transport.name)
            self._answers = False
            return None
        return decode_status(cause[-1], paper[-1])

    def check(self) -> PrinterState:
        """Refresh the state (idle poll). Write-only printers keep their last known state."""
        with self._lock, self.transport.job():
            try:
                state = self._query()
            except Exception as exc:
                return self._set(_failure_state(exc))
            if state is None:
                return self._set("ok" if self.state == "offline" and self._reachable() else self.state)
            return self._set(state)

    def _reachable(self) -> bool:
        try:
            self.transport.send(b"")
        except Exception:
            return False
        return True

    def print_bytes(self, data: bytes) -> PrinterState:
        """Print one ticket; returns the state afterwards. Raises :class:`PrinterError` if nothing printed."""
        with self._lock, self.transport.job():
            try:
                state = self._query()
                if state is not None and state not in CAN_PRINT:
                    raise PrinterError(state, f"printer reports {state}")
                self.transport.send(data)
            except Exception as exc:
                failure = exc if isinstance(exc, PrinterError) else None
                self._set(failure.state if failure else _failure_state(exc))
                if failure:
                    raise
                raise PrinterError(self.state, f"{type(exc).__name__}: {exc}") from exc
            return self._set(state or "ok")

    def close(self) -> None:
        with self._lock:
            self.transport.close()


def _failure_state(exc: Exception) -> PrinterState:
    if isinstance(exc, OSError):
        return state_from_oserror(exc)
    name = type(exc).__name__
    if name in ("DeviceNotFoundError", "USBNotFoundError"):
        return "offline"
    return "error"
