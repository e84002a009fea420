"""Strict configuration, the generated configuration reference and the command line."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.config import ConfigError, load_config
from antrean.configdoc import DOC_PATH, render
from hub.config import HubConfig

ANTREAN = [sys.executable, "-m", "antrean"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ANTREAN, *args], capture_output=True, text=True, timeout=timeout)


def test_configuration_reference_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run: python -m antrean.configdoc"


def test_the_keys_of_the_issue_exist(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(
        'site = "pkm"\ndata_dir = "/var/lib/antrean"\n[broker]\nport = 1883\n[mqtt]\nurl = ""\n'
        '[database]\nurl = ""\n[web]\nport = 8080\n[queue]\npriority_ratio = "2:1"\n'
        'operating_start = "07:30"\noperating_end = "14:00"\nreset_time = "06:00"\n',
        encoding="utf-8",
    )
    config = load_config(HubConfig, path, env={})
    assert config.queue.priority_ratio == "2:1" and config.broker.port == 1883


def test_unknown_and_bad_keys_are_named(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[queue]\npriority_ratio = "two"\nreset = "06:00"\n[web]\nport = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(HubConfig, path, env={})
    message = str(caught.value)
    assert "queue.priority_ratio" in message and "queue.reset: unknown key" in message
    assert "web.port" in message and str(path) in message


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('site = "a"\n[queue]\nreset_time = "05:00"\n', encoding="utf-8")
    config = load_config(
        HubConfig,
        path,
        env={"ANTREAN_SITE": "b", "ANTREAN_QUEUE_RESET_TIME": "04:30", "ANTREAN_TEST_MQTT_URL": "ignored"},
    )
    assert (config.site, config.queue.reset_time) == ("b", "04:30")


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("site = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(HubConfig, bad, env={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(HubConfig, tmp_path / "none.toml", env={})


def test_cli_version_help_and_unknown_command() -> None:
    assert run("--version").stdout.startswith("antrean ")
    assert "demo" in run("--help").stdout
    unknown = run("fly")
    assert unknown.returncode == 2 and "unknown command" in unknown.stderr


@pytest.mark.slow  # antrean hub processes
def test_hub_check_config(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('site = "pkm"\n[mqtt]\nurl = "mqtt://127.0.0.1:1883"\n', encoding="utf-8")
    assert run("hub", "--config", str(good), "--check-config").returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[queue]\nratio = 1\n", encoding="utf-8")
    result = run("hub", "--config", str(bad), "--check-config")
    assert result.returncode == 2 and "queue.ratio: unknown key" in result.stderr


@pytest.mark.slow  # an antrean hub process
def test_taken_broker_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        config = tmp_path / "hub.toml"
        config.write_text(
            f'data_dir = "{tmp_path}"\n[broker]\nhost = "127.0.0.1"\nport = {port}\n'
            "allow_anonymous = true\n[web]\nport = 0\n",
            encoding="utf-8",
        )
        result = run("hub", "--config", str(config))
    assert result.returncode == 3
    assert f"port {port}" in result.stderr and "already in use" in result.stderr


@pytest.mark.slow  # antrean db processes
def test_db_upgrade(tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    result = run("db", "upgrade", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert run("db", "upgrade", "--config", str(config)).returncode == 0  # idempotent
