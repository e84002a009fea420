"""The ``antrean`` command: one subcommand per role, each delegating to its package's ``main(argv)``.

Roles are imported lazily so a counter node never loads the hub's dependencies.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from antrean import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    "hub": ("hub.cli", "run the hub (dispatcher, database, MQTT gateway, web)"),
    "db": ("hub.cli_db", "database tasks: antrean db upgrade --config FILE"),
    "user": ("hub.web.cli_user", "web accounts: antrean user add ..."),
    "backup": ("hub.cli_backup", "database backups: antrean backup create|list|verify|restore"),
    "broker": ("hub.cli_broker", "MQTT accounts: antrean broker passwd FILE USER"),
    "bpjs": ("hub.bpjs.cli", "BPJS PCare: peserta, poli, daftar, batal, sim"),
    "bench": ("antrean.bench", "benchmarks: antrean bench hub|kiosk|display|counter|web|bpjs"),
    "provision": ("antrean.provision.cli", "site bundles: antrean provision SITE.toml --out DIR"),
    "demo": ("antrean.demo", "everything on one machine: broker, hub, simulated nodes"),
    "kiosk": ("firmware.kiosk_node.cli", "kiosk node: touch UI and ticket printer"),
    "display": ("firmware.display_node.cli", "display node: waiting-room screen and voice"),
    "counter": ("firmware.counter_button.cli", "counter node: CALL / SKIP / RECALL buttons"),
}


def usage() -> str:
    lines = ["usage: antrean [--version] COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<9} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(usage())
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"antrean {__version__}\n")
        return 0
    entry = COMMANDS.get(args[0])
    if entry is None:
        sys.stderr.write(f"antrean: unknown command {args[0]!r}\n\n" + usage())
        return 2
    module = importlib.import_module(entry[0])
    return run_command(f"antrean {args[0]}", module.main, args[1:])


def run_command(prog: str, command: Callable[[list[str]], int], args: list[str]) -> int:
    """Run one command; what a user's mistake or the machine raises (a missing device, a closed stdin,
    Ctrl-C) becomes one line and a non-zero exit instead of a traceback. ``ANTREAN_DEBUG=1`` re-raises."""
    try:
        return command(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted\n")
        return 130
    except (OSError, EOFError) as error:
        if os.environ.get("ANTREAN_DEBUG"):
            raise
        sys.stderr.write(f"{prog}: {describe_error(error)}\n")
        return 1


def describe_error(error: BaseException) -> str:
    """One line for an error of the machine.

    >>> describe_error(FileNotFoundError(2, "No such file or directory", "/dev/usb/lp0"))
    'cannot open /dev/usb/lp0: No such file or directory'
    >>> describe_error(EOFError())
    'no input: standard input is closed'
    """
    if isinstance(error, EOFError):
        return "no input: standard input is closed"
    if isinstance(error, OSError) and error.filename is not None:
        return f"cannot open {error.filename}: {error.strerror or error}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


if __name__ == "__main__":
    raise SystemExit(main())
