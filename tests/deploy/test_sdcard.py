"""Issue 13, first boot without a keyboard: ``antrean provision sdcard`` writes a boot partition (here a
folder standing in for it); its ``firstrun.sh`` runs in a sandbox root (``ANTREAN_SYSROOT``, with recording
``systemctl``/``useradd``/... on PATH) and its ``firstboot.sh`` installs Antrean from a running hub's
``/wheels/`` over HTTP, with pip's own configuration switched off so nothing else can serve it."""

from __future__ import annotations

import filecmp
import os
import shutil
import stat
import subprocess
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from antrean.provision.sdcard import RUN_ARGS
from antrean.provision.sdcard import main as sdcard
from hub.broker import free_port
from tests.deploy.conftest import GOOD
from tests.deploy.releases import calls, fake_systemctl, pip_env
from tests.deploy.site import provision, write_site
from tests.support import wait_until

CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes "
    "rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
)
SCRIPTS = ("firstrun.sh", "antrean/firstboot.sh")
# the system commands firstrun.sh changes the machine with: recorded, like systemctl
RECORDED = ("useradd", "usermod", "chown")


def _card(tmp_path: Path, name: str = "bootfs") -> Path:
    boot = tmp_path / name
    boot.mkdir()
    (boot / "cmdline.txt").write_text(CMDLINE)
    (boot / "config.txt").write_text("dtparam=audio=on\n")
    return boot


