"""``antrean provision SITE.toml --out DIR [--prefix /etc/antrean] [--rotate NODE]``; also
``antrean provision sdcard NODE ...`` (antrean.provision.sdcard) and ``antrean provision wheelhouse ...``
(antrean.provision.wheelhouse).

Writes one bundle per node in ``DIR/<node id>/`` (the hub's in ``DIR/hub/``) and keeps the site's state in
``DIR``: ``secrets.json`` (the MQTT passwords, 0600) and ``ca/`` (the site CA and the broker's key, 0600).
Running it again keeps every account and key; ``--rotate NODE`` gives that node a new password. Passwords
are never printed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean.config import ConfigError, load_config
from antrean.provision.bundle import DEFAULT_PREFIX, Provisioner
from antrean.provision.site import SiteConfig


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="antrean provision",
        description="Write an installable bundle per node (configs, MQTT accounts, site CA, TLS certificate, "
        "systemd units) from one site file. See docs/deploy.md.",
        epilog="Also: antrean provision sdcard NODE --bundle DIR --boot PATH (a card that installs its node "
        "at first boot); antrean provision wheelhouse --out DIR (the wheels the hub serves to its nodes).",
    )
    p.add_argument("site_file", metavar="SITE.toml", help="the site file")
    p.add_argument(
        "--out", required=True, help="provisioning folder: bundles and the site's keys (keep it safe)"
    )
    p.add_argument(
        "--prefix",
        default=DEFAULT_PREFIX,
        help=f"where the bundle files are installed on each machine (default {DEFAULT_PREFIX})",
    )
    p.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="NODE",
        help="give NODE (a node id, or hub) a new MQTT password; repeatable",
    )
    return p


SUBCOMMANDS = {
    "sdcard": "antrean.provision.sdcard",
    "wheelhouse": "antrean.provision.wheelhouse",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:  # a site file is never called sdcard or wheelhouse (it ends .toml)
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        result: int = module.main(argv[1:])
        return result
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        site = load_config(SiteConfig, args.site_file, env={})
    except ConfigError as error:
        sys.stderr.write(f"antrean provision: {error}\n")
        return 2
    if not args.prefix.startswith("/"):
        sys.stderr.write("antrean provision: --prefix must be an absolute path\n")
        return 2
    out = Path(args.out)
    try:
        written = Provisioner(site, out, args.prefix).write(tuple(args.rotate))
    except (ValueError, OSError) as error:
        sys.stderr.write(f"antrean provision: {error}\n")
        return 1
    for node_id, files in written.items():
        sys.stdout.write(f"{out / node_id}/: {' '.join(files)}\n")
    for node_id in args.rotate:
        sys.stdout.write(f"new MQTT password for {node_id}: install its bundle again (and the hub's)\n")
    sys.stdout.write(
        f"site CA and secrets kept in {out} (0600): copy each bundle to its machine, see docs/deploy.md\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
