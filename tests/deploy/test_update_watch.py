"""The health watch of ``antrean update`` against a scripted systemd (the :class:`Systemctl` seam)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from antrean.update.health import Systemctl, Watch


class ScriptedSystemctl(Systemctl):
    """``show`` answers the next of ``states`` (the last one for ever); calls are recorded."""

    def __init__(self, states: list[dict[str, str]]) -> None:
        super().__init__("systemctl")
        self.states: Iterator[dict[str, str]] = iter(states)
        self.last = states[-1]
        self.calls: list[tuple[str, ...]] = []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[0] == "show":
            self.last = next(self.states, self.last)
            lines = "".join(f"{key}={value}\n" for key, value in self.last.items())
            return subprocess.CompletedProcess(args, 0, lines, "")
        return subprocess.CompletedProcess(args, 0, "", "")


def _state(active: str = "active", result: str = "success", restarts: str = "0") -> dict[str, str]:
    return {"ActiveState": active, "Result": result, "NRestarts": restarts}


def _watch(states: list[dict[str, str]], check: str | None = None, window: float = 0.05) -> str | None:
    systemctl = ScriptedSystemctl(states)
    problem = Watch(systemctl, "antrean-kiosk.service", lambda: check, window=window, poll=0.01).healthy()
    assert systemctl.calls[0] == ("restart", "antrean-kiosk.service")
    return problem


def test_a_unit_that_stays_active_and_passes_its_check_is_healthy() -> None:
    assert _watch([_state(), _state(), _state()]) is None


def test_a_unit_that_starts_slowly_is_waited_for() -> None:
    assert _watch([_state("activating"), _state("activating"), _state()], window=0.2) is None


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([_state(), _state("failed", "exit-code")], "antrean-kiosk.service is failed (result exit-code)"),
        ([_state(), _state(), _state("activating", "watchdog", "1")], "was restarted (result watchdog"),
        ([_state(restarts="2"), _state(restarts="2"), _state(restarts="3")], "3 restarts"),
        ([_state("activating")], "the health check did not run"),  # never became active
    ],
)
def test_a_unit_that_fails_restarts_or_never_starts_is_not(
    states: list[dict[str, str]], expected: str
) -> None:
    problem = _watch(states, window=0.2)
    assert problem is not None and expected in problem


def test_a_failing_health_check_is_the_answer() -> None:
    assert _watch([_state()], check="antrean --version exited with 1: broken") == (
        "antrean --version exited with 1: broken"
    )
