"""``antrean jkn``: the password hash for the config, Mobile JKN calls from a terminal, and the simulator
acting as Mobile JKN towards a hub."""

from __future__ import annotations

import io
import json

import pytest

from hub.config import JknConfig
from hub.jkn import cli
from hub.jkn.sim import JknSimState, MobileJkn, create_app, demo_state
from hub.web.passwords import verify_password
from tests.jkn.conftest import CARD, NIK, PASSWORD, Site
from tests.jkn.test_ws import DAY


def test_hash_password_prints_an_argon2_hash_the_config_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Rahasia#BPJS1\n"))
    assert cli.main(["hash-password"]) == 0
    hashed = capsys.readouterr().out.strip()
    assert verify_password(hashed, "Rahasia#BPJS1")
    assert JknConfig(ws_username="bpjs", ws_password=hashed).ws_password == hashed
    with pytest.raises(ValueError, match="argon2 hash"):
        JknConfig(ws_password="Rahasia#BPJS1")
    monkeypatch.setattr("sys.stdin", io.StringIO("pendek\n"))
    assert cli.main(["hash-password"]) == cli.EXIT_USAGE


def test_mobile_calls_the_web_service_and_exits_by_its_code(
    pkm: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    pkm.add_patient()
    login = ["--ws-url", pkm.mobile.ws_url, "--username", "bpjs", "--password", PASSWORD]
    assert cli.main(["mobile", "status", "001", DAY, *login]) == 0
    assert json.loads(capsys.readouterr().out)["response"]["namapoli"] == "Poli Umum"
    take = ["--kartu", CARD, "--nik", NIK, "--poli", "001", "--tanggal", DAY]
    assert cli.main(["mobile", "ambil", *take, *login]) == 0
    assert json.loads(capsys.readouterr().out)["response"]["nomorantrean"] == "JA-001"
    assert cli.main(["mobile", "ambil", *take, *login]) == cli.EXIT_REFUSED
    assert "sudah mengambil antrean" in json.loads(capsys.readouterr().out)["message"]
    wrong = ["--ws-url", pkm.mobile.ws_url, "--username", "bpjs", "--password", "salah"]
    assert cli.main(["mobile", "auth", *wrong]) == cli.EXIT_REFUSED
    assert cli.main(["mobile", "auth", "--ws-url", "http://127.0.0.1:9/jkn", *wrong[2:]]) == cli.EXIT_PROTOCOL


def test_the_simulator_acts_as_mobile_jkn_towards_the_hub(pkm: Site) -> None:
    pkm.add_patient()
    state: JknSimState = demo_state()
    client = create_app(state, mobile=MobileJkn(pkm.mobile.ws_url, "bpjs", PASSWORD, state)).test_client()
    body = {"nomorkartu": CARD, "nik": NIK, "nohp": "", "kodepoli": "001", "tanggalperiksa": DAY}
    answer = client.post("/_sim/mobile/take", json=body).get_json()
    assert answer["code"] == 200 and answer["response"]["nomorantrean"] == "JA-001"
    assert (CARD, "001", DAY) in state.antrean  # the later panggil for it will be accepted
    assert (
        client.post("/_sim/mobile/status", json={"kodepoli": "001", "tanggal": DAY}).get_json()["code"] == 200
    )
    assert client.post("/_sim/mobile/hapus", json={}).status_code == 404
