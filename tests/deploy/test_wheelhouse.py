"""Issue 13: ``antrean provision wheelhouse`` collects this version and its dependencies; a running hub
serves them at ``/wheels/`` and pip installs a counter node from there alone into a fresh venv (no system
packages, no index, pip's own configuration off)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from antrean import __version__
from antrean.provision.wheelhouse import PI_PLATFORMS, pip_commands
from hub.broker import free_port
from tests.deploy.releases import pip_env
from tests.deploy.site import antrean


def test_for_the_pi_it_asks_pip_for_aarch64_wheels_only(tmp_path: Path) -> None:
    _build, download = pip_commands(tmp_path, tmp_path / "tree", "0.3.0", "counter", PI_PLATFORMS, "3.11")
    assert download[-2:] == ["antrean[counter]==0.3.0", "pip"]
    assert "--only-binary=:all:" in download and "--python-version" in download
    platforms = [download[i + 1] for i, arg in enumerate(download) if arg == "--platform"]
    assert platforms == ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]
    native = pip_commands(tmp_path, tmp_path / "tree", "0.3.0", "counter", [], "3.11")[1]
    assert "--platform" not in native and "--only-binary=:all:" not in native


@pytest.mark.slow
def test_a_node_installs_from_the_running_hubs_wheelhouse_alone(
    tmp_path: Path, hub_runner: Callable[..., object]
) -> None:
    served = tmp_path / "data" / "wheelhouse"  # the hub's default: data_dir/wheelhouse
    made = antrean("provision", "wheelhouse", "--native", "--extras", "counter", "--out", served)
    assert made.returncode == 0, made.stderr
    names = {p.name for p in served.glob("*.whl")}
    assert f"antrean-{__version__}-py3-none-any.whl" in names
    assert any(name.startswith("gpiozero-") for name in names)
    assert any(name.startswith("pydantic_core-") for name in names)
    assert any(name.startswith("pip-") for name in names)  # for a node whose Python lacks ensurepip

    web_port = free_port()
    hub_runner(web_port=web_port)
    venv = tmp_path / "venv"
    env = pip_env()
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=120)
    url = f"http://127.0.0.1:{web_port}/wheels/"
    install = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            url,
            f"antrean[counter]=={__version__}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import gpiozero, paho.mqtt, pydantic, antrean, firmware.counter_button; print(antrean.__file__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,  # python -c imports from its working directory first
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(str(venv))  # the venv's own copy, not this checkout
    version = subprocess.run(
        [str(venv / "bin" / "antrean"), "--version"], capture_output=True, text=True, env=env, timeout=60
    )
    assert version.stdout.strip() == f"antrean {__version__}"
