"""Secrets at rest: AES-GCM with a key outside the database, write-only for the web, used by the bridge."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.secretbox import SecretBox, SecretError, load_or_create_key_file
from hub.bpjs.service import BpjsBridge, start_bridge
from hub.bpjs.settings import PcareSettings, SettingsError, load_settings, save_settings, set_default_box
from hub.bpjs.simulator import SimulatorServer
from hub.config import BpjsSettings, HubConfig
from hub.db.models import BpjsConfig
from tests.bpjs.conftest import ACTIVE, CREDS, JAKARTA

BOX = SecretBox(bytes(range(32)))
VALUES: dict[str, str | None] = {
    "base_url": "https://apijkn-dev.bpjs-kesehatan.go.id/pcare-rest-dev",
    "cons_id": "1234",
    "secret": "rahasia-konsumen",
    "user_key": "kunci-pengguna-9f8e",
    "username": "pkm_gladak",
    "password": "Sandi#PCare1",
    "provider_code": "0901R001",
    "provider_name": "PUSKESMAS GLADAK PAKEM",
    "read_timeout_s": "8",
}


def raw_rows(sessions: sessionmaker[Session]) -> dict[str, BpjsConfig]:
    with sessions() as session:
        return {row.config_key: row for row in session.scalars(select(BpjsConfig))}


def test_secrets_are_encrypted_at_rest(sessions: sessionmaker[Session]) -> None:
    changed = save_settings(sessions, VALUES, None, box=BOX)
    assert set(changed) == set(VALUES)
    rows = raw_rows(sessions)
    stored = " ".join(row.config_value for row in rows.values())
    for secret in ("rahasia-konsumen", "kunci-pengguna-9f8e", "Sandi#PCare1"):
        assert secret not in stored
    assert rows["consumer_secret"].is_encrypted and rows["consumer_secret"].config_value.startswith("gcm1:")
    assert rows["consumer_id"].config_value == "1234" and not rows["consumer_id"].is_encrypted
    settings = load_settings(sessions, box=BOX)
    assert (settings.secret, settings.user_key, settings.password) == (
        "rahasia-konsumen",
        "kunci-pengguna-9f8e",
        "Sandi#PCare1",
    )
    assert settings.read_timeout_s == 8.0 and settings.configured
    assert "rahasia" not in repr(settings) and "Sandi" not in repr(settings)


def test_web_view_is_write_only(sessions: sessionmaker[Session]) -> None:
    save_settings(sessions, VALUES, None, box=BOX)
    view = load_settings(sessions, box=BOX).public_view()
    assert view["secret"] is True and view["password"] is True and view["user_key"] is True
    assert view["cons_id"] == "1234" and view["provider_code"] == "0901R001"
    before = raw_rows(sessions)["consumer_secret"].config_value
    save_settings(sessions, {"secret": "", "password": "", "cons_id": "5678"}, None, box=BOX)  # blank: keep
    assert raw_rows(sessions)["consumer_secret"].config_value == before
    assert load_settings(sessions, box=BOX).cons_id == "5678"
    save_settings(sessions, {"password": None}, None, box=BOX)  # None: remove
    assert load_settings(sessions, box=BOX).public_view()["password"] is False


@pytest.mark.parametrize(
    "values",
    [{"unknown": "x"}, {"base_url": "ftp://x"}, {"read_timeout_s": "lama"}, {"connect_timeout_s": "0"}],
)
def test_bad_values_are_refused_naming_the_field(
    sessions: sessionmaker[Session], values: dict[str, str]
) -> None:
    with pytest.raises(SettingsError) as caught:
        save_settings(sessions, values, None, box=BOX)  # type: ignore[arg-type]
    assert next(iter(values)) in str(caught.value)


def test_a_wrong_key_leaves_secrets_unset(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    save_settings(sessions, VALUES, None, box=BOX)
    other = load_settings(sessions, box=SecretBox(bytes(32)))
    assert other.secret == "" and not other.configured and other.cons_id == "1234"
    assert "cannot be decrypted" in caplog.text and "rahasia" not in caplog.text


def test_ciphertexts_are_bound_to_their_setting() -> None:
    stored = BOX.encrypt("rahasia", "consumer_secret")
    with pytest.raises(SecretError):
        BOX.decrypt(stored, "pcare_password")


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bpjs.key"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key) == 32 and load_or_create_key_file(path) == key


def test_key_from_the_environment_wins(tmp_path: Path) -> None:
    env_key = base64.b64encode(bytes(range(32))).decode()
    box = SecretBox.from_sources(tmp_path / "never.key", env={"ANTREAN_BPJS_KEY": env_key})
    assert box.decrypt(BOX.encrypt("x", "user_key"), "user_key") == "x"
    assert not (tmp_path / "never.key").exists()
    with pytest.raises(SecretError):
        SecretBox.from_sources(tmp_path / "never.key", env={"ANTREAN_BPJS_KEY": "short"})


def test_database_settings_override_the_config_and_reach_the_bridge(
    sessions: sessionmaker[Session], sim: SimulatorServer
) -> None:
    config = BpjsSettings(base_url=sim.url, cons_id=CREDS.cons_id, read_timeout_s=2)
    bridge = BpjsBridge(sessions, config, tz=JAKARTA, box=BOX)
    assert not bridge.configured()
    bridge.save_settings(
        {"secret": CREDS.secret, "user_key": CREDS.user_key, "username": CREDS.username, "password": "salah"},
        None,
    )
    assert bridge.check_participant(card=ACTIVE).error_code == "unauthorized"
    bridge.save_settings({"password": CREDS.password}, None)  # the admin fixes it; no restart needed
    assert bridge.check_participant(card=ACTIVE).ok
    assert bridge.settings_view()["password"] is True


def test_start_bridge_creates_the_key_file_and_starts_the_worker(
    tmp_path: Path, sessions: sessionmaker[Session], sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTREAN_BPJS_KEY", raising=False)
    config = HubConfig(
        data_dir=str(tmp_path / "data"),
        bpjs=BpjsSettings(
            base_url=sim.url,
            cons_id=CREDS.cons_id,
            secret=CREDS.secret,
            user_key=CREDS.user_key,
            username=CREDS.username,
            password=CREDS.password,
        ),
    )
    bridge = start_bridge(config, sessions)
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "data" / "bpjs.key").st_mode) == 0o600
        assert bridge.configured() and bridge.check_participant(card=ACTIVE).ok
        bridge.save_settings({"user_key": "kunci-baru"}, None)
        assert "kunci-baru" not in raw_rows(sessions)["user_key"].config_value
        assert load_settings(sessions).user_key == "kunci-baru"  # default key registered by start_bridge
    finally:
        bridge.stop()
        set_default_box(None)


def test_from_config_keeps_defaults() -> None:
    settings = PcareSettings.from_config(BpjsSettings())
    assert settings.app_code == "095" and settings.connect_timeout_s == 3.0 and not settings.configured
