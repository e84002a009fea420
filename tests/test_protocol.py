from __future__ import annotations

import json

import pytest

from protocol import (
    TOPICS,
    CounterCommand,
    ErrorInfo,
    ProtocolError,
    TicketReply,
    TicketRequest,
    Topics,
)
from protocol.docs import DOC_PATH, render


def test_docs_mqtt_md_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run: python -m protocol.docs"


def test_every_topic_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for spec in TOPICS.values():
        assert f"`{spec.pattern}`" in text


def test_round_trip_and_version() -> None:
    req = TicketRequest(
        request_id="r-1", category="prioritas", priority_reason="lansia", payment_type="bpjs", poly_code="A"
    )
    data = json.loads(req.encode())
    assert data["v"] == 1
    assert TicketRequest.decode(req.encode()) == req


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"v": 2, "request_id": "a", "category": "umum", "payment_type": "bpjs", "poly_code": "A"}',
        b'{"v": 1, "request_id": "a", "category": "prioritas", "payment_type": "bpjs", "poly_code": "A"}',
        b'{"v": 1, "request_id": "a", "category": "umum", "priority_reason": "lansia", '
        b'"payment_type": "bpjs", "poly_code": "A"}',
        b'{"v": 1, "request_id": "a b", "category": "umum", "payment_type": "bpjs", "poly_code": "A"}',
        b'{"v": 1, "request_id": "a", "category": "umum", "payment_type": "cash", "poly_code": "A"}',
        b'{"v": 1, "request_id": "a", "category": "umum", "payment_type": "bpjs", "poly_code": "A", "x": 1}',
        b"\xff\xfe",
        b"{" + b" " * 70000 + b"}",
    ],
)
def test_malformed_requests_raise_protocol_error(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        TicketRequest.decode(raw)


def test_protocol_error_keeps_request_id_for_the_reply() -> None:
    with pytest.raises(ProtocolError) as caught:
        CounterCommand.decode(b'{"v": 1, "request_id": "abc", "action": "dance", "source": "web"}')
    assert caught.value.request_id == "abc"


def test_reply_consistency() -> None:
    with pytest.raises(ValueError):
        TicketReply(request_id="a", ok=False)
    with pytest.raises(ValueError):
        TicketReply(request_id="a", ok=True)
    reply = TicketReply(request_id="a", ok=False, error=ErrorInfo.of("quota_full"))
    assert reply.error is not None and "Kuota" in reply.error.message


def test_topics_build_and_match() -> None:
    topics = Topics("pkm")
    assert topics.counter_command(2) == "antrean/pkm/counter/2/command"
    assert topics.match(TOPICS["counter_command"], "antrean/pkm/counter/2/command") == {"n": "2"}
    assert topics.match(TOPICS["counter_command"], "antrean/pkm/counter/2/reply") is None
    assert topics.filter(TOPICS["ticket_request"]) == "antrean/pkm/kiosk/+/ticket/request"
    with pytest.raises(ValueError):
        topics.ticket_request("bad/node")
    with pytest.raises(ValueError):
        Topics("has space")


def test_every_topic_sent_to_the_hub_has_a_handler() -> None:
    from hub.gateway import Gateway

    gateway = Gateway(None, Topics("pkm"), None, None)  # type: ignore[arg-type]
    to_hub = {name for name, spec in TOPICS.items() if spec.receiver == "hub"}
    assert to_hub == set(gateway.handlers)
