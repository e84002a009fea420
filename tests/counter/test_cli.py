"""``antrean counter``: config checks in-process; ``--simulate`` as a real subprocess with the real hub."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.counter_button.cli import main
from protocol import DisplayState, NodeStatus, Topics
from tests.conftest import HubHandle
from tests.counter.test_hub_e2e import take_ticket
from tests.support import Recorder, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_check_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check-config", "--counter", "2", "--counter", "5", "--node-id", "loket-a"]) == 0
    assert capsys.readouterr().out == "configuration OK: node loket-a, lokets 2, 5\n"
    example = str(ROOT / "provisioning" / "counter.example.toml")
    assert main(["--config", example, "--check-config"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--node-id", "bad id"], "node_id"),
        (["--counter", "1", "--counter", "2", "--counter", "3", "--counter", "4"], "config file"),
        (["--config", "/nonexistent/counter.toml"], "not found"),
    ],
)
def test_bad_configuration_exits_2_naming_the_problem(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--check-config"]) == 2
    assert message in capsys.readouterr().err


class Lines:
    """Lines of a child's stdout, read in a thread."""

    def __init__(self, stream: object) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.put(line.rstrip("\n"))

    def expect(self, start: str, timeout: float = 10.0) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line starting {start!r}; saw {self.seen}") from None
            self.seen.append(line)
            if line.startswith(start):
                return line


@pytest.mark.slow  # a real hub and the simulator process
def test_simulate_with_the_real_hub_then_sigterm_says_offline(
    hub_runner: Callable[..., HubHandle], mqtt_url: str, site: str
) -> None:
    hub = hub_runner()
    topics = Topics(site)
    recorder = Recorder(mqtt_url, f"{topics.root}/#")
    number = take_ticket(recorder, topics, "cli-1")
    env = {**os.environ, "ANTREAN_BUTTONS_SKIP_HOLD_S": "0.3"}
    argv = ["--simulate", "--counter", "1", "--counter", "2", "--mqtt-url", mqtt_url, "--site", site]
    with subprocess.Popen(
        [sys.executable, "-m", "antrean", "counter", *argv, "--node-id", "counter-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    ) as child:
        try:
            _drive_simulator(child, recorder, topics, number, hub)
        finally:
            if child.poll() is None:
                child.kill()
    topic = topics.node_status("counter-1")
    wait_until(lambda: NodeStatus.decode(recorder.last(topic)).state == "offline")
    assert NodeStatus.decode(recorder.last(topic)).role == "counter"
    recorder.close()


def _drive_simulator(
    child: subprocess.Popen[str], recorder: Recorder, topics: Topics, number: str, hub: HubHandle
) -> None:
    assert child.stdin is not None
    out = Lines(child.stdout)
    out.expect("loket 1 online")
    out.expect("loket 2 online")
    child.stdin.write("call 1\nskip 2 0.1\ncall 2\n")
    child.stdin.flush()
    out.expect("loket 1 waiting call counter-1-1-")
    assert out.expect("loket 1 ack") == f"loket 1 ack call {number}"
    assert out.expect("loket 2 ignored") == "loket 2 ignored skip released before hold"
    assert out.expect("loket 2 no_waiting") == "loket 2 no_waiting call Tidak ada antrean yang menunggu."

    def displayed() -> bool:
        state = DisplayState.decode(recorder.last(topics.display_state()))
        return any(c.counter == 1 and c.ticket and c.ticket.number == number for c in state.counters)

    wait_until(displayed)
    hub.stop()
    assert out.expect("loket 1 offline") == "loket 1 offline hub unreachable"
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == 0


@pytest.mark.slow  # a python process
def test_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "firmware.counter_button", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=True,
    )
    assert "--simulate" in result.stdout and "--counter N" in result.stdout
