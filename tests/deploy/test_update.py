"""Issue 13: ``antrean update`` moves a node between two locally built releases (venvs side by side, an
atomic ``current`` link), rolls back by itself a release whose health check fails or that the watchdog keeps
restarting, and ``--rollback`` goes back by hand. systemd is a recording ``systemctl`` on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.update.releases import Releases
from tests.deploy.conftest import BROKEN, GOOD, NEWER
from tests.deploy.releases import calls, fake_systemctl, pip_env

pytestmark = pytest.mark.slow  # venvs and pip installs
UNIT = "antrean-counter.service"


def _update(root: Path, fake: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = pip_env(fake / "bin") | {"FAKE_SYSTEMCTL_DIR": str(fake)}
    command = [sys.executable, "-m", "antrean", "update", "--root", str(root), "--unit", UNIT]
    command += map(str, args)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, check=False)


def _version(root: Path) -> str:
    done = subprocess.run(
        [str(root / "venv" / "bin" / "antrean"), "--version"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        check=False,
    )
    return done.stdout.strip()


def test_a_node_moves_between_releases_and_rolls_back_a_broken_one(wheelhouse: Path, tmp_path: Path) -> None:
    root, fake = tmp_path / "opt-antrean", tmp_path / "systemd"
    fake_systemctl(fake)
    first = _update(root, fake, "--from", wheelhouse, "--version", GOOD, "--health-timeout", "1")
    assert first.returncode == 0, first.stderr
    assert f"now at {GOOD}" in first.stdout
    layout = Releases(root)
    assert layout.current() == GOOD and os.readlink(root / "venv") == "current"
    assert _version(root) == f"antrean {GOOD}"  # the unit's path (/opt/antrean/venv/bin/antrean) runs it
    assert f"restart {UNIT}" in calls(fake)

    # the newest the wheelhouse offers is the broken one: it is installed, fails, and the node goes back
    broken = _update(root, fake, "--from", wheelhouse, "--health-timeout", "1")
    assert broken.returncode == 1
    assert f"{BROKEN} is unhealthy" in broken.stderr and f"rolled back to {GOOD}" in broken.stderr
    assert "broken on purpose" in broken.stderr  # says why
    assert layout.current() == GOOD and _version(root) == f"antrean {GOOD}"
    assert calls(fake).count(f"restart {UNIT}") == 3  # to the broken release and back

    second = _update(root, fake, "--from", wheelhouse, "--version", NEWER, "--health-timeout", "1")
    assert second.returncode == 0, second.stderr
    assert (layout.current(), layout.previous()) == (NEWER, GOOD)
    assert _version(root) == f"antrean {NEWER}"
    assert sorted(layout.versions()) == [GOOD, NEWER, BROKEN]  # three kept

    back = _update(root, fake, "--rollback")
    assert back.returncode == 0 and f"rolled back to {GOOD}" in back.stdout
    assert _version(root) == f"antrean {GOOD}" and layout.previous() == NEWER

    # a release the watchdog keeps restarting is rolled back too (installed already: no pip this time)
    (fake / f"{UNIT}.crashing").touch()
    crashing = _update(root, fake, "--version", NEWER, "--health-timeout", "2")
    assert crashing.returncode == 1 and "was restarted" in crashing.stderr, crashing.stderr
    assert layout.current() == GOOD


def test_nothing_is_half_installed_when_the_wheelhouse_lacks_the_version(
    wheelhouse: Path, tmp_path: Path
) -> None:
    root, fake = tmp_path / "root", tmp_path / "systemd"
    fake_systemctl(fake)
    missing = _update(root, fake, "--from", wheelhouse, "--version", "0.9.9", "--health-timeout", "1")
    assert missing.returncode == 1 and "pip install failed" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert Releases(root).versions() == [] and Releases(root).current() is None
    assert calls(fake) == []
    nowhere = _update(root, fake, "--health-timeout", "1")
    assert nowhere.returncode == 1 and "give --from" in nowhere.stderr
    (root / "releases" / GOOD).mkdir(parents=True)  # an install cut short by a power cut
    again = _update(root, fake, "--from", wheelhouse, "--version", GOOD, "--health-timeout", "1")
    assert again.returncode == 0 and "incomplete" in again.stderr, again.stderr
    assert Releases(root).current() == GOOD


def test_old_releases_are_pruned_but_never_current_or_previous(tmp_path: Path) -> None:
    layout = Releases(tmp_path)
    for n, version in enumerate(["0.1", "0.2", "0.3", "0.4"]):
        layout.release(version).mkdir(parents=True)
        os.utime(layout.release(version), (1000 + n, 1000 + n))
    layout.switch("0.1")
    layout.switch("0.4")
    assert layout.prune(3) == ["0.2"]
    assert sorted(layout.versions()) == ["0.1", "0.3", "0.4"]
