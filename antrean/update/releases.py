"""The release layout of a node under its root (default ``/opt/antrean``)::

    releases/0.1.0/   a venv with Antrean 0.1.0
    releases/0.2.0/   a venv with Antrean 0.2.0
    current  -> releases/0.2.0     what the units run (through venv -> current)
    previous -> releases/0.1.0     where a rollback goes
    venv     -> current            the path the systemd units name (/opt/antrean/venv/bin/antrean)
    source                         one line: the wheelhouse updates come from (written at first boot)

Links are replaced atomically (a new link under a temporary name, renamed over the old one), so the units
always find a complete release.

>>> import tempfile, pathlib
>>> layout = Releases(pathlib.Path(tempfile.mkdtemp()))
>>> for version in ("0.1.0", "0.2.0"):
...     _ = layout.release(version).mkdir(parents=True)
>>> layout.switch("0.1.0"); layout.switch("0.2.0")
>>> layout.current(), layout.previous()
('0.2.0', '0.1.0')
>>> layout.rollback(), layout.current()
('0.1.0', '0.1.0')
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_ROOT = "/opt/antrean"
KEEP = 3  # releases kept on the SD card: the current one, the previous one and one more


class Releases:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "releases"

    def release(self, version: str) -> Path:
        if not version or "/" in version or version.startswith("."):
            raise ValueError(f"not a release version: {version!r}")
        return self.folder / version

    def versions(self) -> list[str]:
        """Installed releases, oldest install first."""
        if not self.folder.is_dir():
            return []
        found = [p for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return [p.name for p in sorted(found, key=lambda p: (p.stat().st_mtime, p.name))]

    def _target(self, name: str) -> str | None:
        link = self.root / name
        if not link.is_symlink():
            return None
        return Path(os.readlink(link)).name

    def current(self) -> str | None:
        return self._target("current")

    def previous(self) -> str | None:
        return self._target("previous")

    def _link(self, name: str, target: str) -> None:
        temp = self.root / f".{name}.new"
        temp.unlink(missing_ok=True)
        temp.symlink_to(target)
        os.replace(temp, self.root / name)

    def switch(self, version: str) -> None:
        """Make ``version`` current; the release it replaces becomes ``previous``."""
        if not self.release(version).is_dir():
            raise ValueError(f"release {version} is not installed in {self.folder}")
        old = self.current()
        if old == version:
            return
        if old is not None:
            self._link("previous", f"releases/{old}")
        self._link("current", f"releases/{version}")
        venv = self.root / "venv"
        if not venv.exists() and not venv.is_symlink():
            self._link("venv", "current")
        logger.info("current release: %s (was %s)", version, old or "none")

    def rollback(self) -> str:
        """Back to ``previous`` (the release left becomes ``previous``); returns the version now current."""
        back = self.previous()
        if back is None or not self.release(back).is_dir():
            raise ValueError(f"no previous release to roll back to in {self.root}")
        self.switch(back)
        return back

    def prune(self, keep: int = KEEP) -> list[str]:
        """Remove the oldest releases beyond ``keep``, never the current or the previous one."""
        protected = {self.current(), self.previous()}
        versions = self.versions()
        removable = [v for v in versions if v not in protected]
        extra = max(0, len(versions) - keep)
        removed = removable[:extra]
        for version in removed:
            shutil.rmtree(self.release(version))
            logger.info("removed old release %s", version)
        return removed

    def source(self) -> str | None:
        path = self.root / "source"
        return path.read_text(encoding="utf-8").strip() or None if path.exists() else None
