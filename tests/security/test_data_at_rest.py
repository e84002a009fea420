"""Finding 6: ``antrean.db`` was created 0644 (NIK, password hashes readable by any local user). The data
directory is 0700 and the database (with its -wal/-shm), keys and uploads 0600, whichever command creates
them, and an existing data_dir is tightened at start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.harness import HubProcess, write_hub_config
from hub.broker import free_port
from tests.support import wait_until

PASSWORD = "Puskesmas#Aman2026"

pytestmark = [pytest.mark.usefixtures("restore_umask"), pytest.mark.slow]  # real hub processes and CLIs


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask 022: without care, new files are readable by everybody."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def antrean(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "antrean", *args, "--config", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable_by_others(root: Path) -> list[str]:
    found = [] if not mode(root) & 0o077 else [f"{root} {mode(root):o}"]
    for path in root.rglob("*"):
        if not path.is_symlink() and mode(path) & 0o077:
            found.append(f"{path} {mode(path):o}")
    return found


def test_database_keys_and_data_dir_are_private(
    tmp_path: Path, mqtt_url: str, site: str, loose_umask: None
) -> None:
    data_dir = tmp_path / "data"
    config = write_hub_config(
        tmp_path / "hub.toml",
        site=site,
        mqtt_url=mqtt_url,
        database_url="",  # SQLite in data_dir
        data_dir=data_dir,
        web_port=free_port(),
    )
    antrean(config, "db", "upgrade")
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "antrean.db") == 0o600
    antrean(config, "user", "add", "--username", "admin", "--role", "admin", "--password", PASSWORD)
    assert readable_by_others(data_dir) == []

    hub = HubProcess(config, tmp_path / "hub.log").start()
    try:
        wait_until(lambda: (data_dir / "secret_key").exists())  # the web starts just after MQTT
        for name in ("antrean.db", "antrean.db-wal", "antrean.db-shm", "secret_key", "bpjs.key"):
            assert mode(data_dir / name) == 0o600, name
        assert readable_by_others(data_dir) == []
    finally:
        hub.stop()


def test_an_existing_data_dir_is_tightened_at_start(tmp_path: Path, mqtt_url: str, site: str) -> None:
    data_dir = tmp_path / "data"
    config = write_hub_config(
        tmp_path / "hub.toml", site=site, mqtt_url=mqtt_url, database_url="", data_dir=data_dir
    )
    antrean(config, "db", "upgrade")
    upload = data_dir / "uploads" / "7" / "ktp.pdf"  # as an older version stored them
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4")
    loose = {data_dir: 0o755, upload.parent: 0o750, upload: 0o640, data_dir / "antrean.db": 0o644}
    for path, bits in loose.items():
        path.chmod(bits)

    hub = HubProcess(config, tmp_path / "hub.log").start()
    hub.stop()
    assert readable_by_others(data_dir) == []
    assert mode(data_dir) == 0o700 and mode(upload) == 0o600
    assert "removed group/other access from" in hub.log()


def test_uploads_are_private(tmp_path: Path, loose_umask: None) -> None:
    from hub.web import uploads

    stored = uploads.store(tmp_path, 12, b"%PDF-1.4 scan")
    path = uploads.resolve(tmp_path, stored.relative_path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(uploads.uploads_root(tmp_path)) == 0o700
