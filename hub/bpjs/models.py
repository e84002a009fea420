"""Typed PCare data (pure): participants, polys, doctors, visits, and the results the loket sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from hub.db.statuses import OutboxStatus

ErrorCode = Literal[
    "not_found", "inactive", "unauthorized", "timeout", "unavailable", "decrypt", "invalid", "not_configured"
]
BridgeStatus = Literal["registered", "queued", "failed", "cancelled"]


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _nested(data: dict[str, Any], key: str, field_name: str) -> str:
    return _text(_object(data, key), field_name)


def pcare_date(day: date) -> str:
    """PCare's date format, ``dd-mm-yyyy``."""
    return day.strftime("%d-%m-%Y")


def parse_pcare_date(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y").date()


@dataclass(frozen=True)
class Participant:
    """A BPJS participant as PCare returns it (the fields the loket shows and stores)."""

    no_kartu: str
    nama: str
    aktif: bool
    ket_aktif: str = ""
    hubungan_keluarga: str = ""
    sex: str = ""
    tgl_lahir: str = ""
    tgl_mulai_aktif: str = ""
    tgl_akhir_berlaku: str = ""
    kd_provider: str = ""
    nm_provider: str = ""
    kelas_kode: str = ""
    kelas_nama: str = ""
    jenis_peserta_kode: str = ""
    jenis_peserta_nama: str = ""
    gol_darah: str = ""
    no_hp: str = ""
    no_ktp: str = ""
    tunggakan: float = 0.0

    @classmethod
    def from_pcare(cls, data: dict[str, Any]) -> Participant:
        try:
            tunggakan = float(data.get("tunggakan") or 0)
        except (TypeError, ValueError):
            tunggakan = 0.0
        return cls(
            no_kartu=_text(data, "noKartu"),
            nama=_text(data, "nama"),
            aktif=data.get("aktif") is True or str(data.get("aktif")).lower() == "true",
            ket_aktif=_text(data, "ketAktif"),
            hubungan_keluarga=_text(data, "hubunganKeluarga"),
            sex=_text(data, "sex"),
            tgl_lahir=_text(data, "tglLahir"),
            tgl_mulai_aktif=_text(data, "tglMulaiAktif"),
            tgl_akhir_berlaku=_text(data, "tglAkhirBerlaku"),
            kd_provider=_nested(data, "kdProviderPst", "kdProvider"),
            nm_provider=_nested(data, "kdProviderPst", "nmProvider"),
            kelas_kode=_nested(data, "jnsKelas", "kode"),
            kelas_nama=_nested(data, "jnsKelas", "nama"),
            jenis_peserta_kode=_nested(data, "jnsPeserta", "kode"),
            jenis_peserta_nama=_nested(data, "jnsPeserta", "nama"),
            gol_darah=_text(data, "golDarah"),
            no_hp=_text(data, "noHP"),
            no_ktp=_text(data, "noKTP"),
            tunggakan=tunggakan,
        )


@dataclass(frozen=True)
class Poly:
    kd_poli: str
    nm_poli: str
    poli_sakit: bool


@dataclass(frozen=True)
class Doctor:
    kd_dokter: str
    nm_dokter: str


@dataclass(frozen=True)
class VisitRequest:
    """The body of ``POST pendaftaran``."""

    kd_provider_peserta: str
    tgl_daftar: date
    no_kartu: str
    kd_poli: str
    keluhan: str = ""
    kunj_sakit: bool = True
    kd_tkp: str = "10"

    def to_pcare(self) -> dict[str, Any]:
        return {
            "kdProviderPeserta": self.kd_provider_peserta,
            "tglDaftar": pcare_date(self.tgl_daftar),
            "noKartu": self.no_kartu,
            "kdPoli": self.kd_poli,
            "keluhan": self.keluhan,
            "kunjSakit": self.kunj_sakit,
            "sistole": 0,
            "diastole": 0,
            "beratBadan": 0,
            "tinggiBadan": 0,
            "respRate": 0,
            "lingkarPerut": 0,
            "heartRate": 0,
            "rujukBalik": 0,
            "kdTkp": self.kd_tkp,
        }

    def to_payload(self) -> dict[str, Any]:
        """JSON-safe form kept in the outbox."""
        return {
            "kd_provider_peserta": self.kd_provider_peserta,
            "tgl_daftar": self.tgl_daftar.isoformat(),
            "no_kartu": self.no_kartu,
            "kd_poli": self.kd_poli,
            "keluhan": self.keluhan,
            "kunj_sakit": self.kunj_sakit,
            "kd_tkp": self.kd_tkp,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> VisitRequest:
        return cls(
            kd_provider_peserta=str(data["kd_provider_peserta"]),
            tgl_daftar=date.fromisoformat(str(data["tgl_daftar"])),
            no_kartu=str(data["no_kartu"]),
            kd_poli=str(data["kd_poli"]),
            keluhan=str(data.get("keluhan", "")),
            kunj_sakit=bool(data.get("kunj_sakit", True)),
            kd_tkp=str(data.get("kd_tkp", "10")),
        )


@dataclass(frozen=True)
class Visit:
    """A registration as PCare lists it."""

    no_urut: str
    tgl_daftar: str
    no_kartu: str
    kd_poli: str
    nm_poli: str = ""
    nama: str = ""
    keluhan: str = ""

    @classmethod
    def from_pcare(cls, data: dict[str, Any]) -> Visit:
        peserta = _object(data, "peserta")
        poli = _object(data, "poli")
        return cls(
            no_urut=_text(data, "noUrut"),
            tgl_daftar=_text(data, "tglDaftar"),
            no_kartu=_text(peserta, "noKartu") or _text(data, "noKartu"),
            kd_poli=_text(poli, "kdPoli") or _text(data, "kdPoli"),
            nm_poli=_text(poli, "nmPoli"),
            nama=_text(peserta, "nama"),
            keluhan=_text(data, "keluhan"),
        )


@dataclass(frozen=True)
class ParticipantResult:
    """Answer to a membership check. ``ok`` means PCare answered with a participant; ``error_code`` is
    ``"inactive"`` (participant present, not active), ``"not_found"``, or why the check failed."""

    ok: bool
    participant: Participant | None = None
    error_code: ErrorCode | None = None
    message: str = ""

    @property
    def active(self) -> bool:
        return self.participant is not None and self.participant.aktif


@dataclass(frozen=True)
class BridgeResult:
    """Answer to a visit registration or cancellation as staff see it."""

    status: BridgeStatus
    registration_id: int
    visit_number: str | None = None
    error_code: ErrorCode | None = None
    message: str = ""
    outbox_id: int | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    registration_id: int | None
    kind: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    visit_number: str | None
    created_at: datetime
    updated_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
