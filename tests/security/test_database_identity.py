"""Finding 6: deleting the SQLite file while the hub ran went unnoticed, and the next start silently created
an empty database (numbering restarted at A-001, a replayed request got a new ticket, 0 users). The hub now
stops when its database file goes, and every start compares the database with the identity recorded in
data_dir: a missing, empty or other database is refused until a backup is restored or ``antrean db init``
is run on purpose."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete

from benchmarks.harness import HubProcess, ScriptedKiosk, write_hub_config
from hub.db.database import open_database
from hub.db.identity import IdentityError, identity_path, read_file
from hub.db.models import SiteIdentity
from hub.db.reset import DatabaseHoldsData, init_database
from hub.db.watch import DatabaseWatch
from tests.hub.backup_support import fill, hub_config, other_database, snapshot
from tests.support import wait_until

PASSWORD = "Puskesmas#Aman2026"

pytestmark = [pytest.mark.usefixtures("restore_umask"), pytest.mark.slow]  # real hub processes


def antrean(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "antrean", *args, "--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_deleting_the_database_stops_the_hub_and_the_next_start_refuses(
    tmp_path: Path, mqtt_url: str, site: str
) -> None:
    data_dir = tmp_path / "data"
    config = write_hub_config(
        tmp_path / "hub.toml", site=site, mqtt_url=mqtt_url, database_url="", data_dir=data_dir
    )
    added = antrean(config, "user", "add", "--username", "admin", "--role", "admin", "--password", PASSWORD)
    assert added.returncode == 0, added.stderr
    hub = HubProcess(config, tmp_path / "hub.log").start()
    kiosk = ScriptedKiosk(mqtt_url, site, "k1")
    try:
        first = kiosk.take("r1")
        assert first.ok and first.ticket is not None and first.ticket.number == "A-001"
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"antrean.db{suffix}").unlink(missing_ok=True)

        deadline = time.monotonic() + 20
        while hub.process is not None and hub.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert hub.process is not None and hub.process.poll() not in (None, 0), "the hub kept running"
        assert "was deleted while the hub was running" in hub.log()

        restart = antrean(config, "hub")
        assert restart.returncode == 4
        refusal = restart.stderr
        assert "refusing to start" in refusal
        assert "antrean.db is missing" in refusal or "antrean.db is empty" in refusal  # a new, empty one
        assert "antrean backup restore" in refusal and "antrean db init" in refusal

        # starting over on purpose is one command
        assert antrean(config, "db", "init").returncode == 0
        again = HubProcess(config, tmp_path / "again.log").start()
        again.stop()
    finally:
        kiosk.close()
        hub.stop()


def test_a_replaced_database_is_refused(tmp_path: Path, database_url: str) -> None:
    config = hub_config(tmp_path / "site", database_url)
    fill(config, tickets=2)
    with other_database(database_url, tmp_path) as other_url:
        other = hub_config(tmp_path / "other-site", other_url)
        open_database(other)[0].dispose()  # another database with an identity of its own
        swapped = hub_config(tmp_path / "site", other_url)
        source = database_url.removeprefix("sqlite:///")
        if database_url.startswith("sqlite"):  # the same path, another file
            shutil.copy(other_url.removeprefix("sqlite:///"), source)
            swapped = config
        with pytest.raises(IdentityError, match=r"is database .* of site 'pkm'"):
            open_database(swapped)


def test_a_missing_or_empty_database_is_refused_and_not_recreated(tmp_path: Path, database_url: str) -> None:
    config = hub_config(tmp_path / "site", database_url)
    fill(config, tickets=1)
    with other_database(database_url, tmp_path) as empty_url:
        if database_url.startswith("sqlite"):
            source = Path(database_url.removeprefix("sqlite:///"))
            source.unlink()
            with pytest.raises(IdentityError, match="is missing") as refused:
                open_database(config)
            assert not source.exists()
        else:
            with pytest.raises(IdentityError, match="is empty") as refused:
                open_database(hub_config(tmp_path / "site", empty_url))
    assert "antrean backup restore" in str(refused.value) and "antrean db init" in str(refused.value)


def test_first_start_adoption_and_a_lost_identity_file(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.db.identity")
    config = hub_config(tmp_path / "site", database_url)
    engine, sessions = open_database(config)  # brand-new: identity in both places
    recorded = read_file(config)
    assert recorded is not None and recorded.site == "pkm"
    assert "new database" in caplog.text
    assert identity_path(config).stat().st_mode & 0o077 == 0

    identity_path(config).unlink()  # e.g. a PostgreSQL hub on a new machine: recreated from the database
    open_database(config)[0].dispose()
    assert read_file(config) == recorded and "recreated" in caplog.text

    with sessions.begin() as session:  # a database from before identities existed: adopted
        session.execute(delete(SiteIdentity))
    engine.dispose()
    identity_path(config).unlink()
    open_database(config)[0].dispose()
    adopted = read_file(config)
    assert adopted is not None and adopted != recorded and "adopted the existing database" in caplog.text


def test_another_site_is_refused(tmp_path: Path, database_url: str) -> None:
    open_database(hub_config(tmp_path / "site", database_url))[0].dispose()
    with pytest.raises(IdentityError, match="belongs to site 'pkm'"):
        open_database(hub_config(tmp_path / "site", database_url, site="lain"))


def test_db_init_starts_over_only_on_purpose(tmp_path: Path, database_url: str) -> None:
    config = hub_config(tmp_path / "site", database_url)
    fill(config, tickets=2)
    before = read_file(config)
    with pytest.raises(DatabaseHoldsData, match="--force"):
        init_database(config)
    assert len(snapshot(config)[0]) == 2
    done = init_database(config, force=True)
    assert done.backup is not None and done.backup.exists()
    assert done.identity != before and read_file(config) == done.identity
    assert snapshot(config) == ([], [], [])


def test_the_watch_notices_a_replaced_or_deleted_file(tmp_path: Path) -> None:
    path = tmp_path / "antrean.db"
    path.write_bytes(b"one")
    lost: list[str] = []
    watch = DatabaseWatch(path, on_lost=lost.append, interval_s=0.02)
    assert watch.problem() is None
    (tmp_path / "other.db").write_bytes(b"two")
    (tmp_path / "other.db").replace(path)  # same name, another file (a copy put in its place)
    assert "replaced" in (watch.problem() or "")
    watch.start()
    wait_until(lambda: lost)
    assert len(lost) == 1
    path.unlink()
    assert "deleted" in (watch.problem() or "")
