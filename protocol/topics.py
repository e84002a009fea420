"""Every MQTT topic of the v1 contract. No topic string is written anywhere else.

>>> t = Topics("pkm")
>>> t.ticket_request("kiosk-1")
'antrean/pkm/kiosk/kiosk-1/ticket/request'
>>> t.match(TOPICS["ticket_request"], "antrean/pkm/kiosk/kiosk-1/ticket/request")
{'node': 'kiosk-1'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from protocol import payloads as p
from protocol import voicepack as vp

QOS = 1
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    pattern: str  # under the root; {node} and {n} are single segments
    sender: str
    receiver: str
    retained: bool
    payload: type[p.Payload]
    description: str

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.pattern)

    @property
    def wildcard(self) -> str:
        return re.sub(r"\{\w+\}", "+", self.pattern)


_SPECS = [
    TopicSpec(
        "ticket_request",
        "kiosk/{node}/ticket/request",
        "kiosk",
        "hub",
        False,
        p.TicketRequest,
        "take a number",
    ),
    TopicSpec(
        "ticket_cancel",
        "kiosk/{node}/ticket/cancel",
        "kiosk",
        "hub",
        False,
        p.TicketCancel,
        "the kiosk gave up: a ticket issued for this request_id is cancelled",
    ),
    TopicSpec(
        "ticket_reply",
        "kiosk/{node}/ticket/reply",
        "hub",
        "kiosk",
        False,
        p.TicketReply,
        "the issued ticket or an error",
    ),
    TopicSpec(
        "kiosk_print",
        "kiosk/{node}/print",
        "hub",
        "kiosk",
        False,
        p.PrintRequest,
        "print this ticket on the kiosk's printer (issued or reprinted at the loket)",
    ),
    TopicSpec(
        "booking_request",
        "kiosk/{node}/booking/request",
        "kiosk",
        "hub",
        False,
        p.BookingRequest,
        "confirm an online booking on arrival",
    ),
    TopicSpec(
        "booking_reply",
        "kiosk/{node}/booking/reply",
        "hub",
        "kiosk",
        False,
        p.TicketReply,
        "the confirmed ticket or an error",
    ),
    TopicSpec(
        "services",
        "services",
        "hub",
        "all",
        True,
        p.Services,
        "opening state, polys with remaining quota, site name and motto",
    ),
    TopicSpec(
        "counter_command",
        "counter/{n}/command",
        "counter node or web",
        "hub",
        False,
        p.CounterCommand,
        "call / skip / recall at loket n",
    ),
    TopicSpec(
        "counter_reply",
        "counter/{n}/reply",
        "hub",
        "counter",
        False,
        p.CounterReply,
        "result of a counter command",
    ),
    TopicSpec(
        "counter_state",
        "counter/{n}/state",
        "hub",
        "counter",
        True,
        p.CounterState,
        "loket n: current ticket and waiting counts",
    ),
    TopicSpec(
        "display_state",
        "display/state",
        "hub",
        "display",
        True,
        p.DisplayState,
        "everything the waiting-room screen shows",
    ),
    TopicSpec(
        "display_announce",
        "display/announce",
        "hub",
        "display",
        False,
        p.Announcement,
        "one call to speak (chime + voice)",
    ),
    TopicSpec(
        "voice_pack",
        "display/voice/pack",
        "hub",
        "display",
        True,
        vp.VoicePackManifest,
        "the recorded voice pack: its clips with their sha256 (cleared: no pack, calls are synthesized)",
    ),
    TopicSpec(
        "voice_clip",
        "display/voice/clip/{key}",
        "hub",
        "display",
        True,
        vp.VoiceClip,
        "one clip of the voice pack (a WAV of one word, 16 kHz mono, in base64)",
    ),
    TopicSpec(
        "node_status",
        "node/{node}/status",
        "node",
        "hub",
        True,
        p.NodeStatus,
        "node availability; also the node's last will",
    ),
    TopicSpec(
        "node_doctor",
        "node/{node}/doctor",
        "node",
        "hub",
        True,
        p.DoctorReport,
        "the last antrean doctor result of the node (the hub keeps it for the node-health page)",
    ),
    TopicSpec(
        "hub_status",
        "hub/status",
        "hub",
        "all",
        True,
        p.NodeStatus,
        "hub availability; also the hub's last will",
    ),
    TopicSpec(
        "node_probe",
        "node/{node}/probe",
        "every process",
        "itself",
        False,
        p.Probe,
        "liveness probe: each process expects its own probes back within 10 s, else its session was "
        "taken over (another client with its client id) or is dead, and it reconnects",
    ),
]
TOPICS: dict[str, TopicSpec] = {spec.name: spec for spec in _SPECS}


def check_segment(value: str) -> str:
    """A node id or site usable as one topic level."""
    if not _SEGMENT.match(value):
        raise ValueError(f"{value!r} is not a valid topic segment (letters, digits, '_' and '-', 1-64)")
    return value


class Topics:
    """Builds and parses the topics of one site."""

    def __init__(self, site: str) -> None:
        self.root = f"antrean/{check_segment(site)}"

    def build(self, spec: TopicSpec, **params: object) -> str:
        topic = spec.pattern
        for name in spec.params:
            value = str(params[name])
            check_segment(value)
            topic = topic.replace("{" + name + "}", value)
        return f"{self.root}/{topic}"

    def filter(self, spec: TopicSpec) -> str:
        """Subscription filter covering every instance of ``spec``."""
        return f"{self.root}/{spec.wildcard}"

    def match(self, spec: TopicSpec, topic: str) -> dict[str, str] | None:
        """The parameters of ``topic`` if it is an instance of ``spec``, else None."""
        if not topic.startswith(self.root + "/"):
            return None
        actual = topic[len(self.root) + 1 :].split("/")
        expected = spec.pattern.split("/")
        if len(actual) != len(expected):
            return None
        params: dict[str, str] = {}
        for want, got in zip(expected, actual, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params

    def ticket_request(self, node: str) -> str:
        return self.build(TOPICS["ticket_request"], node=node)

    def ticket_cancel(self, node: str) -> str:
        return self.build(TOPICS["ticket_cancel"], node=node)

    def ticket_reply(self, node: str) -> str:
        return self.build(TOPICS["ticket_reply"], node=node)

    def kiosk_print(self, node: str) -> str:
        return self.build(TOPICS["kiosk_print"], node=node)

    def booking_request(self, node: str) -> str:
        return self.build(TOPICS["booking_request"], node=node)

    def booking_reply(self, node: str) -> str:
        return self.build(TOPICS["booking_reply"], node=node)

    def services(self) -> str:
        return self.build(TOPICS["services"])

    def counter_command(self, n: int) -> str:
        return self.build(TOPICS["counter_command"], n=n)

    def counter_reply(self, n: int) -> str:
        return self.build(TOPICS["counter_reply"], n=n)

    def counter_state(self, n: int) -> str:
        return self.build(TOPICS["counter_state"], n=n)

    def display_state(self) -> str:
        return self.build(TOPICS["display_state"])

    def display_announce(self) -> str:
        return self.build(TOPICS["display_announce"])

    def voice_pack(self) -> str:
        return self.build(TOPICS["voice_pack"])

    def voice_clip(self, key: str) -> str:
        return self.build(TOPICS["voice_clip"], key=key)

    def node_status(self, node: str) -> str:
        return self.build(TOPICS["node_status"], node=node)

    def node_doctor(self, node: str) -> str:
        return self.build(TOPICS["node_doctor"], node=node)

    def hub_status(self) -> str:
        return self.build(TOPICS["hub_status"])

    def node_probe(self, node: str) -> str:
        return self.build(TOPICS["node_probe"], node=node)
