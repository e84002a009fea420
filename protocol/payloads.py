"""Every payload of the MQTT contract v1 as a frozen, validated model.

>>> req = TicketRequest(request_id="k1-0001", category="umum", payment_type="bpjs", poly_code="A")
>>> TicketRequest.decode(req.encode()) == req
True
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal, Self, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.errors import MESSAGES, ErrorCode, ProtocolError, validation_problems

MAX_PAYLOAD_BYTES = 64 * 1024

Category = Literal["prioritas", "umum"]
PriorityReason = Literal["lansia", "bumil", "disabilitas", "balita"]
PaymentType = Literal["bpjs", "umum"]
TicketSource = Literal["kiosk", "web", "mobile", "jkn"]
TicketStatus = Literal[
    "waiting",
    "confirmed",
    "called",
    "serving",
    "registered",
    "directed_to_poly",
    "done",
    "skipped",
    "cancelled",
]
CounterAction = Literal["call", "skip", "recall"]
CommandSource = Literal["button", "web"]
NodeRole = Literal["hub", "kiosk", "display", "counter"]
NodeState = Literal["online", "offline"]

PRIORITY_REASON_LABELS: dict[str, str] = {
    "lansia": "Lansia",
    "bumil": "Ibu Hamil",
    "disabilitas": "Disabilitas",
    "balita": "Balita",
}
PAYMENT_LABELS: dict[str, str] = {"bpjs": "BPJS", "umum": "Umum"}

RequestId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


def parse_json(data: bytes | str) -> Any:
    """The JSON value of a payload; raises :class:`ProtocolError` for one over :data:`MAX_PAYLOAD_BYTES`,
    one that is not JSON, or one nested too deeply for the parser (a few KiB of ``[`` would otherwise
    raise RecursionError out of any handler)."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise ProtocolError("JSON nested too deeply") from exc


def known_fields(model: type[BaseModel], value: Any) -> Any:
    """``value`` without the keys ``model`` (and the models nested in it) does not declare."""
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in value:
            kept[key] = _known_in(field.annotation, value[key])
    return kept


def _known_in(annotation: Any, value: Any) -> Any:
    """Strip unknown keys inside ``value`` wherever ``annotation`` names a model (also in lists, dicts of
    models and optional or union types)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return known_fields(annotation, value)
    args = get_args(annotation)
    if not args:
        return value
    if isinstance(value, list) and get_origin(annotation) in (list, tuple):
        return [_known_in(args[0], item) for item in value]
    if isinstance(value, dict) and get_origin(annotation) is dict:
        return {key: _known_in(args[-1], item) for key, item in value.items()}
    models = [arg for arg in args if isinstance(arg, type) and issubclass(arg, BaseModel)]
    if isinstance(value, dict) and len(models) == 1:
        return known_fields(models[0], value)
    return value


class Payload(BaseModel):
    """Base of every payload: frozen, unknown fields refused, ``v`` must be 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1

    def encode(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def decode(cls, data: bytes | str, *, tolerant: bool = False) -> Self:
        """Parse and validate; raises :class:`ProtocolError` with an English detail.

        The hub decodes strictly: a field it does not know is an error. Nodes decode ``tolerant``: fields
        a newer hub added (at any depth) are dropped before validation, so a node of the previous release
        keeps working during a rolling update; everything the node knows is still validated.

        >>> Probe.decode(b'{"v": 1, "sender": "kiosk-1", "seq": 3, "sent_by": "hub 2.0"}', tolerant=True).seq
        3
        """
        raw = parse_json(data)
        request_id = raw.get("request_id") if isinstance(raw, dict) else None
        if tolerant:
            raw = known_fields(cls, raw)
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ProtocolError(
                f"invalid {cls.__name__}: {validation_problems(exc)}",
                request_id if isinstance(request_id, str) else None,
            ) from exc


class Part(BaseModel):
    """A nested object inside a payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorInfo(Part):
    """An error: code and an Indonesian message."""

    code: ErrorCode
    message: str

    @classmethod
    def of(cls, code: ErrorCode, message: str | None = None) -> ErrorInfo:
        return cls(code=code, message=message or MESSAGES[code])


class Ticket(Part):
    """A queue ticket as the hub issued it."""

    number: str = Field(description="e.g. P-003")
    prefix: str
    seq: int = Field(ge=1)
    category: Category
    priority_reason: PriorityReason | None = None
    poly_code: str
    poly_name: str
    payment_type: PaymentType
    source: TicketSource
    status: TicketStatus
    issued_at: datetime
    service_date: date
    ahead: int = Field(ge=0, description="tickets called before this one under the current policy")
    estimated_wait_min: tuple[int, int] = Field(description="[low, high] minutes")
    status_url: str = Field(description="public status page opened by the ticket's QR code")


class TicketSummary(Part):
    """What a waiting-room screen may show about a ticket: nothing personal, no status link."""

    number: str
    category: Category
    priority_reason: PriorityReason | None = None
    poly_code: str
    poly_name: str


class TicketRequest(Payload):
    """A patient takes a number at a kiosk."""

    request_id: str = RequestId
    category: Category
    priority_reason: PriorityReason | None = None
    payment_type: PaymentType
    poly_code: str = Field(min_length=1, max_length=16)

    @model_validator(mode="after")
    def _reason_matches_category(self) -> Self:
        if self.category == "prioritas" and self.priority_reason is None:
            raise ValueError("priority_reason is required for category prioritas")
        if self.category == "umum" and self.priority_reason is not None:
            raise ValueError("priority_reason is only for category prioritas")
        return self


class TicketCancel(Payload):
    """The kiosk gave up on a request; a ticket issued for it is cancelled."""

    request_id: str = RequestId


class Reply(Payload):
    """What every reply carries: the request it answers, and either ``ok`` or an error."""

    request_id: str
    ok: bool
    ticket: Ticket | None = None
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ok and self.error is not None:
            raise ValueError("ok reply must not carry an error")
        if not self.ok and self.error is None:
            raise ValueError("failed reply needs an error")
        return self


class TicketReply(Reply):
    """Reply to a ticket or booking request."""

    @model_validator(mode="after")
    def _ticket_when_ok(self) -> Self:
        if self.ok and self.ticket is None:
            raise ValueError("ok ticket reply needs a ticket")
        return self


class PrintRequest(Payload):
    """The hub asks a kiosk to print a ticket the loket issued or reprints (the loket's own printer or the
    kiosk's screen is down, its printer is not). Nothing is replied: the kiosk's status shows its printer."""

    id: str = Field(min_length=1, max_length=64, description="unique per print job (logs)")
    ticket: Ticket
    reprint: bool = Field(description="true when the ticket was printed before (marked CETAK ULANG)")


class BookingRequest(Payload):
    """An online booking is confirmed at the kiosk on arrival."""

    request_id: str = RequestId
    booking_code: str = Field(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9-]+$")


class ServicePoly(Part):
    """One poly as the kiosk offers it."""

    code: str
    name: str
    prefix: str
    remaining: int = Field(ge=0)
    open: bool


class Services(Payload):
    """What the kiosk offers now (retained)."""

    open: bool
    opens_at: str = Field(description="HH:MM")
    closes_at: str = Field(description="HH:MM")
    polys: list[ServicePoly]
    priority_reasons: list[PriorityReason]
    payment_types: list[PaymentType]
    site_name: str
    motto: str


class CounterCommand(Payload):
    """A loket button or the web loket page acts."""

    request_id: str = RequestId
    action: CounterAction
    source: CommandSource


class CounterReply(Reply):
    """Result of a counter command."""


class WaitingCounts(Part):
    """Tickets waiting per class."""

    prioritas: int = Field(ge=0)
    umum: int = Field(ge=0)


class CounterState(Payload):
    """The state of one loket (retained)."""

    counter: int = Field(ge=1)
    name: str
    current: Ticket | None
    waiting: WaitingCounts
    open: bool


class DisplayCounter(Part):
    """One loket on the waiting-room screen."""

    counter: int = Field(ge=1)
    name: str
    ticket: TicketSummary | None


class Totals(Part):
    """Footer totals of the day."""

    issued: int = Field(ge=0)
    registered: int = Field(ge=0)
    waiting: int = Field(ge=0)


class DisplayState(Payload):
    """Everything the waiting-room screen shows (retained)."""

    counters: list[DisplayCounter]
    next_priority: list[TicketSummary]
    next_general: list[TicketSummary] = Field(description="in true call order")
    remaining_priority: int = Field(ge=0)
    remaining_general: int = Field(ge=0)
    totals: Totals
    running_text: str
    updated_at: datetime


class Announcement(Payload):
    """One call to be spoken on the display."""

    id: str = Field(min_length=1, max_length=64)
    ticket_number: str
    category: Category
    counter: int = Field(ge=1)
    counter_name: str
    text: str = Field(description="the Indonesian sentence to speak")
    repeat: bool = Field(description="true on a recall")


class NodeStatus(Payload):
    """Availability of a node or the hub (retained, also the last will). `online` is sent once the broker
    acknowledged all of the sender's subscriptions: from then on nothing sent to it is lost."""

    node: str
    role: NodeRole
    state: NodeState
    version: str
    details: dict[str, Any] = Field(default_factory=dict)


class Probe(Payload):
    """A process's liveness probe through the broker: published to its own ``node/{node}/probe`` and
    expected back (its session still gets messages). ``sender`` tells this process's probes from a clone's."""

    sender: str = Field(min_length=1, max_length=64, description="random token of the sending process")
    seq: int = Field(ge=0, description="counts up from 0 in each process")
