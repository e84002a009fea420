"""``antrean bpjs ...``: talk to PCare from a terminal, and run the simulator.

    antrean bpjs peserta 0001234567890 --config /etc/antrean/hub.toml
    antrean bpjs peserta --nik 3509123456780001 --base-url http://127.0.0.1:8089/pcare-rest \\
        --cons-id 1234 --secret rahasia --user-key kunci --username pkm --password sandi
    antrean bpjs poli | dokter | kunjungan [--tanggal dd-mm-yyyy]
    antrean bpjs daftar 0001234567890 --poli 001 [--keluhan Demam] [--tidak-sakit]
    antrean bpjs batal 0001234567890 --no-urut A2 --poli 001
    antrean bpjs outbox --config FILE
    antrean bpjs sim --port 8089 --cons-id 1234 --secret rahasia --user-key kunci \\
        --username pkm --password sandi

Exit codes: 0 done, 1 BPJS error, 2 usage or configuration, 3 participant inactive, 4 not found.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date, datetime
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from antrean.config import ConfigError, load_config
from antrean.logs import setup_logging
from hub.bpjs.client import PcareClient
from hub.bpjs.errors import PcareError
from hub.bpjs.models import VisitRequest, parse_pcare_date
from hub.bpjs.settings import PcareSettings
from hub.config import HubConfig

logger = logging.getLogger(__name__)
EXIT_ERROR, EXIT_USAGE, EXIT_INACTIVE, EXIT_NOT_FOUND = 1, 2, 3, 4


def _credential_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="hub TOML config (credentials from the database and [bpjs])")
    p.add_argument("--base-url", help="PCare base URL, e.g. http://127.0.0.1:8089/pcare-rest")
    p.add_argument("--cons-id", help="consumer ID")
    p.add_argument("--secret", help="consumer secret")
    p.add_argument("--user-key", help="API-gateway user_key")
    p.add_argument("--username", help="PCare user name")
    p.add_argument("--password", help="PCare password")
    p.add_argument("--provider-code", help="kode provider (FKTP) for daftar")
    p.add_argument("--content-type", help="Content-Type sent with POST bodies")
    p.add_argument("--timeout", type=float, help="read timeout in seconds")
    p.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING, ERROR")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean bpjs", description="BPJS PCare from the terminal.")
    sub = p.add_subparsers(dest="command", required=True)
    peserta = sub.add_parser("peserta", help="check a participant by card number or NIK (JSON)")
    peserta.add_argument("no_kartu", nargs="?", help="13-digit card number")
    peserta.add_argument("--nik", help="16-digit NIK instead of the card number")
    sub.add_parser("poli", help="PCare poly list (JSON)")
    sub.add_parser("dokter", help="PCare doctor list (JSON)")
    kunjungan = sub.add_parser("kunjungan", help="the day's registrations in PCare (JSON)")
    kunjungan.add_argument("--tanggal", help="dd-mm-yyyy (default: today)")
    daftar = sub.add_parser("daftar", help="register a visit (checks the day's list first)")
    daftar.add_argument("no_kartu")
    daftar.add_argument("--poli", required=True, help="kdPoli, e.g. 001")
    daftar.add_argument("--keluhan", default="", help="complaint")
    daftar.add_argument("--tidak-sakit", action="store_true", help="healthy visit (kunjSakit false)")
    daftar.add_argument("--tanggal", help="dd-mm-yyyy (default: today)")
    batal = sub.add_parser("batal", help="cancel a visit")
    batal.add_argument("no_kartu")
    batal.add_argument("--no-urut", required=True, help="visit number, e.g. A2")
    batal.add_argument("--poli", required=True, help="kdPoli of the visit")
    batal.add_argument("--tanggal", help="dd-mm-yyyy (default: today)")
    sub.add_parser("outbox", help="registrations waiting in the hub's outbox (needs --config)")
    for name in ("peserta", "poli", "dokter", "kunjungan", "daftar", "batal", "outbox"):
        _credential_flags(sub.choices[name])
    sim = sub.add_parser("sim", help="run the PCare simulator")
    sim.add_argument("--host", default="127.0.0.1", help="listen address")
    sim.add_argument("--port", type=int, default=8089, help="listen port")
    sim.add_argument("--prefix", default="/pcare-rest", help="path prefix of the PCare API")
    for flag in ("--cons-id", "--secret", "--user-key", "--username", "--password"):
        sim.add_argument(flag, required=True)
    sim.add_argument("--log-level", default="INFO")
    return p


def _hub_config(path: str | None) -> HubConfig | None:
    return load_config(HubConfig, path) if path else None


def resolve_settings(args: argparse.Namespace) -> PcareSettings:
    """Settings from ``--config`` (database over [bpjs]) overlaid with the command-line flags."""
    config = _hub_config(args.config)
    settings = PcareSettings()
    if config is not None:
        settings = PcareSettings.from_config(config.bpjs)
        from hub.bpjs.service import secret_box
        from hub.bpjs.settings import load_settings
        from hub.db.base import make_engine, make_session_factory

        engine = make_engine(config.database_url)
        try:
            settings = load_settings(make_session_factory(engine), box=secret_box(config), fallback=settings)
        finally:
            engine.dispose()
    flags = {
        "base_url": args.base_url,
        "cons_id": args.cons_id,
        "secret": args.secret,
        "user_key": args.user_key,
        "username": args.username,
        "password": args.password,
        "provider_code": args.provider_code,
        "content_type": args.content_type,
        "read_timeout_s": args.timeout,
    }
    return replace(settings, **{k: v for k, v in flags.items() if v is not None})


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _day(text: str | None) -> date:
    return parse_pcare_date(text) if text else datetime.now(ZoneInfo("Asia/Jakarta")).date()


def _peserta(client: PcareClient, args: argparse.Namespace) -> int:
    if bool(args.no_kartu) == bool(args.nik):
        sys.stderr.write("antrean bpjs peserta: beri NOKARTU atau --nik NIK (salah satu)\n")
        return EXIT_USAGE
    participant = (
        client.participant_by_nik(args.nik) if args.nik else client.participant_by_card(args.no_kartu)
    )
    _print(asdict(participant))
    if not participant.aktif:
        sys.stderr.write(f"PESERTA TIDAK AKTIF: {participant.ket_aktif or '-'}\n")
        return EXIT_INACTIVE
    sys.stderr.write("Peserta aktif.\n")
    return 0


def _daftar(client: PcareClient, args: argparse.Namespace) -> int:
    participant = client.participant_by_card(args.no_kartu)
    if not participant.aktif:
        sys.stderr.write(f"PESERTA TIDAK AKTIF: {participant.ket_aktif or '-'}; tidak didaftarkan.\n")
        return EXIT_INACTIVE
    provider = participant.kd_provider or client.settings.provider_code
    visit = VisitRequest(
        kd_provider_peserta=provider,
        tgl_daftar=_day(args.tanggal),
        no_kartu=args.no_kartu,
        kd_poli=args.poli,
        keluhan=args.keluhan,
        kunj_sakit=not args.tidak_sakit,
    )
    for existing in client.all_day_registrations(visit.tgl_daftar):
        if existing.no_kartu == visit.no_kartu and existing.kd_poli == visit.kd_poli:
            _print({"noUrut": existing.no_urut, "sudahTerdaftar": True})
            sys.stderr.write(
                f"Sudah terdaftar hari itu, nomor urut {existing.no_urut}; tidak dikirim lagi.\n"
            )
            return 0
    number = client.register(visit)
    _print({"noUrut": number, "sudahTerdaftar": False})
    sys.stderr.write(f"Terdaftar, nomor urut {number}.\n")
    return 0


def _outbox(args: argparse.Namespace) -> int:
    config = _hub_config(args.config)
    if config is None:
        sys.stderr.write("antrean bpjs outbox: --config diperlukan\n")
        return EXIT_USAGE
    from hub.bpjs import outbox
    from hub.db.base import make_engine, make_session_factory

    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine)() as session:
            data = {
                "summary": outbox.summary(session),
                "items": [asdict(item) for item in outbox.items(session, 50)],
            }
    finally:
        engine.dispose()
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


def _sim(args: argparse.Namespace) -> int:
    from hub.bpjs.simulator import SimCredentials, SimState, SimulatorServer

    state = SimState(SimCredentials(args.cons_id, args.secret, args.user_key, args.username, args.password))
    server = SimulatorServer(state, args.host, args.port, args.prefix)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    logger.info("PCare simulator listening on %s", server.url)
    sys.stdout.write(f"PCare simulator: base URL {server.url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def run(args: argparse.Namespace) -> int:
    if args.command == "outbox":
        return _outbox(args)
    settings = resolve_settings(args)
    if not settings.configured:
        sys.stderr.write(
            "antrean bpjs: kredensial belum lengkap (--config FILE atau --base-url --cons-id --secret "
            "--user-key --username --password)\n"
        )
        return EXIT_USAGE
    client = PcareClient(replace(settings, read_retries=0))
    try:
        if args.command == "peserta":
            return _peserta(client, args)
        if args.command == "poli":
            _print([asdict(poly) for poly in client.polys()])
        elif args.command == "dokter":
            _print([asdict(doctor) for doctor in client.doctors()])
        elif args.command == "kunjungan":
            _print([asdict(visit) for visit in client.all_day_registrations(_day(args.tanggal))])
        elif args.command == "daftar":
            return _daftar(client, args)
        elif args.command == "batal":
            client.cancel(args.no_kartu, _day(args.tanggal), args.no_urut, args.poli)
            sys.stderr.write("Pendaftaran dibatalkan.\n")
        return 0
    except PcareError as error:
        reason = f": {error.detail}" if error.detail and error.code != "invalid" else ""
        sys.stderr.write(f"{error.message} [{error.code}{reason}]\n")
        return EXIT_NOT_FOUND if error.code == "not_found" else EXIT_ERROR
    finally:
        client.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        return run(args) if args.command != "sim" else _sim(args)
    except ConfigError as error:
        sys.stderr.write(f"antrean bpjs: {error}\n")
        return EXIT_USAGE
    except ValueError as error:
        sys.stderr.write(f"antrean bpjs: {error}\n")
        return EXIT_USAGE
