"""``antrean kiosk``: run the kiosk, or render a ticket's ESC/POS bytes for a technician.

antrean kiosk --config /etc/antrean/kiosk.toml [--mqtt-url URL] [--site SITE] [--node-id ID]
antrean kiosk --demo --mqtt-url URL --site SITE --node-id kiosk-1
antrean kiosk render-ticket TICKET_JSON --width 58|80 --out FILE
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from antrean.config import ConfigError, load_config
from antrean.logs import setup_logging
from antrean.node import add_common_arguments, common_overrides
from antrean.snapshot import Snapshots
from firmware.kiosk_node.config import KioskConfig
from firmware.kiosk_node.ticket import TicketSettings, render_ticket
from protocol.errors import ProtocolError, validation_problems
from protocol.payloads import Ticket

logger = logging.getLogger(__name__)


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrean kiosk",
        description="Kiosk node: touch UI and ticket printer. "
        "Also: antrean kiosk render-ticket TICKET_JSON --width 58|80 --out FILE",
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="dummy printer printing one line per ticket; a window if $DISPLAY is set, otherwise headless "
        "with a simulated patient taking a number every few seconds",
    )
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    parser.add_argument(
        "--snapshot", type=Path, help="also save the screen to this PNG (every 2 s while it changes)"
    )
    parser.add_argument(
        "--patient",
        action="store_true",
        help="with --demo: the simulated patient also when a window is shown",
    )
    return parser


def render_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrean kiosk render-ticket", description="Write the ESC/POS bytes a ticket prints as."
    )
    parser.add_argument(
        "ticket", metavar="TICKET_JSON", help="ticket as JSON text, a JSON file, or - for stdin"
    )
    parser.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    parser.add_argument("--out", required=True, help="output file (e.g. /dev/usb/lp0 to print), - for stdout")
    parser.add_argument("--site-name", default="Puskesmas", help="site name printed on top")
    parser.add_argument("--motto", default="", help="motto printed under the site name")
    parser.add_argument("--qr", choices=("native", "image"), default="native", help="QR code mode")
    parser.add_argument("--timezone", default="Asia/Jakarta", help="time zone of the printed date and time")
    return parser


def _read_ticket(source: str) -> Ticket:
    if source == "-":
        text = sys.stdin.read()
    elif source.lstrip().startswith("{"):
        text = source
    else:
        text = Path(source).read_text(encoding="utf-8")
    data: Any = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("ticket"), dict):
        data = data["ticket"]  # a whole ticket reply is fine too
    try:
        return Ticket.model_validate(data)
    except ValidationError as exc:  # one line, not pydantic's page
        raise ValueError(validation_problems(exc)) from exc


def render_main(argv: Sequence[str]) -> int:
    args = render_parser().parse_args(argv)
    try:
        ticket = _read_ticket(args.ticket)
    except (OSError, ValueError, ProtocolError) as exc:
        sys.stderr.write(f"antrean kiosk render-ticket: cannot read the ticket: {exc}\n")
        return 2
    settings = TicketSettings(
        width_mm=args.width, site_name=args.site_name, motto=args.motto, qr=args.qr, timezone=args.timezone
    )
    data = render_ticket(ticket, settings)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            with open(args.out, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            hint = " (is the printer connected and switched on?)" if args.out.startswith("/dev/") else ""
            sys.stderr.write(
                f"antrean kiosk render-ticket: cannot write {args.out}: {exc.strerror or exc}{hint}\n"
            )
            return 1
    return 0


def run_main(argv: Sequence[str]) -> int:
    args = run_parser().parse_args(argv)
    overrides = common_overrides(args)
    if args.demo:
        overrides["printer.backend"] = "dummy"
        overrides["screen.fullscreen"] = False
    try:
        config = load_config(KioskConfig, args.config, overrides=overrides)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.check_config:
        sys.stdout.write(f"configuration OK: kiosk {config.node_id} on site {config.site}\n")
        return 0
    setup_logging(config.log_level)
    headless = args.demo and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

    import pygame

    from firmware.kiosk_node.app import KioskApp
    from firmware.kiosk_node.demo import SimulatedPatient, announce_print

    app = KioskApp(config, on_print=announce_print(config.node_id) if args.demo else None)

    def stop(_signum: int, _frame: object) -> None:
        app.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        app.start(fullscreen=False if args.windowed or args.demo else None)
    except pygame.error as exc:
        logger.error("cannot open the screen (%s); is SDL_VIDEODRIVER right for this machine?", exc)
        app.stop()
        return 1
    patient = SimulatedPatient(app) if headless or (args.demo and args.patient) else None
    snapshots = Snapshots(args.snapshot)
    drawn = [-1]

    def tick() -> None:
        if patient is not None:
            patient()
        changed, drawn[0] = app.flow.version != drawn[0], app.flow.version
        snapshots.offer(app.surface, changed)

    try:
        app.run(tick=tick if patient is not None or args.snapshot else None)
    finally:
        app.stop()
    logger.info("kiosk %s stopped", config.node_id)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "render-ticket":
        return render_main(args[1:])
    return run_main(args)
