"""``antrean db upgrade|init|prune --config FILE``: bring the database schema up to date (and seed it),
start a new empty database on purpose, or prune what the retention rules let go (after archiving it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from antrean.config import ConfigError
from antrean.logs import setup_logging
from hub.cli import load_hub_config

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from hub.config import HubConfig


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="antrean db", description="Database tasks.")
    p.add_argument(
        "action",
        choices=["upgrade", "init", "prune"],
        help="upgrade: apply migrations and seed defaults; init: a new empty database with a new identity; "
        "prune: archive, then delete, log rows older than [retention] keeps",
    )
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--database-url", help="override [database] url")
    p.add_argument("--data-dir", help="override data_dir")
    p.add_argument("--force", action="store_true", help="init: replace a database that holds data")
    p.add_argument("--dry-run", action="store_true", help="prune: only say how many rows would go")
    p.set_defaults(mqtt_url=None, site=None)
    args = p.parse_args(argv)
    try:
        config = load_hub_config(args, "antrean db")
    except ConfigError as error:
        sys.stderr.write(f"antrean db: {error}\n")
        return 2
    setup_logging(config.log_level)
    from hub.db.database import open_database
    from hub.db.identity import IdentityError, describe
    from hub.db.reset import DatabaseHoldsData, init_database

    where = describe(config.database_url)
    try:
        if args.action == "init":
            done = init_database(config, force=args.force)
            kept = f"; the replaced data is in {done.backup}" if done.backup else ""
            sys.stdout.write(
                f"new database at {where}: site {done.identity.site}, id {done.identity.database_id}{kept}\n"
            )
            return 0
        engine, sessions = open_database(config)
        if args.action == "prune":
            try:
                return _prune(config, sessions, dry_run=args.dry_run)
            finally:
                engine.dispose()
    except (IdentityError, DatabaseHoldsData) as error:
        sys.stderr.write(f"antrean db: {error}\n")
        return 1
    engine.dispose()
    sys.stdout.write(f"database at {where} is up to date\n")
    return 0


def _prune(config: HubConfig, sessions: sessionmaker[Session], *, dry_run: bool) -> int:
    from hub.db.retention import prune, rules

    keep = config.retention
    archive_dir = Path(keep.archive_dir) if keep.archive_dir else config.data_path / "archive"
    done = prune(
        sessions,
        rules(keep.request_log_days, keep.bpjs_log_days, keep.audit_log_days, keep.notification_days),
        archive_dir,
        dry_run=dry_run,
    )
    verb = "would prune" if dry_run else "pruned"
    for item in done:
        where = f" (archived in {item.archive})" if item.archive else ""
        sys.stdout.write(f"{verb} {item.rows} {item.table} rows older than {item.cutoff:%Y-%m-%d}{where}\n")
    if not done:
        sys.stdout.write("nothing to prune\n")
    return 0
