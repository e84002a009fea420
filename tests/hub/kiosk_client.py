"""A scripted kiosk for load and crash tests: plain MQTT requests with retries on timeout (same request id)."""

from __future__ import annotations

import threading
import time
import uuid

from protocol import MqttLink, TicketReply, TicketRequest, Topics


class ScriptedKiosk:
    def __init__(self, url: str, site: str, node: str) -> None:
        self.topics = Topics(site)
        self.node = node
        self.replies: dict[str, list[TicketReply]] = {}
        self._cond = threading.Condition()
        self.link = MqttLink(url, client_id=f"{site}-{node}-{uuid.uuid4().hex[:6]}")
        self.link.route(self.topics.ticket_reply(node), self._on_reply)
        if not self.link.start(wait=10):
            raise AssertionError("kiosk could not connect")

    def _on_reply(self, _topic: str, payload: bytes) -> None:
        reply = TicketReply.decode(payload)
        with self._cond:
            self.replies.setdefault(reply.request_id, []).append(reply)
            self._cond.notify_all()

    def send(self, request_id: str, category: str = "umum", poly: str = "A") -> None:
        reason = "lansia" if category == "prioritas" else None
        request = TicketRequest(request_id=request_id, category=category,  # type: ignore[arg-type]
                                priority_reason=reason, payment_type="bpjs", poly_code=poly)
        self.link.publish(self.topics.ticket_request(self.node), request)

    def take(self, request_id: str, category: str = "umum", poly: str = "A", *, timeout: float = 2.0,
             deadline: float = 60.0, replay: bool = False) -> TicketReply:
        """Send until answered (re-sending the same id after each timeout); ``replay`` sends it twice."""
        give_up = time.monotonic() + deadline
        while True:
            self.send(request_id, category, poly)
            if replay:
                self.send(request_id, category, poly)
            with self._cond:
                if self._cond.wait_for(lambda: request_id in self.replies, timeout):
                    return self.replies[request_id][0]
            if time.monotonic() > give_up:
                raise AssertionError(f"{self.node}: no reply to {request_id} within {deadline} s")

    def close(self) -> None:
        self.link.stop()
