"""``antrean bpjs ...`` against the simulator, including ``antrean bpjs sim`` as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.cli import main
from hub.bpjs.secretbox import SecretBox
from hub.bpjs.settings import save_settings
from hub.bpjs.simulator import SimulatorServer
from hub.broker import free_port
from tests.bpjs.conftest import ACTIVE, ASTRAL, CREDS, INACTIVE


def flags(sim: SimulatorServer) -> list[str]:
    return [
        "--base-url",
        sim.url,
        "--cons-id",
        CREDS.cons_id,
        "--secret",
        CREDS.secret,
        "--user-key",
        CREDS.user_key,
        "--username",
        CREDS.username,
        "--password",
        CREDS.password,
        "--timeout",
        "2",
    ]


def test_peserta_by_card_prints_json(sim: SimulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["peserta", ASTRAL, *flags(sim)]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["nama"] == "TAN 𠮷 MEI LING 🌺 陈美玲" and data["aktif"] is True
    assert "aktif" in err.lower()


def test_peserta_by_nik_inactive_is_said_clearly(
    sim: SimulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["peserta", "--nik", "3509123456780002", *flags(sim)]) == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["no_kartu"] == INACTIVE
    assert "PESERTA TIDAK AKTIF" in err


def test_peserta_not_found(sim: SimulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["peserta", "0009999999999", *flags(sim)]) == 4
    assert "tidak ditemukan" in capsys.readouterr().err


def test_bad_credentials_and_missing_ones(sim: SimulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["peserta", ACTIVE, *flags(sim), "--secret", "salah"]) == 1
    assert "ditolak" in capsys.readouterr().err
    assert main(["peserta", ACTIVE, "--base-url", sim.url]) == 2
    assert "kredensial" in capsys.readouterr().err


def test_poli_dokter_daftar_kunjungan_batal(sim: SimulatorServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["poli", *flags(sim)]) == 0
    assert json.loads(capsys.readouterr().out)[0] == {"kd_poli": "001", "nm_poli": "UMUM", "poli_sakit": True}
    assert main(["dokter", *flags(sim)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert main(["daftar", ACTIVE, "--poli", "001", "--keluhan", "Demam", *flags(sim)]) == 0
    assert json.loads(capsys.readouterr().out) == {"noUrut": "A2", "sudahTerdaftar": False}
    assert main(["daftar", ACTIVE, "--poli", "001", *flags(sim)]) == 0  # checked first: not sent again
    assert json.loads(capsys.readouterr().out) == {"noUrut": "A2", "sudahTerdaftar": True}
    assert sim.state.stats.posts == 1
    assert main(["daftar", INACTIVE, "--poli", "001", *flags(sim)]) == 3
    capsys.readouterr()
    assert main(["kunjungan", *flags(sim)]) == 0
    assert [v["no_urut"] for v in json.loads(capsys.readouterr().out)] == ["A1", "A2"]
    assert main(["batal", ACTIVE, "--no-urut", "A2", "--poli", "001", *flags(sim)]) == 0
    assert "dibatalkan" in capsys.readouterr().err
    assert sim.state.registrations_of(ACTIVE) == []


def test_credentials_from_the_hub_config_and_database(
    tmp_path: Path,
    database_url: str,
    sessions: sessionmaker[Session],
    sim: SimulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTREAN_BPJS_KEY", raising=False)
    key_file = tmp_path / "bpjs.key"
    from hub.bpjs.secretbox import load_or_create_key_file

    box = SecretBox(load_or_create_key_file(key_file))
    secrets = {"secret": CREDS.secret, "user_key": CREDS.user_key, "password": CREDS.password}
    save_settings(sessions, secrets, None, box=box)  # type: ignore[arg-type]
    config = tmp_path / "hub.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\n[database]\nurl = "{database_url}"\n'
        f'[bpjs]\nbase_url = "{sim.url}"\nkey_file = "{key_file}"\n'
        f'cons_id = "{CREDS.cons_id}"\nusername = "{CREDS.username}"\n',
        encoding="utf-8",
    )
    assert main(["peserta", ACTIVE, "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["nama"] == "BUDI SANTOSO"
    assert main(["outbox", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["summary"] == {"pending": 0, "sent": 0, "failed": 0}


@pytest.mark.slow  # the simulator's process
def test_sim_command_serves_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    args = ["--cons-id", CREDS.cons_id, "--secret", CREDS.secret, "--user-key", CREDS.user_key]
    args += ["--username", CREDS.username, "--password", CREDS.password]
    process = subprocess.Popen(
        [sys.executable, "-m", "antrean.cli", "bpjs", "sim", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/pcare-rest" in line
        base = ["--base-url", f"http://127.0.0.1:{port}/pcare-rest", *args]
        assert main(["peserta", ASTRAL, *base]) == 0
        assert json.loads(capsys.readouterr().out)["nama"] == "TAN 𠮷 MEI LING 🌺 陈美玲"
    finally:
        process.terminate()
        code = process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert code == 0


def test_demo_hub_config_points_at_the_simulator(tmp_path: Path) -> None:
    from antrean.config import load_config
    from hub.bpjs.settings import PcareSettings
    from hub.bpjs.simulator import DEMO_CREDENTIALS, hub_toml
    from hub.config import HubConfig

    path = tmp_path / "hub.toml"
    path.write_text(hub_toml("http://127.0.0.1:8089/pcare-rest"), encoding="utf-8")
    settings = PcareSettings.from_config(load_config(HubConfig, path, env={}).bpjs)
    assert settings.configured and settings.base_url == "http://127.0.0.1:8089/pcare-rest"
    assert (settings.cons_id, settings.secret, settings.password) == (
        DEMO_CREDENTIALS.cons_id,
        DEMO_CREDENTIALS.secret,
        DEMO_CREDENTIALS.password,
    )
    assert settings.provider_code == "0901R001"
