"""What a queue operation answers: an :class:`Outcome` (the reply and what changed), or a refusal
(:class:`DispatchError`)."""

from __future__ import annotations

from dataclasses import dataclass

from protocol import Announcement, CounterReply, CounterState, DisplayState, ErrorInfo, TicketReply
from protocol.errors import ErrorCode


class DispatchError(Exception):
    """A refusal under the queue rules, with the protocol's error code and an Indonesian message.

    >>> DispatchError("no_waiting").info.code
    'no_waiting'
    """

    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        super().__init__(code)
        self.info = ErrorInfo.of(code, message)


@dataclass(frozen=True)
class LiveState:
    """``display/state`` and every ``counter/{n}/state`` as of one queue version (a newer one supersedes)."""

    version: int
    display: DisplayState
    counters: list[CounterState]


@dataclass
class Outcome:
    """What an operation answered and what changed (for the gateway to publish)."""

    reply: TicketReply | CounterReply | None = None
    live: bool = False  # the display's and the lokets' states (every queue change moves them all)
    services: bool = False
    announcement: Announcement | None = None
    # a call's live state, computed in its own transaction so that it goes out at once
    live_now: LiveState | None = None
