"""The counter node through gpiozero's mock pins and a real broker, with a fake hub answering.

The timing of each pattern, the debounce and the reply deadline are tested on the pure machine with an
injected clock (test_machine.py); here the node runs on a clock the test steps, and the tests wait for what
the node does, never for a fixed time."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from firmware.counter_button.node import CounterNode
from protocol import CounterCommand, NodeStatus
from protocol.link import parse_mqtt_url
from tests.counter.conftest import RunningNode
from tests.counter.fakes import lit_count, lit_durations
from tests.fakehub import FakeHub
from tests.netproxy import CuttableLink
from tests.support import Recorder, wait_until

pytestmark = pytest.mark.slow  # a real counter node over the broker with LED/buzzer timings

StartNode = Callable[..., RunningNode]


def test_call_publishes_a_button_command_and_shows_green(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node()
    green, amber = running.led(1, "green"), running.led(1, "amber")
    running.press(1, "call")
    ack = running.wait_for("ack")
    assert (ack.action, ack.detail) == ("call", "A-001")
    n, command = fake_hub.commands[0]
    assert (n, command.action, command.source) == (1, "call", "button")
    assert command.request_id.startswith("counter-t-1-")
    wait_until(lambda: lit_durations(green), timeout=3)  # green for a moment, then dark
    assert lit_count(green) == 1
    assert lit_count(amber) >= 1  # amber while waiting for the hub
    assert running.node.current_color(1) is None


def test_recall_acts_on_press_and_each_press_has_a_fresh_request_id(
    fake_hub: FakeHub, start_node: StartNode
) -> None:
    running = start_node()
    for count in (1, 2, 3):
        running.press(1, "recall")
        running.wait_for("ack", count=count)
    ids = fake_hub.numbers(1)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert {c.action for _, c in fake_hub.commands} == {"recall"}


def test_skip_needs_a_hold(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node()
    running.press(1, "skip", seconds=0.1)  # a brush, shorter than the hold
    ignored = running.wait_for("ignored")
    assert ignored.detail == "released before hold"
    running.hold(1, "skip")
    running.wait_for("ack")
    assert [c.action for _, c in fake_hub.commands] == ["skip"]  # the brush sent nothing before it


def test_contact_bounce_makes_one_command(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node()
    pin = running.pin(1, "call")
    for _ in range(4):  # four chattering edges pairs within a few milliseconds
        pin.drive_low()
        pin.drive_high()
    running.wait_for("ack")
    running.press(1, "call")  # a real press later counts again
    running.wait_for("ack", count=2)
    assert len(fake_hub.commands) == 2  # one for the chatter (sent before this press's), one for the press


def test_a_press_in_flight_is_ignored(fake_hub: FakeHub, start_node: StartNode) -> None:
    fake_hub.mode = "silent"  # the hub answers when the test says so
    running = start_node(reply_timeout_s=30.0)
    running.press(1, "call")
    running.wait_for("waiting")
    running.press(1, "recall")
    running.press(1, "call")
    assert running.kinds(1).count("ignored") == 2
    wait_until(lambda: fake_hub.numbers(1))
    fake_hub.reply(1, fake_hub.numbers(1)[0])
    running.wait_for("ack")
    fake_hub.mode = "answer"
    running.press(1, "recall")  # acts again once the reply is in
    running.wait_for("ack", count=2)
    # the ignored presses would have reached the hub before this one
    assert [c.action for _, c in fake_hub.commands] == ["call", "recall"]


def test_no_reply_shows_the_error_and_the_press_is_dropped(fake_hub: FakeHub, start_node: StartNode) -> None:
    fake_hub.mode = "silent"
    running = start_node()
    red = running.led(1, "red")
    running.press(1, "call")
    failed = running.wait_for("no_reply", timeout=3)
    assert "no reply" in failed.detail
    wait_until(lambda: lit_count(red) >= 3, timeout=3)  # the rapid red flicker
    # the hub answers far too late; the reply to the next press comes after it on the same topic
    abandoned = fake_hub.numbers(1)[0]
    fake_hub.reply(1, abandoned)
    fake_hub.mode = "answer"
    running.press(1, "call")
    running.wait_for("ack")
    assert running.kinds(1).count("ack") == 1  # the late reply acknowledged nothing
    numbers = fake_hub.numbers(1)
    assert len(numbers) == 2 and numbers[1] != abandoned  # a new request; the abandoned one never re-sent


@pytest.mark.slow  # plays both red patterns in real time
def test_refusals_have_distinct_red_patterns(fake_hub: FakeHub, start_node: StartNode) -> None:
    fake_hub.mode = "no_waiting"
    running = start_node()
    red = running.led(1, "red")
    running.press(1, "call")
    refused = running.wait_for("no_waiting")
    assert refused.detail == "Tidak ada antrean yang menunggu."
    wait_until(lambda: running.pattern(1) == "idle" and not red.state, timeout=3)
    assert lit_count(red) == 2  # a double blink
    red.clear_states()
    fake_hub.mode = "closed"
    running.press(1, "call")
    other = running.wait_for("refused")
    assert other.detail.startswith("closed: ")
    wait_until(lambda: running.pattern(1) == "idle" and not red.state, timeout=5)
    assert lit_count(red) == 1  # one red


def test_two_lokets_on_one_node(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node()
    running.press(2, "call")
    running.wait_for("ack", counter=2)
    assert running.kinds(1).count("ack") == 0
    wait_until(lambda: lit_count(running.led(2, "green")) == 1)
    assert lit_count(running.led(1, "green")) == 0
    running.press(1, "recall")
    running.wait_for("ack", counter=1)
    assert [(n, c.action) for n, c in fake_hub.commands] == [(2, "call"), (1, "recall")]
    state = running.wait_for("state", counter=2)
    assert "current=A-001" in state.detail


@pytest.mark.slow  # a real-time blink
def test_hub_offline_blinks_amber_and_refuses_presses(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node()
    amber = running.led(1, "amber")
    fake_hub.stop()
    assert running.wait_for("offline").detail == "hub unreachable"
    running.wait_for("offline", counter=2)
    amber.clear_states()
    wait_until(lambda: lit_count(amber) >= 1, timeout=5)  # it went dark and lit again: a blink
    running.press(1, "call")
    assert running.wait_for("no_reply").detail == "not sent: hub offline"
    fake_hub.restart()
    running.wait_for("online", count=2)
    running.press(1, "call")
    running.wait_for("ack")
    assert len(fake_hub.commands) == 1  # only this press: the refused one never reached the hub


@pytest.mark.slow  # cuts the connection and waits for the reconnect
def test_node_status_and_reconnect(
    mqtt_url: str, site: str, fake_hub: FakeHub, start_node: StartNode
) -> None:
    recorder = Recorder(mqtt_url, fake_hub.topics.node_status("counter-t"))
    running = start_node()
    topic = fake_hub.topics.node_status("counter-t")
    wait_until(lambda: NodeStatus.decode(recorder.last(topic)).state == "online")
    status = NodeStatus.decode(recorder.last(topic))
    assert (status.role, status.details) == ("counter", {"lokets": [1, 2]})
    # cut the connection under the node's feet: it says offline, reconnects, and works again
    sock = running.node.link._client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)
    assert running.wait_for("offline").detail == "broker unreachable"
    running.wait_for("online", count=2, timeout=10)
    running.press(1, "call")
    running.wait_for("ack")
    running.node.stop()
    wait_until(lambda: NodeStatus.decode(recorder.last(topic)).state == "offline")
    recorder.close()


@pytest.mark.slow  # cuts and remakes the connection
def test_a_press_lost_on_a_dead_link_is_not_sent_after_the_reconnect(
    mqtt_url: str, fake_hub: FakeHub, start_node: StartNode
) -> None:
    """The press showed the error signal, so staff press again: re-sending it later would call a patient
    nobody asked for."""
    address = parse_mqtt_url(mqtt_url)
    cable = CuttableLink(address.host, address.port)
    cable.start()
    try:
        running = start_node(**{"mqtt.url": cable.url})
        cable.stall()  # the link dies silently: the node still believes it is online
        running.press(1, "call")
        running.wait_for("no_reply")
        cable.cut()  # the dead connection is noticed ...
        cable.start()  # ... and a new one made
        running.wait_for("online", count=2, timeout=15)
        running.press(1, "call")  # the press staff make instead goes through
        running.wait_for("ack")
        # an MQTT client re-sends what it had in flight first thing after reconnecting: ahead of this press
        assert len(fake_hub.numbers(1)) == 1
    finally:
        cable.cut()


@pytest.mark.slow  # stalls the connection past the deadline
def test_a_press_stuck_in_a_stalled_link_is_not_delivered_when_it_recovers(
    mqtt_url: str, fake_hub: FakeHub, start_node: StartNode
) -> None:
    """A Wi-Fi hiccup longer than the reply deadline: the node resets the connection when it gives up, so
    the bytes still queued for the broker never arrive late."""
    address = parse_mqtt_url(mqtt_url)
    cable = CuttableLink(address.host, address.port)
    cable.start()
    try:
        running = start_node(**{"mqtt.url": cable.url})
        cable.stall()
        running.press(1, "call")
        running.wait_for("no_reply")
        cable.resume()  # the network is back before any keepalive noticed
        running.wait_for("online", count=2, timeout=15)
        running.press(1, "call")
        running.wait_for("ack")
        assert len(fake_hub.numbers(1)) == 1  # the stalled bytes would have arrived ahead of this press
    finally:
        cable.cut()


def test_rgb_led_and_buzzer(fake_hub: FakeHub, start_node: StartNode) -> None:
    loket = {
        "counter": 3,
        "call_pin": 5,
        "skip_pin": 6,
        "recall_pin": 13,
        "rgb_pins": [17, 27, 22],
        "buzzer_pin": 18,
    }
    running = start_node(lokets=[loket])
    light = running.node.lights[3]
    rgb, buzzer = light.rgb, light.buzzer
    assert rgb is not None and buzzer is not None
    fake_hub.mode = "no_waiting"
    running.press(3, "call")
    running.wait_for("no_waiting", counter=3)
    wait_until(lambda: rgb.value == (1, 0, 0) and buzzer.value, timeout=2)
    wait_until(lambda: running.pattern(3) == "idle" and rgb.value == (0, 0, 0), timeout=3)
    assert lit_count(buzzer.pin) == 2  # the buzzer sounds with each red
    fake_hub.mode = "answer"
    running.press(3, "call")
    running.wait_for("ack", counter=3)
    wait_until(lambda: rgb.value == (0, 1, 0), timeout=2)
    assert not buzzer.value


def test_active_low_leds_and_pull_down_buttons(fake_hub: FakeHub, start_node: StartNode) -> None:
    running = start_node(**{"lights.active_high": False, "buttons.pull_up": False})
    green = running.led(1, "green")
    assert green.state  # dark = high for an LED wired to 3V3
    running.press(1, "call", pull_up=False)
    running.wait_for("ack")
    wait_until(lambda: not green.state, timeout=1)
    wait_until(lambda: green.state, timeout=2)


def test_malformed_messages_do_not_disturb_the_node(
    fake_hub: FakeHub, start_node: StartNode, caplog: pytest.LogCaptureFixture
) -> None:
    running = start_node()
    fake_hub.link.publish(fake_hub.topics.counter_reply(1), b"{not json")
    fake_hub.link.publish(fake_hub.topics.counter_state(1), b'{"v": 2}')
    # a call made on the web: the fake hub answers it, the node sees a reply not meant for it
    fake_hub.link.publish(
        fake_hub.topics.counter_command(1), CounterCommand(request_id="x", action="call", source="web")
    )
    malformed = "ignoring a malformed message on {}"
    topics = fake_hub.topics
    wait_until(
        lambda: (
            malformed.format(topics.counter_reply(1)) in caplog.text
            and malformed.format(topics.counter_state(1)) in caplog.text
        )
    )
    running.wait_for("state")  # the state that came with the web call's reply
    running.press(1, "call")
    running.wait_for("ack")
    assert isinstance(running.node, CounterNode)
