"""The kiosk's screens as a pure state machine: events in, a new state and effects out.

Nothing here draws, talks MQTT or prints; the clock is passed in (``now`` in seconds, monotonic).
The app feeds :meth:`Flow.press`, :meth:`Flow.reply`, ... and carries out the returned effects.

>>> flow = Flow(node_id="kiosk-1", timing=TimingConfig(), new_id=lambda: "kiosk-1-0001")
>>> flow.connection(True, now=0.0)
[]
>>> flow.screen
<Screen.OUT_OF_SERVICE: 'out_of_service'>
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from firmware.kiosk_node.config import TimingConfig
from firmware.kiosk_node.printer import PrinterState
from protocol.payloads import (
    BookingRequest,
    ErrorInfo,
    PaymentType,
    PriorityReason,
    ServicePoly,
    Services,
    Ticket,
    TicketCancel,
    TicketReply,
    TicketRequest,
)


class Screen(StrEnum):
    START = "start"
    REASON = "reason"
    PAYMENT = "payment"
    POLY = "poly"
    CONFIRM = "confirm"
    BOOKING = "booking"
    WAITING = "waiting"
    RESULT = "result"
    FAILURE = "failure"  # the hub did not answer in time
    REFUSED = "refused"  # the hub answered with an error (quota full, closed, unknown booking...)
    CLOSED = "closed"
    OUT_OF_SERVICE = "out_of_service"


# The steps a patient walks through; only these have a back button and the inactivity timeout.
STEPS = (Screen.REASON, Screen.PAYMENT, Screen.POLY, Screen.CONFIRM, Screen.BOOKING)
BACK: dict[Screen, Screen] = {
    Screen.REASON: Screen.START,
    Screen.PAYMENT: Screen.START,  # or REASON for a priority patient, see Flow._back
    Screen.POLY: Screen.PAYMENT,
    Screen.CONFIRM: Screen.POLY,
    Screen.BOOKING: Screen.START,
}
BOOKING_KEYS = "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BOOKING_MIN, BOOKING_MAX = 4, 16
FAILURE_MESSAGE = "Layanan sedang gangguan, silakan ke loket"


# -- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Publish a request (ticket, booking or cancel) to the hub."""

    request: TicketRequest | BookingRequest | TicketCancel


@dataclass(frozen=True)
class Print:
    """Print this ticket; the app answers with :meth:`Flow.printed`."""

    request_id: str
    ticket: Ticket


Effect = Send | Print


# -- state -------------------------------------------------------------------------------------


@dataclass
class Pending:
    """A request waiting for the hub's reply: re-sent until answered or given up."""

    request: TicketRequest | BookingRequest
    first_sent: float
    last_sent: float


@dataclass
class Outcome:
    """What the result screen shows."""

    request_id: str
    ticket: Ticket
    printing: PrinterState | None = None  # None while printing
    printed: bool = False


@dataclass
class Choice:
    category: str | None = None
    reason: PriorityReason | None = None
    payment: PaymentType | None = None
    poly: ServicePoly | None = None


