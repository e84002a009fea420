"""The lifecycles the hub stores: a queue ticket's, an online booking's and a BPJS outbox item's status,
one ``StrEnum`` each, and every set of statuses the rules and the screens count by, derived here only.

Columns keep their VARCHAR(20) and the statuses' text (no migration): :func:`stored` maps them.

>>> TicketStatus("called") in AT_LOKET
True
>>> sorted(FINISHED)
[<TicketStatus.CANCELLED: 'cancelled'>, <TicketStatus.DONE: 'done'>]
>>> TicketStatus.DONE in REGISTERED_OR_LATER
True
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sqlalchemy import Enum


class TicketStatus(StrEnum):
    """A queue ticket's status (the seed's status set); ``ticket.status`` on the wire is its value."""

    WAITING = "waiting"  # issued at a kiosk, in the shared queue
    CONFIRMED = "confirmed"  # an online booking confirmed on arrival, in the shared queue
    CALLED = "called"  # called to a loket
    SERVING = "serving"  # the loket is registering the patient
    REGISTERED = "registered"
    DIRECTED_TO_POLY = "directed_to_poly"  # the medical record went to the poly
    DONE = "done"
    SKIPPED = "skipped"  # did not come when called; can be called again
    CANCELLED = "cancelled"


class BookingStatus(StrEnum):
    """An online booking's status: a ticket is issued when it is confirmed at a kiosk."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its day passed unconfirmed


class OutboxStatus(StrEnum):
    """A BPJS (PCare) write waiting in ``bpjs_outbox``."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


_T = TicketStatus
TICKET_TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = {
    _T.WAITING: frozenset({_T.CONFIRMED, _T.CALLED, _T.CANCELLED}),
    _T.CONFIRMED: frozenset({_T.CALLED, _T.CANCELLED}),
    _T.CALLED: frozenset({_T.SERVING, _T.SKIPPED, _T.REGISTERED, _T.DIRECTED_TO_POLY, _T.DONE, _T.CANCELLED}),
    _T.SERVING: frozenset({_T.SKIPPED, _T.REGISTERED, _T.DIRECTED_TO_POLY, _T.DONE, _T.CANCELLED}),
    _T.REGISTERED: frozenset({_T.DIRECTED_TO_POLY, _T.DONE, _T.CANCELLED}),
    _T.DIRECTED_TO_POLY: frozenset({_T.DONE}),
    _T.SKIPPED: frozenset({_T.CALLED, _T.CANCELLED}),
    _T.DONE: frozenset(),
    _T.CANCELLED: frozenset(),
}

CALLABLE = frozenset({_T.WAITING, _T.CONFIRMED})  # in the shared queue: "Menunggu"
AT_LOKET = frozenset({_T.CALLED, _T.SERVING})  # the loket's current patient
RECALLABLE = AT_LOKET | {_T.REGISTERED}  # a loket's RECALL announces these again
CALLABLE_AGAIN = CALLABLE | {_T.SKIPPED}  # the web loket page may call these (again)
# served at the loket: "Terdaftar" on the waiting room's screen and on the admin dashboard alike
REGISTERED_OR_LATER = frozenset({_T.REGISTERED, _T.DIRECTED_TO_POLY, _T.DONE})
FINISHED = frozenset(status for status in TicketStatus if not TICKET_TRANSITIONS[status])
UNFINISHED = frozenset(TicketStatus) - REGISTERED_OR_LATER - FINISHED  # expired when their day is over
ISSUED = frozenset(TicketStatus) - {_T.CANCELLED}  # numbers taken: the quota and the day's totals
COMPLETES = frozenset({_T.DIRECTED_TO_POLY, _T.DONE, _T.CANCELLED})  # the workflow sets completed_at

OUTBOX_RETRYABLE = frozenset({OutboxStatus.PENDING, OutboxStatus.FAILED})  # staff may send these again


def stored(lifecycle: type[StrEnum]) -> Enum:
    """The column type of a ``lifecycle`` status: its value in a VARCHAR(20), read back as the enum; a
    text that is not one of its values is refused before it is written."""
    return Enum(
        lifecycle,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
