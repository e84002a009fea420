"""``antrean broker passwd FILE USER [--password PW]`` and ``antrean broker revoke FILE USER``: MQTT accounts
in Mosquitto's password file format.

The same file serves the hub's embedded broker (``[broker] password_file``) and Mosquitto
(``password_file``): ``mosquitto_passwd`` reads what this writes, and the other way round.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from hub.mqttauth import PasswordFileError, password_problem, remove_account, set_password
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
    revoke = commands.add_parser(
        "revoke",
        help="remove a node's account (then reload the broker)",
        description="Remove an MQTT account from a Mosquitto password file. The broker must then read the "
        "file again: systemctl reload antrean-hub (embedded broker) or systemctl reload mosquitto.",
    )
    revoke.add_argument("file", help="password file, e.g. /etc/antrean/mqtt.passwd")
    revoke.add_argument("user", help="the node_id of the node to revoke")
    return p


def _revoke(file: str, user: str) -> int:
    try:
        removed = remove_account(file, user)
    except (PasswordFileError, OSError) as error:
        sys.stderr.write(f"antrean broker: {error}\n")
        return 1
    if not removed:
        sys.stderr.write(f"antrean broker: no account {user} in {file}\n")
        return 1
    sys.stdout.write(
        f"removed account {user} from {file}; now make the broker read it again: "
        "systemctl reload antrean-hub (embedded broker) or systemctl reload mosquitto\n"
    )
    return 0


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
    if args.command == "revoke":
        return _revoke(args.file, args.user)
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
