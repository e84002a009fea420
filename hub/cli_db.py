"""``antrean db upgrade --config FILE``: bring the database schema up to date (and seed it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from antrean.config import ConfigError
from antrean.logs import setup_logging
from hub.cli import load_hub_config


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="antrean db", description="Database tasks.")
    p.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations and seed defaults")
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--database-url", help="override [database] url")
    p.add_argument("--data-dir", help="override data_dir")
    p.set_defaults(mqtt_url=None, site=None)
    args = p.parse_args(argv)
    try:
        config = load_hub_config(args)
    except ConfigError as error:
        sys.stderr.write(f"antrean db: {error}\n")
        return 2
    setup_logging(config.log_level)
    from hub.db.database import open_database

    engine, _ = open_database(config)
    engine.dispose()
    sys.stdout.write(f"database at {config.database_url.split('@')[-1]} is up to date\n")
    return 0
