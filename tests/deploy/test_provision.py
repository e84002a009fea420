"""Issue 13: ``antrean provision`` writes a complete, installable bundle per node from the site file, keeps
accounts and keys across runs, and never shows a secret."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest
from cryptography import x509

from antrean.config import ConfigError, load_config
from antrean.provision.site import SiteConfig
from hub.config import HubConfig
from hub.mqttauth import Access, Acl, read_password_file, verify_password
from protocol import parse_mqtt_url
from tests.deploy.site import NODES, antrean, install, provision, write_site

SECRET_FILES = {
    "secrets.json",
    "ca/ca.key",
    "ca/broker.key",
    "hub/hub.toml",
    "hub/mqtt.passwd",
    "hub/broker.key",
    "hub/hub-mosquitto.env",
    "kiosk-1/kiosk.toml",
    "display-1/display.toml",
    "counter-1/counter.toml",
}


def _passwords(out: Path) -> dict[str, str]:
    accounts: dict[str, str] = json.loads((out / "secrets.json").read_text())["mqtt_accounts"]
    return accounts


def _node_url(out: Path, node: str) -> str:
    role = NODES[node]
    url: str = tomllib.loads((out / node / f"{role}.toml").read_text())["mqtt"]["url"]
    return url


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    tmp = tmp_path_factory.mktemp("provision")
    prefix = tmp / "installed"
    site = write_site(tmp / "site.toml")
    result = provision(site, tmp / "out", "--prefix", prefix)
    return tmp / "out", prefix, result.stdout + result.stderr


def test_every_node_gets_its_bundle_with_its_own_account(bundle: tuple[Path, Path, str]) -> None:
    out, prefix, _ = bundle
    assert sorted(p.name for p in out.iterdir()) == [
        "ca",
        "counter-1",
        "display-1",
        "hub",
        "kiosk-1",
        "secrets.json",
    ]
    for node, role in NODES.items():
        names = {p.name for p in (out / node).iterdir()}
        assert {f"{role}.toml", "ca.crt", f"antrean-{role}.service"} <= names, node
        unit = (out / node / f"antrean-{role}.service").read_text()
        assert f"--config {prefix}/{role}.toml" in unit and "/etc/antrean/" not in unit
    hub = {p.name for p in (out / "hub").iterdir()}
    assert {"mqtt.passwd", "mqtt.acl", "broker.crt", "broker.key", "mosquitto.conf"} <= hub
    assert {"antrean-backup.service", "antrean-backup.timer"} <= hub
    passwords = _passwords(out)
    stored = read_password_file(out / "hub" / "mqtt.passwd")
    assert set(stored) == set(NODES) == set(passwords)
    assert len(set(passwords.values())) == len(passwords)  # one account per node, each its own password
    for node in ("kiosk-1", "display-1", "counter-1"):
        address = parse_mqtt_url(_node_url(out, node))
        assert (address.tls, address.host, address.port, address.username) == (True, "10.0.0.2", 8883, node)
        assert address.password == passwords[node] and verify_password(passwords[node], stored[node])
        config = tomllib.loads((out / node / f"{NODES[node]}.toml").read_text())
        assert config["mqtt"]["ca_file"] == f"{prefix}/ca.crt"
    hub_toml = tomllib.loads((out / "hub" / "hub.toml").read_text())
    broker = hub_toml["broker"]
    assert (broker["host"], broker["tls_port"], broker["certfile"]) == (
        "127.0.0.1",
        8883,
        f"{prefix}/broker.crt",
    )
    assert hub_toml["web"]["public_url"] == "http://10.0.0.2:8080"


def test_secrets_are_0600_and_never_printed(bundle: tuple[Path, Path, str]) -> None:
    out, _, printed = bundle
    for path in out.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        name = str(path.relative_to(out))
        if path.is_dir():
            assert mode == 0o700, name
        elif name in SECRET_FILES:
            assert mode == 0o600, name
        else:
            assert mode & 0o077 in (0o044, 0), name
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for password in _passwords(out).values():
        assert password not in printed


def test_the_broker_certificate_names_the_hub_and_chains_to_the_site_ca(
    bundle: tuple[Path, Path, str],
) -> None:
    out, _, _ = bundle
    ca = x509.load_pem_x509_certificate((out / "hub" / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificate((out / "hub" / "broker.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    addresses = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert addresses == {"10.0.0.2", "127.0.0.1"} and names.get_values_for_type(x509.DNSName) == ["localhost"]
    for node in NODES:
        assert (out / node / "ca.crt").read_bytes() == (out / "ca" / "ca.crt").read_bytes()


def test_counters_get_only_their_own_lokets(bundle: tuple[Path, Path, str]) -> None:
    out, _, _ = bundle
    acl = Acl.load(out / "hub" / "mqtt.acl")
    client = "antrean-pkm-counter-1"
    assert acl.allows("counter-1", client, "antrean/pkm/counter/2/command", Access.WRITE)
    assert acl.covers("counter-1", client, "antrean/pkm/counter/1/state", Access.READ)
    assert not acl.allows("counter-1", client, "antrean/pkm/counter/3/command", Access.WRITE)
    assert not acl.allows("kiosk-1", "antrean-pkm-kiosk-1", "antrean/pkm/counter/1/command", Access.WRITE)
    assert not acl.allows("display-1", "antrean-pkm-display-1", "antrean/pkm/display/state", Access.WRITE)


@pytest.mark.slow
def test_every_config_passes_check_config_installed_at_the_prefix(bundle: tuple[Path, Path, str]) -> None:
    out, prefix, _ = bundle
    for node, role in NODES.items():
        install(out / node, prefix)
        result = antrean(role, "--config", prefix / f"{role}.toml", "--check-config")
        assert result.returncode == 0 and "configuration OK" in result.stdout, (node, result.stderr)
    (prefix / "broker.key").write_bytes((out / "ca" / "ca.key").read_bytes())  # not the certificate's key
    result = antrean("hub", "--config", prefix / "hub.toml", "--check-config")
    assert result.returncode != 0 and "certfile" in result.stderr, result.stderr
    (prefix / "ca.crt").write_text("not a certificate\n")
    result = antrean("kiosk", "--config", prefix / "kiosk.toml", "--check-config")
    assert result.returncode != 0 and "mqtt.ca_file" in result.stderr


@pytest.mark.slow
def test_a_second_run_keeps_accounts_and_keys_and_rotate_renews_one(tmp_path: Path) -> None:
    site, out = write_site(tmp_path / "site.toml"), tmp_path / "out"
    provision(site, out)
    keep = ["ca/ca.crt", "ca/ca.key", "hub/broker.crt", "hub/broker.key", "kiosk-1/kiosk.toml"]
    first = {name: (out / name).read_bytes() for name in keep}
    passwords = _passwords(out)
    provision(site, out)
    assert {name: (out / name).read_bytes() for name in keep} == first
    assert _passwords(out) == passwords
    result = provision(site, out, "--rotate", "kiosk-1")
    rotated = _passwords(out)
    assert rotated["kiosk-1"] != passwords["kiosk-1"]
    assert {k: v for k, v in rotated.items() if k != "kiosk-1"} == {
        k: v for k, v in passwords.items() if k != "kiosk-1"
    }
    assert parse_mqtt_url(_node_url(out, "kiosk-1")).password == rotated["kiosk-1"]
    assert verify_password(rotated["kiosk-1"], read_password_file(out / "hub" / "mqtt.passwd")["kiosk-1"])
    assert rotated["kiosk-1"] not in result.stdout + result.stderr
    assert (out / "ca" / "ca.crt").read_bytes() == first["ca/ca.crt"]
    unknown = antrean("provision", site, "--out", out, "--rotate", "kiosk-9")
    assert unknown.returncode != 0 and "kiosk-9" in unknown.stderr
    # a new hub address: the same CA and key, a certificate with the new name
    provision(write_site(site, hub_address="hub.pkm.lan"), out)
    assert (out / "ca" / "ca.crt").read_bytes() == first["ca/ca.crt"]
    assert (out / "hub" / "broker.key").read_bytes() == first["hub/broker.key"]
    assert b"hub.pkm.lan" in (out / "kiosk-1" / "kiosk.toml").read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("colour = 'blue'\n", "colour: unknown key"),
        ("[[nodes]]\nid = 'kiosk-1'\nrole = 'kiosk'\n", "appear twice"),
        ("[[nodes]]\nid = 'counter-2'\nrole = 'counter'\nlokets = [2]\n", "loket 2 is served by both"),
        ("[[nodes]]\nid = 'tv'\nrole = 'display'\nlokets = [3]\n", "only for counter nodes"),
        ("[[nodes]]\nid = 'hub'\nrole = 'kiosk'\n", "hub"),
        ("[[nodes]]\nid = 'x'\nrole = 'printer'\n", "role"),
    ],
)
def test_the_site_file_is_strict(tmp_path: Path, change: str, message: str) -> None:
    site = write_site(tmp_path / "site.toml")
    text = site.read_text()
    site.write_text(text + change if change.startswith("[") else change + text)
    with pytest.raises(ConfigError, match=message):
        load_config(SiteConfig, site, env={})


def test_every_key_of_the_site_file_must_be_there(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site.toml")
    text = site.read_text()
    for key in ("site", "site_name", "hub_address", "mqtt_port", "web_port"):
        lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
        site.write_text("\n".join(lines))
        with pytest.raises(ConfigError, match=f"{key}: Field required"):
            load_config(SiteConfig, site, env={})


def test_a_tls_listener_needs_its_certificate_and_key() -> None:
    with pytest.raises(ConfigError, match="tls_port needs certfile and keyfile"):
        load_config(HubConfig, None, env={}, overrides={"broker.tls_port": 8883, "broker.certfile": "x.crt"})
    with pytest.raises(ConfigError, match="tls_port must differ from port"):
        load_config(
            HubConfig,
            None,
            env={},
            overrides={"broker.tls_port": 1883, "broker.certfile": "a", "broker.keyfile": "b"},
        )
