"""The bridge inside a real hub process, and the benchmark end to end (figures are not asserted)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.bpjs import main as bench_main
from hub.bpjs.simulator import SimulatorServer
from tests.bpjs.conftest import CREDS
from tests.conftest import HubHandle

pytestmark = pytest.mark.slow  # a real hub process, and the benchmark


def test_hub_process_starts_the_bridge(
    hub_runner: Callable[..., HubHandle],
    sim: SimulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTREAN_BPJS_KEY", raising=False)
    extra = (
        f'[bpjs]\nbase_url = "{sim.url}"\ncons_id = "{CREDS.cons_id}"\nsecret = "{CREDS.secret}"\n'
        f'user_key = "{CREDS.user_key}"\nusername = "{CREDS.username}"\npassword = "{CREDS.password}"\n'
    )
    hub = hub_runner(extra_toml=extra)
    deadline = time.monotonic() + 20
    while "hub running" not in hub.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.stop() == 0
    log = hub.log()
    assert "BPJS bridge started (configured)" in log
    for secret in (CREDS.secret, CREDS.user_key, CREDS.password):
        assert secret not in log
    key_file = tmp_path / "data" / "bpjs.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["-n", "20", "--repeat", "5"]) == 0
    out = capsys.readouterr().out
    assert "| participant by card |" in out and "| day's list, 100 visits |" in out
    assert "circuit open" in out
