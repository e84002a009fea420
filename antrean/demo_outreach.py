"""The demo's patients before they arrive: the public listener with the Mobile JKN web service, the BPJS
Antrean FKTP simulator (which also plays Mobile JKN) and the WhatsApp simulator; at start a BPJS participant
registers and takes a number through Mobile JKN, and the WhatsApp confirmation reaches the simulator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from hub.broker import free_port

CARD, NIK = "0002345678901", "3509124507850002"
NEW_PATIENT = {
    **{
        "nomorkartu": CARD,
        "nik": NIK,
        "nama": "Siti Rahayu",
        "jeniskelamin": "P",
        "tanggallahir": "1985-07-05",
    },
    **{"nohp": "081398765432", "alamat": "Jl. Mawar 2", "namakel": "Gebang", "namakec": "Patrang"},
    "namadati2": "Jember",
}


@dataclass(frozen=True)
class OutreachPorts:
    public: int
    jkn: int
    whatsapp: int
    ws_password: str

    @classmethod
    def pick(cls) -> OutreachPorts:
        return cls(free_port(), free_port(), free_port(), "Jkn-" + secrets.token_hex(4) + "!7")

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public}"


def outreach_toml(ports: OutreachPorts) -> str:
    """The hub config tables: public listener, Mobile JKN both ways, WhatsApp to the simulator."""
    from hub.jkn.sim import PREFIX
    from hub.web.passwords import hash_password

    return f"""
[public]
host = "127.0.0.1"
port = {ports.public}

[booking]
closed_weekdays = []

[jkn]
ws_username = "bpjs"
ws_password = "{hash_password(ports.ws_password)}"
base_url = "http://127.0.0.1:{ports.jkn}{PREFIX}"

[whatsapp]
provider = "cloud"
base_url = "http://127.0.0.1:{ports.whatsapp}/v21.0"
phone_number_id = "1234567890"
token = "sim-token"
interval_s = 0.2
"""


def simulator_commands(antrean: list[str], ports: OutreachPorts) -> list[tuple[str, list[str]]]:
    """(label, argv) of the two simulators."""
    jkn = [*antrean, "jkn", "sim", "--port", str(ports.jkn), "--ws-url", f"{ports.public_url}/jkn"]
    jkn += ["--ws-username", "bpjs", "--ws-password", ports.ws_password, "--log-level", "WARNING"]
    whatsapp = [*antrean, "whatsapp", "sim", "--port", str(ports.whatsapp), "--log-level", "WARNING"]
    return [("jkn-sim", jkn), ("wa-sim", whatsapp)]


def _mobile(ports: OutreachPorts, action: str, body: dict[str, Any]) -> dict[str, Any]:
    url = f"http://127.0.0.1:{ports.jkn}/_sim/mobile/{action}"
    answer: dict[str, Any] = requests.post(url, json=body, timeout=15).json()
    return answer


def mobile_jkn_patient(ports: OutreachPorts, timezone: str = "Asia/Jakarta") -> str:
    """A BPJS participant registers and takes a number for today in Mobile JKN; returns what to print."""
    today = datetime.now(ZoneInfo(timezone)).date().isoformat()
    take = {
        **{"nomorkartu": CARD, "nik": NIK, "nohp": "081398765432", "kodepoli": "001"},
        **{"tanggalperiksa": today, "keluhan": "Batuk", "kodedokter": 0, "jampraktek": "", "norm": ""},
    }
    try:
        answer = _mobile(ports, "take", take)
        if answer.get("code") == 202:  # not a patient here yet: Mobile JKN registers them first
            _mobile(ports, "new_patient", NEW_PATIENT)
            answer = _mobile(ports, "take", take)
    except (requests.RequestException, ValueError) as error:
        return f"Mobile JKN: not reachable ({type(error).__name__})"
    if answer.get("code") != 200:
        return f"Mobile JKN: {answer.get('message') or answer.get('error')}"
    response = answer["response"]
    return f"Mobile JKN: nomor {response['nomorantrean']} diambil ({response['keterangan'].split('.')[0]})"


def whatsapp_summary(ports: OutreachPorts) -> str:
    try:
        messages = requests.get(f"http://127.0.0.1:{ports.whatsapp}/_sim/messages", timeout=5).json()[
            "messages"
        ]
    except (requests.RequestException, ValueError, KeyError):
        return "WhatsApp simulator: not reachable"
    names = ", ".join(f"{m['text']} to {m['to']}" for m in messages) or "none"
    return f"WhatsApp simulator received {len(messages)} message(s): {names}"
