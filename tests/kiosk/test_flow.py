"""The kiosk's screens as a pure state machine: every path, timer and failure, without pygame or MQTT."""

from __future__ import annotations

import itertools

import pytest

from firmware.kiosk_node.config import TimingConfig
from firmware.kiosk_node.flow import FAILURE_MESSAGE, STEPS, Flow, Print, Screen, Send
from protocol.payloads import BookingRequest, ErrorInfo, TicketCancel, TicketReply, TicketRequest
from tests.kiosk import samples

TIMING = TimingConfig(inactivity_s=30, result_s=10, message_s=8, resend_s=2, deadline_s=8, debounce_s=0.4)


def ready_flow() -> Flow:
    counter = itertools.count(1)
    flow = Flow("kiosk-1", TIMING, new_id=lambda: f"kiosk-1-r{next(counter)}")
    flow.connection(True, now=0)
    flow.update_services(samples.services(), now=0)
    return flow


def walk(flow: Flow, *buttons: str, start: float = 1.0) -> float:
    now = start
    for button in buttons:
        flow.press(button, now)
        now += 1.0
    return now


def take(flow: Flow, category: str = "umum") -> tuple[float, TicketRequest]:
    path = ["prioritas", "reason:bumil"] if category == "prioritas" else ["umum"]
    now = walk(flow, *path, "pay:bpjs", "poly:A")
    effects = flow.press("take", now)
    assert len(effects) == 1 and isinstance(effects[0], Send)
    request = effects[0].request
    assert isinstance(request, TicketRequest)
    return now, request


def test_out_of_service_until_connected_with_services() -> None:
    flow = Flow("kiosk-1", TIMING, new_id=lambda: "x")
    assert flow.screen == Screen.OUT_OF_SERVICE
    flow.connection(True, 0)
    assert flow.screen == Screen.OUT_OF_SERVICE  # no services yet: nothing to offer
    flow.update_services(samples.services(), 0)
    assert flow.screen == Screen.START


def test_priority_path_builds_the_request() -> None:
    flow = ready_flow()
    now, request = take(flow, "prioritas")
    assert flow.screen == Screen.WAITING
    assert request == TicketRequest(
        request_id="kiosk-1-r1",
        category="prioritas",
        priority_reason="bumil",
        payment_type="bpjs",
        poly_code="A",
    )
    ticket = samples.ticket(priority_reason="bumil")
    effects = flow.reply(TicketReply(request_id="kiosk-1-r1", ok=True, ticket=ticket), now + 0.1)
    assert effects == [Print("kiosk-1-r1", ticket)]
    assert flow.screen == Screen.RESULT and flow.outcome and flow.outcome.printing is None
    flow.printed("kiosk-1-r1", "ok", True, now + 0.5)
    assert flow.outcome.printed
    flow.tick(now + 0.5 + TIMING.result_s)
    assert flow.screen == Screen.START and flow.choice.category is None


def test_general_path_has_no_reason() -> None:
    flow = ready_flow()
    _, request = take(flow, "umum")
    assert request.category == "umum" and request.priority_reason is None


def test_double_tap_on_take_sends_one_request() -> None:
    flow = ready_flow()
    now, _ = take(flow)
    assert flow.press("take", now + 0.05) == []
    assert flow.press("take", now + 1.0) == []  # the waiting screen has no take button


def test_second_tap_of_a_double_tap_is_not_a_choice_on_the_next_screen() -> None:
    flow = ready_flow()
    flow.press("umum", 5.0)
    assert flow.screen == Screen.PAYMENT
    flow.press("pay:bpjs", 5.1)  # same finger, 100 ms later
    assert flow.screen == Screen.PAYMENT
    flow.press("pay:bpjs", 5.6)
    assert flow.screen == Screen.POLY


def test_resend_same_request_then_give_up_with_cancel() -> None:
    flow = ready_flow()
    now, request = take(flow)
    assert flow.tick(now + 1.0) == []
    assert flow.tick(now + 2.0) == [Send(request)]
    assert flow.tick(now + 4.0) == [Send(request)]
    effects = flow.tick(now + 8.0)
    assert effects == [Send(TicketCancel(request_id=request.request_id))]
    assert flow.screen == Screen.FAILURE and flow.error and flow.error.message == FAILURE_MESSAGE
    ticket = samples.general_ticket()
    assert flow.reply(TicketReply(request_id=request.request_id, ok=True, ticket=ticket), now + 9) == []
    assert flow.screen == Screen.FAILURE  # a late ticket is never printed
    flow.tick(now + 8.0 + TIMING.message_s)
    assert flow.screen == Screen.START


def test_resend_at_once_on_reconnect_and_not_while_down() -> None:
    flow = ready_flow()
    now, request = take(flow)
    flow.connection(False, now + 0.5)
    assert flow.screen == Screen.WAITING
    assert flow.tick(now + 3.0) == []
    assert flow.connection(True, now + 3.5) == [Send(request)]


def test_foreign_reply_is_ignored() -> None:
    flow = ready_flow()
    now, _ = take(flow)
    assert flow.reply(TicketReply(request_id="other", ok=True, ticket=samples.ticket()), now) == []
    assert flow.screen == Screen.WAITING


def test_refusal_shows_the_hubs_message() -> None:
    flow = ready_flow()
    now, request = take(flow)
    error = ErrorInfo.of("quota_full")
    assert flow.reply(TicketReply(request_id=request.request_id, ok=False, error=error), now) == []
    assert flow.screen == Screen.REFUSED and flow.error == error


