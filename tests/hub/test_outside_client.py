"""An outside check: a plain paho client that follows docs/mqtt.md (hand-written JSON, no project code)
against `antrean hub --config FILE` using only the keys the issue shows, with the embedded broker."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from hub.broker import free_port

pytestmark = pytest.mark.slow  # the hub binary


def test_plain_paho_client_against_the_hub_binary(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        f'site = "pkm"\ndata_dir = "{tmp_path / "data"}"\n[mqtt]\nurl = ""\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {port}\nallow_anonymous = true\n'  # a protocol check
        f'[database]\nurl = ""\n[web]\nport = 0\n[queue]\npriority_ratio = "2:1"\n'
        'operating_start = "00:00"\noperating_end = "00:00"\nreset_time = "00:00"\n',
        encoding="utf-8",
    )
    log = (tmp_path / "hub.log").open("wb")
    hub = subprocess.Popen(
        [sys.executable, "-m", "antrean", "hub", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    received: list[tuple[str, dict[str, Any]]] = []  # JSON as parsed
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="outside-check")

    def on_message(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with contextlib.suppress(ValueError):  # our own malformed request below
            received.append((message.topic, json.loads(message.payload)))

    client.on_message = on_message
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.connect("127.0.0.1", port)
                break
            except OSError:
                assert hub.poll() is None, (tmp_path / "hub.log").read_text()
                assert time.monotonic() < deadline, "hub broker did not come up"
                time.sleep(0.2)
        client.loop_start()
        client.subscribe("antrean/pkm/#", qos=1)

        def wait_for(
            topic: str, check: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10
        ) -> dict[str, Any]:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                for got_topic, payload in list(received):
                    if got_topic == topic and (check is None or check(payload)):
                        return payload
                time.sleep(0.05)
            raise AssertionError(f"nothing on {topic}")

        services = wait_for("antrean/pkm/services")
        assert services["v"] == 1 and {"A", "E"} <= {p["code"] for p in services["polys"]}
        ids = []
        for i, (category, reason) in enumerate([("umum", None), ("prioritas", "bumil"), ("umum", None)]):
            request = {
                "v": 1,
                "request_id": f"out-{i}",
                "category": category,
                "priority_reason": reason,
                "payment_type": "bpjs",
                "poly_code": "A",
            }
            client.publish("antrean/pkm/kiosk/outside/ticket/request", json.dumps(request), qos=1)
            client.publish("antrean/pkm/kiosk/outside/ticket/request", json.dumps(request), qos=1)  # a replay

            def answers(payload: dict[str, Any], request_id: str = f"out-{i}") -> bool:
                return payload["request_id"] == request_id

            reply = wait_for("antrean/pkm/kiosk/outside/ticket/reply", answers)
            assert reply["ok"] is True
            ids.append(reply["ticket"]["number"])
        assert ids == ["A-001", "P-001", "A-002"]
        client.publish(
            "antrean/pkm/counter/1/command",
            json.dumps({"v": 1, "request_id": "cmd-1", "action": "call", "source": "button"}),
            qos=1,
        )
        reply = wait_for("antrean/pkm/counter/1/reply")
        assert reply["ticket"]["number"] == "P-001"
        announce = wait_for("antrean/pkm/display/announce")
        assert announce["text"] == "Nomor antrean, Pe, satu. Silakan menuju loket satu."
        state = wait_for("antrean/pkm/display/state", lambda p: p["counters"][0]["ticket"] is not None)
        assert [t["number"] for t in state["next_general"]] == ["A-001", "A-002"]
        client.publish("antrean/pkm/counter/1/command", b"{not json", qos=1)
        bad = wait_for("antrean/pkm/counter/1/reply", lambda p: p["ok"] is False)
        assert bad["error"]["code"] == "invalid_request"
    finally:
        client.loop_stop()
        client.disconnect()
        hub.send_signal(signal.SIGTERM)
        code = hub.wait(20)
        log.close()
        assert code == 0
