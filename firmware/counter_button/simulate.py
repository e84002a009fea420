"""``--simulate``: press the node's buttons through gpiozero's mock pins from lines of text.

A line is ``ACTION LOKET [SECONDS]``: ``call 1``, ``skip 2``, ``recall 1``; SECONDS is how long the button
is held (default: just past that button's hold time, so SKIP honours its hold). ``quit`` stops the node.
The pins are driven exactly as a finger would: the same gpiozero buttons, callbacks and hold threads run.

>>> parse_line("skip 2 0.1")
Press(action='skip', counter=2, seconds=0.1)
>>> parse_line("panggil 1")
Traceback (most recent call last):
...
ValueError: unknown action 'panggil': use call, skip or recall
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import cast

from gpiozero.pins.mock import MockPin

from firmware.counter_button.machine import ACTIONS, Action
from firmware.counter_button.node import CounterNode

logger = logging.getLogger(__name__)

QUIT = "quit"
TAP_S = 0.05  # how long a plain press holds the button down


@dataclass(frozen=True)
class Press:
    action: Action
    counter: int
    seconds: float | None = None


def parse_line(line: str) -> Press:
    words = line.split()
    if len(words) not in (2, 3):
        raise ValueError("expected: call|skip|recall LOKET [SECONDS]")
    action, counter = words[0].lower(), words[1]
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: use call, skip or recall")
    if not counter.isdigit():
        raise ValueError(f"loket must be a number, got {counter!r}")
    seconds = float(words[2]) if len(words) == 3 else None
    if seconds is not None and not 0 <= seconds <= 10:
        raise ValueError("SECONDS must be between 0 and 10")
    return Press(cast(Action, action), int(counter), seconds)


class Simulator:
    """Drives the mock pins of ``node`` (built on a ``MockFactory``)."""

    def __init__(self, node: CounterNode) -> None:
        self.node = node
        self.pull_up = node.config.buttons.pull_up
        self.bounce_s = node.config.buttons.bounce_ms / 1000
        self.holds = node.config.buttons.holds()

    def pin(self, counter: int, action: Action) -> MockPin:
        buttons = self.node.buttons.get(counter)
        if buttons is None:
            raise ValueError(f"this node has no loket {counter} (it has {sorted(self.node.buttons)})")
        pin = buttons.buttons[action].pin
        if not isinstance(pin, MockPin):
            raise TypeError("the simulator needs gpiozero's MockFactory")
        return pin

    def press(self, press: Press) -> None:
        """Push the button down, keep it there, let it go, then wait out the bounce time."""
        pin = self.pin(press.counter, press.action)
        hold = self.holds[press.action]
        seconds = press.seconds if press.seconds is not None else (hold + 0.25 if hold > 0 else TAP_S)
        down, up = (pin.drive_low, pin.drive_high) if self.pull_up else (pin.drive_high, pin.drive_low)
        down()
        time.sleep(seconds)
        up()
        time.sleep(self.bounce_s + 0.01)

    def handle(self, line: str) -> bool:
        """Act on one input line; False once the line says ``quit``."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if text.lower() == QUIT:
            return False
        try:
            self.press(parse_line(text))
        except ValueError as exc:
            logger.warning("simulator: %s (line %r)", exc, text)
        return True
