"""Seed data of the PCare simulator: participants (active, inactive, non-ASCII and astral-plane names),
polys, doctors and the provider."""

from __future__ import annotations

from typing import Any

PROVIDER = {"kdProvider": "0901R001", "nmProvider": "PUSKESMAS GLADAK PAKEM"}

# noKartu -> (nama, NIK, aktif, ketAktif, sex, tglLahir, kelas, jenis peserta, noHP)
_PARTICIPANTS: list[tuple[str, str, str, bool, str, str, str, tuple[str, str], tuple[str, str], str]] = [
    (
        "0001234567890",
        "BUDI SANTOSO",
        "3509123456780001",
        True,
        "AKTIF",
        "L",
        "15-01-1990",
        ("3", "Kelas III"),
        ("PBI", "PBI (APBN)"),
        "081234567890",
    ),
    (
        "0002345678901",
        "SITI AMINAH",
        "3509123456780002",
        False,
        "TIDAK AKTIF KARENA PREMI",
        "P",
        "02-03-1985",
        ("3", "Kelas III"),
        ("PBPU", "Pekerja Bukan Penerima Upah"),
        "081298765432",
    ),
    (
        "0003456789012",
        "NI WAYAN SÉKAR ÇAHYANI ‘AYU’",
        "5103123456780003",
        True,
        "AKTIF",
        "P",
        "17-08-1995",
        ("2", "Kelas II"),
        ("PPU", "Pekerja Penerima Upah"),
        "081311112222",
    ),
    (
        "0004567890123",
        "TAN 𠮷 MEI LING 🌺 陈美玲",
        "3578123456780004",
        True,
        "AKTIF",
        "P",
        "01-12-1978",
        ("1", "Kelas I"),
        ("PPU", "Pekerja Penerima Upah"),
        "081355556666",
    ),
    (
        "0005678901234",
        "AHMAD FAUZI",
        "3509123456780005",
        True,
        "AKTIF",
        "L",
        "30-06-1960",
        ("3", "Kelas III"),
        ("PBI", "PBI (APBD)"),
        "",
    ),
]


def participants() -> dict[str, dict[str, Any]]:
    """Participants by card number, in PCare's shape."""
    result: dict[str, dict[str, Any]] = {}
    for card, nama, nik, aktif, ket, sex, lahir, kelas, jenis, hp in _PARTICIPANTS:
        result[card] = {
            "noKartu": card,
            "nama": nama,
            "hubunganKeluarga": "PESERTA",
            "sex": sex,
            "tglLahir": lahir,
            "tglMulaiAktif": "01-01-2014",
            "tglAkhirBerlaku": "31-12-2099" if aktif else "31-12-2024",
            "kdProviderPst": dict(PROVIDER),
            "kdProviderGigi": {"kdProvider": None, "nmProvider": None},
            "jnsKelas": {"kode": kelas[0], "nama": kelas[1]},
            "jnsPeserta": {"kode": jenis[0], "nama": jenis[1]},
            "golDarah": "O",
            "noHP": hp,
            "noKTP": nik,
            "pstProl": "",
            "pstPrb": "",
            "aktif": aktif,
            "ketAktif": ket,
            "asuransi": {"kdAsuransi": None, "nmAsuransi": None, "noAsuransi": None, "cob": False},
            "tunggakan": 0 if aktif else 1250000,
        }
    return result


POLYS: list[dict[str, Any]] = [
    {"kdPoli": "001", "nmPoli": "UMUM", "poliSakit": True},
    {"kdPoli": "002", "nmPoli": "GIGI & MULUT", "poliSakit": True},
    {"kdPoli": "003", "nmPoli": "KIA", "poliSakit": True},
    {"kdPoli": "008", "nmPoli": "KB", "poliSakit": False},
    {"kdPoli": "020", "nmPoli": "IMUNISASI", "poliSakit": False},
]

DOCTORS: list[dict[str, Any]] = [
    {"kdDokter": "131491", "nmDokter": "dr. Rina Wulandari"},
    {"kdDokter": "131492", "nmDokter": "drg. Andi Prasetyo"},
    {"kdDokter": "131493", "nmDokter": "dr. Ni Komang Sari Déwi"},
]

# kdPoli -> visit number letter
VISIT_LETTERS = {"001": "A", "002": "B", "003": "C", "008": "D", "020": "E"}
