"""``antrean hub --config FILE``: runs the hub until SIGTERM / Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from antrean.config import ConfigError
from antrean.logs import setup_logging
from antrean.watchdog import ServiceWatchdog
from hub.broker import BrokerStartError, hub_broker_settings
from hub.cli_config import load_hub_command_config
from hub.config import HubConfig

logger = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean hub", description="Run the Antrean hub.")
    p.add_argument("--config", help="TOML config file (e.g. /etc/antrean/hub.toml)")
    p.add_argument("--mqtt-url", help="override [mqtt] url")
    p.add_argument("--site", help="override site")
    p.add_argument("--database-url", help="override [database] url")
    p.add_argument("--data-dir", help="override data_dir")
    p.add_argument("--check-config", action="store_true", help="validate the config and exit")
    return p


def load_hub_config(args: argparse.Namespace, prog: str = "antrean hub") -> HubConfig:
    """The config named by ``--config`` with the command-line overrides; says which one is in use."""
    return load_hub_command_config(
        prog,
        args.config,
        overrides={
            "mqtt.url": args.mqtt_url,
            "site": args.site,
            "database.url": args.database_url,
            "data_dir": args.data_dir,
        },
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_hub_config(args)
    except ConfigError as error:
        sys.stderr.write(f"antrean hub: {error}\n")
        return 2
    if args.check_config:
        if not config.mqtt.url:
            try:
                hub_broker_settings(config)
            except BrokerStartError as error:
                sys.stderr.write(f"antrean hub: {error}\n")
                return 2
        sys.stdout.write("configuration OK\n")
        return 0
    setup_logging(config.log_level)
    # Requests, state publishing and the web run in threads: hand the GIL over within 1 ms instead of the
    # default 5 ms, so a call reaches the waiting room without waiting for another thread's time slice.
    sys.setswitchinterval(0.001)
    from hub.app import build_hub
    from hub.db.identity import IdentityError

    stop_requested = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: stopping", signum)
        stop_requested.set()

    # before anything starts, so a stop during start-up is still a clean one
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        hub = build_hub(config, stop_event=stop_requested)
    except BrokerStartError as error:
        sys.stderr.write(f"antrean hub: {error}\n")
        return 3
    except IdentityError as error:
        logger.error("%s", error)
        return 4
    logger.info("hub running for site %s", config.site)
    watchdog = ServiceWatchdog(hub.link)  # systemd: READY once connected, fed while MQTT is proven alive
    watchdog.start()
    try:
        hub.run()
    finally:
        watchdog.stop()
        hub.stop()
    return hub.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
