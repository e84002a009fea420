"""The site of issue 13 as a site file, and ``antrean provision`` run on it, for the deployment tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SITE_TOML = """\
site = "pkm"
site_name = "Puskesmas Gladak Pakem"
hub_address = "{hub_address}"
mqtt_port = {mqtt_port}
web_port = {web_port}
[[nodes]]
id = "kiosk-1"
role = "kiosk"
[[nodes]]
id = "display-1"
role = "display"
[[nodes]]
id = "counter-1"
role = "counter"
lokets = [1, 2]
"""
NODES = {"hub": "hub", "kiosk-1": "kiosk", "display-1": "display", "counter-1": "counter"}


def write_site(
    path: Path, *, hub_address: str = "10.0.0.2", mqtt_port: int = 8883, web_port: int = 8080
) -> Path:
    path.write_text(
        SITE_TOML.format(hub_address=hub_address, mqtt_port=mqtt_port, web_port=web_port), encoding="utf-8"
    )
    return path


def antrean(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "antrean", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def provision(site_file: Path, out: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    result = antrean("provision", site_file, "--out", out, *extra)
    assert result.returncode == 0, result.stderr
    return result


def install(bundle: Path, prefix: Path) -> Path:
    """Copy a bundle's files to ``prefix``, as a technician copies them to /etc/antrean on the Pi."""
    prefix.mkdir(parents=True, exist_ok=True)
    for item in bundle.iterdir():
        if item.is_file():  # appliance/ goes to /etc/systemd and /etc/chrony, not under the prefix
            shutil.copy2(item, prefix / item.name)
    return prefix
