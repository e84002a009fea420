"""A dispatcher on a real (fresh) database with a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.config import QueueSettings
from hub.db.base import make_engine, make_session_factory
from hub.db.seed import seed
from hub.dispatch.service import Dispatcher, Outcome
from protocol import CounterCommand, Ticket, TicketReply, TicketRequest
from tests.database import upgrade

JAKARTA = ZoneInfo("Asia/Jakarta")


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 2, 26, 8, 0, tzinfo=JAKARTA))

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Desk:
    """Test driver: issue and call with short names."""

    def __init__(self, url: str, **queue: object) -> None:
        self.engine: Engine = make_engine(url)
        upgrade(self.engine)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        with self.sessions.begin() as session:
            seed(session, QueueSettings.model_validate(queue))
        self.clock = Clock()
        self.dispatcher = Dispatcher(
            self.sessions,
            tz=JAKARTA,
            public_url="http://hub:8080",
            site_name="PKM Test",
            motto="Motto",
            clock=self.clock,
        )
        self._n = 0

    def close(self) -> None:
        self.engine.dispose()

    def take(
        self,
        category: str = "umum",
        poly: str = "A",
        reason: str | None = None,
        *,
        request_id: str | None = None,
        node: str = "k1",
        payment: str = "bpjs",
    ) -> TicketReply:
        self._n += 1
        if category == "prioritas" and reason is None:
            reason = "lansia"
        request = TicketRequest(
            request_id=request_id or f"r{self._n}",
            category=category,
            priority_reason=reason,
            payment_type=payment,
            poly_code=poly,
        )
        reply = self.dispatcher.issue_ticket(request, node=node).reply
        assert isinstance(reply, TicketReply)
        return reply

    def ticket(
        self, category: str = "umum", poly: str = "A", reason: str | None = None, **options: str
    ) -> Ticket:
        """:meth:`take` (``options``: its keyword arguments), which must issue a ticket."""
        reply = self.take(category, poly, reason, **options)
        assert reply.ok and reply.ticket is not None, reply.error
        return reply.ticket

    def act(self, counter: int, action: str, request_id: str | None = None) -> Outcome:
        self._n += 1
        command = CounterCommand(
            request_id=request_id or f"c{self._n}",
            action=action,
            source="button",
        )
        return self.dispatcher.command(counter, command)

    def call(self, counter: int = 1) -> str | None:
        reply = self.act(counter, "call").reply
        assert reply is not None
        if not reply.ok:
            assert reply.error is not None
            return f"!{reply.error.code}"
        return reply.ticket.number if reply.ticket else None
