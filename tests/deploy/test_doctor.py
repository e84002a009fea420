"""``antrean doctor``: every verdict from its pure check, role detection, and runs against a real hub started
from its provisioned bundle (embedded broker, TLS, one account per node): all OK with the node's own
config, FAIL for a wrong password, a CA the broker's certificate does not chain to, and a clock two
minutes off; the report reaches the hub's database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from antrean.config import load_config
from antrean.doctor import checks, probes
from antrean.doctor.cli import render
from antrean.doctor.roles import load_role
from antrean.doctor.run import Doctor, Result
from benchmarks.harness import HubProcess
from hub.broker import free_port
from hub.config import HubConfig
from hub.db.models import NodeHealth
from protocol import NodeStatus
from tests.deploy.site import provision, write_site
from tests.deploy.test_tls_site import Site, _site

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------- verdicts


def test_certificate_warns_a_month_ahead_and_fails_once_expired() -> None:
    assert checks.certificate("ca-cert", "CA x", NOW + timedelta(days=400), NOW).level == "OK"
    soon = checks.certificate("ca-cert", "CA x", NOW + timedelta(days=12), NOW)
    assert soon.level == "WARN" and "in 12 days" in soon.detail
    assert checks.certificate("ca-cert", "CA x", NOW - timedelta(seconds=1), NOW).level == "FAIL"


def test_clock_offset_levels() -> None:
    assert checks.clock_offset(4.9).level == "OK"
    assert checks.clock_offset(-5.5).level == "WARN" and "behind" in checks.clock_offset(-5.5).detail
    assert checks.clock_offset(61).level == "FAIL"
    assert checks.clock_offset(None, "the hub is offline").detail.endswith("the hub is offline")


def test_disk_space_warns_below_ten_percent_or_500_mb() -> None:
    gb = 1_000_000_000
    assert checks.disk_space("/d", total=32 * gb, free=8 * gb).level == "OK"
    assert checks.disk_space("/d", total=32 * gb, free=3 * gb).level == "WARN"  # under 10 %
    assert checks.disk_space("/d", total=2 * gb, free=400_000_000).level == "WARN"  # under 500 MB


def test_watchdog_from_the_environment_or_the_unit_file() -> None:
    unit = "antrean-kiosk.service"
    assert checks.watchdog({"WATCHDOG_USEC": "30000000"}, unit, None).level == "OK"
    assert checks.watchdog({}, unit, "[Service]\nWatchdogSec=30\n").level == "OK"
    assert checks.watchdog({}, unit, "[Service]\nType=simple\n").level == "FAIL"
    missing = checks.watchdog({}, unit, None)
    assert missing.level == "WARN" and missing.detail.startswith("not under systemd")


def test_gpio_pins_claimed_with_the_mock_factory() -> None:
    factory, error = probes.claim_pins(["GPIO5", "GPIO6"], MockFactory())
    assert (factory, error) == ("MockFactory", None)
    assert checks.gpio_pins(["GPIO5", "GPIO6"], factory, error).level == "OK"
    assert checks.gpio_pins(["GPIO5", "GPIO5"], factory, None).level == "FAIL"
    assert checks.gpio_pins([], factory, None).level == "FAIL"
    _factory, bad = probes.claim_pins(["GPIO99"], MockFactory())
    assert bad is not None and checks.gpio_pins(["GPIO99"], None, bad).level == "FAIL"


def test_voice_and_printer_verdicts(tmp_path: Path) -> None:
    assert checks.voice("auto", None, False, "/usr/bin/espeak-ng").level == "OK"
    assert checks.voice("auto", "/v/id.onnx", False, "/usr/bin/espeak-ng").level == "WARN"
    assert checks.voice("auto", "/v/id.onnx", False, None).level == "FAIL"
    assert checks.voice("auto", "/v/id.onnx", True, None).level == "OK"
    from firmware.kiosk_node.config import PrinterConfig

    device = tmp_path / "lp0"
    missing = PrinterConfig(backend="file", file_path=str(device))
    name, state, error = probes.printer_state(missing)
    assert checks.printer("file", name, state, error).level == "FAIL" and "does not exist" in str(error)
    device.write_bytes(b"")
    assert checks.printer("file", *probes.printer_state(missing)).level == "OK"
    assert checks.printer("dummy", "dummy", "ok", None).level == "WARN"
    assert checks.printer("usb", "usb 0416:5011", "paper_out", None).detail.endswith("paper out")


def test_hub_clock_ignores_the_retained_copy_and_takes_the_next_live_one() -> None:
    now = [NOW]
    hub_clock = probes.HubClock(lambda: now[0])

    def status(at: datetime) -> bytes:
        return NodeStatus(node="hub", role="hub", state="online", version="1", hub_time=at).encode()

    hub_clock.on_status(status(NOW - timedelta(seconds=4)), retained=True)  # of unknown age
    assert hub_clock.offsets == []
    now[0] = NOW + timedelta(seconds=7)
    hub_clock.on_status(status(NOW), retained=True)  # amqtt may keep the flag: newer than the first
    assert hub_clock.offsets == [7.0] and probes.wait_for_hub_time(hub_clock, 0) == 7.0


def test_role_found_from_the_config(tmp_path: Path) -> None:
    kiosk = tmp_path / "node.toml"
    kiosk.write_text('node_id = "kiosk-3"\n[printer]\nbackend = "dummy"\n')
    assert load_role(str(kiosk), env={}).role == "kiosk"
    counter = tmp_path / "counter.toml"
    counter.write_text('node_id = "loket-a"\n')
    assert load_role(str(counter), env={}).role == "counter"
    bad = tmp_path / "display.toml"
    bad.write_text('node_id = "display-1"\n[voice]\nvolume = 7\n')
    loaded = load_role(str(bad), env={})
    assert loaded.role is None and loaded.error is not None and "voice.volume" in loaded.error
    line = checks.config_valid(str(bad), None, loaded.error)
    assert line.level == "FAIL" and "\n" not in line.detail
    result = Result([line])
    assert render(result).splitlines()[0].startswith("FAIL  config")


# ---------------------------------------------------------------- against a running hub


def _kiosk_toml(
    site: Site, tmp_path: Path, *, password: str | None = None, ca_file: str | None = None
) -> Path:
    text = (site.out / "kiosk-1" / "kiosk.toml").read_text().replace("@10.0.0.2:", "@127.0.0.1:")
    if password is not None:
        url = site.url("kiosk-1")
        text = text.replace(url.split(":")[2].split("@")[0], password)
    if ca_file is not None:
        text = text.replace(site.ca_file, ca_file)
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    path = tmp_path / f"kiosk-{len(list(tmp_path.glob('kiosk-*.toml')))}.toml"
    path.write_text(text + f'\n[printer]\nbackend = "file"\nfile_path = "{device}"\n')
    return path


def _lines(result: Result) -> dict[str, str]:
    return {c.name: c.level for c in result.checks}


@pytest.mark.slow  # a hub process from its bundle, TLS, several doctor runs
def test_doctor_against_a_hub_started_from_its_bundle(tmp_path: Path) -> None:
    site = _site(tmp_path)
    units = tmp_path / "units"
    units.mkdir()
    (units / "antrean-kiosk.service").write_text((site.out / "kiosk-1" / "antrean-kiosk.service").read_text())
    hub = HubProcess(site.prefix / "hub.toml", tmp_path / "hub.log").start()
    try:
        good = _kiosk_toml(site, tmp_path)
        result = Doctor(str(good), env={}, unit_dirs=(units,)).run()
        assert all(c.level == "OK" for c in result.checks), render(result)
        assert list(_lines(result)) == [
            "config", "ca-cert", "tls", "broker-cert", "broker", "printer", "disk", "watchdog", "clock",
        ]  # fmt: skip
        assert result.sent and result.report is not None and result.report.clock_offset_s is not None
        assert abs(result.report.clock_offset_s) < 2

        wrong = Doctor(str(_kiosk_toml(site, tmp_path, password="Wrong-Password-123")), env={}).run()
        assert _lines(wrong)["broker"] == "FAIL" and wrong.failed and not wrong.sent
        assert "refused account kiosk-1" in next(c.detail for c in wrong.checks if c.name == "broker")
        assert _lines(wrong)["tls"] == "OK"

        other = tmp_path / "other-site"
        provision(write_site(tmp_path / "other.toml"), other)
        stranger = Doctor(
            str(_kiosk_toml(site, tmp_path, ca_file=str(other / "ca" / "ca.crt"))), env={}
        ).run()
        assert _lines(stranger)["tls"] == "FAIL" and _lines(stranger)["broker"] == "FAIL"
        assert "not trusted" in next(c.detail for c in stranger.checks if c.name == "tls")

        def late() -> datetime:
            return datetime.now(UTC) + timedelta(minutes=2)

        skewed = Doctor(str(good), env={}, clock=late).run()
        assert _lines(skewed)["clock"] == "FAIL" and skewed.failed
        assert skewed.report is not None and skewed.report.clock_offset_s is not None
        assert 115 < skewed.report.clock_offset_s < 125

        command = subprocess.run(
            [sys.executable, "-m", "antrean", "doctor", "--config", str(good)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert command.returncode == 0, command.stdout + command.stderr
        assert command.stdout.startswith("OK    config")
        assert "report sent to the hub" in command.stdout
        failing = subprocess.run(
            [sys.executable, "-m", "antrean", "doctor", "--config", str(tmp_path / "kiosk-1.toml")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert failing.returncode == 1 and "FAIL  broker" in failing.stdout

        on_hub = Doctor(str(site.prefix / "hub.toml"), env={}, unit_dirs=(units,)).run()
        assert _lines(on_hub) == {
            "config": "OK", "broker": "OK", "tls": "OK", "broker-cert": "OK", "disk": "OK",
            "watchdog": "WARN", "clock": "OK", "database": "OK",
        }, render(on_hub)  # fmt: skip

        config = load_config(HubConfig, site.prefix / "hub.toml", env={})
        engine = create_engine(config.database_url)
        try:
            with Session(engine) as session:
                row = session.scalar(select(NodeHealth).where(NodeHealth.node == "kiosk-1"))
                own = session.get(NodeHealth, "hub")
            assert row is not None and row.doctor_result is not None and row.doctor_at is not None
            assert row.doctor_result["ok"] is True  # the last report sent: the command's
            assert row.clock_offset_s is not None and abs(row.clock_offset_s) < 2
            assert own is not None and own.role == "hub" and own.doctor_result is not None
            assert own.state == "online"  # its broker answered
        finally:
            engine.dispose()
    finally:
        hub.stop()


def test_display_and_counter_checks_without_a_broker(tmp_path: Path) -> None:
    """The role's own lines come whatever the broker says; the audio opener and the pin factory are seams."""
    port = free_port()  # nothing listens: the broker check fails, the others still run
    display = tmp_path / "display.toml"
    display.write_text(
        f'node_id = "display-1"\n[mqtt]\nurl = "mqtt://display-1:x@127.0.0.1:{port}"\n'
        f'[voice]\ncache_dir = "{tmp_path / "cache"}"\npiper_model = "{tmp_path / "id.onnx"}"\n'
    )
    result = Doctor(
        str(display), env={}, open_audio=lambda device: "cannot open audio output (default): no device"
    ).run()
    lines = _lines(result)
    assert lines["tls"] == "WARN" and lines["broker"] == "FAIL" and lines["audio"] == "FAIL"
    assert lines["voice"] in ("WARN", "FAIL")  # the piper voice file is missing: espeak-ng, if installed
    assert lines["clock"] == "WARN" and not result.sent
    counter = tmp_path / "counter.toml"
    counter.write_text(f'node_id = "counter-1"\n[mqtt]\nurl = "mqtt://counter-1:x@127.0.0.1:{port}"\n')
    ok_pins = _lines(Doctor(str(counter), env={}, pin_factory=MockFactory()).run())
    assert ok_pins["gpio"] == "OK"
    _role, *rest = list(ok_pins)
    assert rest == ["tls", "broker", "gpio", "disk", "watchdog", "clock"]
