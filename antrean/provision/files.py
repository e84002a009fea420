"""Writing the provisioning folder: secrets 0600 (created so, never readable in between), the rest 0644,
folders 0700, every file replaced atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def make_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_file(path: Path, data: str | bytes, *, secret: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically, mode 0600 if ``secret`` else 0644."""
    make_dir(path.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600 if secret else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
