"""Demo helpers: a simulated patient who takes a number through the real touch UI, and the one line per
printed ticket that ``antrean demo`` shows."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import pygame

from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.flow import Screen
from firmware.kiosk_node.printer import PrinterState
from protocol.payloads import PAYMENT_LABELS, Ticket

STEP_GAP_S = 0.8  # between two touches of one patient


def announce_print(node_id: str) -> Callable[[Ticket, PrinterState, bool], None]:
    """The demo's stdout line for each ticket (the dummy printer has no paper to show)."""

    def write(ticket: Ticket, state: PrinterState, ok: bool) -> None:
        outcome = "printed" if ok else f"NOT printed ({state})"
        sys.stdout.write(
            f"kiosk {node_id}: {outcome} ticket {ticket.number} "
            f"({ticket.poly_name}, payment {PAYMENT_LABELS[ticket.payment_type]}, {ticket.ahead} ahead)\n"
        )
        sys.stdout.flush()

    return write


class SimulatedPatient:
    """Every few seconds, touches its way to a random ticket by posting mouse events at the buttons
    the screen shows, exactly as a finger would."""

    def __init__(
        self,
        app: KioskApp,
        *,
        interval: tuple[float, float] = (3.0, 6.0),
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.interval = interval
        self.rng = rng or random.Random()
        self.clock = clock
        self.next_at = clock() + 1.0

    def _choose(self) -> str | None:
        scene, screen = self.app.scene, self.app.flow.screen
        if scene is None:
            return None
        enabled = [b.id for b in scene.buttons if b.enabled]
        if screen == Screen.START:
            return "prioritas" if self.rng.random() < 0.3 else "umum"
        if screen in (Screen.REASON, Screen.PAYMENT, Screen.POLY):
            options = [b for b in enabled if b != "back"]
            return self.rng.choice(options) if options else "back"
        if screen == Screen.CONFIRM:
            return "take"
        if screen in (Screen.FAILURE, Screen.REFUSED):
            return "back"
        if screen == Screen.RESULT and self.app.flow.outcome and self.app.flow.outcome.printing:
            return "done"
        return None

    def __call__(self) -> None:
        now = self.clock()
        if now < self.next_at:
            return
        choice = self._choose()
        if choice is None or self.app.scene is None:
            self.next_at = now + STEP_GAP_S
            return
        box = self.app.scene.button(choice).box
        pos = (box.x + box.w // 2, box.y + box.h // 2)
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        self.next_at = now + (self.rng.uniform(*self.interval) if choice == "done" else STEP_GAP_S)
