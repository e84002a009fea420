"""Installing one release: a venv under ``releases/<version>/`` with ``antrean[<role>]==<version>`` from a
wheelhouse, which is the hub's ``/wheels/`` page (``http://HUB:PORT/wheels/``) or a local folder of wheels.

>>> wheel_version("antrean-0.2.0-py3-none-any.whl"), wheel_version("pydantic-2.7.0-py3-none-any.whl")
('0.2.0', None)
>>> newest(["0.10.0", "0.9.1", "0.10.0rc1"])
'0.10.0'
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from antrean.update.health import release_env

logger = logging.getLogger(__name__)

PROJECT = "antrean"
_HREF = re.compile(r"""href=["']([^"'#?]+\.whl)""")


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


def wheel_version(filename: str) -> str | None:
    """The version of an Antrean wheel file name, None for another project's wheel or a bad name."""
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    return str(version) if name == canonicalize_name(PROJECT) else None


def wheel_names(source: str, timeout: float = 20) -> list[str]:
    """The wheel file names a wheelhouse offers (the links of a find-links page, or a folder's files)."""
    if is_url(source):
        with urllib.request.urlopen(source, timeout=timeout) as response:
            page = response.read().decode("utf-8", errors="replace")
        return [link.rsplit("/", 1)[-1] for link in _HREF.findall(page)]
    return [path.name for path in Path(source).glob("*.whl")]


def newest(versions: list[str]) -> str:
    """The highest final release among ``versions`` (pre-releases only when there is nothing else)."""
    parsed = sorted((Version(v) for v in versions), key=lambda v: (not v.is_prerelease, v))
    return str(parsed[-1])


def available_versions(source: str) -> list[str]:
    return sorted({v for v in map(wheel_version, wheel_names(source)) if v is not None}, key=Version)


def pip_source_args(source: str) -> list[str]:
    """pip options for installing from ``source`` only (no index; a LAN hub over plain http is trusted)."""
    args = ["--no-index", "--find-links", source]
    parts = urlsplit(source)
    if parts.scheme == "http" and parts.hostname:
        args += ["--trusted-host", parts.hostname]
    return args


def create_release(
    path: Path, version: str, source: str, extra: str, *, system_site_packages: bool = True
) -> None:
    """A venv at ``path`` with ``antrean[extra]==version`` from ``source``; nothing left behind on failure.

    ``system_site_packages``: the venv sees Debian's Python packages (python3-lgpio for gpiozero on a Pi 5)
    """
    if path.exists():
        raise ValueError(f"{path} exists already")
    venv = [sys.executable, "-m", "venv", *(["--system-site-packages"] if system_site_packages else [])]
    requirement = f"{PROJECT}[{extra}]=={version}" if extra else f"{PROJECT}=={version}"
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    pip += ["--no-cache-dir", *pip_source_args(source), requirement]
    try:
        for step, command in (("venv", [*venv, str(path)]), ("pip install", pip)):
            logger.info("running %s", " ".join(command))
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=release_env())
            if done.returncode != 0:
                output = (done.stderr or done.stdout).strip().splitlines()[-5:]
                raise RuntimeError(f"{step} failed: " + " | ".join(output))
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    logger.info("installed %s in %s", requirement, path)
