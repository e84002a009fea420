"""Errors of the bridge, each with a kind the loket can act on and an Indonesian message for staff."""

from __future__ import annotations

from hub.bpjs.models import ErrorCode

MESSAGES: dict[str, str] = {
    "not_found": "Data peserta tidak ditemukan di BPJS.",
    "inactive": "Peserta BPJS tidak aktif. Arahkan pasien ke pembayaran umum atau tunda pelayanan BPJS.",
    "unauthorized": "Kredensial BPJS ditolak. Hubungi admin untuk memeriksa pengaturan BPJS.",
    "timeout": "Server BPJS tidak menjawab tepat waktu. Silakan coba lagi.",
    "unavailable": "Server BPJS sedang tidak dapat dihubungi. Pelayanan loket tetap berjalan.",
    "decrypt": "Jawaban BPJS tidak dapat dibaca (gagal dekripsi). Hubungi admin.",
    "invalid": "Permintaan ditolak oleh BPJS.",
    "not_configured": "Bridging BPJS belum diatur. Hubungi admin.",
}


def staff_message(code: ErrorCode, detail: str = "") -> str:
    """The Indonesian message for ``code``, with the server's own words appended for ``invalid``."""
    base = MESSAGES[code]
    return f"{base} ({detail})" if detail and code == "invalid" else base


class PcareError(Exception):
    """A PCare call that did not succeed. ``code`` says why; ``detail`` is the server's message
    (English or Indonesian, never secrets); ``retryable`` is true when trying later may help."""

    def __init__(self, code: ErrorCode, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code: ErrorCode = code
        self.detail = detail
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.code in ("timeout", "unavailable", "decrypt")

    @property
    def message(self) -> str:
        return staff_message(self.code, self.detail)
