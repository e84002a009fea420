"""The MQTT gateway: one topic → handler table feeding the dispatcher; replies and state go back out.

Handlers run in arrival order, one at a time, on queued routes: on the MQTT thread while the broker keeps up,
else on the link's inbox thread, where a request waits while too many replies are unacknowledged and a
backlog beyond what the inbox takes at once is acknowledged only as it is handled, so a burst slows reading
instead of losing replies (see :mod:`protocol.link`). A
malformed payload is logged and answered with ``invalid_request`` where a reply topic exists; nothing a node
sends can crash the hub."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from hub.dispatch.service import Dispatcher, DispatchError, Outcome
from hub.nodes import record_doctor_report, record_node_status
from hub.publisher import StatePublisher
from protocol import (
    TOPICS,
    BookingRequest,
    CounterCommand,
    CounterReply,
    DoctorReport,
    ErrorInfo,
    MqttLink,
    NodeStatus,
    ProtocolError,
    TicketCancel,
    TicketReply,
    TicketRequest,
    Topics,
    TopicSpec,
)
from protocol.payloads import parse_json

logger = logging.getLogger(__name__)
R = TypeVar("R", TicketRequest, BookingRequest, CounterCommand)


def _request_id_of(payload: bytes) -> str:
    try:
        data = parse_json(payload)
    except ProtocolError:
        return ""
    value = data.get("request_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 else ""


class Gateway:
    def __init__(
        self, link: MqttLink, topics: Topics, dispatcher: Dispatcher, publisher: StatePublisher
    ) -> None:
        self.link = link
        self.topics = topics
        self.dispatcher = dispatcher
        self.publisher = publisher
        self.handlers: dict[str, Callable[[dict[str, str], bytes], None]] = {
            "ticket_request": self.on_ticket_request,
            "ticket_cancel": self.on_ticket_cancel,
            "booking_request": self.on_booking_request,
            "counter_command": self.on_counter_command,
            "node_status": self.on_node_status,
            "node_doctor": self.on_node_doctor,
        }

    def install(self) -> None:
        """Route every handled topic; after each (re)connect the whole state is republished."""
        for name, handler in self.handlers.items():
            spec = TOPICS[name]
            self.link.route(self.topics.filter(spec), self._dispatch(spec, handler), queued=True)
        self.link.on_connection_change(lambda up: self.publisher.publish_all() if up else None)

    def _dispatch(
        self, spec: TopicSpec, handler: Callable[[dict[str, str], bytes], None]
    ) -> Callable[[str, bytes], None]:
        def route(topic: str, payload: bytes) -> None:
            params = self.topics.match(spec, topic)
            if params is None:
                logger.warning("message on %s does not match %s; ignored", topic, spec.pattern)
                return
            handler(params, payload)

        return route

    # ---------------------------------------------------------------- handlers

    def on_ticket_request(self, params: dict[str, str], payload: bytes) -> None:
        node = params["node"]
        self._request(
            self.topics.ticket_reply(node),
            TicketReply,
            TicketRequest,
            payload,
            lambda request: self.dispatcher.issue_ticket(request, node=node),
        )

    def on_booking_request(self, params: dict[str, str], payload: bytes) -> None:
        node = params["node"]
        self._request(
            self.topics.booking_reply(node),
            TicketReply,
            BookingRequest,
            payload,
            lambda request: self.dispatcher.confirm_booking(request, node=node),
        )

    def on_ticket_cancel(self, params: dict[str, str], payload: bytes) -> None:
        try:
            cancel = TicketCancel.decode(payload)
        except ProtocolError as error:
            logger.warning("invalid ticket cancel from %s: %s", params["node"], error.detail)
            return
        try:
            self.publisher.apply(self.dispatcher.cancel_request(cancel.request_id, node=params["node"]))
        except Exception:
            logger.exception("cancel of %s from %s failed", cancel.request_id, params["node"])

    def on_counter_command(self, params: dict[str, str], payload: bytes) -> None:
        try:
            counter = int(params["n"])
        except ValueError:
            logger.warning("counter command on a topic with a non-numeric loket %r", params["n"])
            return
        self._request(
            self.topics.counter_reply(counter),
            CounterReply,
            CounterCommand,
            payload,
            lambda command: self.dispatcher.command(counter, command),
        )

    def on_node_status(self, params: dict[str, str], payload: bytes) -> None:
        try:
            status = NodeStatus.decode(payload)
        except ProtocolError as error:
            logger.warning("invalid status from node %s: %s", params["node"], error.detail)
            return
        try:
            record_node_status(self.dispatcher.sessions, status)
        except Exception:
            logger.exception("recording the status of node %s failed", params["node"])

    def on_node_doctor(self, params: dict[str, str], payload: bytes) -> None:
        if not payload:
            return  # a retained report cleared
        try:
            report = DoctorReport.decode(payload)
        except ProtocolError as error:
            logger.warning("invalid doctor report from node %s: %s", params["node"], error.detail)
            return
        if report.node != params["node"]:
            logger.warning(
                "doctor report on node %s's topic names node %s; ignored", params["node"], report.node
            )
            return
        try:
            record_doctor_report(self.dispatcher.sessions, report)
        except Exception:
            logger.exception("recording the doctor report of node %s failed", params["node"])

    # ---------------------------------------------------------------- plumbing

    def _request(
        self,
        reply_topic: str,
        kind: type[TicketReply] | type[CounterReply],
        request_type: type[R],
        payload: bytes,
        act: Callable[[R], Outcome],
    ) -> None:
        """Decode a request (answering ``invalid_request`` when it is malformed) and run it."""
        try:
            request = request_type.decode(payload)
        except ProtocolError as error:
            self._invalid(reply_topic, kind, payload, error)
            return
        self._run(reply_topic, kind, request.request_id, lambda: act(request))

    def _invalid(
        self,
        reply_topic: str,
        kind: type[TicketReply] | type[CounterReply],
        payload: bytes,
        error: ProtocolError,
    ) -> None:
        logger.warning("invalid request on %s: %s", reply_topic, error.detail)
        request_id = error.request_id or _request_id_of(payload)
        self.link.publish(
            reply_topic, kind(request_id=request_id, ok=False, error=ErrorInfo.of("invalid_request"))
        )

    def _run(
        self,
        reply_topic: str,
        kind: type[TicketReply] | type[CounterReply],
        request_id: str,
        work: Callable[[], Outcome],
    ) -> None:
        try:
            outcome = work()
        except DispatchError as error:
            self.link.publish(reply_topic, kind(request_id=request_id, ok=False, error=error.info))
            return
        except Exception:
            logger.exception("request %s on %s failed", request_id, reply_topic)
            self.link.publish(
                reply_topic, kind(request_id=request_id, ok=False, error=ErrorInfo.of("internal"))
            )
            return
        if outcome.reply is not None:
            self.link.publish(reply_topic, outcome.reply)
        self.publisher.apply(outcome)
