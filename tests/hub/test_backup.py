"""``antrean backup``: a restore into a fresh data_dir gets every ticket, patient and user back; rotation;
verify finds damage; restore refuses to overwrite a live database."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hub.backup import BackupError, create_backup, list_backups, restore_backup, verify_backup
from hub.db.database import open_database
from hub.db.identity import read_file
from tests.hub.backup_support import fill, hub_config, other_database, snapshot

pytestmark = pytest.mark.usefixtures("restore_umask")


def test_restore_into_a_fresh_data_dir_gets_everything_back(tmp_path: Path, database_url: str) -> None:
    config = hub_config(tmp_path / "site", database_url)
    fill(config)
    before = snapshot(config)
    assert len(before[0]) == 3 and len(before[1]) == 2 and len(before[2]) == 2
    info = create_backup(config)
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(info.path.parent.stat().st_mode) == 0o700
    assert info.path.name.startswith("antrean-pkm-") and info.counts["queues"] == 3
    assert verify_backup(info.path) == []

    with other_database(database_url, tmp_path) as target_url:
        fresh = hub_config(tmp_path / "new-hub", target_url)
        open_database(fresh)[0].dispose()  # `antrean db upgrade` on the new install: schema, no data
        restore_backup(fresh, info.path)
        assert read_file(fresh) == read_file(config)  # the hub starts on it (same identity)
        assert snapshot(fresh) == before
        # numbering goes on after the restored tickets (not A-001 again)
        fill(fresh, tickets=1, people=False)
        assert snapshot(fresh)[0] == [*before[0], ("A-003", "waiting")], (before, snapshot(fresh))


def test_restore_refuses_a_live_database_without_force(tmp_path: Path, database_url: str) -> None:
    config = hub_config(tmp_path / "site", database_url, backup={"keep": 5})
    fill(config, tickets=2)
    info = create_backup(config)
    fill(config, tickets=1, people=False)  # a ticket after the backup
    with pytest.raises(BackupError, match="--force"):
        restore_backup(config, info.path)
    assert len(snapshot(config)[0]) == 3
    restore_backup(config, info.path, force=True)
    assert len(snapshot(config)[0]) == 2
    assert len(list_backups(config)) == 2  # the replaced database was backed up first


def test_rotation_keeps_the_newest(tmp_path: Path) -> None:
    data_dir = tmp_path / "site"
    config = hub_config(data_dir, f"sqlite:///{data_dir / 'antrean.db'}", backup={"keep": 3})
    open_database(config)[0].dispose()
    made = [create_backup(config).path for _ in range(5)]
    assert list_backups(config) == made[-3:]
    assert sorted(p.name for p in config.backup_path.iterdir()) == sorted(
        [p.name for p in made[-3:]] + [p.name + ".json" for p in made[-3:]]
    )


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_verify_detects_a_damaged_backup(tmp_path: Path, damage: str) -> None:
    config = hub_config(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'antrean.db'}")
    fill(config)
    path = create_backup(config).path
    data = bytearray(path.read_bytes())
    if damage == "flip":
        for offset in range(len(data) // 2, len(data) // 2 + 64):
            data[offset] ^= 0xFF
    else:
        del data[len(data) // 3 :]
    path.write_bytes(bytes(data))
    assert verify_backup(path)
    with pytest.raises(BackupError, match="fails verification"):
        restore_backup(hub_config(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}"), path)


@pytest.mark.slow
def test_backup_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "site"
    toml = tmp_path / "hub.toml"
    toml.write_text(f'data_dir = "{data_dir}"\n[backup]\nkeep = 2\n', encoding="utf-8")

    def antrean(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "antrean", *args, "--config", str(toml)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert antrean("db", "upgrade").returncode == 0
    created = antrean("backup", "create")
    assert created.returncode == 0, created.stderr
    listed = antrean("backup", "list")
    assert listed.returncode == 0 and "antrean-pkm-" in listed.stdout
    assert antrean("backup", "verify").stdout.count(": OK") == 1
    backup = Path(created.stdout.split()[0])
    backup.write_bytes(backup.read_bytes()[:4096])
    damaged = antrean("backup", "verify")
    assert damaged.returncode == 1 and "DAMAGED" in damaged.stdout
