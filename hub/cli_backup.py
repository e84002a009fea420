"""``antrean backup create|list|verify|restore --config FILE``: backups of the hub database (see
:mod:`hub.backup`). ``create`` is what the daily ``antrean-backup.timer`` runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean.config import ConfigError
from antrean.logs import setup_logging
from hub import backup
from hub.backup import BackupError, BackupInfo
from hub.cli_config import load_hub_command_config
from hub.db.pgdump import PgToolError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean backup", description="Backups of the hub database.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (
        ("create", "back the database up now (and delete the oldest beyond [backup] keep)"),
        ("list", "list this site's backups, oldest first"),
        ("verify", "check backups: checksum, integrity, identity, row counts"),
        ("restore", "restore a backup as the hub's database (stop the hub first)"),
    ):
        command = sub.add_parser(name, help=text, description=text)
        command.add_argument("--config", help="hub TOML config file")
        if name == "verify":
            command.add_argument("files", nargs="*", type=Path, help="backup files (default: every one)")
        if name == "restore":
            command.add_argument("file", type=Path, help="the backup file")
            command.add_argument("--force", action="store_true", help="replace a database that holds data")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_hub_command_config("antrean backup", args.config)
    except ConfigError as error:
        sys.stderr.write(f"antrean backup: {error}\n")
        return 2
    setup_logging(config.log_level)
    out = sys.stdout.write
    try:
        if args.command == "create":
            info = backup.create_backup(config)
            out(f"{info.path} ({info.size} bytes) {_counts(info)}\n")
        elif args.command == "list":
            for path in backup.list_backups(config):
                out(f"{path}  {_describe(path)}\n")
        elif args.command == "verify":
            failed = 0
            for path in args.files or backup.list_backups(config):
                problems = backup.verify_backup(path)
                failed += bool(problems)
                out(f"{path}: {'OK' if not problems else 'DAMAGED: ' + '; '.join(problems)}\n")
            return 1 if failed else 0
        else:
            info = backup.restore_backup(config, args.file, force=args.force)
            out(f"restored {args.file} ({_counts(info)}); start the hub: systemctl start antrean-hub\n")
    except (BackupError, PgToolError) as error:
        sys.stderr.write(f"antrean backup: {error}\n")
        return 1
    return 0


def _counts(info: BackupInfo) -> str:
    return ", ".join(f"{name} {n}" for name, n in info.counts.items())


def _describe(path: Path) -> str:
    try:
        info = BackupInfo.load(path)
    except BackupError:
        return "(no manifest)"
    return f"{info.size} bytes, {info.created_at}, {_counts(info)}"
