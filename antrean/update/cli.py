"""``antrean update [--from URL_or_wheel_dir] [--version V] [--root DIR] [--unit NAME] [--health-timeout 60]``
and ``antrean update --rollback``: run on a node (as root) to move it to another release.

1. the release is installed side by side (``ROOT/releases/V``: a venv with ``antrean[<role>]==V`` from the
   hub's wheelhouse, ``ROOT/source``, or ``--from``) unless it is there already;
2. ``ROOT/current`` is switched to it atomically and the unit restarted;
3. for ``--health-timeout`` seconds the unit must stay active without a restart (watchdog) and the health
   check pass; else ``current`` goes back, the unit is restarted and the command exits 1 saying why;
4. releases beyond the last three are removed.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean.update.health import Systemctl, Watch, health_command, run_check
from antrean.update.install import available_versions, create_release, newest
from antrean.update.releases import DEFAULT_ROOT, KEEP, Releases

logger = logging.getLogger(__name__)
ROLES = ("hub", "kiosk", "display", "counter")
UNIT_FOLDER = Path("/etc/systemd/system")


class UpdateError(Exception):
    """A problem told to the technician in one line (exit 1)."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="antrean update",
        description="Install another Antrean release beside the current one, switch to it, check it and "
        "roll back by itself when it is unhealthy. See docs/deploy.md.",
    )
    p.add_argument(
        "--from",
        dest="source",
        help="wheelhouse: http://HUB:PORT/wheels/ or a folder of wheels "
        "(default: the one in ROOT/source, written at first boot)",
    )
    p.add_argument("--version", help="the release to install (default: the newest the wheelhouse offers)")
    p.add_argument("--root", default=DEFAULT_ROOT, help=f"where releases live (default {DEFAULT_ROOT})")
    p.add_argument(
        "--unit",
        help="the systemd unit to restart, e.g. antrean-kiosk.service (default: the one "
        "antrean-<role>.service installed)",
    )
    p.add_argument(
        "--health-timeout",
        type=float,
        default=60,
        metavar="SECONDS",
        help="how long the unit must stay healthy after the restart (default 60)",
    )
    p.add_argument(
        "--config",
        help="the node's config: the health check runs antrean doctor --config FILE "
        "when the new release has it",
    )
    p.add_argument(
        "--health-command",
        help="run this instead of the default health check ({release} is replaced by the release's folder)",
    )
    p.add_argument("--rollback", action="store_true", help="switch back to the previous release by hand")
    p.add_argument("--keep", type=int, default=KEEP, help=f"releases to keep (default {KEEP})")
    return p


def role_of(unit: str) -> str:
    role = unit.removeprefix("antrean-").removesuffix(".service")
    if role not in ROLES:
        raise UpdateError(
            f"--unit {unit}: expected antrean-<role>.service with role one of {', '.join(ROLES)}"
        )
    return role


def find_unit(folder: Path = UNIT_FOLDER) -> str:
    found = [f"antrean-{role}.service" for role in ROLES if (folder / f"antrean-{role}.service").exists()]
    if len(found) != 1:
        raise UpdateError(
            f"give --unit: {len(found)} Antrean units in {folder} ({', '.join(found) or 'none'})"
        )
    return found[0]


def check_for(args: argparse.Namespace, release: Path) -> list[str]:
    if args.health_command:
        return shlex.split(args.health_command.replace("{release}", str(release)))
    return health_command(release, args.config)


def update(args: argparse.Namespace, releases: Releases, systemctl: Systemctl, unit: str) -> str:
    source = args.source or releases.source()
    if args.version is None:
        if not source:
            raise UpdateError(f"give --from (no wheelhouse recorded in {releases.root / 'source'})")
        offered = available_versions(source)
        if not offered:
            raise UpdateError(f"no antrean wheel in {source}")
        args.version = newest(offered)
    version: str = args.version
    if shutil.which(systemctl.executable) is None:
        raise UpdateError(f"{systemctl.executable} not found: antrean update runs on a node with systemd")
    old = releases.current()
    release = releases.release(version)
    if old == version:
        return f"already at {version}"
    if release.is_dir() and not (release / "bin" / "antrean").exists():
        logger.warning("release %s is incomplete (an install cut short): installing it again", version)
        shutil.rmtree(release)
    if release.is_dir():
        logger.info("release %s is installed already", version)
    elif not source:
        raise UpdateError(f"give --from (no wheelhouse recorded in {releases.root / 'source'})")
    else:
        create_release(release, version, source, role_of(unit))
    releases.switch(version)
    watch = Watch(systemctl, unit, lambda: run_check(check_for(args, release)), window=args.health_timeout)
    problem = watch.healthy()
    if problem is not None:
        if old is None:
            raise UpdateError(f"{version} is unhealthy and there is no release to roll back to: {problem}")
        releases.rollback()
        systemctl.restart(unit)
        raise UpdateError(f"{version} is unhealthy ({problem}): rolled back to {old}")
    for removed in releases.prune(args.keep):
        logger.info("removed release %s", removed)
    return f"now at {version} (previous {old or 'none'})"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    releases = Releases(Path(args.root))
    systemctl = Systemctl()
    try:
        unit = args.unit or find_unit()
        role_of(unit)
        if args.rollback:
            back = releases.rollback()
            systemctl.restart(unit)
            message = f"rolled back to {back}"
        else:
            message = update(args, releases, systemctl, unit)
    except (UpdateError, ValueError, RuntimeError, OSError) as error:
        sys.stderr.write(f"antrean update: {error}\n")
        return 1
    sys.stdout.write(f"antrean update: {message}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
