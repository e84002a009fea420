"""Patient documents (KTP, KK, BPJS card, KIA): type checked by content, size-limited, stored under
data_dir/uploads (never under the web root) with random names, and served back to staff (audited,
sandboxed) by :func:`send_upload`."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import abort, send_file
from werkzeug.wrappers import Response

from hub.web.audit import record
from hub.web.db import services, writing

DOCUMENT_TYPES = {"ktp": "KTP", "kk": "KK", "bpjs_card": "Kartu BPJS", "kia": "KIA"}
MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
)


class UploadError(ValueError):
    """Why a file was refused, in Indonesian."""


@dataclass(frozen=True)
class Stored:
    relative_path: str
    content_type: str
    size: int


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from a file's first bytes, for JPEG, PNG and PDF only.

    >>> sniff(b"%PDF-1.7"), sniff(b"<html>")
    (('application/pdf', 'pdf'), None)
    """
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def check(content: bytes, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """(content type, extension) of an acceptable upload; raises :class:`UploadError` otherwise."""
    if not content:
        raise UploadError("Berkas kosong.")
    if len(content) > max_bytes:
        raise UploadError(f"Ukuran berkas maksimal {_size(max_bytes)}.")
    kind = sniff(content[:16])
    if kind is None:
        raise UploadError("Jenis berkas tidak diizinkan: hanya JPG, PNG atau PDF.")
    return kind


def store(data_dir: Path, patient_id: int, content: bytes, max_bytes: int = MAX_BYTES) -> Stored:
    content_type, extension = check(content, max_bytes)
    relative = Path(str(patient_id)) / f"{secrets.token_hex(16)}.{extension}"
    target = uploads_root(data_dir) / relative
    uploads_root(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    target.parent.mkdir(exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal documents: owner only
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return Stored(relative.as_posix(), content_type, len(content))


def uploads_root(data_dir: Path) -> Path:
    return data_dir / "uploads"


def resolve(data_dir: Path, relative_path: str) -> Path:
    """The stored file for a database path, refusing anything outside the uploads directory."""
    root = uploads_root(data_dir).resolve()
    target = (root / relative_path).resolve()
    if root not in target.parents:
        raise UploadError("Lokasi berkas tidak valid.")
    return target


def send_upload(relative_path: str, mimetype: str, *, action: str, table: str, record_id: int) -> Response:
    """A stored upload as the answer to a staff request: 404 for a path outside the uploads or a file that
    is gone, the view audited (``action``), served with no caching in a sandbox (never run as a page)."""
    try:
        path = resolve(services().data_dir, relative_path)
    except UploadError:
        abort(404)
    if not path.is_file():
        abort(404)
    with writing() as session:
        record(session, action, table=table, record_id=record_id)
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
