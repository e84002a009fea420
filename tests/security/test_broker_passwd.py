"""``antrean broker passwd FILE USER``: accounts Mosquitto accepts, no weak passwords, a 0600 file."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub import cli_broker
from hub.mqttauth import read_password_file, verify_password
from tests.security.brokers import SITE, Client, start_mosquitto


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What the technician types at the getpass prompts."""
    typed: list[str] = []
    monkeypatch.setattr(cli_broker.getpass, "getpass", lambda _prompt="": typed.pop(0))
    yield typed
    assert not typed, "not every answer was asked for"


def test_account_written_in_mosquittos_format_lets_the_node_into_mosquitto(tmp_path: Path) -> None:
    passwd = tmp_path / "mqtt.passwd"
    assert cli_broker.main(["passwd", str(passwd), "hub", "--password", "Hub-Rahasia-2026"]) == 0
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1", "--password", "Kiosk-Rahasia-2026"]) == 0
    assert stat.S_IMODE(passwd.stat().st_mode) == 0o600
    port, process = start_mosquitto(tmp_path, passwd, probe=("hub", "Hub-Rahasia-2026"))
    try:
        kiosk = Client.connect(port, "kiosk-1", "Kiosk-Rahasia-2026", f"antrean-{SITE}-kiosk-1")
        assert kiosk.rc == 0
        kiosk.close()
        assert Client.connect(port, "kiosk-1", "Kiosk-Rahasia-2027", f"antrean-{SITE}-kiosk-1").rc != 0
    finally:
        process.terminate()
        process.wait(10)
    # mosquitto_passwd works on the same file, and we read what it writes
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "display-1", "Layar-Rahasia-2026"], check=True)
    accounts = read_password_file(passwd)
    assert verify_password("Layar-Rahasia-2026", accounts["display-1"])
    assert verify_password("Kiosk-Rahasia-2026", accounts["kiosk-1"])


def test_update_replaces_the_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    passwd = tmp_path / "mqtt.passwd"
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1", "--password", "Kiosk-Rahasia-2026"]) == 0
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1", "--password", "Kiosk-Baru-2027!"]) == 0
    assert "updated account kiosk-1" in capsys.readouterr().out
    accounts = read_password_file(passwd)
    assert list(accounts) == ["kiosk-1"] and verify_password("Kiosk-Baru-2027!", accounts["kiosk-1"])
    assert stat.S_IMODE(passwd.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("pendek", "at least 10 characters"),
        ("kiosk-1", "at least 10 characters"),
        ("Kiosk-1-2026", "user name"),
        ("puskesmas123", "too common"),
        ("aaaaaaaaaaaa", "too common"),
    ],
)
def test_weak_passwords_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], password: str, reason: str
) -> None:
    passwd = tmp_path / "mqtt.passwd"
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1", "--password", password]) == 2
    assert reason in capsys.readouterr().err
    assert not passwd.exists()


def test_asks_twice_when_no_password_is_given(tmp_path: Path, answers: list[str]) -> None:
    passwd = tmp_path / "mqtt.passwd"
    answers += ["Kiosk-Rahasia-2026", "Kiosk-Rahasia-2025"]
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1"]) == 2  # the two differ
    assert not passwd.exists()
    answers += ["Kiosk-Rahasia-2026", "Kiosk-Rahasia-2026"]
    assert cli_broker.main(["passwd", str(passwd), "kiosk-1"]) == 0
    assert verify_password("Kiosk-Rahasia-2026", read_password_file(passwd)["kiosk-1"])


def test_the_antrean_command_has_it(tmp_path: Path) -> None:
    passwd = tmp_path / "mqtt.passwd"
    result = subprocess.run(
        ["antrean", "broker", "passwd", str(passwd), "counter-1", "--password", "Loket-Rahasia-2026"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "counter-1" in read_password_file(passwd)
    bad_name = subprocess.run(
        ["antrean", "broker", "passwd", str(passwd), "kiosk/1", "--password", "Loket-Rahasia-2026"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad_name.returncode == 2 and "user name" in bad_name.stderr
