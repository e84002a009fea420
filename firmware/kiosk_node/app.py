"""The running kiosk: wires the MQTT link, the printer and the pygame screen to the pure :class:`Flow`.

Threads: pygame's loop runs in the caller's thread (:meth:`KioskApp.run` / :meth:`KioskApp.step`) and owns
the flow; MQTT callbacks and the print worker hand their results to it through an inbox and wake it with a
pygame event, so the flow is only ever touched by one thread.

>>> from firmware.kiosk_node.config import KioskConfig
>>> app = KioskApp(KioskConfig(node_id="kiosk-1"))  # doctest: +SKIP
>>> app.start(); app.run(stop_event)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pygame

from antrean.runtime import NodeRuntime
from firmware.kiosk_node.config import KioskConfig
from firmware.kiosk_node.draw import draw_scene
from firmware.kiosk_node.flow import Effect, Flow, Print, Screen, Send
from firmware.kiosk_node.layout import Scene, build_scene
from firmware.kiosk_node.printer import PrinterError, PrinterState, TicketPrinter, Transport, open_transport
from firmware.kiosk_node.ticket import TicketSettings, render_ticket
from protocol.payloads import (
    BookingRequest,
    NodeStatus,
    PrintRequest,
    Services,
    Ticket,
    TicketCancel,
    TicketReply,
)
from protocol.topics import Topics

logger = logging.getLogger(__name__)

TICK_MS = 200  # the loop runs the timers at least this often
# SDL cannot sleep until input arrives on every video driver (KMS/DRM and dummy poll), so the loop sleeps on
# its own: touches are picked up within POLL_S, messages from other threads wake it at once.
POLL_S = 0.02
# keys a keyboard or a USB HID code reader sends besides characters (see Flow.typed)
TYPED_KEYS = {pygame.K_RETURN: "enter", pygame.K_KP_ENTER: "enter", pygame.K_BACKSPACE: "backspace"}

PrintListener = Callable[[Ticket, PrinterState, bool], None]


class KioskApp:
    """One kiosk: touch UI, MQTT, printer."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        transport: Transport | None = None,
        on_print: PrintListener | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.topics = Topics(config.site)
        self.clock = clock
        self.on_print = on_print
        token = uuid.uuid4().hex[:8]
        self._ids = iter(range(1, 1 << 62))
        self.flow = Flow(
            node_id=config.node_id,
            timing=config.timing,
            # unique for the whole service day, also across restarts; at most 64 characters
            new_id=lambda: f"{config.node_id[:40]}-{token}-{next(self._ids):05d}",
            timezone=config.timezone,
        )
        self.printer = TicketPrinter(
            transport or open_transport(config.printer),
            status_timeout=config.printer.status_timeout_s,
            on_state=self._printer_state_changed,
        )
        self.runtime = NodeRuntime(config, "kiosk", details={"printer": self.printer.state})
        self.link = self.runtime.link
        self._inbox: queue.SimpleQueue[Callable[[], list[Effect]]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._print_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-print")
        self._poll_stop = threading.Event()
        self._poller: threading.Thread | None = None
        self.surface: pygame.Surface | None = None
        self.scene: Scene | None = None
        self._drawn: tuple[int, tuple[int, int]] | None = None
        self.stop_event = threading.Event()
        self._route()

    # -- wiring ---------------------------------------------------------------------------------

    def _route(self) -> None:
        node = self.config.node_id
        self.runtime.route(self.topics.services(), Services, self._on_services)
        self.runtime.route(self.topics.ticket_reply(node), TicketReply, self._on_reply)
        self.runtime.route(self.topics.booking_reply(node), TicketReply, self._on_reply)
        self.runtime.route(self.topics.hub_status(), NodeStatus, self._on_hub_status)
        self.runtime.route(self.topics.kiosk_print(node), PrintRequest, self._on_print_request)
        self.link.on_connection_change(lambda up: self._post(lambda: self.flow.connection(up, self.clock())))

    def _post(self, job: Callable[[], list[Effect]]) -> None:
        """Run ``job`` on the UI thread (from any thread) and wake the loop."""
        self._inbox.put(job)
        self._wake.set()

    def _on_services(self, _topic: str, services: Services) -> None:
        self._post(lambda: self.flow.update_services(services, self.clock()))

    def _on_reply(self, _topic: str, reply: TicketReply) -> None:
        logger.info("reply %s ok=%s", reply.request_id, reply.ok)
        self._post(lambda: self.flow.reply(reply, self.clock()))

    def _on_hub_status(self, _topic: str, status: NodeStatus) -> None:
        self._post(lambda: self.flow.hub_status(status.state == "online", self.clock()))

    def _on_print_request(self, _topic: str, job: PrintRequest) -> None:
        """The loket sends a ticket to this kiosk's printer (it issued or reprints it): printed in the print
        worker like the kiosk's own tickets, the touch flow untouched."""
        logger.info("print job %s from the loket: ticket %s", job.id, job.ticket.number)
        self._print_pool.submit(self._print_for_loket, job)

    def _print_for_loket(self, job: PrintRequest) -> None:
        try:
            self.printer.print_bytes(render_ticket(job.ticket, self.ticket_settings(), reprint=job.reprint))
            logger.info("printed ticket %s for the loket (job %s)", job.ticket.number, job.id)
        except PrinterError as exc:
            logger.error("ticket %s for the loket not printed (%s): %s", job.ticket.number, exc.state, exc)
        except Exception:
            logger.exception("ticket %s for the loket not printed", job.ticket.number)

    def _printer_state_changed(self, _state: PrinterState) -> None:
        self.runtime.set_details(printer=self.printer.state)

    # -- effects --------------------------------------------------------------------------------

    def _apply(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self._send(effect)
            elif isinstance(effect, Print):
                self._print_pool.submit(self._print, effect)

    def _send(self, effect: Send) -> None:
        node = self.config.node_id
        request = effect.request
        if isinstance(request, TicketCancel):
            topic = self.topics.ticket_cancel(node)
            logger.warning("giving up on %s: cancel sent", request.request_id)
        elif isinstance(request, BookingRequest):
            topic = self.topics.booking_request(node)
        else:
            topic = self.topics.ticket_request(node)
        logger.info("sending %s %s", type(request).__name__, request.request_id)
        self.link.publish(topic, request)

    def ticket_settings(self) -> TicketSettings:
        services = self.flow.services
        return TicketSettings(
            width_mm=self.config.ticket.paper_width_mm,
            site_name=services.site_name if services else "Puskesmas",
            motto=services.motto if services else "",
            footer=self.config.ticket.footer,
            qr=self.config.ticket.qr,
            timezone=self.config.timezone,
        )

    def _print(self, job: Print) -> None:
        ok = False
        try:
            state = self.printer.print_bytes(render_ticket(job.ticket, self.ticket_settings()))
            ok = True
            logger.info("printed ticket %s", job.ticket.number)
        except PrinterError as exc:
            state = exc.state
            logger.error("ticket %s not printed (%s): %s", job.ticket.number, exc.state, exc)
        except Exception:
            state = "error"
            logger.exception("ticket %s not printed", job.ticket.number)
        if self.on_print is not None:
            self.on_print(job.ticket, state, ok)
        self._post(lambda: self.flow.printed(job.request_id, state, ok, self.clock()))

    def _poll_printer(self) -> None:
        """Check the printer at start, then every ``status_interval_s``: the hub sees paper-out early."""
        while True:
            try:
                self.printer.check()
            except Exception:
                logger.exception("printer status check failed")
            if self._poll_stop.wait(self.config.printer.status_interval_s):
                return

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, size: tuple[int, int] | None = None, *, fullscreen: bool | None = None) -> None:
        """Open the screen and connect (in the background: the out-of-service screen shows meanwhile)."""
        pygame.display.init()
        pygame.font.init()
        screen = self.config.screen
        full = screen.fullscreen if fullscreen is None else fullscreen
        if full:
            self.surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        else:
            self.surface = pygame.display.set_mode(size or (screen.width, screen.height))
        pygame.display.set_caption(f"Antrean kiosk {self.config.node_id}")
        if screen.hide_cursor and full:
            pygame.mouse.set_visible(False)
        pygame.event.set_blocked(None)
        pygame.event.set_allowed([pygame.QUIT, pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN, pygame.FINGERDOWN])
        self.runtime.start()
        self._poller = threading.Thread(target=self._poll_printer, name="kiosk-printer-poll", daemon=True)
        self._poller.start()
        self.redraw(force=True)
        logger.info("kiosk %s started (%dx%d)", self.config.node_id, *self.surface.get_size())

    def stop(self) -> None:
        self.stop_event.set()
        self._poll_stop.set()
        self.runtime.stop()
        self._print_pool.shutdown(wait=True)
        self.printer.close()
        pygame.display.quit()

    def run(self, stop: threading.Event | None = None, tick: Callable[[], None] | None = None) -> None:
        """The main loop, until ``stop`` (or :attr:`stop_event`) is set or the window is closed."""
        stop = stop or self.stop_event
        while not stop.is_set() and not self.stop_event.is_set():
            self.step()
            if tick is not None:
                tick()

    def step(self, timeout_ms: int = TICK_MS) -> None:
        """Wait for one touch, message or tick, handle everything pending, redraw if something changed."""
        events = self._wait(timeout_ms / 1000)
        for event in events:
            self._handle_event(event)
        while True:
            try:
                job = self._inbox.get_nowait()
            except queue.Empty:
                break
            self._apply(job())
        self._apply(self.flow.tick(self.clock()))
        self.redraw()

    def _wait(self, timeout: float) -> list[pygame.event.Event]:
        """Input events, as soon as there are some or a message arrived, or after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            events = pygame.event.get()
            remaining = deadline - time.monotonic()
            if events or not self._inbox.empty() or remaining <= 0:
                self._wake.clear()
                return events
            if self._wake.wait(min(POLL_S, remaining)):
                self._wake.clear()

    def _handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
            self.stop_event.set()
            return
        if event.type == pygame.KEYDOWN:
            key = TYPED_KEYS.get(event.key, event.unicode)
            if key:
                self._apply(self.flow.typed(key, self.clock()))
        elif event.type == pygame.MOUSEBUTTONDOWN:
            if getattr(event, "touch", False):
                return  # SDL's mouse copy of a touch: the FINGERDOWN is handled instead
            self.touch(*event.pos)
        elif event.type == pygame.FINGERDOWN and self.surface is not None:
            width, height = self.surface.get_size()
            self.touch(event.x * width, event.y * height)

    def touch(self, x: float, y: float) -> None:
        scene = self.scene
        button = scene.hit(x, y) if scene is not None else None
        if button is None:
            if self.flow.screen == Screen.RESULT:  # a tap anywhere ends the result screen
                self._apply(self.flow.press("done", self.clock()))
            return
        logger.debug("touch on %s at %s", button.id, self.flow.screen)
        self._apply(self.flow.press(button.id, self.clock()))

    def redraw(self, force: bool = False) -> bool:
        if self.surface is None:
            return False
        size = self.surface.get_size()
        key = (self.flow.version, size)
        if not force and key == self._drawn:
            return False
        self.scene = build_scene(self.flow, size, self.config.screen.help_text)
        draw_scene(self.surface, self.scene)
        pygame.display.flip()
        self._drawn = key
        return True

    def save_screenshot(self, path: str | Path) -> Path:
        self.redraw()
        assert self.surface is not None
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.surface, str(target))
        return target
