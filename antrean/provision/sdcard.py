"""``antrean provision sdcard NODE --bundle DIR --boot PATH``: prepare the boot partition of a freshly
flashed Raspberry Pi OS (Bookworm) card so that the Pi installs itself at its first boot, without keyboard
or internet.

It writes ``PATH/antrean/`` (the node's bundle, the first-boot script and unit, ``firstboot.env``), puts
``firstrun.sh`` at the top of the partition and appends to the single line of ``cmdline.txt`` what Raspberry
Pi Imager appends (``systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot
systemd.unit=kernel-command-line.target``). A ``firstrun.sh`` Imager wrote (its OS customisation: user,
Wi-Fi, SSH) is kept as ``firstrun-imager.sh`` and run first. At boot, ``firstrun.sh`` installs the bundle,
deletes it from the partition, restores ``cmdline.txt`` and removes itself; once the network is up,
``antrean-firstboot.service`` installs Antrean from the hub's wheelhouse and starts the node
(provisioning/firstboot/). Running the command again on the same card gives the same card.

>>> print(with_run_args("console=tty1 root=PARTUUID=1-02 rootwait quiet\\n").replace(" sys", "\\nsys"))
console=tty1 root=PARTUUID=1-02 rootwait quiet
systemd.run=/boot/firmware/firstrun.sh
systemd.run_success_action=reboot
systemd.run_failure_action=reboot
systemd.unit=kernel-command-line.target
<BLANKLINE>
>>> with_run_args(with_run_args("rootwait quiet")) == with_run_args("rootwait quiet")
True
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean import __version__
from antrean.provision.bundle import source_file
from antrean.update.releases import DEFAULT_ROOT

RUN_ARGS = (
    "systemd.run=/boot/firmware/firstrun.sh",
    "systemd.run_success_action=reboot",
    "systemd.run_failure_action=reboot",
    "systemd.unit=kernel-command-line.target",
)
# what firstrun.sh removes again (and what an Imager card may carry already)
_RUN_ARG = re.compile(
    r"^(systemd\.run(_success_action|_failure_action)?=.*|systemd\.unit=kernel-command-line\.target)$"
)
MARK = "Antrean first boot, step 1 of 2"
FOLDER = "antrean"


class SdcardError(Exception):
    pass


def with_run_args(cmdline: str) -> str:
    """``cmdline`` (one line) with any first-run arguments replaced by ours, appended at its end."""
    kept = [arg for arg in cmdline.split() if not _RUN_ARG.match(arg)]
    return " ".join([*kept, *RUN_ARGS]) + "\n"


def put_file(path: Path, data: str | bytes, *, executable: bool = False) -> Path:
    """Write a file of the boot partition (FAT), replaced atomically. FAT has no permissions: chmod fails
    there (EPERM) and the Pi mounts it with every file executable; ``executable`` is best effort."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.new")
    temp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(temp, path)
    if executable:
        with contextlib.suppress(PermissionError):
            path.chmod(0o755)
    return path


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key and value:
            values[key] = shlex.split(value)[0] if value.strip() else ""
    return values


def node_bundle(folder: Path, node: str) -> Path:
    """The node's bundle: ``folder/NODE`` (the provisioning folder) or ``folder`` itself."""
    for candidate in (folder / node, folder):
        env = candidate / "node.env"
        if env.is_file() and read_env(env).get("NODE_ID") == node:
            return candidate
    if node == "hub":
        raise SdcardError("the hub is installed by hand (docs/deploy.md, 'Install the hub'), not from a card")
    raise SdcardError(
        f"no bundle of node {node!r} in {folder}: run antrean provision SITE.toml --out DIR first"
    )


