"""Wheels of this project at other versions, and a ``systemctl`` that records its calls: for the tests of
``antrean update``, the first-boot installer and the hub's wheelhouse."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

TREE = Path(__file__).resolve().parents[2]
PACKAGES = ("antrean", "protocol", "hub", "firmware", "benchmarks")
BROKEN = 'raise SystemExit("this release is broken on purpose")\n'


def build_wheel(version: str, out: Path, work: Path, *, broken: bool = False) -> Path:
    """``antrean-VERSION-py3-none-any.whl`` in ``out``, built from a copy of this tree; ``broken``: every
    ``antrean`` command of it fails (its package raises on import)."""
    tree = work / f"tree-{version}"
    tree.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGES:
        shutil.copytree(TREE / name, tree / name, ignore=ignore)
    shutil.copy2(TREE / "README.md", tree / "README.md")
    pyproject = (TREE / "pyproject.toml").read_text(encoding="utf-8")
    (tree / "pyproject.toml").write_text(
        re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject, count=1), encoding="utf-8"
    )
    if broken:
        init = tree / "antrean" / "__init__.py"
        init.write_text(init.read_text(encoding="utf-8") + BROKEN, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out / f"antrean-{version}-py3-none-any.whl"


def pip_env(bin_dir: Path | None = None) -> dict[str, str]:
    """This environment without pip's configuration (its index and find-links), so that an install can only
    come from the wheelhouse it names; ``bin_dir`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


FAKE_SYSTEMCTL = """#!/bin/sh
# records every call; 'show' answers from $FAKE_SYSTEMCTL_DIR: <unit>.active (default active),
# <unit>.restarts (NRestarts; grows at each show while <unit>.crashing exists: a unit the watchdog kills)
dir="$FAKE_SYSTEMCTL_DIR"
echo "$*" >> "$dir/calls"
if [ "$1" = show ]; then
    unit="$3"
    restarts=$(cat "$dir/$unit.restarts" 2>/dev/null || echo 0)
    if [ -e "$dir/$unit.crashing" ]; then
        restarts=$((restarts + 1)); echo "$restarts" > "$dir/$unit.restarts"
    fi
    echo "ActiveState=$(cat "$dir/$unit.active" 2>/dev/null || echo active)"
    echo "Result=success"
    echo "NRestarts=$restarts"
fi
exit 0
"""


def fake_systemctl(folder: Path) -> Path:
    """A ``systemctl`` in ``folder/bin`` recording its calls in ``folder/calls``; returns ``folder/bin``."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "systemctl"
    script.write_text(FAKE_SYSTEMCTL, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bin_dir


def calls(folder: Path) -> list[str]:
    path = folder / "calls"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []
