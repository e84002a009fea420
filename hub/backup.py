"""Backups of the hub database: create, list, verify, restore, rotate (``antrean backup``).

A backup is one file in ``[backup] dir`` (default ``data_dir/backups``, 0700), mode 0600, named
``antrean-{site}-{YYYYmmdd-HHMMSS-mmm}.sqlite`` (SQLite online backup API: consistent while the hub runs,
converted to a single self-contained file) or ``.pgdump`` (``pg_dump`` custom format of the hub's schema),
with a manifest beside it (``.json``: SHA-256, site identity, row counts). Creating one deletes the oldest
beyond ``[backup] keep``.

Usage (needs a running hub; not run as a doctest)::

    info = create_backup(config)
    verify_backup(info.path)
    # → []
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

from hub.config import HubConfig
from hub.db import identity, pgdump
from hub.db.base import make_engine, utcnow
from hub.db.datadir import DIR_MODE, prepare_data_dir, write_private
from hub.db.identity import Identity, describe, sqlite_path

logger = logging.getLogger(__name__)
COUNTED = ("queues", "patients", "users", "registrations", "audit_logs")
KINDS = {"sqlite": ".sqlite", "pgdump": ".pgdump"}


class BackupError(RuntimeError):
    """A backup cannot be made, read or restored; the message is for the technician."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    kind: str
    site: str
    created_at: str
    size: int
    sha256: str
    database_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> BackupInfo:
        """The manifest of backup ``path``; raises :class:`BackupError` when it is missing or damaged."""
        try:
            data = json.loads(manifest_path(path).read_text(encoding="utf-8"))
            return cls(path=path, **{k: v for k, v in data.items() if k != "path"})
        except (OSError, ValueError, TypeError) as error:
            raise BackupError(f"no readable manifest for {path}: {error}") from error

    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        write_private(manifest_path(self.path), json.dumps(data, indent=2) + "\n")


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts(scalar: Callable[[str], Any], tables: set[str]) -> dict[str, int]:
    return {name: int(scalar(f"SELECT COUNT(*) FROM {name}")) for name in COUNTED if name in tables}


def _sqlite_facts(connection: sqlite3.Connection) -> tuple[Identity | None, dict[str, int]]:
    """Identity row and row counts of an open SQLite database."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = None
    if "site_identity" in tables:
        row = connection.execute("SELECT site, database_id FROM site_identity ORDER BY created_at").fetchone()
        found = None if row is None else Identity(site=row[0], database_id=row[1])
    return found, _counts(lambda sql: connection.execute(sql).fetchone()[0], tables)


def engine_facts(engine: Engine) -> tuple[Identity | None, dict[str, int]]:
    """Identity row and row counts of a database through SQLAlchemy (PostgreSQL)."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        found = None
        if "site_identity" in tables:
            row = connection.execute(
                text("SELECT site, database_id FROM site_identity ORDER BY created_at")
            ).first()
            found = None if row is None else Identity(site=row[0], database_id=row[1])
        return found, _counts(lambda sql: connection.execute(text(sql)).scalar_one(), tables)


