"""WhatsApp messages of a ticket's life reach the strict provider simulator in order, once, retried with
back-off when the provider fails."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from hub.config import WhatsAppConfig
from hub.db.models import Notification
from hub.followers import QueueTail
from hub.whatsapp.follower import WhatsAppFollower
from hub.whatsapp.outbox import WhatsAppSender
from hub.whatsapp.providers import OutgoingMessage, SendResult, build_provider
from hub.whatsapp.sim import WhatsAppSimState, WhatsAppSimulator
from hub.whatsapp.templates import save_template
from protocol import BookingRequest
from tests.hub.dispatch_support import JAKARTA, Desk

PHONE = "6281234567890"
TODAY = date(2026, 2, 26)


@dataclass
class Wa:
    desk: Desk
    state: WhatsAppSimState
    sender: WhatsAppSender
    tail: QueueTail

    def run(self) -> None:
        self.tail.step()
        self.sender.step()

    def book(self, day: date = TODAY, phone: str | None = PHONE) -> str:
        booking = self.desk.dispatcher.create_booking(
            day=day,
            category="umum",
            reason=None,
            payment="umum",
            poly_code="A",
            source="web",
            phone=phone,
            phone_consent=True,
        )
        return booking.booking_code

    def arrive(self, code: str) -> str:
        outcome = self.desk.dispatcher.confirm_booking(
            BookingRequest(request_id=f"b-{code}", booking_code=code), node="k1"
        )
        assert outcome.reply is not None and outcome.reply.ticket is not None
        return outcome.reply.ticket.number


def make(desk: Desk, state: WhatsAppSimState, server: WhatsAppSimulator, **config: object) -> Wa:
    settings = WhatsAppConfig.model_validate(
        {
            "provider": "cloud",
            "base_url": server.cloud_base_url,
            "phone_number_id": state.phone_number_id,
            "token": state.token,
            **config,
        }
    )
    provider = build_provider(settings)
    assert provider is not None
    sender = WhatsAppSender(desk.sessions, provider, settings, clock=desk.clock)
    follower = WhatsAppFollower(
        settings, site_name="PKM Test", tz=JAKARTA, ticket_of=desk.dispatcher.ticket_by_token
    )
    return Wa(desk, state, sender, QueueTail(desk.sessions, [follower], clock=desk.clock))


@pytest.fixture
def parts(database_url: str) -> Iterator[tuple[Desk, WhatsAppSimState, WhatsAppSimulator]]:
    desk = Desk(database_url)
    state = WhatsAppSimState()
    server = WhatsAppSimulator(state).start()
    try:
        yield desk, state, server
    finally:
        server.stop()
        desk.close()


@pytest.fixture
def wa(parts: tuple[Desk, WhatsAppSimState, WhatsAppSimulator]) -> Wa:
    return make(*parts)


def test_a_booked_tickets_life_arrives_in_order(wa: Wa) -> None:
    code = wa.book()
    for n in range(4):
        wa.desk.ticket(request_id=f"k{n}")
    number = wa.arrive(code)
    wa.run()
    assert wa.state.templates_of(PHONE) == ["antrean_booking_confirmed"]  # 4 ahead: not yet "soon"
    confirmed = wa.state.messages[0].params
    assert confirmed[:4] == ("PKM Test", number, "Poli Umum", "26-02-2026") and confirmed[5] == code
    assert wa.desk.call() == "A-001"
    wa.run()
    assert wa.state.templates_of(PHONE) == ["antrean_booking_confirmed", "antrean_soon"]
    assert wa.state.messages[-1].params == ("PKM Test", number, "3", "Poli Umum")
    for _ in range(3):
        wa.desk.call()
        wa.run()
    assert wa.desk.call(2) == number
    wa.run()
    assert wa.state.templates_of(PHONE) == ["antrean_booking_confirmed", "antrean_soon", "antrean_called"]
    assert wa.state.messages[-1].params == ("PKM Test", number, "Loket 2")
    wa.desk.act(2, "skip")
    wa.run()
    assert wa.state.templates_of(PHONE)[-1] == "antrean_skipped"
    wa.run()
    assert len(wa.state.messages) == 4 and wa.state.refused == []
    with wa.desk.sessions() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        assert [(r.type, r.status, r.phone_number) for r in rows] == [
            ("booking_confirmed", "sent", PHONE),
            ("soon", "sent", PHONE),
            ("called", "sent", PHONE),
            ("skipped", "sent", PHONE),
        ]
        assert rows[2].message == f"PKM Test: nomor antrean {number} dipanggil. Silakan menuju Loket 2."


def test_failures_are_retried_with_back_off_and_never_sent_twice(wa: Wa) -> None:
    wa.arrive(wa.book())
    wa.state.fail_next(2, 500)
    wa.run()
    assert wa.state.messages == []
    with wa.desk.sessions() as session:
        row, soon = session.scalars(select(Notification).order_by(Notification.id)).all()
        assert (row.type, row.status, row.attempts) == ("booking_confirmed", "pending", 1)
        assert (soon.type, soon.attempts) == ("soon", 0)  # waits behind the earlier message to the same phone
        assert row.next_attempt_at is not None and row.next_attempt_at - wa.desk.clock() == timedelta(
            seconds=5
        )
    assert wa.sender.step() == 0  # not due yet
    wa.desk.clock.advance(seconds=5)
    assert wa.sender.step() == 1
    with wa.desk.sessions() as session:
        row = session.scalars(select(Notification).order_by(Notification.id)).all()[0]
        assert row.next_attempt_at is not None and row.next_attempt_at - wa.desk.clock() == timedelta(
            seconds=10
        )
    wa.desk.clock.advance(seconds=10)
    wa.run()
    wa.desk.clock.advance(seconds=60)
    wa.run()
    assert wa.state.templates_of(PHONE) == ["antrean_booking_confirmed", "antrean_soon"]
    again = QueueTail(
        wa.desk.sessions, wa.tail.followers, clock=wa.desk.clock
    )  # a restart reads it all again
    again.step()
    wa.sender.step()
    assert len(wa.state.messages) == 2


def test_a_refusal_is_not_retried(parts: tuple[Desk, WhatsAppSimState, WhatsAppSimulator]) -> None:
    wa = make(*parts, token="wrong")
    wa.arrive(wa.book())
    wa.run()
    wa.desk.clock.advance(seconds=600)
    wa.run()
    with wa.desk.sessions() as session:
        rows = session.scalars(select(Notification)).all()
        assert {(row.status, row.attempts) for row in rows} == {("failed", 1)}
        assert all("HTTP 401" in (row.error_message or "") for row in rows)
    assert wa.state.refused == ["Invalid OAuth access token"] * 2


def test_the_gateway_gets_the_admins_text_as_a_form(
    parts: tuple[Desk, WhatsAppSimState, WhatsAppSimulator],
) -> None:
    desk, state, server = parts
    state.gateway_body, state.token_field, state.phone_field = "form", "token", "phone"
    wa = make(
        desk,
        state,
        server,
        provider="gateway",
        url=server.gateway_url,
        body="form",
        token_field="token",
        phone_field="phone",
    )
    with desk.sessions.begin() as session:
        assert save_template(session, "called", "Nomor {nomor} ke {ruang}", "antrean_called", None) == [
            "{ruang} tidak dikenal; yang tersedia: {puskesmas} {nomor} {loket}"
        ]
        assert (
            save_template(session, "called", "Halo, {nomor} silakan ke {loket}.", "antrean_called", None)
            == []
        )
    number = wa.arrive(wa.book(phone="0812-3456-7890"))
    wa.desk.call()
    wa.run()
    assert [m.text for m in state.messages][-1] == f"Halo, {number} silakan ke Loket 1."
    assert {m.provider for m in state.messages} == {"gateway"}


def test_the_reminder_goes_the_evening_before(wa: Wa) -> None:
    code = wa.book(day=TODAY + timedelta(days=1))
    wa.book(day=TODAY + timedelta(days=2))
    wa.run()
    assert wa.state.messages == []
    wa.desk.clock.now = datetime(2026, 2, 26, 18, 1, tzinfo=JAKARTA)
    wa.run()
    assert wa.state.templates_of(PHONE) == ["antrean_reminder"]
    assert wa.state.messages[0].params[-1] == code
    wa.desk.clock.advance(minutes=5)
    wa.run()
    assert len(wa.state.messages) == 1


class StuckProvider:
    """A provider that does not answer until released (a dead network)."""

    name = "stuck"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def send(self, message: OutgoingMessage) -> SendResult:
        self.entered.set()
        self.release.wait(30)
        return SendResult(True, message_id="late")


def test_a_stuck_provider_never_holds_up_the_queue(
    parts: tuple[Desk, WhatsAppSimState, WhatsAppSimulator],
) -> None:
    desk = parts[0]
    settings = WhatsAppConfig(provider="gateway", url="http://unused", interval_s=0.05)
    provider = StuckProvider()
    sender = WhatsAppSender(desk.sessions, provider, settings).start()
    follower = WhatsAppFollower(
        settings, site_name="PKM", tz=JAKARTA, ticket_of=desk.dispatcher.ticket_by_token, wake=sender.wake
    )
    tail = QueueTail(desk.sessions, [follower], interval_s=0.05).start()
    wa = Wa(desk, parts[1], sender, tail)
    try:
        number = wa.arrive(wa.book())
        assert provider.entered.wait(10)  # the sender is stuck in the first message
        assert desk.call() == number  # the loket calls all the same
        desk.ticket(request_id="after")  # and the kiosk issues
        assert not provider.release.is_set()
    finally:
        provider.release.set()
        tail.stop()
        sender.stop()


def test_a_restarted_tail_hands_on_the_recent_changes_from_the_very_first(wa: Wa) -> None:
    number = wa.arrive(wa.book())  # ticket event 1 and booking 1: the first rows of the database
    fresh = QueueTail(wa.desk.sessions, wa.tail.followers, clock=wa.desk.clock)
    assert (fresh.event_cursor, fresh.booking_cursor) == (0, 0)
    fresh.step()
    wa.sender.step()
    assert wa.state.messages[0].params[1] == number
