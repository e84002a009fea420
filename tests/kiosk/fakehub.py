"""A stand-in for the hub on the real broker: publishes ``services`` and answers kiosk requests the way
the contract says (same request_id -> same ticket), or stays silent, or refuses."""

from __future__ import annotations

import threading
from typing import Literal

from protocol import MqttLink
from protocol.payloads import (
    BookingRequest,
    ErrorInfo,
    NodeStatus,
    Services,
    Ticket,
    TicketCancel,
    TicketReply,
    TicketRequest,
)
from protocol.topics import TOPICS, Topics
from tests.kiosk import samples
from tests.support import wait_until

Mode = Literal["answer", "silent", "refuse"]


class FakeHub:
    def __init__(self, url: str, site: str, services: Services | None = None) -> None:
        self.topics = Topics(site)
        self.mode: Mode = "answer"
        self.requests: list[TicketRequest] = []
        self.bookings: list[BookingRequest] = []
        self.cancels: list[str] = []
        self.issued: dict[str, Ticket] = {}
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        self.link = MqttLink(url, client_id=f"fakehub-{site}")
        self.link.route(self.topics.filter(TOPICS["ticket_request"]), self._on_request)
        self.link.route(self.topics.filter(TOPICS["booking_request"]), self._on_booking)
        self.link.route(self.topics.filter(TOPICS["ticket_cancel"]), self._on_cancel)
        self.services = services or samples.services()
        # like the real hub: publish the retained services again after every (re)connect
        self.link.on_connection_change(
            lambda up: up and self.link.publish(self.topics.services(), self.services, retain=True)
        )
        assert self.link.start(wait=10)
        wait_until(lambda: self.link.connected.is_set())

    def publish_services(self, services: Services) -> None:
        self.services = services
        self.link.publish(self.topics.services(), services, retain=True).wait_for_publish(5)

    def set_online(self, online: bool) -> None:
        status = NodeStatus(node="hub", role="hub", state="online" if online else "offline", version="test")
        self.link.publish(self.topics.hub_status(), status, retain=True).wait_for_publish(5)

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

    def _reply(self, topic: str, request_id: str, ticket: Ticket | None) -> None:
        if self.mode == "silent":
            return
        if self.mode == "refuse" or ticket is None:
            reply = TicketReply(request_id=request_id, ok=False, error=ErrorInfo.of("quota_full"))
        else:
            reply = TicketReply(request_id=request_id, ok=True, ticket=ticket)
        self.link.publish(topic, reply)

    def _on_request(self, topic: str, payload: bytes) -> None:
        node = self.topics.match(TOPICS["ticket_request"], topic)["node"]  # type: ignore[index]
        request = TicketRequest.decode(payload)
        with self._lock:
            self.requests.append(request)
        ticket = None
        if self.mode == "answer":
            ticket = self._ticket(
                request.request_id,
                request.category,
                request.priority_reason,
                request.poly_code,
                request.payment_type,
            )
        self._reply(self.topics.ticket_reply(node), request.request_id, ticket)

    def _on_booking(self, topic: str, payload: bytes) -> None:
        node = self.topics.match(TOPICS["booking_request"], topic)["node"]  # type: ignore[index]
        request = BookingRequest.decode(payload)
        with self._lock:
            self.bookings.append(request)
        ticket = None
        if self.mode == "answer":
            ticket = self._ticket(request.request_id, "umum", None, "C", "bpjs")
        self._reply(self.topics.booking_reply(node), request.request_id, ticket)

    def _on_cancel(self, _topic: str, payload: bytes) -> None:
        with self._lock:
            self.cancels.append(TicketCancel.decode(payload).request_id)

    def close(self) -> None:
        self.link.stop()
