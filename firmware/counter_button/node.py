"""The counter node: loket machines wired to gpiozero buttons and lights and to the hub over MQTT.

Every input (a button edge on a gpiozero thread, a message on paho's thread, a connection change, the clock)
goes through one lock into the pure :class:`LoketMachine` of its loket; the resulting command is published
and the events go to the log and to listeners. One light thread shows each loket's pattern and wakes only
when a pattern changes or a deadline passes.

>>> from firmware.counter_button.config import CounterConfig
>>> from gpiozero.pins.mock import MockFactory
>>> node = CounterNode(CounterConfig(), pin_factory=MockFactory())
>>> sorted(node.machines)
[1]
>>> node.close_hardware()
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from gpiozero.pins import Factory
from paho.mqtt.client import MQTTMessageInfo

from antrean.runtime import NodeRuntime
from firmware.counter_button.config import CounterConfig
from firmware.counter_button.feedback import Color
from firmware.counter_button.hardware import LoketButtons, LoketLight
from firmware.counter_button.machine import Action, Event, LoketMachine, Step
from protocol import CounterReply, CounterState, NodeStatus, Topics

logger = logging.getLogger(__name__)

Listener = Callable[[Event], None]
_UNSET = object()


class CounterNode:
    """All lokets of one counter node. ``start()`` connects and lights up, ``stop()`` says offline."""

    def __init__(
        self,
        config: CounterConfig,
        *,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.topics = Topics(config.site)
        self._clock = clock
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._listeners: list[Listener] = []
        self.machines: dict[int, LoketMachine] = {}
        self.lights: dict[int, LoketLight] = {}
        self.buttons: dict[int, LoketButtons] = {}
        for loket in config.lokets:
            n = loket.counter
            self.machines[n] = LoketMachine(
                n,
                timeout_s=config.reply_timeout_s,
                bounce_s=config.buttons.bounce_ms / 1000,
                holds=config.buttons.holds(),
                new_request_id=self._request_id_factory(n),
            )
            self.lights[n] = LoketLight(loket, config.lights, pin_factory=pin_factory)
            self.buttons[n] = LoketButtons(
                loket,
                config.buttons,
                pressed=self._edge(n, LoketMachine.pressed),
                released=self._edge(n, LoketMachine.released),
                held=self._edge(n, LoketMachine.held),
                pin_factory=pin_factory,
            )
        self._shown: dict[int, object] = {n: _UNSET for n in self.machines}
        self._sent: dict[int, MQTTMessageInfo] = {}
        self.runtime = NodeRuntime(
            config,
            "counter",
            details={"lokets": sorted(self.machines)},
            resend_after_reconnect=False,  # a press whose reply never came showed red: never act on it later
        )
        self.link = self.runtime.link
        for n in self.machines:
            self.runtime.route(self.topics.counter_reply(n), CounterReply, self._on_reply(n))
            self.runtime.route(self.topics.counter_state(n), CounterState, self._on_state(n))
        self.runtime.route(
            self.topics.hub_status(),
            NodeStatus,
            lambda _topic, status: self._on_hub(status.state == "online"),
            cleared=lambda _topic: self._on_hub(False),
        )
        self.link.on_connection_change(self._on_connection)
        self._light_thread = threading.Thread(target=self._run_lights, name="counter-lights", daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """``listener(event)`` for every event of every loket (called outside the node's lock)."""
        self._listeners.append(listener)

    def start(self, wait: float | None = None) -> bool:
        """Start the lights and connect (retrying forever); optionally wait for the broker."""
        self._light_thread.start()
        return self.runtime.start(wait=wait)

    def stop(self) -> None:
        """Publish ``offline``, disconnect, darken the lights and release the pins (once)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake.set()
        if self._light_thread.is_alive():
            self._light_thread.join(timeout=2)
        self.runtime.stop()
        self.close_hardware()

    def close_hardware(self) -> None:
        for light in self.lights.values():
            light.show(None)
            light.close()
        for buttons in self.buttons.values():
            buttons.close()

    def _request_id_factory(self, n: int) -> Callable[[], str]:
        prefix = f"{self.config.node_id[:40]}-{n}"

        def new_request_id() -> str:
            return f"{prefix}-{uuid.uuid4().hex[:16]}"

        return new_request_id

    # -- inputs ---------------------------------------------------------------------------------

    def _apply(self, n: int, change: Callable[[LoketMachine, float], Step]) -> None:
        with self._lock:
            step = change(self.machines[n], self._clock())
            if step.command is not None:
                self._sent[n] = self.link.publish(self.topics.counter_command(n), step.command)
        self._wake.set()
        self._emit(step.events)

    def _apply_all(self, change: Callable[[LoketMachine, float], Step]) -> None:
        for n in self.machines:
            self._apply(n, change)

    def _edge(
        self, n: int, method: Callable[[LoketMachine, Action, float], Step]
    ) -> Callable[[Action], None]:
        def on_edge(action: Action) -> None:
            self._apply(n, lambda machine, now: method(machine, action, now))

        return on_edge

    def _on_reply(self, n: int) -> Callable[[str, CounterReply], None]:
        return lambda _topic, reply: self._apply(n, lambda machine, now: machine.reply(reply, now))

    def _on_state(self, n: int) -> Callable[[str, CounterState], None]:
        return lambda _topic, state: self._apply(n, lambda machine, _now: machine.counter_state(state))

    def _on_hub(self, online: bool) -> None:
        """The hub's status; cleared (an empty retained message) counts as offline."""
        self._apply_all(lambda machine, now: machine.hub(online, now))

    def _on_connection(self, up: bool) -> None:
        self._apply_all(lambda machine, now: machine.connection(up, now))

    def _emit(self, events: tuple[Event, ...]) -> None:
        for event in events:
            level = logging.WARNING if event.kind in ("no_reply", "refused", "offline") else logging.INFO
            logger.log(level, "%s", event.line())
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    logger.exception("event listener failed")

    # -- lights ---------------------------------------------------------------------------------

    def _run_lights(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            wake_in = 1.0
            events: list[Event] = []
            with self._lock:
                now = self._clock()
                for n, machine in self.machines.items():
                    expired = machine.tick(now).events
                    if expired:
                        self._abandon_if_unacknowledged(n)
                    events.extend(expired)
                    view = machine.lamp(now)
                    self._show(n, view.color)
                    if view.wake_in is not None:
                        wake_in = min(wake_in, view.wake_in)
            self._emit(tuple(events))
            self._wake.wait(max(wake_in, 0.005))

    def _abandon_if_unacknowledged(self, n: int) -> None:
        """The press got no reply and showed red: if the broker never acknowledged it either, the link is
        dead or stalled, and the command must not arrive when it recovers (staff will press again)."""
        sent = self._sent.pop(n, None)
        if sent is not None and self.link.abandon(sent):
            logger.warning("loket %d: the abandoned command never reached the broker; not sent later", n)

    def _show(self, n: int, color: Color | None) -> None:
        if self._shown[n] != color:
            self._shown[n] = color
            self.lights[n].show(color)

    def current_color(self, n: int) -> Color | None:
        """The colour last put on loket ``n``'s light (for tests and the simulator)."""
        with self._lock:
            shown = self._shown[n]
        return None if shown is _UNSET else shown  # type: ignore[return-value]
