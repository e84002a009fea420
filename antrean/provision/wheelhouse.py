"""``antrean provision wheelhouse --out DIR``: the wheels of this Antrean version and of everything the nodes
need, for the hub to serve at ``/wheels/`` (``[web] wheelhouse``, default ``data_dir/wheelhouse``).

Antrean's own wheel is built from the source tree; its dependencies are fetched with ``pip download`` for the
Raspberry Pi (64-bit Raspberry Pi OS Bookworm: CPython 3.11 on aarch64), which works on an x86 machine::

    pip download --only-binary=:all: --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \\
        --python-version 3.11 --implementation cp -d DIR --find-links DIR "antrean[kiosk,display,counter]==V"

``--native`` fetches for the machine it runs on instead (tests; a hub that is itself a Pi).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean import __version__
from antrean.provision.bundle import SOURCE_TREES
from antrean.provision.files import make_dir

PI_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
PI_PYTHON = "3.11"
NODE_EXTRAS = "kiosk,display,counter"


def source_tree() -> Path:
    for tree in SOURCE_TREES:
        if (tree / "pyproject.toml").is_file() and (tree / "antrean").is_dir():
            return tree
    raise FileNotFoundError(
        f"no Antrean source tree in {' or '.join(map(str, SOURCE_TREES))}: run it where Antrean was "
        "installed from its source (e.g. /opt/antrean)"
    )


def pip_commands(
    out: Path, tree: Path, version: str, extras: str, platforms: Sequence[str], python_version: str
) -> list[list[str]]:
    """The two pip runs: Antrean's wheel from ``tree``, then its dependencies for the target."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--no-deps", "--wheel-dir", str(out), str(tree)]
    download = [*pip, "download", "--dest", str(out), "--find-links", str(out)]
    if platforms:
        download += ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp"]
        for platform in platforms:
            download += ["--platform", platform]
    requirement = f"antrean[{extras}]=={version}" if extras else f"antrean=={version}"
    return [build, [*download, requirement, "pip"]]  # pip too: for a Pi OS without python3-venv


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="antrean provision wheelhouse",
        description="Collect the wheels of this Antrean version and its dependencies for the nodes, for the "
        "hub to serve at /wheels/. Needs the internet (or a PyPI mirror) once, on the machine running it.",
    )
    p.add_argument("--out", required=True, help="the wheelhouse folder ([web] wheelhouse of the hub)")
    p.add_argument("--extras", default=NODE_EXTRAS, help=f"roles to fetch for (default {NODE_EXTRAS})")
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        help=f"wheel platform tag, repeatable (default {' '.join(PI_PLATFORMS)}: 64-bit Raspberry Pi OS)",
    )
    p.add_argument("--python-version", default=PI_PYTHON, help=f"the nodes' Python (default {PI_PYTHON})")
    p.add_argument("--native", action="store_true", help="for this machine's platform and Python instead")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    platforms = [] if args.native else (args.platform or list(PI_PLATFORMS))
    try:
        out = make_dir(Path(args.out))
        out.chmod(0o755)  # the hub's web serves it
        commands = pip_commands(out, source_tree(), __version__, args.extras, platforms, args.python_version)
    except OSError as error:
        sys.stderr.write(f"antrean provision wheelhouse: {error}\n")
        return 1
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()[-8:]
            sys.stderr.write(f"antrean provision wheelhouse: {' '.join(command[3:5])} failed:\n")
            sys.stderr.write("\n".join(lines) + "\n")
            return 1
    wheels = sorted(p.name for p in out.glob("*.whl"))
    for path in out.glob("*.whl"):
        path.chmod(0o644)
    sys.stdout.write(f"{out}: {len(wheels)} wheels for antrean {__version__} [{args.extras}]\n")
    return 0
