"""A stand-in for the hub on the real broker, for the node tests (kiosk, display, counter).

It keeps a retained ``hub/status`` (``online``, its last will ``offline``), publishes ``services`` again after
every (re)connect when it has some (as the real hub does), publishes what the display is shown, and answers
kiosk and counter requests the way the contract says (the same request_id gets the same ticket), or stays
silent, or refuses with an error code, as ``mode`` says.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Literal

from antrean.runtime import typed_handler
from firmware.display_node import samples as display_samples
from protocol import (
    TOPICS,
    Announcement,
    BookingRequest,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorCode,
    ErrorInfo,
    MqttLink,
    NodeStatus,
    Payload,
    Services,
    Ticket,
    TicketCancel,
    TicketReply,
    TicketRequest,
    Topics,
    WaitingCounts,
)
from tests.kiosk import samples

# "answer": as the contract says; "silent": requests recorded, never answered; an error code: refused with it
Mode = Literal["answer", "silent"] | ErrorCode


def _status(state: Literal["online", "offline"]) -> NodeStatus:
    return NodeStatus(node="hub", role="hub", state=state, version="test")


class FakeHub:
    """The hub's side of the contract for one site. ``start()`` connects (and returns the fake);
    ``stop()`` says offline; ``restart()`` is a new connection, as a hub process started again."""

    def __init__(self, url: str, site: str, services: Services | None = None) -> None:
        self.url = url
        self.topics = Topics(site)
        self.mode: Mode = "answer"
        self.services = services
        self.requests: list[TicketRequest] = []
        self.bookings: list[BookingRequest] = []
        self.cancels: list[str] = []
        self.issued: dict[str, Ticket] = {}
        self.commands: list[tuple[int, CounterCommand]] = []
        self._seq: dict[str, int] = {}
        self._calls = 0
        self._lock = threading.Lock()
        self.link = self._new_link()

    def _new_link(self) -> MqttLink:
        link = MqttLink(
            self.url,
            client_id=f"fake-hub-{uuid.uuid4().hex[:8]}",
            status_topic=self.topics.hub_status(),
            online=_status("online"),
            offline=_status("offline"),
        )
        routes = self.topics.filter
        link.route(routes(TOPICS["ticket_request"]), typed_handler(TicketRequest, self._on_request))
        link.route(routes(TOPICS["booking_request"]), typed_handler(BookingRequest, self._on_booking))
        link.route(routes(TOPICS["ticket_cancel"]), typed_handler(TicketCancel, self._on_cancel))
        link.route(routes(TOPICS["counter_command"]), typed_handler(CounterCommand, self._on_command))
        link.on_connection_change(self._on_connection)
        return link

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeHub:
        assert self.link.start(wait=10)
        return self

    def stop(self) -> None:
        self.link.stop()

    def restart(self) -> None:
        self.link = self._new_link()
        self.start()

    # -- what the hub publishes -----------------------------------------------------------------

    def _publish(self, topic: str, payload: Payload | bytes, retain: bool = False) -> None:
        self.link.publish(topic, payload, retain=retain).wait_for_publish(5)

    def _on_connection(self, up: bool) -> None:
        if up and self.services is not None:  # like the real hub: the retained services after every connect
            self.link.publish(self.topics.services(), self.services, retain=True)

    def publish_services(self, services: Services) -> None:
        self.services = services
        self._publish(self.topics.services(), services, retain=True)

    def set_online(self, online: bool) -> None:
        """Publish the retained hub status (``offline`` is also what the broker sends as the last will)."""
        self._publish(self.topics.hub_status(), _status("online" if online else "offline"), retain=True)

    def publish_state(self, state_name: str = "busy") -> None:
        """What the display shows: the retained ``services`` and a sample ``display/state``."""
        self._publish(self.topics.services(), display_samples.services(), retain=True)
        self._publish(self.topics.display_state(), display_samples.STATES[state_name](), retain=True)

    def announce(self, message_id: str, number: str, counter: int, repeat: bool = False) -> None:
        message = Announcement(
            id=message_id,
            ticket_number=number,
            category="prioritas" if number.startswith("P") else "umum",
            counter=counter,
            counter_name=f"Loket {counter}",
            text=f"Nomor {number} silakan menuju loket {counter}",
            repeat=repeat,
        )
        self._publish(self.topics.display_announce(), message)

    def raw(self, topic: str, payload: bytes) -> None:
        self._publish(topic, payload)

    # -- the kiosk's requests -------------------------------------------------------------------

    def _ticket(self, request_id: str, category: str, reason: str | None, poly: str, payment: str) -> Ticket:
        with self._lock:
            if request_id in self.issued:
                return self.issued[request_id]
            prefix = "P" if category == "prioritas" else poly
            self._seq[prefix] = self._seq.get(prefix, 0) + 1
            names = {p.code: p.name for p in samples.services().polys}
            ticket = samples.ticket(
                number=f"{prefix}-{self._seq[prefix]:03d}",
                prefix=prefix,
                seq=self._seq[prefix],
                category=category,
                priority_reason=reason,
                poly_code=poly,
                poly_name=names.get(poly, poly),
                payment_type=payment,
                status_url=f"http://antrean.local/s/{request_id[-6:]}",
            )
            self.issued[request_id] = ticket
            return ticket

    def _answer(self, reply_topic: str, request_id: str, issue: Callable[[], Ticket]) -> None:
        """Reply to a kiosk request as ``mode`` says; ``issue`` gives the ticket in mode "answer"."""
        if self.mode == "silent":
            return
        if self.mode == "answer":
            reply = TicketReply(request_id=request_id, ok=True, ticket=issue())
        else:
            reply = TicketReply(request_id=request_id, ok=False, error=ErrorInfo.of(self.mode))
        self.link.publish(reply_topic, reply)

    def _on_request(self, topic: str, request: TicketRequest) -> None:
        with self._lock:
            self.requests.append(request)
        node = self.topics.match(TOPICS["ticket_request"], topic)["node"]  # type: ignore[index]
        self._answer(
            self.topics.ticket_reply(node),
            request.request_id,
            lambda: self._ticket(
                request.request_id,
                request.category,
                request.priority_reason,
                request.poly_code,
                request.payment_type,
            ),
        )

    def _on_booking(self, topic: str, request: BookingRequest) -> None:
        with self._lock:
            self.bookings.append(request)
        node = self.topics.match(TOPICS["booking_request"], topic)["node"]  # type: ignore[index]
        self._answer(
            self.topics.booking_reply(node),
            request.request_id,
            lambda: self._ticket(request.request_id, "umum", None, "C", "bpjs"),
        )

    def _on_cancel(self, _topic: str, cancel: TicketCancel) -> None:
        with self._lock:
            self.cancels.append(cancel.request_id)

    # -- the counter's commands -----------------------------------------------------------------

    def numbers(self, n: int) -> list[str]:
        """The request ids of loket ``n``'s commands, in arrival order."""
        with self._lock:
            return [c.request_id for counter, c in self.commands if counter == n]

    def _on_command(self, topic: str, command: CounterCommand) -> None:
        n = int(self.topics.match(TOPICS["counter_command"], topic)["n"])  # type: ignore[index]
        with self._lock:
            self.commands.append((n, command))
            self._calls += 1
            seq = self._calls
        if self.mode != "silent":
            self.reply(n, command.request_id, seq)

    def reply(self, n: int, request_id: str, seq: int = 1) -> None:
        """Answer loket ``n``'s command: ``A-{seq}`` becomes its ticket, or (mode an error code) refuse it.
        In mode "silent" the test answers when it chooses, with this."""
        if self.mode == "answer" or self.mode == "silent":
            current = samples.ticket(
                number=f"A-{seq:03d}",
                prefix="A",
                seq=seq,
                category="umum",
                priority_reason=None,
                status="called",
            )
            reply = CounterReply(request_id=request_id, ok=True, ticket=current)
            state = CounterState(
                counter=n,
                name=f"Loket {n}",
                current=current,
                waiting=WaitingCounts(prioritas=0, umum=3),
                open=True,
            )
            self.link.publish(self.topics.counter_state(n), state, retain=True)
        else:
            reply = CounterReply(request_id=request_id, ok=False, error=ErrorInfo.of(self.mode))
        self.link.publish(self.topics.counter_reply(n), reply)
