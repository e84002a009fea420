"""``antrean db upgrade|init --config FILE``: bring the database schema up to date (and seed it), or start a
new empty database on purpose."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from antrean.config import ConfigError
from antrean.logs import setup_logging
from hub.cli import load_hub_config


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="antrean db", description="Database tasks.")
    p.add_argument(
        "action",
        choices=["upgrade", "init"],
        help="upgrade: apply migrations and seed defaults; init: a new empty database with a new identity",
    )
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--database-url", help="override [database] url")
    p.add_argument("--data-dir", help="override data_dir")
    p.add_argument("--force", action="store_true", help="init: replace a database that holds data")
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
        engine, _ = open_database(config)
    except (IdentityError, DatabaseHoldsData) as error:
        sys.stderr.write(f"antrean db: {error}\n")
        return 1
    engine.dispose()
    sys.stdout.write(f"database at {where} is up to date\n")
    return 0