def _open_existing(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to an existing SQLite file (never creates one)."""
    if not path.exists():
        raise BackupError(f"the database {path} does not exist")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}", uri=True)


def _copy_sqlite(source: Path, target: Path) -> None:
    """Online backup of ``source`` into ``target`` (created if missing): consistent while others write."""
    src = _open_existing(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _new_path(config: HubConfig, kind: str) -> Path:
    folder = config.backup_path
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with suppress(OSError):  # a folder made by hand, e.g. on a USB disk that has no modes
        folder.chmod(DIR_MODE)
    while True:
        now = utcnow()
        stamp = now.strftime("%Y%m%d-%H%M%S-") + f"{now.microsecond // 1000:03d}"
        path = folder / f"antrean-{config.site}-{stamp}{KINDS[kind]}"
        if not path.exists():
            return path
        time.sleep(0.001)


def create_backup(config: HubConfig, *, rotate: bool = True) -> BackupInfo:
    """Back the hub database up now; then delete the oldest backups beyond ``[backup] keep``."""
    prepare_data_dir(config.data_path)
    database = sqlite_path(config.database_url)
    kind = "sqlite" if database is not None else "pgdump"
    path = _new_path(config, kind)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if database is not None:
            _copy_sqlite(database, partial)
            with closing(sqlite3.connect(partial)) as connection:
                connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                found, counts = _sqlite_facts(connection)
        else:
            engine = make_engine(config.database_url)
            try:
                found, counts = engine_facts(engine)
                pgdump.dump(engine, config.database_url, partial)
            finally:
                engine.dispose()
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(
        path=path,
        kind=kind,
        site=found.site if found else config.site,
        created_at=utcnow().isoformat(),
        size=path.stat().st_size,
        sha256=sha256_of(path),
        database_id=found.database_id if found else None,
        counts=counts,
    )
    info.save()
    logger.info("backup of %s written to %s (%d bytes)", describe(config.database_url), path, info.size)
    if rotate:
        rotate_backups(config)
    return info


def list_backups(config: HubConfig) -> list[Path]:
    """This site's backups in ``[backup] dir``, oldest first."""
    folder = config.backup_path
    if not folder.is_dir():
        return []
    return sorted(
        path
        for suffix in KINDS.values()
        for path in folder.glob(f"antrean-{config.site}-*{suffix}")
        if path.is_file()
    )


def rotate_backups(config: HubConfig) -> list[Path]:
    """Delete the oldest backups beyond ``[backup] keep``; returns what was deleted."""
    backups = list_backups(config)
    removed = backups[: max(0, len(backups) - config.backup.keep)]
    for path in removed:
        path.unlink(missing_ok=True)
        manifest_path(path).unlink(missing_ok=True)
        logger.info("rotated out backup %s (keeping %d)", path, config.backup.keep)
    return removed


def verify_backup(path: Path) -> list[str]:
    """What is wrong with backup ``path`` (empty when it is sound): checksum against its manifest, then
    for SQLite ``PRAGMA integrity_check``, identity and row counts, for PostgreSQL a readable archive."""
    if not path.is_file():
        return [f"{path} does not exist"]
    problems: list[str] = []
    try:
        info: BackupInfo | None = BackupInfo.load(path)
    except BackupError as error:
        info = None
        problems.append(str(error))
    if info is not None and sha256_of(path) != info.sha256:
        problems.append("checksum differs from the manifest: the file was changed or damaged")
    if path.suffix == KINDS["pgdump"]:
        problems += pgdump.check_archive(path)
        return problems
    try:
        connection = _open_existing(path, read_only=True)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.append("integrity check: " + "; ".join(result[:5]))
            found, counts = _sqlite_facts(connection)
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return [*problems, f"not a readable SQLite database: {error}"]
    if info is not None:
        if (found.database_id if found else None) != info.database_id:
            problems.append("site identity differs from the manifest")
        if counts != info.counts:
            problems.append(f"row counts {counts} differ from the manifest {info.counts}")
    return problems


def backup_identity(path: Path) -> Identity | None:
    """The site identity stored in a backup (from its manifest)."""
    info = BackupInfo.load(path)
    return None if info.database_id is None else Identity(site=info.site, database_id=info.database_id)


def restore_backup(config: HubConfig, path: Path, *, force: bool = False) -> BackupInfo:
    """Restore backup ``path`` as the hub's database and record its identity in data_dir, so the hub starts
    on it. Refuses a damaged backup, one of another site, and (without ``force``) a database that holds
    data (:func:`data_held`); with ``force`` that database is backed up first. Stop the hub before."""
    problems = verify_backup(path)
    if problems:
        raise BackupError(f"{path} fails verification: " + "; ".join(problems))
    info = BackupInfo.load(path)
    if info.site != config.site:
        raise BackupError(
            f"{path} is a backup of site {info.site!r}, but the config says site = {config.site!r}"
        )
    prepare_data_dir(config.data_path)
    where = describe(config.database_url)
    held = data_held(config)
    if held:
        if not force:
            raise BackupError(
                f"the database {where} holds data ({describe_held(held)}); stop the hub and add --force "
                "to replace it (it is backed up first)"
            )
        replaced = create_backup(config, rotate=False)
        logger.warning("database %s about to be replaced; its data was backed up to %s", where, replaced.path)
    database = sqlite_path(config.database_url)
    if database is not None:
        if info.kind != "sqlite":
            raise BackupError(f"{path} is a PostgreSQL dump; the config names the SQLite database {where}")
        _copy_sqlite(path, database)
    else:
        if info.kind != "pgdump":
            raise BackupError(f"{path} is a SQLite backup; the config names the PostgreSQL database {where}")
        pgdump.restore(config.database_url, path)
    found = backup_identity(path)
    if found is not None:
        identity.write_file(config, found)
    else:  # a backup from before identities: the hub adopts it at start
        identity.identity_path(config).unlink(missing_ok=True)
    logger.info("restored %s into %s", path, where)
    return info


def data_held(config: HubConfig) -> dict[str, int]:
    """The non-empty tables among tickets, patients, users, registrations and the audit log, with their row
    counts; empty for a missing database or one that only has its schema and seed data."""
    database = sqlite_path(config.database_url)
    if database is not None and not database.exists():
        return {}
    engine = make_engine(config.database_url)
    try:
        return {name: n for name, n in engine_facts(engine)[1].items() if n}
    finally:
        engine.dispose()


def describe_held(held: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in held.items())
