"""``antrean counter``: run a counter node (CALL / SKIP / RECALL buttons and lights at each loket).

    antrean counter --config /etc/antrean/counter.toml
    antrean counter --counter 1 --counter 2 --mqtt-url mqtt://hub.local:1883
    antrean counter --simulate --counter 1 --counter 2 --site pkm --node-id counter-1 < presses.txt

With ``--simulate`` the buttons are gpiozero mock pins pressed by lines on standard input (``call 1``,
``skip 1``, ``recall 1``, ``quit``) and every event is printed as one line on standard output. The node
keeps running at the end of the input until SIGTERM / Ctrl-C (or a ``quit`` line).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from gpiozero.exc import BadPinFactory, GPIOZeroError
from gpiozero.pins.mock import MockFactory

from antrean.config import ConfigError, load_config
from antrean.helptext import plain
from antrean.logs import setup_logging
from antrean.node import add_common_arguments, common_overrides
from firmware.counter_button.config import CounterConfig, quick_lokets
from firmware.counter_button.machine import Event
from firmware.counter_button.node import CounterNode
from firmware.counter_button.simulate import Simulator
from protocol import parse_mqtt_url

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antrean counter", description=plain(__doc__, first_paragraph=True))
    add_common_arguments(parser)
    parser.add_argument(
        "--counter",
        type=int,
        action="append",
        metavar="N",
        help="serve loket N with the default pins (repeatable; replaces the config's lokets)",
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="mock pins pressed by lines on stdin (call 1, skip 1, recall 1); events printed on stdout",
    )
    return parser


def read_config(args: argparse.Namespace) -> CounterConfig:
    overrides = common_overrides(args)
    if args.counter:
        try:
            overrides["lokets"] = quick_lokets(args.counter)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    return load_config(CounterConfig, args.config, overrides=overrides)


def _print_event(event: Event) -> None:
    sys.stdout.write(event.line() + "\n")
    sys.stdout.flush()


def _broker(url: str) -> str:
    address = parse_mqtt_url(url)
    return f"{'mqtts' if address.tls else 'mqtt'}://{address.host}:{address.port}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = read_config(args)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    if args.check_config:
        lokets = ", ".join(str(loket.counter) for loket in config.lokets)
        sys.stdout.write(f"configuration OK: node {config.node_id}, lokets {lokets}\n")
        return 0
    setup_logging(config.log_level)

    try:
        node = CounterNode(config, pin_factory=MockFactory() if args.simulate else None)
    except BadPinFactory:
        sys.stderr.write("no GPIO on this machine: run on a Raspberry Pi, or add --simulate\n")
        return 1
    except GPIOZeroError as exc:
        sys.stderr.write(f"GPIO error: {exc}\n")
        return 1

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.simulate:
        node.add_listener(_print_event)
    logger.info(
        "counter node %s on site %s: lokets %s, broker %s",
        config.node_id,
        config.site,
        sorted(node.machines),
        _broker(config.mqtt.url),  # never the URL itself: it holds the node's password
    )
    node.start()
    if args.simulate:
        threading.Thread(target=_read_stdin, args=(Simulator(node), stop), daemon=True).start()
    try:
        stop.wait()
    finally:
        node.stop()
    return 0


def _read_stdin(simulator: Simulator, stop: threading.Event) -> None:
    for line in sys.stdin:
        if not simulator.handle(line):
            stop.set()
            return
    logger.info("end of input: the node keeps running until stopped")


if __name__ == "__main__":
    raise SystemExit(main())
