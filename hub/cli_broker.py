"""``antrean broker passwd FILE USER [--password PW]``: MQTT accounts in Mosquitto's password file format.

The same file serves the hub's embedded broker (``[broker] password_file``) and Mosquitto
(``password_file``): ``mosquitto_passwd`` reads what this writes, and the other way round.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from hub.mqttauth import PasswordFileError, password_problem, set_password
from protocol.topics import check_segment


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean broker", description="MQTT broker accounts.")
    commands = p.add_subparsers(dest="command", required=True)
    passwd = commands.add_parser(
        "passwd",
        help="add or update an account (user name = the node_id of the node, or hub)",
        description="Add or update an MQTT account in a Mosquitto password file (created 0600 if missing).",
    )
    passwd.add_argument("file", help="password file, e.g. /etc/antrean/mqtt.passwd")
    passwd.add_argument(
        "user", help="user name: the node_id of the node (kiosk-1, display-1, counter-1, hub)"
    )
    passwd.add_argument("--password", help="the password (asked twice when omitted: prefer that)")
    return p


def _ask(user: str) -> str | None:
    first = getpass.getpass(f"Password for {user}: ")
    second = getpass.getpass("Again: ")
    if first != second:
        sys.stderr.write("antrean broker: the two passwords differ\n")
        return None
    return first


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        check_segment(args.user)
    except ValueError as error:
        sys.stderr.write(f"antrean broker: user name: {error}\n")
        return 2
    password = args.password if args.password is not None else _ask(args.user)
    if password is None:
        return 2
    problem = password_problem(args.user, password)
    if problem:
        sys.stderr.write(f"antrean broker: weak password refused: {problem}\n")
        return 2
    try:
        created = set_password(args.file, args.user, password)
    except (PasswordFileError, OSError) as error:
        sys.stderr.write(f"antrean broker: {error}\n")
        return 1
    sys.stdout.write(f"{'added' if created else 'updated'} account {args.user} in {args.file}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
