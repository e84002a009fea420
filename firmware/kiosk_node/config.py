"""The kiosk's strict configuration model (``/etc/antrean/kiosk.toml``).

>>> cfg = KioskConfig(node_id="kiosk-1")
>>> cfg.printer.backend, cfg.ticket.paper_width_mm
('dummy', 80)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from antrean.config import ConfigModel
from antrean.node import NodeConfig


class PrinterConfig(ConfigModel):
    backend: Literal["usb", "serial", "file", "network", "dummy"] = Field(
        "dummy",
        description="How the thermal printer is reached: usb, serial, file, network or dummy (no paper)",
    )
    usb_vendor_id: int | None = Field(
        None, description="USB vendor id of the printer (backend usb), e.g. 0x0416; see `lsusb`"
    )
    usb_product_id: int | None = Field(
        None, description="USB product id of the printer (backend usb), e.g. 0x5011; see `lsusb`"
    )
    serial_port: str = Field("/dev/ttyUSB0", description="Serial device (backend serial)")
    serial_baudrate: int = Field(9600, description="Serial speed in baud (backend serial)")
    file_path: str = Field(
        "/dev/usb/lp0", description="Device or file the bytes are written to (backend file)"
    )
    host: str = Field("", description="Printer host name or IP address (backend network)")
    port: int = Field(9100, description="Printer TCP port (backend network)")
    timeout_s: float = Field(3.0, gt=0, description="Seconds to wait for the printer to accept a ticket")
    status_timeout_s: float = Field(
        0.5,
        gt=0,
        description="Seconds to wait for a status answer (paper, cover); silent printers are not asked again",
    )
    status_interval_s: float = Field(
        30.0,
        gt=0,
        description="Seconds between printer status checks while idle, so the hub sees paper-out early",
    )

    @model_validator(mode="after")
    def _backend_needs(self) -> PrinterConfig:
        if self.backend == "usb" and (self.usb_vendor_id is None or self.usb_product_id is None):
            raise ValueError("backend usb needs usb_vendor_id and usb_product_id")
        if self.backend == "network" and not self.host:
            raise ValueError("backend network needs host")
        return self


class TicketConfig(ConfigModel):
    paper_width_mm: Literal[58, 80] = Field(80, description="Paper roll width: 58 or 80 (mm)")
    qr: Literal["native", "image"] = Field(
        "native",
        description="QR code printed by the printer itself (native, GS ( k) or sent as a bitmap (image) "
        "for printers without QR support",
    )
    footer: str = Field(
        "Simpan tiket ini. Perhatikan layar antrean.",
        description="Short line printed at the bottom of every ticket",
    )


class ScreenConfig(ConfigModel):
    width: int = Field(800, ge=320, description="Window width in pixels when not full screen")
    height: int = Field(480, ge=320, description="Window height in pixels when not full screen")
    fullscreen: bool = Field(True, description="Use the whole display at its native size")
    hide_cursor: bool = Field(True, description="Hide the mouse cursor (touchscreens)")
    help_text: str = Field(
        "Bantuan: tanyakan petugas di loket pendaftaran",
        description="Help line shown at the bottom of the start screen (e.g. a phone number)",
    )


class TimingConfig(ConfigModel):
    inactivity_s: float = Field(
        30.0, gt=0, description="Seconds without a touch before going back to the start"
    )
    result_s: float = Field(12.0, gt=0, description="Seconds the ticket number stays on screen")
    message_s: float = Field(10.0, gt=0, description="Seconds an error message stays on screen")
    resend_s: float = Field(2.0, gt=0, description="Seconds without a reply before the request is sent again")
    deadline_s: float = Field(
        8.0, gt=0, description="Seconds without a reply before the kiosk gives up, cancels and shows an error"
    )

    debounce_s: float = Field(
        0.4, ge=0, description="Touches this soon after the screen changed are ignored (no double taps)"
    )

    @model_validator(mode="after")
    def _order(self) -> TimingConfig:
        if self.deadline_s <= self.resend_s:
            raise ValueError("deadline_s must be longer than resend_s")
        return self


class KioskConfig(NodeConfig):
    node_id: str = Field("kiosk-1", description="This node's id, unique on the site (e.g. kiosk-1)")
    printer: PrinterConfig = Field(PrinterConfig(), description="Thermal printer")
    ticket: TicketConfig = Field(TicketConfig(), description="Ticket layout")
    screen: ScreenConfig = Field(ScreenConfig(), description="Touchscreen")
    timing: TimingConfig = Field(TimingConfig(), description="Timeouts")
