"""Error codes of the v1 contract with their Indonesian messages for people."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError

ErrorCode = Literal[
    "invalid_request",
    "unknown_poly",
    "quota_full",
    "closed",
    "not_found",
    "no_waiting",
    "conflict",
    "internal",
]

MESSAGES: dict[str, str] = {
    "invalid_request": "Permintaan tidak valid.",
    "unknown_poly": "Poli tidak dikenal.",
    "quota_full": "Kuota poli hari ini sudah habis.",
    "closed": "Layanan pendaftaran sedang tutup.",
    "not_found": "Data tidak ditemukan.",
    "no_waiting": "Tidak ada antrean yang menunggu.",
    "conflict": "Permintaan bertentangan dengan keadaan saat ini.",
    "internal": "Terjadi gangguan pada sistem. Silakan hubungi petugas.",
}


class ProtocolError(ValueError):
    """A payload that does not follow the contract. ``detail`` is English, for logs."""

    def __init__(self, detail: str, request_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.request_id = request_id


def validation_problems(error: ValidationError) -> str:
    """A validation error on one line: each field's problem, the missing fields named together.

    >>> from pydantic import BaseModel
    >>> class Two(BaseModel):
    ...     a: int
    ...     b: int
    ...     c: int
    >>> try:
    ...     Two.model_validate({"c": "x"})
    ... except ValidationError as exc:
    ...     print(validation_problems(exc))
    missing a, b; c: Input should be a valid integer, unable to parse string as an integer
    """
    missing = [".".join(str(p) for p in e["loc"]) for e in error.errors() if e["type"] == "missing"]
    problems = [f"missing {', '.join(missing)}"] if missing else []
    problems += [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in error.errors()
        if e["type"] != "missing"
    ]
    return "; ".join(problems)
