"""Light and sound patterns shown at a loket: what each outcome of a button press looks like.

A pattern is a list of steps (colour or dark, seconds), played once or looped. Pure: the node asks a pattern
what to show ``elapsed`` seconds after it started and when that changes next.

>>> NO_WAITING.at(0.0)
('red', 0.2)
>>> NO_WAITING.at(0.2)
(None, 0.2)
>>> NO_WAITING.at(5.0)
(None, None)
>>> OFFLINE.at(2.5)
('amber', 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Color = Literal["green", "amber", "red"]
COLORS: tuple[Color, ...] = ("green", "amber", "red")


@dataclass(frozen=True)
class Pattern:
    """``steps`` of (colour or None for dark, seconds); ``loop`` repeats them until replaced."""

    name: str
    steps: tuple[tuple[Color | None, float], ...]
    loop: bool = False

    @property
    def duration(self) -> float:
        return sum(seconds for _, seconds in self.steps)

    def at(self, elapsed: float) -> tuple[Color | None, float | None]:
        """The colour ``elapsed`` s after the start and the seconds until the next change
        (``None``: the pattern has ended, or it never changes again)."""
        if not self.steps:
            return None, None
        if self.loop:
            elapsed %= self.duration
        for color, seconds in self.steps:
            if elapsed < seconds:
                return color, seconds - elapsed
            elapsed -= seconds
        return None, None

    def finished(self, elapsed: float) -> bool:
        return not self.loop and elapsed >= self.duration


# Steady states, shown while nothing else plays.
IDLE = Pattern("idle", ())
WAITING = Pattern("waiting", (("amber", 3600.0),), loop=True)
OFFLINE = Pattern("offline", (("amber", 1.0), (None, 1.0)), loop=True)

# Outcomes of a press, played once and then back to the steady state.
ACK = Pattern("ack", (("green", 0.6),))
NO_WAITING = Pattern("no_waiting", (("red", 0.2), (None, 0.2), ("red", 0.2), (None, 0.2)))
REFUSED = Pattern("refused", (("red", 1.5), (None, 0.2)))
# No reply within the deadline, or pressed while the hub cannot be reached: the press did nothing.
NO_REPLY = Pattern("no_reply", (("red", 0.1), (None, 0.1)) * 5)

PATTERNS: dict[str, Pattern] = {
    p.name: p for p in (IDLE, WAITING, OFFLINE, ACK, NO_WAITING, REFUSED, NO_REPLY)
}


def pattern_for_error(code: str) -> Pattern:
    """``no_waiting`` has its own double blink; every other refusal is one long red."""
    return NO_WAITING if code == "no_waiting" else REFUSED
