"""Counter test helpers: a sample ticket and gpiozero mock-pin helpers (the fake hub is tests/fakehub.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from gpiozero.pins.mock import MockPin

from protocol import Ticket


def ticket(number: str = "A-001") -> Ticket:
    prefix, seq = number.split("-")
    return Ticket(
        number=number,
        prefix=prefix,
        seq=int(seq),
        category="umum",
        poly_code="A",
        poly_name="Poli Umum",
        payment_type="bpjs",
        source="kiosk",
        status="called",
        issued_at=datetime(2026, 2, 26, 0, 45, tzinfo=UTC),
        service_date=date(2026, 2, 26),
        ahead=0,
        estimated_wait_min=(0, 5),
        status_url="http://hub.local/t/x",
    )


def press(
    pin: MockPin, seconds: float = 0.05, pull_up: bool = True, sleep: Callable[[float], None] = time.sleep
) -> None:
    """A finger on a button wired to GND (pull-up) or to 3V3: down for ``seconds``, coming at least as long
    after the button's previous edge (so never taken for contact bounce). ``sleep`` lets the time pass: real
    time, or a step of the node's clock."""
    down, up = (pin.drive_low, pin.drive_high) if pull_up else (pin.drive_high, pin.drive_low)
    sleep(seconds)
    down()
    sleep(seconds)
    up()


def lit_count(pin: MockPin) -> int:
    """How many times the pin went high since its states were last cleared."""
    return sum(1 for state in pin.states[1:] if state.state)


def lit_durations(pin: MockPin) -> list[float]:
    """How long each high period lasted (the last one only if it has ended)."""
    durations = []
    for before, after in zip(pin.states, pin.states[1:], strict=False):
        if before.state and not after.state:
            durations.append(after.timestamp)
    return durations
