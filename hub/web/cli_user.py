"""``antrean user add --config FILE --username U --role admin|receptionist --password P``: web accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from sqlalchemy import select

from antrean.config import ConfigError
from hub.cli_config import load_hub_command_config
from hub.db.database import open_database
from hub.db.identity import IdentityError
from hub.db.models import User
from hub.web.audit import record
from hub.web.auth import end_sessions
from hub.web.passwords import hash_password, password_problems

ROLE_CHOICES = ("admin", "receptionist")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean user", description="Manage web accounts.")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account (or reset its password with --update)")
    add.add_argument("--config", help="hub TOML config file")
    add.add_argument("--username", required=True)
    add.add_argument("--role", choices=ROLE_CHOICES, required=True)
    add.add_argument("--password", help="password (asked for when omitted)")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--counter", type=int, help="the loket this user usually serves")
    add.add_argument("--update", action="store_true", help="update an existing account instead of refusing")
    return p


def ask_password() -> str | None:
    """Asked twice in a terminal; otherwise the first line of stdin (``echo "$PW" | antrean user add ...``).
    None when there is none or the two answers differ."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        return line or None
    try:
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password again: ")
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\n")
        return None
    if first != second:
        sys.stderr.write("antrean user: the two passwords differ\n")
        return None
    return first or None


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_hub_command_config("antrean user", args.config)
    except ConfigError as error:
        sys.stderr.write(f"antrean user: {error}\n")
        return 2
    password = args.password if args.password is not None else ask_password()
    if password is None:
        sys.stderr.write(
            "antrean user: no password: give --password, run it in a terminal, "
            "or pipe the password on stdin\n"
        )
        return 2
    problems = password_problems(password)
    if problems:
        sys.stderr.write("antrean user: weak password: " + "; ".join(problems) + "\n")
        return 2
    username = args.username.strip().lower()
    try:
        engine, sessions = open_database(config)
    except IdentityError as error:
        sys.stderr.write(f"antrean user: {error}\n")
        return 1
    try:
        with sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is not None and not args.update:
                sys.stderr.write(f"antrean user: {username} already exists (use --update)\n")
                return 1
            if user is None:
                user = User(
                    username=username,
                    name=args.name or username,
                    role=args.role,
                    password_hash=hash_password(password),
                    counter_number=args.counter,
                )
                session.add(user)
                session.flush()
                record(
                    session,
                    "user_create",
                    table="users",
                    record_id=user.id,
                    username="cli",
                    new_values={"username": username, "role": args.role, "source": "cli"},
                )
            else:
                user.role, user.password_hash = args.role, hash_password(password)
                user.is_active = True
                end_sessions(user)
                if args.name:
                    user.name = args.name
                if args.counter is not None:
                    user.counter_number = args.counter
                record(
                    session,
                    "user_update",
                    table="users",
                    record_id=user.id,
                    username="cli",
                    new_values={"role": args.role, "password": "(diubah)", "source": "cli"},
                )
    finally:
        engine.dispose()
    sys.stdout.write(f"account {username} ({args.role}) saved\n")
    return 0
