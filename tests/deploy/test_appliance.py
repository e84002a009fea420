"""Issue 13, appliance hygiene: what the bundles ship (units that never give up and need no desktop,
journald capped, the hub as the site's time server) and how the node programs live with missing hardware:
a kiosk with its printer off keeps running and says so, and picks the printer up when it comes back;
a kiosk or TV without a screen exits with one clear line (systemd starts it again)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.kiosk_node.printsim import NetworkPrinterSimulator
from hub.broker import free_port
from protocol import NodeStatus, Topics
from tests.deploy.site import NODES, provision, write_site
from tests.support import Recorder, wait_until


def _ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("appliance")
    provision(write_site(tmp / "site.toml"), tmp / "out")
    return tmp / "out"


def test_node_units_restart_for_ever_and_draw_without_a_desktop(out: Path) -> None:
    for node, role in NODES.items():
        if role == "hub":
            continue
        text = (out / node / f"antrean-{role}.service").read_text()
        unit = _ini(text)  # a key given twice (Environment=) keeps its last value here
        assert unit["Service"]["Restart"] == "always" and unit["Unit"]["StartLimitIntervalSec"] == "0", node
        assert unit["Service"]["WatchdogSec"] == "30" and unit["Service"]["Type"] == "notify"
        if role in ("kiosk", "display"):
            assert "\nEnvironment=SDL_VIDEODRIVER=kmsdrm\n" in text  # KMS/DRM: no X, no Wayland
            assert "video" in unit["Service"]["SupplementaryGroups"]


def test_the_bundles_carry_journald_and_time_files_with_the_hub_filled_in(out: Path) -> None:
    for node, role in NODES.items():
        appliance = out / node / "appliance"
        journal = _ini((appliance / "journald.conf").read_text())["Journal"]
        chrony = (appliance / "chrony.conf").read_text()
        assert "{" not in chrony, node
        if role == "hub":
            assert journal["Storage"] == "persistent" and journal["SystemMaxUse"] == "200M"
            assert "allow 10.0.0.0/24\n" in chrony and "local stratum 10\n" in chrony
            assert not (appliance / "timesyncd.conf").exists()
        else:
            assert journal["Storage"] == "volatile" and journal["RuntimeMaxUse"] == "32M"
            assert "server 10.0.0.2 iburst\n" in chrony
            time = _ini((appliance / "timesyncd.conf").read_text())["Time"]
            assert time["NTP"] == "10.0.0.2" and time["FallbackNTP"] == ""


def test_a_hub_known_by_name_serves_time_to_any_client(tmp_path: Path) -> None:
    provision(write_site(tmp_path / "site.toml", hub_address="hub.pkm.lan"), tmp_path / "out")
    assert "allow 0.0.0.0/0\n" in (tmp_path / "out" / "hub" / "appliance" / "chrony.conf").read_text()
    node = (tmp_path / "out" / "kiosk-1" / "appliance" / "timesyncd.conf").read_text()
    assert "NTP=hub.pkm.lan\n" in node


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    return env | {"SDL_AUDIODRIVER": "dummy"} | extra


@pytest.mark.slow  # node programs
@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_without_a_screen_the_program_says_so_and_exits(role: str, tmp_path: Path) -> None:
    config = tmp_path / f"{role}.toml"
    config.write_text(f'node_id = "{role}-1"\n[mqtt]\nurl = "mqtt://127.0.0.1:9"\n')
    done = subprocess.run(
        [sys.executable, "-m", "antrean", role, "--config", str(config)],
        env=_env(SDL_VIDEODRIVER="kmsdrm", XDG_CACHE_HOME=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "cannot open the screen" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow  # the kiosk program and a broker
def test_a_kiosk_with_its_printer_unplugged_runs_on_and_picks_it_up(
    mqtt_url: str, site: str, tmp_path: Path
) -> None:
    port = free_port()  # a network printer switched off: nothing listens there yet
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'site = "{site}"\nnode_id = "kiosk-1"\n[mqtt]\nurl = "{mqtt_url}"\n'
        f'[printer]\nbackend = "network"\nhost = "127.0.0.1"\nport = {port}\nstatus_interval_s = 0.5\n'
        "[screen]\nfullscreen = false\n"
    )
    topic = Topics(site).node_status("kiosk-1")
    recorder = Recorder(mqtt_url, topic)

    def printer() -> object:
        messages = recorder.on(topic)
        return NodeStatus.decode(messages[-1].payload).details.get("printer") if messages else None

    with (tmp_path / "kiosk.log").open("w") as log:
        kiosk = subprocess.Popen(
            [sys.executable, "-m", "antrean", "kiosk", "--config", str(config)],
            env=_env(SDL_VIDEODRIVER="dummy"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: printer() == "offline", 30)
        switched_on = NetworkPrinterSimulator("ok", port=port)
        try:
            wait_until(lambda: printer() == "ok", 15)
            assert switched_on.status_requests > 0
        finally:
            switched_on.close()
        assert kiosk.poll() is None  # never restarted
    finally:
        kiosk.terminate()
        code = kiosk.wait(15)
        recorder.close()
    assert code == 0, (tmp_path / "kiosk.log").read_text()[-2000:]
