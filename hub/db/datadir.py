"""The data directory is private: the database (NIK, password hashes), keys, uploads and backups in it are
readable by the service account only.

Every process that opens the database (``antrean hub``, ``antrean db``, ``antrean user``, ``antrean
backup``) calls :func:`prepare_data_dir` first. It sets the process umask to 077, so whatever the process
creates afterwards (the SQLite file and its -wal/-shm, key files, uploads, backups) is 0600 and each new
folder 0700, creates ``data_dir`` 0700, and tightens what an older version left readable.

Usage (needs a running hub; not run as a doctest)::

    prepare_data_dir(Path("/var/lib/antrean"))
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def prepare_data_dir(data_dir: Path) -> None:
    """Umask 077 for this process, ``data_dir`` 0700 (created if missing), nothing under it readable by
    group or others."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fixed = tighten(data_dir)
    if fixed:
        logger.warning(
            "data directory %s: removed group/other access from %d path(s) (now 0700 folders, 0600 files)",
            data_dir,
            fixed,
        )


def tighten(root: Path) -> int:
    """Remove group and other permissions from ``root`` and everything under it (symbolic links are
    neither followed nor changed); returns how many paths were changed."""
    fixed = _tighten_one(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            fixed += _tighten_one(Path(folder) / name)
    return fixed


def _tighten_one(path: Path) -> int:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:  # removed meanwhile (a SQLite -shm, an upload being replaced)
        return 0
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
        return 0
    path.chmod(stat.S_IMODE(mode) & ~0o077)
    return 1


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it), mode 0600."""
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
