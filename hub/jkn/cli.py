"""``antrean jkn ...``: the Mobile JKN (Antrean FKTP) side from a terminal.

    antrean jkn hash-password                      # reads the password, prints [jkn] ws_password
    antrean jkn sim --port 8090 [--ws-url http://HUB:8081/jkn --ws-username bpjs --ws-password SANDI]
    antrean jkn mobile status 001 2026-03-02 --ws-url http://HUB:8081/jkn --username bpjs --password SANDI
    antrean jkn mobile ambil --kartu 0001234567890 --nik 3509120912780001 --poli 001 --tanggal 2026-03-02 ...
    antrean jkn mobile sisa|batal --kartu ... --poli 001 --tanggal 2026-03-02 ...

``sim`` is the BPJS side: it receives antrean/add, panggil and batal at ``http://HOST:PORT/antreanfktp``
(the hub's ``[jkn] base_url``), signed with the PCare simulator's credentials (defaults: the demo ones),
and, with ``--ws-url``, acts as Mobile JKN towards the hub at ``POST /_sim/mobile/{take,status,...}``.
``mobile`` calls the hub's web service once, as Mobile JKN would, and prints the answer as JSON.

Exit codes: 0 done (code 200), 1 refused (201 / 202), 2 usage, 3 the hub broke the protocol or is unreachable.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import requests

from antrean.logs import setup_logging
from hub.bpjs.simstate import DEMO_CREDENTIALS, SimCredentials, SimState
from hub.jkn.sim import JknSimState, JknSimulator, MobileJkn, ProtocolViolation, WsReply

logger = logging.getLogger(__name__)
EXIT_REFUSED, EXIT_USAGE, EXIT_PROTOCOL = 1, 2, 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean jkn", description="Mobile JKN (Antrean FKTP) tools.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("hash-password", help="argon2 hash of the web service password for [jkn] ws_password")
    sim = sub.add_parser("sim", help="run the BPJS side of Antrean FKTP (and Mobile JKN with --ws-url)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8090)
    creds = DEMO_CREDENTIALS
    sim.add_argument("--cons-id", default=creds.cons_id)
    sim.add_argument("--secret", default=creds.secret)
    sim.add_argument("--user-key", default=creds.user_key)
    sim.add_argument("--username", default=creds.username, help="PCare user name in X-authorization")
    sim.add_argument("--password", default=creds.password, help="PCare password in X-authorization")
    sim.add_argument("--ws-url", help="the hub's web service (public URL + [jkn] ws_path)")
    sim.add_argument("--ws-username", default="", help="[jkn] ws_username")
    sim.add_argument("--ws-password", default="", help="the plain web service password")
    sim.add_argument("--log-level", default="INFO")
    mobile = sub.add_parser("mobile", help="call the hub's web service once, as Mobile JKN")
    mobile.add_argument("action", choices=("auth", "status", "ambil", "sisa", "batal"))
    mobile.add_argument("args", nargs="*", help="status: KODEPOLI TANGGAL")
    mobile.add_argument("--ws-url", required=True)
    mobile.add_argument("--username", required=True)
    mobile.add_argument("--password", required=True)
    mobile.add_argument("--kartu", default="")
    mobile.add_argument("--nik", default="")
    mobile.add_argument("--hp", default="")
    mobile.add_argument("--poli", default="")
    mobile.add_argument("--tanggal", default="", help="yyyy-mm-dd")
    mobile.add_argument("--keluhan", default="")
    mobile.add_argument("--log-level", default="WARNING")
    return p


def _hash_password() -> int:
    from hub.web.passwords import hash_password

    password = getpass.getpass("Password web service JKN: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if len(password) < 8:
        sys.stderr.write("antrean jkn: the password needs at least 8 characters\n")
        return EXIT_USAGE
    sys.stdout.write(hash_password(password) + "\n")
    return 0


def _sim(args: argparse.Namespace) -> int:
    credentials = SimCredentials(args.cons_id, args.secret, args.user_key, args.username, args.password)
    state = JknSimState(SimState(credentials))
    mobile = MobileJkn(args.ws_url, args.ws_username, args.ws_password, state) if args.ws_url else None
    server = JknSimulator(state, args.host, args.port, mobile)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    sys.stdout.write(f"Antrean FKTP simulator: base URL {server.url}\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _mobile(args: argparse.Namespace) -> int:
    client = MobileJkn(args.ws_url, args.username, args.password)
    try:
        reply = client.auth()
        if args.action != "auth" and reply.code == 200:
            reply = _act(client, args)
    except (ProtocolViolation, requests.RequestException, ValueError) as error:
        sys.stderr.write(f"antrean jkn: {error}\n")
        return EXIT_PROTOCOL
    finally:
        client.close()
    sys.stdout.write(json.dumps(vars(reply), indent=2, ensure_ascii=False) + "\n")
    return 0 if reply.code == 200 else EXIT_REFUSED


def _act(client: MobileJkn, args: argparse.Namespace) -> WsReply:
    if args.action == "status":
        if len(args.args) != 2:
            raise ValueError("status needs KODEPOLI TANGGAL")
        return client.status(*args.args)
    if args.action == "ambil":
        return client.take(
            nomorkartu=args.kartu,
            nik=args.nik,
            nohp=args.hp,
            kodepoli=args.poli,
            tanggalperiksa=args.tanggal,
            keluhan=args.keluhan,
            kodedokter=0,
            jampraktek="",
            norm="",
        )
    if args.action == "sisa":
        return client.remaining(args.kartu, args.poli, args.tanggal)
    return client.cancel(args.kartu, args.poli, args.tanggal)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "hash-password":
        return _hash_password()
    setup_logging(args.log_level)
    if args.command == "sim":
        return _sim(args)
    return _mobile(args)
