"""`antrean demo` (the first command a newcomer runs) brings the whole system up and the flow goes round:
a simulated patient takes numbers at the kiosk, simulated staff press CALL, the display speaks the calls."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the whole demo, every process


def test_demo_runs_the_whole_flow_headless(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "antrean",
            "demo",
            "--headless",
            "--duration",
            "25",
            "--call-every",
            "3",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "Antrean demo is running" in out
    assert re.search(r"web \(loket and admin\): http://127\.0\.0\.1:\d+ .*password \S+", out)
    printed = re.findall(r"\[kiosk\] kiosk kiosk-1: printed ticket ([A-Z]-\d{3})", out)
    assert printed, out[-3000:]
    called = re.findall(r"\[loket\] loket \d ack call ([A-Z]-\d{3})", out)
    assert called and set(called) <= set(printed)
    assert re.search(r"\[display\].*Nomor antrean", out), out[-3000:]
    assert re.search(r"\[progress\] diambil [1-9]", out)
    assert "demo stopped" in out
    assert "Mobile JKN: nomor JA-001 diambil (Kode booking " in out, out[-3000:]
    assert re.search(
        r"WhatsApp simulator received 1 message\(s\): antrean_booking_confirmed to 6281398765432", out
    )
    assert (tmp_path / "hub.log").exists() and (tmp_path / "antrean.db").exists()
