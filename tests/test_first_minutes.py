"""The first ten minutes of a new user (issue 16): every mistake a newcomer makes gets one line and a
non-zero exit, never a traceback; commands say which config and data folder they use; help texts are plain
text; the demo shows its screens as PNGs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest

from antrean.cli import COMMANDS, main, run_command
from antrean.snapshot import Snapshots
from hub.cli_config import config_notice
from hub.config import HubConfig
from hub.web import cli_user

SUBCOMMANDS = {
    "bench": ["hub", "kiosk", "display", "counter", "bpjs", "web"],
    "display": ["render", "say"],
    "kiosk": ["render-ticket"],
    "backup": ["create", "list", "verify", "restore"],
}


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's --help
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    "argv",
    [[name, "--help"] for name in COMMANDS]
    + [[name, sub, "--help"] for name, subs in SUBCOMMANDS.items() for sub in subs],
    ids=lambda argv: " ".join(argv[:-1]),
)
def test_every_help_exits_0_in_plain_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _help(argv, capsys)
    assert code == 0, text
    assert "usage" in text.lower()
    for markup in ("``", ":func:", ":class:", "::\n"):
        assert markup not in text, f"{argv}: {markup!r} in\n{text}"


def test_user_add_without_password_or_terminal_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal, nothing piped
    code = cli_user.main(["add", "--config", str(config), "--username", "budi", "--role", "admin"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no password" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "antrean.db").exists()  # refused before touching the database


def test_user_add_reads_a_piped_password_and_names_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Kuat-Sekali-2026!\n"))
    code = cli_user.main(["add", "--config", str(config), "--username", "budi", "--role", "admin"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"config {config}" in captured.err and f"data folder {tmp_path / 'data'}" in captured.err
    assert "account budi (admin) saved" in captured.out


def test_without_config_the_defaults_are_announced(tmp_path: Path) -> None:
    site = tmp_path / "hub.toml"
    notice = config_notice("antrean hub", None, HubConfig(), site_config=site)
    assert "no --config given: built-in defaults in effect" in notice
    assert "data folder /var/lib/antrean" in notice and "MQTT 0.0.0.0:1883" in notice
    assert "exists but is not used" not in notice
    site.write_text("", encoding="utf-8")
    assert f"{site} exists but is not used; pass --config {site}" in config_notice(
        "antrean hub", None, HubConfig(), site_config=site
    )


def test_render_ticket_to_a_missing_printer_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = {
        "number": "P-001",
        "prefix": "P",
        "seq": 1,
        "category": "prioritas",
        "poly_code": "A",
        "poly_name": "Poli Umum",
        "payment_type": "bpjs",
        "source": "kiosk",
        "status": "waiting",
        "issued_at": "2026-12-02T01:00:00Z",
        "service_date": "2026-12-02",
        "ahead": 0,
        "estimated_wait_min": [0, 5],
        "status_url": "http://hub/t/abc",
    }
    missing = tmp_path / "usb" / "lp0"
    assert main(["kiosk", "render-ticket", json.dumps(ticket), "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {missing}: No such file or directory" in err and "Traceback" not in err
    del ticket["seq"], ticket["status"]
    assert main(["kiosk", "render-ticket", json.dumps(ticket), "--out", str(missing)]) == 2
    assert "cannot read the ticket: missing seq, status" in capsys.readouterr().err


def test_errors_of_the_machine_become_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def no_device(_args: list[str]) -> int:
        raise PermissionError(13, "Permission denied", "/dev/ttyUSB0")

    def closed_stdin(_args: list[str]) -> int:
        raise EOFError

    assert run_command("antrean x", no_device, []) == 1
    assert capsys.readouterr().err == "antrean x: cannot open /dev/ttyUSB0: Permission denied\n"
    assert run_command("antrean x", closed_stdin, []) == 1
    assert "standard input is closed" in capsys.readouterr().err


def test_snapshots_are_throttled_and_atomic(tmp_path: Path) -> None:
    now = [0.0]
    target = tmp_path / "screen.png"
    snapshots = Snapshots(target, every_s=2.0, clock=lambda: now[0])
    surface = pygame.Surface((64, 32))
    surface.fill((10, 120, 90))
    assert snapshots.offer(surface)
    now[0] = 1.0
    assert not snapshots.offer(surface)  # too soon
    now[0] = 5.0
    assert snapshots.offer(surface, changed=False)  # the change offered at 1.0 s is still owed
    now[0] = 6.0
    assert not snapshots.offer(surface, changed=False)  # nothing new since
    now[0] = 8.0
    assert snapshots.offer(surface, changed=True)
    assert snapshots.saved == 3
    assert pygame.image.load(str(target)).get_size() == (64, 32)
    assert [p.name for p in tmp_path.iterdir()] == ["screen.png"]  # no partial file left
    assert not Snapshots(None).offer(surface)


@pytest.mark.slow
def test_db_upgrade_prints_no_alembic_preamble(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "antrean", "db", "upgrade", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "alembic.runtime.plugins" not in done.stderr and "Context impl" not in done.stderr
    assert "Running upgrade" in done.stderr  # what the upgrade did is still told
    assert f"antrean db: config {config}" in done.stderr


def test_old_demo_folders_are_removed_unless_in_use(tmp_path: Path) -> None:
    import fcntl
    import os

    from antrean.demo import LOCK_FILE, clean_old_demos

    old, running, young, other = (
        tmp_path / name for name in ("antrean-demo-old", "antrean-demo-run", "antrean-demo-new", "keep-me")
    )
    for folder in (old, running, young, other):
        folder.mkdir()
        (folder / "antrean.db").write_text("x", encoding="utf-8")
    hour_ago = time.time() - 3600
    for folder in (old, running, other):
        os.utime(folder, (hour_ago, hour_ago))
    with open(running / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert clean_old_demos(tmp_path) == 1
    assert not old.exists() and running.exists() and young.exists() and other.exists()
