"""`antrean demo` (the first command a newcomer runs) brings the whole system up and the flow goes round:
a simulated patient takes numbers at the kiosk, simulated staff press CALL, the display speaks the calls;
the kiosk and the TV are saved as PNGs; Ctrl-C stops it all quietly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pygame
import pytest

pytestmark = pytest.mark.slow  # the whole demo, every process


def test_demo_runs_the_whole_flow_headless_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "antrean",
            "demo",
            "--headless",
            "--call-every",
            "3",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    lines: list[str] = []
    assert demo.stdout is not None
    stream = demo.stdout
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not (
        sum("ack call" in line for line in lines) >= 2
        and (tmp_path / "kiosk.png").exists()
        and (tmp_path / "display.png").exists()
    ):
        assert demo.poll() is None and time.monotonic() < deadline, "".join(lines)[-3000:]
        time.sleep(0.2)
    before_stop = len(lines)
    started = time.monotonic()
    demo.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
    code = demo.wait(30)
    stopped_in = time.monotonic() - started
    reader.join(10)
    stream.close()
    out = "".join(lines)
    print(f"demo stopped {stopped_in:.2f} s after Ctrl-C")
    assert code == 0, out[-3000:]
    assert stopped_in < 6, out[-2000:]  # the design allows 1.5 s for the nodes and 1 s for the hub
    assert "Antrean demo is running" in out
    assert re.search(r"web \(loket and admin\): http://127\.0\.0\.1:\d+ .*password \S+", out)
    assert re.search(r"loket page: +http://127\.0\.0\.1:\d+/loket", out)
    assert f"kiosk {tmp_path / 'kiosk.png'}, TV {tmp_path / 'display.png'}" in out
    printed = re.findall(
        r"\[kiosk\] kiosk kiosk-1: printed ticket ([A-Z]-\d{3}) \(.*, payment (BPJS|Umum), \d+ ahead\)", out
    )
    assert printed, out[-3000:]
    called = re.findall(r"\[loket\] loket \d ack call ([A-Z]-\d{3})", out)
    assert called and set(called) <= {number for number, _ in printed}
    assert re.search(r'\[display\].*spoken: "Nomor antrean', out), out[-3000:]
    assert re.search(r"\[progress\] issued [1-9]", out)
    assert "demo stopped" in out
    after = "".join(lines[before_stop:])
    for alarming in ("WARNING", "ERROR", "offline", "lost", "Traceback"):
        assert alarming not in after, after
    assert "WARNING" not in out and "Traceback" not in out, out[-3000:]
    assert pygame.image.load(str(tmp_path / "display.png")).get_size() == (1280, 720)
    assert pygame.image.load(str(tmp_path / "kiosk.png")).get_width() > 0
    assert (tmp_path / "hub.log").exists() and (tmp_path / "antrean.db").exists()