def test_print_failure_keeps_the_number_longer() -> None:
    flow = ready_flow()
    now, request = take(flow)
    flow.reply(TicketReply(request_id=request.request_id, ok=True, ticket=samples.general_ticket()), now)
    flow.printed(request.request_id, "paper_out", False, now + 1)
    assert flow.outcome and flow.outcome.printing == "paper_out" and not flow.outcome.printed
    flow.tick(now + 1 + TIMING.result_s)
    assert flow.screen == Screen.RESULT
    flow.tick(now + 1 + 2 * TIMING.result_s)
    assert flow.screen == Screen.START


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["prioritas"], Screen.START),
        (["prioritas", "reason:lansia"], Screen.REASON),
        (["umum"], Screen.START),
        (["umum", "pay:umum"], Screen.PAYMENT),
        (["umum", "pay:umum", "poly:C"], Screen.POLY),
        (["booking"], Screen.START),
    ],
)
def test_back_goes_one_step_back(path: list[str], expected: Screen) -> None:
    flow = ready_flow()
    now = walk(flow, *path)
    assert flow.screen in STEPS
    flow.press("back", now)
    assert flow.screen == expected


def test_inactivity_returns_to_start() -> None:
    flow = ready_flow()
    now = walk(flow, "umum", "pay:bpjs")
    flow.tick(now + 28)  # the last touch was at now - 1
    assert flow.screen == Screen.POLY
    flow.tick(now + 30)
    assert flow.screen == Screen.START and flow.choice.payment is None


def test_full_and_closed_polys_cannot_be_chosen() -> None:
    flow = ready_flow()
    now = walk(flow, "umum", "pay:bpjs")
    flow.press("poly:B", now)  # quota full
    flow.press("poly:D", now + 1)  # closed
    assert flow.screen == Screen.POLY
    flow.press("poly:E", now + 2)
    assert flow.screen == Screen.CONFIRM


def test_poly_filling_up_while_confirming_goes_back_to_the_polys() -> None:
    flow = ready_flow()
    now = walk(flow, "umum", "pay:bpjs", "poly:A")
    assert flow.screen == Screen.CONFIRM
    flow.update_services(samples.services(remaining=0), now)
    assert flow.screen == Screen.POLY


def test_closed_when_no_poly_is_open() -> None:
    flow = ready_flow()
    closed = samples.services(open_=False).model_copy(
        update={"polys": [p.model_copy(update={"open": False}) for p in samples.services().polys]}
    )
    flow.update_services(closed, 1)
    assert flow.screen == Screen.CLOSED
    flow.update_services(samples.services(), 2)
    assert flow.screen == Screen.START


def test_broker_or_hub_lost_shows_out_of_service() -> None:
    flow = ready_flow()
    walk(flow, "umum")
    flow.connection(False, 3)
    assert flow.screen == Screen.OUT_OF_SERVICE
    flow.connection(True, 4)
    assert flow.screen == Screen.START
    flow.hub_status(False, 5)
    assert flow.screen == Screen.OUT_OF_SERVICE
    flow.hub_status(True, 6)
    assert flow.screen == Screen.START


def test_booking_keypad_sends_the_code() -> None:
    flow = ready_flow()
    now = walk(flow, "booking", "key:A", "key:B", "key:1")
    assert flow.press("send", now) == []  # too short
    now = walk(flow, "key:9", "key:9", "delete", "key:2", start=now)
    assert flow.booking_code == "AB192"
    effects = flow.press("send", now)
    assert effects == [Send(BookingRequest(request_id="kiosk-1-r1", booking_code="AB192"))]
    assert flow.screen == Screen.WAITING


def test_booking_code_length_is_capped() -> None:
    flow = ready_flow()
    walk(flow, "booking", *["key:7"] * 20)
    assert flow.booking_code == "7" * 16


def test_hub_status_online_does_not_interrupt_a_patient() -> None:
    flow = ready_flow()
    walk(flow, "umum", "pay:bpjs")
    flow.hub_status(True, 3)
    flow.connection(True, 3)
    assert flow.screen == Screen.POLY


def test_a_code_reader_types_the_booking_code_from_the_start_screen() -> None:
    flow = ready_flow()
    effects: list[object] = []
    for key in "ac3d-ef9h":  # a USB HID reader types fast: no debounce; unknown characters are ignored
        effects += flow.typed(key, 5.0)
    assert flow.screen == Screen.BOOKING and flow.booking_code == "AC3DEF9H" and effects == []
    flow.typed("backspace", 5.0)
    flow.typed("H", 5.0)
    [send] = flow.typed("enter", 5.0)
    assert isinstance(send, Send) and isinstance(send.request, BookingRequest)
    assert send.request.booking_code == "AC3DEF9H" and flow.screen == Screen.WAITING
    assert flow.typed("A", 5.1) == [] and flow.screen == Screen.WAITING  # nothing typed away while waiting


def test_keys_elsewhere_than_start_or_the_keypad_do_nothing() -> None:
    flow = ready_flow()
    walk(flow, "umum")
    assert flow.typed("A", 2.0) == [] and flow.screen == Screen.PAYMENT
    assert flow.typed("enter", 2.0) == [] and flow.screen == Screen.PAYMENT
