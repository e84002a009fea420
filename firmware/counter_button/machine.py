"""The pure logic of one loket's buttons: press → command → reply → feedback pattern.

No clock, no threads, no MQTT, no pins: every input carries ``now`` (monotonic seconds) and returns a
:class:`Step` saying what to publish and what happened. The node wires it to gpiozero and MQTT.

States: *idle*, *in flight* (a command waits for its reply, amber) and *offline* (the broker or the hub cannot
be reached, slow amber blink). A press while in flight is ignored; a press while offline is not sent and shows
the error signal; no reply within the deadline shows the error signal and the request is abandoned: its late
reply is ignored and the press is never re-sent.

>>> ids = iter(["r1", "r2"])
>>> m = LoketMachine(1, timeout_s=3.0, bounce_s=0.03, holds={"skip": 0.8}, new_request_id=lambda: next(ids))
>>> _ = m.connection(True, 0.0), m.hub(True, 0.0)
>>> m.pressed("call", 1.0).command.request_id
'r1'
>>> m.lamp(1.1).pattern
'waiting'
>>> m.reply(CounterReply(request_id="r1", ok=False, error=ErrorInfo.of("no_waiting")), 1.2).events[0].kind
'no_waiting'
>>> m.lamp(1.3).color
'red'
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from firmware.counter_button.feedback import (
    ACK,
    IDLE,
    NO_REPLY,
    OFFLINE,
    WAITING,
    Color,
    Pattern,
    pattern_for_error,
)
from protocol import CounterCommand, CounterReply, CounterState, ErrorInfo

__all__ = ["ACTIONS", "Action", "Event", "LampView", "LoketMachine", "Step"]

logger = logging.getLogger(__name__)

Action = Literal["call", "skip", "recall"]
ACTIONS: tuple[Action, ...] = ("call", "skip", "recall")

EventKind = Literal[
    "waiting",  # command sent, amber until the reply
    "ack",  # the hub did it
    "no_waiting",  # refused: nobody is waiting
    "refused",  # refused for another reason
    "no_reply",  # no reply within the deadline, or not sent because offline
    "ignored",  # press not acted on (in flight, or SKIP released before its hold)
    "offline",  # broker or hub unreachable
    "online",  # reachable again
    "state",  # the hub's retained loket state changed
]


@dataclass(frozen=True)
class Event:
    """Something the staff should see (or a technician read in the log)."""

    counter: int
    kind: EventKind
    action: Action | None = None
    detail: str = ""

    def line(self) -> str:
        """One line for the simulator's standard output, e.g. ``loket 1 ack call A-001``."""
        parts = [f"loket {self.counter}", self.kind]
        if self.action:
            parts.append(self.action)
        if self.detail:
            parts.append(self.detail)
        return " ".join(parts)


@dataclass(frozen=True)
class Step:
    """The result of one input: a command to publish (or None) and the events it caused."""

    command: CounterCommand | None = None
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class LampView:
    """What the loket light shows now and in how many seconds that may change (None: not by itself)."""

    pattern: str
    color: Color | None
    wake_in: float | None


@dataclass
class _Pending:
    request_id: str
    action: Action
    deadline: float


@dataclass
class _Button:
    last_edge: float | None = None
    pressed_at: float | None = None  # an accepted press still waiting for its hold time