def prepare(bundle: Path, boot: Path, *, version: str, root: str) -> list[str]:
    """Write the card's boot partition; returns the names written (relative to ``boot``)."""
    cmdline = boot / "cmdline.txt"
    if not cmdline.is_file():
        raise SdcardError(f"{boot} is not a Raspberry Pi OS boot partition (no cmdline.txt)")
    env = read_env(bundle / "node.env")
    prefix = env["PREFIX"]
    target = boot / FOLDER
    written: list[str] = []

    def put(name: str, data: str | bytes, *, executable: bool = False) -> None:
        path = put_file(
            target / name if not name.startswith("/") else boot / name[1:], data, executable=executable
        )
        written.append(str(path.relative_to(boot)))

    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        put(str(path.relative_to(bundle)), path.read_bytes())
    put(
        "firstboot.env",
        (bundle / "node.env").read_text(encoding="utf-8") + f"ROOT={shlex.quote(root)}\n"
        f"VERSION={shlex.quote(version)}\n",
    )
    put("firstboot.sh", source_file("provisioning/firstboot/firstboot.sh"), executable=True)
    unit = source_file("provisioning/firstboot/antrean-firstboot.service")
    put(
        "antrean-firstboot.service",
        unit.replace("/etc/antrean/", f"{prefix}/").replace("=/etc/antrean\n", f"={prefix}\n"),
    )
    firstrun = boot / "firstrun.sh"
    if firstrun.is_file() and MARK not in firstrun.read_text(encoding="utf-8", errors="replace"):
        firstrun.replace(boot / "firstrun-imager.sh")  # Imager's customisation: run first by ours
        written.append("firstrun-imager.sh")
    put("/firstrun.sh", source_file("provisioning/firstboot/firstrun.sh"), executable=True)
    put_file(cmdline, with_run_args(cmdline.read_text(encoding="utf-8")))
    written.append("cmdline.txt")
    return written


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="antrean provision sdcard",
        description="Prepare the boot partition of a fresh Raspberry Pi OS (Bookworm) card: at its first "
        "boot the Pi installs its bundle and Antrean from the hub's wheelhouse. See docs/deploy.md.",
    )
    p.add_argument("node", metavar="NODE", help="the node id (as in the site file)")
    p.add_argument("--bundle", required=True, help="the provisioning folder (antrean provision --out DIR)")
    p.add_argument(
        "--boot", required=True, help="the card's boot partition, mounted (e.g. /media/$USER/bootfs)"
    )
    p.add_argument(
        "--version", default=__version__, help=f"the Antrean release to install (default {__version__})"
    )
    p.add_argument(
        "--root", default=DEFAULT_ROOT, help=f"where releases live on the node (default {DEFAULT_ROOT})"
    )
    p.add_argument(
        "--user", help="create this login user at first boot (userconf.txt); needs --password-hash"
    )
    p.add_argument("--password-hash", help="its password, hashed: openssl passwd -6")
    p.add_argument("--ssh", action="store_true", help="enable the SSH server (writes the file ssh)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    boot = Path(args.boot)
    try:
        if bool(args.user) != bool(args.password_hash):
            raise SdcardError("--user and --password-hash go together")
        bundle = node_bundle(Path(args.bundle), args.node)
        written = prepare(bundle, boot, version=args.version, root=args.root)
        if args.user:
            put_file(boot / "userconf.txt", f"{args.user}:{args.password_hash}\n")
            written.append("userconf.txt")
        if args.ssh:
            put_file(boot / "ssh", "")
            written.append("ssh")
    except (SdcardError, OSError, KeyError) as error:
        sys.stderr.write(f"antrean provision sdcard: {error}\n")
        return 1
    if not (boot / "userconf.txt").exists() and not (boot / "firstrun-imager.sh").exists():
        sys.stdout.write("note: no userconf.txt: the Pi asks for a user at its console (or use --user)\n")
    sys.stdout.write(f"{boot}: {len(written)} files for {args.node}, Antrean {args.version}\n")
    sys.stdout.write(
        "the card holds the node's MQTT password until its first boot: keep it safe until then\n"
    )
    return 0
