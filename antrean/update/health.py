"""After a switch: restart the unit and watch it. systemd is behind :class:`Systemctl` (the ``systemctl``
executable on PATH; tests put a recording one there), the health command is pluggable.

A release is healthy when, during the whole window (``--health-timeout``, 60 s by default), the unit stays
active without a restart (a watchdog kill or a crash makes systemd restart it: ``NRestarts`` grows) and the
health command passed once. The health command is the new release's ``antrean doctor --config FILE`` when
it has one and a config is given (only its checks a release can break count: config, TLS, the broker
account), else its ``antrean --version``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


class Systemctl:
    """The few ``systemctl`` calls an update needs."""

    def __init__(self, executable: str = "systemctl") -> None:
        self.executable = executable

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.executable, *args], capture_output=True, text=True, check=False)

    def restart(self, unit: str) -> None:
        done = self.run("restart", unit)
        if done.returncode != 0:
            logger.warning("systemctl restart %s: %s", unit, done.stderr.strip())

    def state(self, unit: str) -> dict[str, str]:
        """``ActiveState``, ``Result`` and ``NRestarts`` of ``unit`` (empty values when systemctl fails)."""
        done = self.run("show", "--property=ActiveState,Result,NRestarts", unit)
        values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        return {key: values.get(key, "") for key in ("ActiveState", "Result", "NRestarts")}


def release_env() -> dict[str, str]:
    """The environment a release is checked in: this process's, without what would make Python import
    something else than the release (PYTHONPATH, PYTHONHOME)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def health_command(release: Path, config: str | None) -> list[str]:
    antrean = str(release / "bin" / "antrean")
    if config:
        has_doctor = subprocess.run(
            [antrean, "doctor", "--help"], capture_output=True, check=False, env=release_env()
        )
        if has_doctor.returncode == 0:
            return [antrean, "doctor", "--config", config, "--json", "--no-report"]
    return [antrean, "--version"]


# what a release can break; a printer out of paper or a full disk is not a reason to roll a release back
RELEASE_CHECKS = frozenset({"config", "tls", "broker"})


def doctor_verdict(output: str) -> str | None:
    """From ``antrean doctor --json``: None unless a check a release can break failed.

    >>> doctor_verdict('{"checks": [{"name": "printer", "level": "FAIL", "detail": "paper out"}]}') is None
    True
    >>> doctor_verdict('{"checks": [{"name": "broker", "level": "FAIL", "detail": "not authorised"}]}')
    'broker: not authorised'
    """
    checks = json.loads(output).get("checks", [])
    failed = [c for c in checks if c.get("level") == "FAIL" and c.get("name") in RELEASE_CHECKS]
    return "; ".join(f"{c['name']}: {c.get('detail', '')}" for c in failed) or None


def run_check(command: Sequence[str], timeout: float = 60) -> str | None:
    """None when ``command`` passes, else what went wrong (its last output line)."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False, env=release_env()
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{' '.join(command)}: {error}"
    if done.returncode == 0:
        return None
    if "doctor" in command and "--json" in command:
        try:
            verdict = doctor_verdict(done.stdout)
        except (ValueError, AttributeError):
            verdict = "antrean doctor printed no report"
        return None if verdict is None else f"antrean doctor: {verdict}"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return f"{' '.join(command)} exited with {done.returncode}" + (f": {lines[-1]}" if lines else "")


@dataclass
class Watch:
    systemctl: Systemctl
    unit: str
    check: Callable[[], str | None]
    window: float = 60
    poll: float = 1.0

    def healthy(self) -> str | None:
        """Restart the unit and watch it for ``window`` seconds: None when healthy, else why not."""
        self.systemctl.restart(self.unit)
        before = self.systemctl.state(self.unit)["NRestarts"]  # systemd counts automatic restarts only
        deadline = time.monotonic() + self.window
        checked: str | None = "the health check did not run"
        while True:
            state = self.systemctl.state(self.unit)
            if state["ActiveState"] not in ("active", "activating", "reloading"):
                return f"{self.unit} is {state['ActiveState'] or 'unknown'} (result {state['Result'] or '?'})"
            if state["NRestarts"] != before or state["Result"] == "watchdog":
                return f"{self.unit} was restarted (result {state['Result']}, {state['NRestarts']} restarts)"
            if checked is not None and state["ActiveState"] == "active":
                checked = self.check()
                if checked is None:
                    logger.info("health check passed; watching %s", self.unit)
            if time.monotonic() >= deadline:
                return checked
            time.sleep(self.poll)