@dataclass
class LoketMachine:
    """Buttons, in-flight command and feedback of loket ``counter``."""

    counter: int
    timeout_s: float
    bounce_s: float
    holds: Mapping[str, float]
    new_request_id: Callable[[], str]
    link_up: bool = False
    hub_online: bool = False
    state: CounterState | None = None
    pending: _Pending | None = None
    _buttons: dict[str, _Button] = field(default_factory=lambda: {a: _Button() for a in ACTIONS})
    _playing: tuple[Pattern, float] | None = None
    _offline_since: float = 0.0

    # -- derived --------------------------------------------------------------------------------

    @property
    def offline(self) -> bool:
        return not (self.link_up and self.hub_online)

    def hold_s(self, action: Action) -> float:
        return self.holds.get(action, 0.0)

    def lamp(self, now: float) -> LampView:
        """The pattern on the light at ``now``: an outcome while it plays, else the steady state."""
        if self._playing is not None:
            pattern, started = self._playing
            if not pattern.finished(now - started):
                color, wake_in = pattern.at(now - started)
                return LampView(pattern.name, color, wake_in)
        if self.offline:
            pattern, started = OFFLINE, self._offline_since
        elif self.pending is not None:
            pattern, started = WAITING, now
        else:
            pattern, started = IDLE, now
        color, wake_in = pattern.at(now - started)
        if self.pending is not None:
            until_deadline = max(0.0, self.pending.deadline - now)
            wake_in = until_deadline if wake_in is None else min(wake_in, until_deadline)
        return LampView(pattern.name, color, wake_in)

    # -- buttons --------------------------------------------------------------------------------

    def _debounced(self, action: Action, now: float) -> bool:
        """True if this edge is contact bounce (too soon after the previous edge of the same button)."""
        button = self._buttons[action]
        bouncing = button.last_edge is not None and now - button.last_edge < self.bounce_s
        button.last_edge = now
        return bouncing

    def pressed(self, action: Action, now: float) -> Step:
        """The button went down."""
        if self._debounced(action, now):
            return Step()
        if self.hold_s(action) > 0:
            self._buttons[action].pressed_at = now
            return Step()
        return self._act(action, now)

    def held(self, action: Action, now: float) -> Step:
        """The button has been down for its hold time (gpiozero ``when_held``)."""
        button = self._buttons[action]
        if self.hold_s(action) <= 0 or button.pressed_at is None:
            return Step()
        button.pressed_at = None
        return self._act(action, now)

    def released(self, action: Action, now: float) -> Step:
        """The button went up."""
        if self._debounced(action, now):
            return Step()
        button = self._buttons[action]
        if button.pressed_at is None:
            return Step()
        button.pressed_at = None
        return Step(events=(Event(self.counter, "ignored", action, "released before hold"),))

    def _act(self, action: Action, now: float) -> Step:
        if self.pending is not None:
            return Step(events=(Event(self.counter, "ignored", action, "in flight"),))
        if self.offline:
            self._playing = (NO_REPLY, now)
            why = "broker offline" if not self.link_up else "hub offline"
            return Step(events=(Event(self.counter, "no_reply", action, f"not sent: {why}"),))
        request_id = self.new_request_id()
        self.pending = _Pending(request_id, action, now + self.timeout_s)
        self._playing = None
        command = CounterCommand(request_id=request_id, action=action, source="button")
        return Step(command, (Event(self.counter, "waiting", action, request_id),))

    # -- hub ------------------------------------------------------------------------------------

    def reply(self, reply: CounterReply, now: float) -> Step:
        """A reply on ``counter/{n}/reply``: only the one for the command in flight counts."""
        pending = self.pending
        if pending is None or reply.request_id != pending.request_id:
            logger.debug(
                "loket %d: reply %s is not for the command in flight", self.counter, reply.request_id
            )
            return Step()
        self.pending = None
        if reply.ok:
            self._playing = (ACK, now)
            number = reply.ticket.number if reply.ticket else ""
            return Step(events=(Event(self.counter, "ack", pending.action, number),))
        error = reply.error or ErrorInfo.of("internal")
        pattern = pattern_for_error(error.code)
        self._playing = (pattern, now)
        kind: EventKind = "no_waiting" if pattern.name == "no_waiting" else "refused"
        detail = error.message if kind == "no_waiting" else f"{error.code}: {error.message}"
        return Step(events=(Event(self.counter, kind, pending.action, detail),))

    def tick(self, now: float) -> Step:
        """Time passes: a command past its deadline is abandoned with the error signal."""
        pending = self.pending
        if pending is None or now < pending.deadline:
            return Step()
        self.pending = None
        self._playing = (NO_REPLY, now)
        detail = f"no reply within {self.timeout_s:g} s"
        return Step(events=(Event(self.counter, "no_reply", pending.action, detail),))

    def counter_state(self, state: CounterState) -> Step:
        """The hub's retained state of this loket."""
        if state == self.state:
            return Step()
        self.state = state
        current = state.current.number if state.current else "-"
        detail = (
            f"current={current} prioritas={state.waiting.prioritas} umum={state.waiting.umum} "
            f"open={'yes' if state.open else 'no'}"
        )
        return Step(events=(Event(self.counter, "state", None, detail),))

    # -- availability ---------------------------------------------------------------------------

    def connection(self, up: bool, now: float) -> Step:
        """The broker connection came up or went down. What we knew of the hub is stale once the link
        is lost: the hub counts as online again only when its retained status says so after reconnecting."""
        return self._availability(now, link_up=up, hub_online=None if up else False)

    def hub(self, online: bool, now: float) -> Step:
        """The hub's retained status changed."""
        return self._availability(now, hub_online=online)

    def _availability(
        self, now: float, *, link_up: bool | None = None, hub_online: bool | None = None
    ) -> Step:
        was_offline = self.offline
        if link_up is not None:
            self.link_up = link_up
        if hub_online is not None:
            self.hub_online = hub_online
        if self.offline == was_offline:
            return Step()
        if self.offline:
            self._offline_since = now
            why = "broker" if not self.link_up else "hub"
            return Step(events=(Event(self.counter, "offline", None, f"{why} unreachable"),))
        return Step(events=(Event(self.counter, "online"),))