@dataclass
class Flow:
    node_id: str
    timing: TimingConfig
    new_id: Callable[[], str]
    timezone: str = "Asia/Jakarta"
    screen: Screen = Screen.OUT_OF_SERVICE
    services: Services | None = None
    connected: bool = False
    hub_online: bool = True
    choice: Choice = field(default_factory=Choice)
    booking_code: str = ""
    pending: Pending | None = None
    outcome: Outcome | None = None
    error: ErrorInfo | None = None
    entered_at: float = 0.0
    changed_at: float = -1e9  # when the screen last changed, for the double-tap guard
    last_touch: float = 0.0
    version: int = 0  # bumped on every visible change, so the app redraws only when needed

    # -- helpers --------------------------------------------------------------------------------

    def _go(self, screen: Screen, now: float) -> None:
        if screen != self.screen:
            self.changed_at = now
        self.screen = screen
        self.entered_at = now
        self.last_touch = now
        self.version += 1

    def _idle_screen(self) -> Screen:
        if not self.connected or not self.hub_online or self.services is None:
            return Screen.OUT_OF_SERVICE
        if not any(poly.open for poly in self.services.polys):
            return Screen.CLOSED
        return Screen.START

    def _home(self, now: float) -> None:
        self.choice = Choice()
        self.booking_code = ""
        self.outcome = None
        self.error = None
        self._go(self._idle_screen(), now)

    @property
    def busy(self) -> bool:
        """A patient is being served: waiting for the hub or looking at their number."""
        return self.pending is not None or self.screen in (Screen.WAITING, Screen.RESULT)

    def polys(self) -> list[ServicePoly]:
        return list(self.services.polys) if self.services else []

    def reasons(self) -> list[PriorityReason]:
        if self.services is None:
            return []
        return list(self.services.priority_reasons)

    def payments(self) -> list[PaymentType]:
        if self.services is None:
            return []
        return list(self.services.payment_types)

    # -- events from outside --------------------------------------------------------------------

    def connection(self, up: bool, now: float) -> list[Effect]:
        """The broker link went up or down. A pending request is re-sent as soon as it is back."""
        self.connected = up
        effects: list[Effect] = []
        if up and self.pending is not None:
            self.pending.last_sent = now
            effects.append(Send(self.pending.request))
        self._availability_changed(up, now)
        self.version += 1
        return effects

    def hub_status(self, online: bool, now: float) -> list[Effect]:
        self.hub_online = online
        self._availability_changed(online, now)
        return []

    def _availability_changed(self, up: bool, now: float) -> None:
        """Lost: a patient between steps cannot finish, show out-of-service. Back: leave the idle screen."""
        if self.busy:
            return
        if not up or self.screen in (Screen.OUT_OF_SERVICE, Screen.CLOSED, Screen.START):
            self._home(now)

    def update_services(self, services: Services, now: float) -> list[Effect]:
        self.services = services
        if self.choice.poly is not None:
            fresh = {poly.code: poly for poly in services.polys}.get(self.choice.poly.code)
            self.choice.poly = fresh
            if self.screen == Screen.CONFIRM and (fresh is None or not fresh.open or fresh.remaining == 0):
                self._go(Screen.POLY, now)
        if self.screen in (Screen.START, Screen.CLOSED, Screen.OUT_OF_SERVICE):
            self._home(now)
        self.version += 1
        return []

    def press(self, button: str, now: float) -> list[Effect]:
        """A touch on the button ``button`` (ids as in :mod:`firmware.kiosk_node.layout`)."""
        if now - self.changed_at < self.timing.debounce_s:
            return []  # the second tap of a double tap, landing on the next screen
        self.last_touch = now
        if button == "back":
            return self._back(now)
        handler = _PRESS.get(self.screen)
        return handler(self, button, now) if handler else []

    def typed(self, key: str, now: float) -> list[Effect]:
        """A key from a keyboard, or from a QR/barcode reader that types what it reads (a USB HID scanner:
        the booking code, then Enter). A code character on the start screen opens the booking screen;
        ``"enter"`` sends, ``"backspace"`` deletes. No debounce: a reader types faster than any finger."""
        key = key if key in ("enter", "backspace") else key.upper()
        if self.screen == Screen.START and key in BOOKING_KEYS and len(key) == 1:
            self.booking_code = ""
            self._go(Screen.BOOKING, now)
        if self.screen != Screen.BOOKING:
            return []
        self.last_touch = now
        button = {"enter": "send", "backspace": "delete"}.get(key, f"key:{key}")
        return self._on_booking(button, now)

    def reply(self, reply: TicketReply, now: float) -> list[Effect]:
        """The hub answered a ticket or booking request."""
        if self.pending is None or reply.request_id != self.pending.request.request_id:
            return []  # late or foreign reply: the hub cancels what we gave up on
        self.pending = None
        if reply.ok and reply.ticket is not None:
            self.outcome = Outcome(request_id=reply.request_id, ticket=reply.ticket)
            self._go(Screen.RESULT, now)
            return [Print(reply.request_id, reply.ticket)]
        self.error = reply.error or ErrorInfo.of("internal")
        self._go(Screen.REFUSED, now)
        return []

    def printed(self, request_id: str, state: PrinterState, ok: bool, now: float) -> list[Effect]:
        """The printer finished (``ok``) or failed with ``state``."""
        if self.outcome is not None and self.outcome.request_id == request_id:
            self.outcome.printing = state
            self.outcome.printed = ok
            self.entered_at = now  # the patient gets the full time to read the outcome
            self.version += 1
        return []

    def tick(self, now: float) -> list[Effect]:
        """Time passes: re-send, give up, or go back to the start after a while."""
        t = self.timing
        if self.pending is not None:
            if now - self.pending.first_sent >= t.deadline_s:
                request_id = self.pending.request.request_id
                self.pending = None
                self.error = ErrorInfo.of("internal", FAILURE_MESSAGE)
                self._go(Screen.FAILURE, now)
                return [Send(TicketCancel(request_id=request_id))]
            if self.connected and now - self.pending.last_sent >= t.resend_s:
                self.pending.last_sent = now
                return [Send(self.pending.request)]
            return []
        if self.screen in STEPS and now - self.last_touch >= t.inactivity_s:
            self._home(now)
        elif self.screen == Screen.RESULT:
            failed = (
                self.outcome is not None and self.outcome.printing is not None and not self.outcome.printed
            )
            if now - self.entered_at >= t.result_s * (2 if failed else 1):
                self._home(now)
        elif self.screen in (Screen.FAILURE, Screen.REFUSED) and now - self.entered_at >= t.message_s:
            self._home(now)
        return []

    # -- presses per screen ---------------------------------------------------------------------

    def _back(self, now: float) -> list[Effect]:
        if self.screen == Screen.PAYMENT and self.choice.category == "prioritas":
            self._go(Screen.REASON, now)
        elif self.screen in BACK:
            self._go(BACK[self.screen], now)
        elif self.screen in (Screen.RESULT, Screen.FAILURE, Screen.REFUSED):
            self._home(now)
        return []

    def _on_start(self, button: str, now: float) -> list[Effect]:
        if button == "prioritas":
            self.choice = Choice(category="prioritas")
            self._go(Screen.REASON, now)
        elif button == "umum":
            self.choice = Choice(category="umum")
            self._go(Screen.PAYMENT, now)
        elif button == "booking":
            self.booking_code = ""
            self._go(Screen.BOOKING, now)
        return []

    def _on_reason(self, button: str, now: float) -> list[Effect]:
        reason = button.removeprefix("reason:")
        if reason in self.reasons():
            self.choice.reason = reason
            self._go(Screen.PAYMENT, now)
        return []

    def _on_payment(self, button: str, now: float) -> list[Effect]:
        payment = button.removeprefix("pay:")
        if payment in self.payments():
            self.choice.payment = payment
            self._go(Screen.POLY, now)
        return []

    def _on_poly(self, button: str, now: float) -> list[Effect]:
        code = button.removeprefix("poly:")
        poly = next((p for p in self.polys() if p.code == code), None)
        if poly is not None and poly.open and poly.remaining > 0:
            self.choice.poly = poly
            self._go(Screen.CONFIRM, now)
        return []

    def _on_confirm(self, button: str, now: float) -> list[Effect]:
        c = self.choice
        if button != "take" or self.pending is not None or c.poly is None or c.payment is None:
            return []
        request = TicketRequest(
            request_id=self.new_id(),
            category="prioritas" if c.category == "prioritas" else "umum",
            priority_reason=c.reason if c.category == "prioritas" else None,
            payment_type=c.payment,
            poly_code=c.poly.code,
        )
        return self._send(request, now)

    def _on_booking(self, button: str, now: float) -> list[Effect]:
        if button.startswith("key:") and len(self.booking_code) < BOOKING_MAX:
            key = button.removeprefix("key:")
            if key in BOOKING_KEYS:
                self.booking_code += key
        elif button == "delete":
            self.booking_code = self.booking_code[:-1]
        elif button == "send" and len(self.booking_code) >= BOOKING_MIN and self.pending is None:
            return self._send(BookingRequest(request_id=self.new_id(), booking_code=self.booking_code), now)
        self.version += 1
        return []

    def _on_result(self, button: str, now: float) -> list[Effect]:
        if button == "done":
            self._home(now)
        return []

    def _send(self, request: TicketRequest | BookingRequest, now: float) -> list[Effect]:
        self.pending = Pending(request, first_sent=now, last_sent=now)
        self._go(Screen.WAITING, now)
        return [Send(request)]


_PRESS: dict[Screen, Callable[[Flow, str, float], list[Effect]]] = {
    Screen.START: Flow._on_start,
    Screen.REASON: Flow._on_reason,
    Screen.PAYMENT: Flow._on_payment,
    Screen.POLY: Flow._on_poly,
    Screen.CONFIRM: Flow._on_confirm,
    Screen.BOOKING: Flow._on_booking,
    Screen.RESULT: Flow._on_result,
    Screen.FAILURE: Flow._on_result,
    Screen.REFUSED: Flow._on_result,
}
