"""``antrean whatsapp sim``: the strict simulator of both WhatsApp providers on a port.

    antrean whatsapp sim --port 8091 [--token sim-token] [--phone-number-id 1234567890] [--body json|form]

Point the hub at it with ``[whatsapp] provider = "cloud"``, ``base_url = "http://127.0.0.1:8091/v21.0"``
(or ``provider = "gateway"``, ``url = "http://127.0.0.1:8091/gateway/send"``) and the same token; the
messages it accepted are listed at ``GET /_sim/messages``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from antrean.logs import setup_logging
from hub.whatsapp.sim import WhatsAppSimState, WhatsAppSimulator


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean whatsapp", description="WhatsApp tools.")
    sub = p.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("sim", help="run the simulator of the Cloud API and the HTTP gateway")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8091)
    sim.add_argument("--token", default="sim-token")
    sim.add_argument("--phone-number-id", default="1234567890")
    sim.add_argument("--body", choices=("json", "form"), default="json", help="gateway body")
    sim.add_argument("--phone-field", default="target")
    sim.add_argument("--message-field", default="message")
    sim.add_argument("--token-field", default="", help="gateway token in this body field (default: header)")
    sim.add_argument("--log-level", default="INFO")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(args.log_level)
    state = WhatsAppSimState(
        token=args.token,
        phone_number_id=args.phone_number_id,
        gateway_body=args.body,
        phone_field=args.phone_field,
        message_field=args.message_field,
        token_field=args.token_field,
    )
    server = WhatsAppSimulator(state, args.host, args.port)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    sys.stdout.write(f"WhatsApp simulator: Cloud API {server.cloud_base_url}, gateway {server.gateway_url}\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
