"""``antrean kiosk`` as a technician and ``antrean demo`` run it: config checks, and the headless demo
(a simulated patient through the real UI, one stdout line per printed ticket) against the real hub."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from antrean.cli import main as antrean_main
from antrean.config import describe_config
from firmware.kiosk_node.config import KioskConfig
from protocol.payloads import NodeStatus
from protocol.topics import Topics
from tests.support import Recorder, wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "provisioning" / "kiosk.example.toml"


def test_example_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert antrean_main(["kiosk", "--config", str(EXAMPLE), "--check-config"]) == 0
    assert "kiosk-1" in capsys.readouterr().out


def test_every_config_key_is_described() -> None:
    text = describe_config(KioskConfig, "Kiosk")
    for key in ("printer.backend", "printer.usb_vendor_id", "ticket.paper_width_mm", "timing.deadline_s"):
        assert f"`{key}`" in text
    assert "|  |" not in text  # no key without a description


def test_bad_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text('node_id = "kiosk-1"\n[printer]\nbackend = "network"\npaper = 58\n', encoding="utf-8")
    assert antrean_main(["kiosk", "--config", str(bad), "--check-config"]) == 2
    err = capsys.readouterr().err
    assert "printer.paper: unknown key" in err
    bad.write_text('node_id = "kiosk-1"\n[printer]\nbackend = "network"\n', encoding="utf-8")
    assert antrean_main(["kiosk", "--config", str(bad), "--check-config"]) == 2
    assert "backend network needs host" in capsys.readouterr().err


@pytest.mark.slow  # a real hub and the kiosk's demo process
def test_headless_demo_takes_tickets_through_the_ui(hub_runner: Callable, mqtt_url: str, site: str) -> None:
    hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.node_status("kiosk-1"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    command = [sys.executable, "-m", "firmware.kiosk_node", "--demo", "--mqtt-url", mqtt_url]
    process = subprocess.Popen(
        [*command, "--site", site, "--node-id", "kiosk-1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        line, deadline = b"", time.monotonic() + 30
        while b"printed ticket" not in line and time.monotonic() < deadline:
            if selector.select(timeout=1):
                line = process.stdout.readline()
        selector.close()
        assert b"kiosk kiosk-1: printed ticket " in line, line
        number = line.split(b"printed ticket ")[1].split()[0].decode()
        assert number[0] in "PABCDE" and number[1:] == "-001"
        status = NodeStatus.decode(recorder.last(topics.node_status("kiosk-1")))
        assert status.state == "online" and status.details == {"printer": "ok"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        wait_until(
            lambda: (
                NodeStatus.decode(recorder.on(topics.node_status("kiosk-1"))[-1].payload).state == "offline"
            )
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        recorder.close()