def _provisioned(tmp_path: Path, **site: object) -> Path:
    out = tmp_path / "out"
    provision(write_site(tmp_path / "site.toml", **site), out)  # type: ignore[arg-type]
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_card_gets_the_bundle_the_scripts_and_one_cmdline_line(tmp_path: Path) -> None:
    out, boot = _provisioned(tmp_path), _card(tmp_path)
    assert (
        sdcard(
            [
                "kiosk-1",
                "--bundle",
                str(out),
                "--boot",
                str(boot),
                "--user",
                "teknisi",
                "--password-hash",
                "$6$salt$hash",
                "--ssh",
            ]
        )
        == 0
    )
    cmdline = (boot / "cmdline.txt").read_text()
    assert cmdline.count("\n") == 1 and cmdline.endswith("\n")
    assert (
        cmdline == CMDLINE.rstrip("\n") + " " + " ".join(RUN_ARGS) + "\n"
    )  # the original args kept, in order
    assert "systemd.run=/boot/firmware/firstrun.sh" in cmdline
    for name in (
        "kiosk.toml",
        "ca.crt",
        "antrean-kiosk.service",
        "antrean-firstboot.service",
        "firstboot.env",
        "appliance/journald.conf",
        "appliance/timesyncd.conf",
        "appliance/chrony.conf",
    ):
        assert (boot / "antrean" / name).is_file(), name
    assert (boot / "antrean" / "kiosk.toml").read_bytes() == (out / "kiosk-1" / "kiosk.toml").read_bytes()
    env = (boot / "antrean" / "firstboot.env").read_text()
    assert "NODE_ID=kiosk-1\n" in env and "WHEELHOUSE=http://10.0.0.2:8080/wheels/\n" in env
    assert "ROOT=/opt/antrean\n" in env and "VERSION=" in env
    assert (boot / "userconf.txt").read_text() == "teknisi:$6$salt$hash\n" and (boot / "ssh").exists()
    assert (boot / "config.txt").read_text() == "dtparam=audio=on\n"  # nothing else touched
    for script in SCRIPTS:
        assert os.access(boot / script, os.X_OK)
        checked = subprocess.run(["bash", "-n", str(boot / script)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        if shutil.which("shellcheck"):
            linted = subprocess.run(["shellcheck", str(boot / script)], capture_output=True, text=True)
            assert linted.returncode == 0, linted.stdout

    # the same command again gives the same card (cmdline.txt not appended twice)
    before = _tree(boot)
    assert sdcard(["kiosk-1", "--bundle", str(out), "--boot", str(boot)]) == 0
    assert _tree(boot) == before


def test_a_fat_partition_without_permissions_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, boot = _provisioned(tmp_path), _card(tmp_path)

    def no_modes_on_fat(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # what vfat answers to chmod

    monkeypatch.setattr(os, "chmod", no_modes_on_fat)
    monkeypatch.setattr(os, "fchmod", no_modes_on_fat)
    assert sdcard(["counter-1", "--bundle", str(out), "--boot", str(boot), "--ssh"]) == 0
    assert (boot / "antrean" / "counter.toml").is_file() and (boot / "firstrun.sh").is_file()
    assert (boot / "ssh").exists()


def test_an_imager_first_run_script_is_kept_and_run_first(tmp_path: Path) -> None:
    out, boot = _provisioned(tmp_path), _card(tmp_path)
    (boot / "firstrun.sh").write_text("#!/bin/bash\n# Imager's customisation\n")
    imager_args = (
        " systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot "
        "systemd.unit=kernel-command-line.target"
    )
    (boot / "cmdline.txt").write_text(CMDLINE.rstrip("\n") + imager_args + "\n")
    assert sdcard(["display-1", "--bundle", str(out), "--boot", str(boot)]) == 0
    assert (boot / "firstrun-imager.sh").read_text() == "#!/bin/bash\n# Imager's customisation\n"
    assert (boot / "cmdline.txt").read_text() == CMDLINE.rstrip("\n") + " " + " ".join(RUN_ARGS) + "\n"
    assert 'bash "$BOOT/firstrun-imager.sh"' in (boot / "firstrun.sh").read_text()


@pytest.mark.parametrize(
    ("node", "boot_has_cmdline", "message"),
    [
        ("kiosk-9", True, "no bundle of node 'kiosk-9'"),
        ("hub", True, "installed by hand"),
        ("kiosk-1", False, "not a Raspberry Pi OS boot partition"),
    ],
)
def test_wrong_cards_and_nodes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], node: str, boot_has_cmdline: bool, message: str
) -> None:
    out, boot = _provisioned(tmp_path), _card(tmp_path)
    if not boot_has_cmdline:
        (boot / "cmdline.txt").unlink()
    assert sdcard([node, "--bundle", str(out), "--boot", str(boot)]) == 1
    assert message in capsys.readouterr().err
    assert not (boot / "firstrun.sh").exists() and not (boot / "antrean").exists()


def _sandbox(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A root file system with what firstrun.sh reads, and an environment whose system commands record."""
    root, fake = tmp_path / "sysroot", tmp_path / "fake"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("raspberrypi\n")
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    (root / "etc" / "chrony").mkdir()
    bin_dir = fake_systemctl(fake)
    for name in RECORDED:
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_SYSTEMCTL_DIR/calls"\n')
        (bin_dir / name).chmod(0o755)
    env = pip_env(bin_dir) | {"FAKE_SYSTEMCTL_DIR": str(fake), "ANTREAN_SYSROOT": str(root)}
    return root, fake, env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _firstrun(boot: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(boot / "firstrun.sh")],
        env=env | {"ANTREAN_BOOT": str(boot)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_first_boot_installs_the_bundle_and_antrean_from_the_hubs_wheelhouse(
    tmp_path: Path, wheelhouse: Path, hub_runner: Callable[..., object]
) -> None:
    web_port = free_port()
    out = _provisioned(tmp_path, hub_address="127.0.0.1", web_port=web_port)
    boot = _card(tmp_path)
    assert sdcard(["kiosk-1", "--bundle", str(out), "--boot", str(boot), "--version", GOOD]) == 0
    card = tmp_path / "card-copy"
    shutil.copytree(boot, card)  # for running step 1 a second time
    root, fake, env = _sandbox(tmp_path)

    # step 1, at boot before the network: the bundle installed, the partition cleaned, cmdline.txt restored
    done = _firstrun(boot, env)
    assert done.returncode == 0, done.stderr
    assert (root / "etc" / "hostname").read_text() == "kiosk-1\n"
    assert "127.0.1.1\tkiosk-1" in (root / "etc" / "hosts").read_text()
    config = root / "etc" / "antrean" / "kiosk.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o640 and "chown root:antrean " + str(config) in calls(fake)
    assert tomllib.loads(config.read_text())["node_id"] == "kiosk-1"
    assert stat.S_IMODE((root / "etc" / "antrean" / "firstboot.env").stat().st_mode) == 0o600
    units = root / "etc" / "systemd" / "system"
    assert (units / "antrean-kiosk.service").is_file() and (units / "antrean-firstboot.service").is_file()
    assert "Storage=volatile" in (root / "etc/systemd/journald.conf.d/antrean.conf").read_text()
    assert "NTP=127.0.0.1\n" in (root / "etc/systemd/timesyncd.conf.d/antrean.conf").read_text()
    assert "server 127.0.0.1 iburst" in (root / "etc/chrony/conf.d/antrean.conf").read_text()
    assert any(c.startswith("useradd --system") for c in calls(fake))
    assert "enable antrean-firstboot.service" in calls(fake)
    assert not (boot / "antrean").exists() and not (boot / "firstrun.sh").exists()  # no secret left on FAT
    assert (boot / "cmdline.txt").read_text() == CMDLINE
    assert "installing node kiosk-1" in (root / "var/log/antrean-firstboot.log").read_text()

    # step 1 again (a card written twice, a boot cut short): the same result
    again = _firstrun(card, env)
    assert again.returncode == 0, again.stderr
    assert filecmp.cmp(config, card.parent / "out" / "kiosk-1" / "kiosk.toml", shallow=False)
    assert (card / "cmdline.txt").read_text() == CMDLINE

    # step 2, once the network is up: Antrean from the hub's /wheels/, the unit enabled, started and checked
    hub_runner(web_port=web_port)
    wait_until(lambda: _answers(f"http://127.0.0.1:{web_port}/wheels/"), 20)
    with (root / "etc" / "antrean" / "firstboot.env").open("a") as installed:
        installed.write("HEALTH_TIMEOUT=2\n")  # a minute on a Pi
        # the release's doctor reads /etc/antrean/ca.crt, outside this sandbox's root (the doctor has its
        # own tests, tests/deploy/test_doctor.py): here the release only has to run
        installed.write("HEALTH_COMMAND='{release}/bin/antrean --version'\n")
    served = tmp_path / "data" / "wheelhouse"
    served.mkdir()
    shutil.copy2(wheelhouse / f"antrean-{GOOD}-py3-none-any.whl", served)
    step2 = subprocess.run(
        [str(root / "usr/local/lib/antrean/firstboot.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (root / "var/log/antrean-firstboot.log").read_text()
    assert step2.returncode == 0, step2.stderr + log
    opt = root / "opt" / "antrean"
    assert os.readlink(opt / "current") == f"releases/{GOOD}"
    version = subprocess.run(
        [str(opt / "venv" / "bin" / "antrean"), "--version"],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "PYTHONPATH"},
    )
    assert version.stdout.strip() == f"antrean {GOOD}"
    assert (opt / "source").read_text() == f"http://127.0.0.1:{web_port}/wheels/\n"
    recorded = calls(fake)
    assert recorded.index("enable antrean-kiosk.service") < recorded.index("restart antrean-kiosk.service")
    assert recorded[-1] == "disable antrean-firstboot.service"
    assert not (root / "etc" / "antrean" / "firstboot.env").exists()
    assert f"now at {GOOD}" in log


@pytest.mark.slow
def test_step_2_brings_pip_from_the_wheelhouse_when_python_has_no_ensurepip(
    tmp_path: Path, wheelhouse: Path, hub_runner: Callable[..., object]
) -> None:
    root, fake, env = _sandbox(tmp_path)
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}/wheels/"
    prefix = root / "etc" / "antrean"
    prefix.mkdir()
    (prefix / "counter.toml").write_text('node_id = "counter-1"\n')
    (prefix / "firstboot.env").write_text(
        f"NODE_ID=counter-1\nROLE=counter\nPREFIX=/etc/antrean\nHUB=127.0.0.1\nWHEELHOUSE={url}\n"
        f"ROOT=/opt/antrean\nVERSION={GOOD}\nHEALTH_TIMEOUT=1\n"
    )
    script = root / "firstboot.sh"
    shutil.copy2(Path(__file__).parents[2] / "provisioning" / "firstboot" / "firstboot.sh", script)
    no_ensurepip = tmp_path / "debian-without-python3-venv" / "ensurepip"
    no_ensurepip.mkdir(parents=True)
    (no_ensurepip / "__init__.py").write_text('raise ImportError("ensurepip is not installed")\n')
    hub_runner(web_port=web_port)
    wait_until(lambda: _answers(url), 20)
    served = tmp_path / "data" / "wheelhouse"
    served.mkdir()
    for wheel in (f"antrean-{GOOD}-py3-none-any.whl", *(p.name for p in wheelhouse.glob("pip-*.whl"))):
        shutil.copy2(wheelhouse / wheel, served)
    step2 = subprocess.run(
        ["bash", str(script)],
        env=env | {"PYTHONPATH": str(no_ensurepip.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (root / "var/log/antrean-firstboot.log").read_text()
    assert step2.returncode == 0, step2.stderr + log
    assert "no ensurepip: pip comes from the wheelhouse" in log
    release = root / "opt" / "antrean" / "releases" / GOOD
    assert (release / "bin" / "pip").exists() and not (release / "pip.whl").exists()
    assert os.readlink(root / "opt" / "antrean" / "current") == f"releases/{GOOD}"
    assert "restart antrean-counter.service" in calls(fake)
