"""Finding 6: a JSON payload nested 30,000 levels deep (under 64 KiB) raised an uncaught RecursionError in
protocol decoding, so the kiosk never got ``invalid_request``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from protocol import CounterCommand, ProtocolError, TicketReply, TicketRequest, Topics
from protocol.payloads import MAX_PAYLOAD_BYTES
from tests.conftest import HubHandle
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # a real hub process

DEPTH = 30_000
NESTED_ARRAY = b"[" * DEPTH + b"]" * DEPTH
NESTED_IN_OBJECT = b'{"v": 1, "request_id": "deep1", "category": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"


NESTED_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


@pytest.mark.parametrize(
    "payload", [NESTED_ARRAY, NESTED_IN_OBJECT, NESTED_OBJECTS], ids=["array", "in_object", "objects"]
)
@pytest.mark.parametrize("kind", [TicketRequest, CounterCommand])
def test_deeply_nested_json_is_a_protocol_error(payload: bytes, kind: type[TicketRequest]) -> None:
    assert len(payload) < MAX_PAYLOAD_BYTES  # not refused for its size
    with pytest.raises(ProtocolError):
        kind.decode(payload)


def test_kiosk_gets_invalid_request_for_deep_json_and_the_hub_keeps_answering(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    assert len(NESTED_ARRAY) < MAX_PAYLOAD_BYTES
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.ticket_reply("k1"))
    recorder.link.publish(topics.ticket_request("k1"), NESTED_ARRAY)
    reply = TicketReply.decode(recorder.last(topics.ticket_reply("k1"), timeout=10))
    assert not reply.ok and reply.error is not None and reply.error.code == "invalid_request"
    assert "nested" in hub.log()

    request = TicketRequest(request_id="after-deep", category="umum", payment_type="umum", poly_code="A")
    recorder.link.publish(topics.ticket_request("k1"), request)

    def answered() -> TicketReply | None:
        for message in recorder.on(topics.ticket_reply("k1")):
            decoded = TicketReply.decode(message.payload)
            if decoded.request_id == "after-deep":
                return decoded
        return None

    normal = wait_until(answered, timeout=10)
    assert isinstance(normal, TicketReply) and normal.ok
    assert hub.process is not None and hub.process.poll() is None
    assert "RecursionError" not in hub.log()
    recorder.close()
