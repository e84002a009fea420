"""The web served by a real ``antrean hub`` process (waitress): the loket button goes through the
dispatcher and reaches MQTT state, live events arrive over a real socket."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from benchmarks.harness import ScriptedKiosk
from protocol import DisplayState, Topics
from tests.support import Recorder, wait_until
from tests.web.live import LiveHub

pytestmark = pytest.mark.slow  # a real hub process serving the web


def test_loket_call_reaches_the_display_state_and_live_pages(
    live_hub: LiveHub, mqtt_url: str, site: str
) -> None:
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.display_state(), topics.display_announce())
    kiosk = ScriptedKiosk(mqtt_url, site, "kiosk-1")
    try:
        ticket = kiosk.take("k-1").ticket
        assert ticket is not None and ticket.status_url.startswith(live_hub.url + "/t/")
        staff = live_hub.session("siti")
        events = requests.get(f"{live_hub.url}/events", stream=True, timeout=10)
        assert events.headers["Content-Type"].startswith("text/event-stream")
        lines = events.iter_lines(decode_unicode=True)
        first = [next(lines) for _ in range(3)]
        assert first[1] == "event: change"
        seen: list[str | bytes] = []  # str: decode_unicode
        reader = threading.Thread(target=lambda: seen.extend(next(lines) for _ in range(3)), daemon=True)
        reader.start()
        response = staff.post(
            f"{live_hub.url}/loket/1/aksi/call",
            data={"request_id": "web-1"},
            headers={"X-Requested-With": "fetch"},
            timeout=10,
        )
        assert response.json() == {"ok": True, "message": f"Memanggil: {ticket.number}"}

        def called() -> bool:
            state = DisplayState.decode(recorder.last(topics.display_state()))
            return any(c.ticket is not None and c.ticket.number == ticket.number for c in state.counters)

        wait_until(called, timeout=10)
        announce = json.loads(recorder.last(topics.display_announce()))
        assert announce["ticket_number"] == ticket.number and announce["counter"] == 1
        reader.join(15)
        assert "event: change" in seen
        events.close()
        public = requests.get(ticket.status_url, timeout=10)
        assert public.status_code == 200 and ticket.number in public.text and "Dipanggil" in public.text
        assert "Content-Security-Policy" in public.headers
        staff.close()
    finally:
        kiosk.close()
        recorder.close()


def test_bridge_is_wired(live_hub: LiveHub) -> None:
    with live_hub.session("admin") as admin:
        page = admin.get(f"{live_hub.url}/admin/bpjs", timeout=10).text
    assert '<dd id="bpjs-state">Aktif</dd>' in page
    assert "s3cret-pwd" not in page and "P@ssw0rd!" not in page  # secrets are write-only
