"""The bundle of each node in ``DIR/<node id>/``: what gets installed under ``PREFIX`` on that machine.

Every node: ``<role>.toml`` (0600: it holds the node's MQTT password), ``ca.crt`` and its systemd unit.
The hub (``DIR/hub/``) also: ``mqtt.passwd`` and ``mqtt.acl`` (one pair for both brokers), ``broker.crt`` and
``broker.key`` for the TLS listener, the backup service and timer, and for sites that prefer Mosquitto a
``mosquitto.conf`` and ``hub-mosquitto.env`` (the hub's own account for it). Every bundle has ``appliance/``
(journald, time from the hub) and every node's ``node.env`` (for ``antrean provision sdcard``).
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from antrean.provision.accounts import site_accounts
from antrean.provision.files import make_dir, write_file
from antrean.provision.pki import broker_certificate
from antrean.provision.site import HUB_ID, SiteConfig, SiteNode
from firmware.counter_button.config import quick_lokets
from hub.mqttauth import set_password
from hub.mqttauth.template import site_acl

# systemd/ and provisioning/ are not in the package: they are read from the source tree, which is this
# checkout (editable install) or, installed from /opt/antrean into /opt/antrean/venv, the venv's parent
SOURCE_TREES = (Path(__file__).resolve().parents[2], Path(sys.prefix).parent)


def source_file(relative: str) -> str:
    """The text of ``relative`` (e.g. ``systemd/antrean-hub.service``) in the Antrean source tree."""
    for tree in SOURCE_TREES:
        if (tree / relative).is_file():
            return (tree / relative).read_text(encoding="utf-8")
    raise FileNotFoundError(
        f"{relative} not found in {' or '.join(map(str, SOURCE_TREES))}: run antrean provision where the "
        "Antrean source tree is (e.g. /opt/antrean with its venv in /opt/antrean/venv)"
    )


DEFAULT_PREFIX = "/etc/antrean"
PLAIN_PORT = 1883  # the broker's plain listener: 127.0.0.1 only, for the hub itself
HUB_UNITS = ("antrean-hub.service", "antrean-backup.service", "antrean-backup.timer")
# where Mosquitto's copies go (readable by its own user), as provisioning/mosquitto.conf says
MOSQUITTO_FILES = {
    "mqtt.passwd": "/etc/mosquitto/antrean.passwd",
    "mqtt.acl": "/etc/mosquitto/antrean.acl",
    "broker.crt": "/etc/mosquitto/antrean-broker.crt",
    "broker.key": "/etc/mosquitto/antrean-broker.key",
}


def toml_value(value: object) -> str:
    """A TOML literal for a string, number, bool or list of them (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def toml_table(name: str, values: dict[str, object], *, array: bool = False) -> str:
    head = f"[[{name}]]" if array else f"[{name}]"
    return "\n".join([head, *(f"{key} = {toml_value(value)}" for key, value in values.items())]) + "\n"


@dataclass(frozen=True)
class Provisioner:
    site: SiteConfig
    out: Path
    prefix: str = DEFAULT_PREFIX

    def path(self, name: str) -> str:
        """Where an installed file lives on its machine."""
        return f"{self.prefix.rstrip('/')}/{name}"

    def _header(self, role: str) -> str:
        return (
            f"# Antrean {role} of site {self.site.site!r}, written by antrean provision: install as "
            f"{self.path(role + '.toml')}.\n# Every other key keeps its default: docs/configuration.md\n\n"
        )

    def node_config(self, node: SiteNode, password: str) -> str:
        account = f"{quote(node.id, safe='')}:{quote(password, safe='')}"
        url = f"mqtts://{account}@{self.site.hub_host}:{self.site.mqtt_port}"
        top = {"site": self.site.site, "node_id": node.id, "timezone": "Asia/Jakarta"}
        text = self._header(node.role) + "\n".join(f"{k} = {toml_value(v)}" for k, v in top.items()) + "\n\n"
        text += toml_table("mqtt", {"url": url, "ca_file": self.path("ca.crt")})
        for loket in quick_lokets(node.lokets) if node.role == "counter" else []:
            text += "\n" + toml_table("lokets", dict(loket), array=True)
        return text

    def hub_config(self) -> str:
        site = self.site
        top = {
            "site": site.site,
            "site_name": site.site_name,
            "node_id": HUB_ID,
            "data_dir": "/var/lib/antrean",
        }
        text = self._header("hub") + "\n".join(f"{k} = {toml_value(v)}" for k, v in top.items()) + "\n\n"
        text += "# the plain listener serves the hub itself on 127.0.0.1; nodes use the TLS listener\n"
        text += toml_table(
            "broker",
            {
                "host": "127.0.0.1",
                "port": PLAIN_PORT,
                "password_file": self.path("mqtt.passwd"),
                "acl_file": self.path("mqtt.acl"),
                "tls_host": "0.0.0.0",
                "tls_port": site.mqtt_port,
                "certfile": self.path("broker.crt"),
                "keyfile": self.path("broker.key"),
            },
        )
        text += "\n# empty: the embedded broker; with Mosquitto, hub-mosquitto.env sets ANTREAN_MQTT_URL\n"
        text += toml_table("mqtt", {"url": ""})
        web = {
            "host": "0.0.0.0",
            "port": site.web_port,
            "public_url": f"http://{site.hub_host}:{site.web_port}",
        }
        return text + "\n" + toml_table("web", web)

    def acl(self) -> str:
        return site_acl(
            self.site.site,
            kiosks=[n.id for n in self.site.of_role("kiosk")],
            counters=[n.id for n in self.site.of_role("counter")],
            displays=[n.id for n in self.site.of_role("display")],
            hub=HUB_ID,
            lokets={n.id: n.lokets for n in self.site.of_role("counter")},
        )

    def mosquitto_conf(self) -> str:
        """provisioning/mosquitto.conf with the plain listener on 127.0.0.1 and a TLS listener added."""
        conf = source_file("provisioning/mosquitto.conf")
        conf = conf.replace(f"listener {PLAIN_PORT}\n", f"listener {PLAIN_PORT} 127.0.0.1\n")
        conf = "".join(line for line in conf.splitlines(keepends=True) if not line.startswith("# For TLS"))
        return conf + (
            f"# written by antrean provision for site {self.site.site!r}: the nodes connect here with mqtts://\n"
            f"listener {self.site.mqtt_port}\n"
            f"certfile {MOSQUITTO_FILES['broker.crt']}\n"
            f"keyfile {MOSQUITTO_FILES['broker.key']}\n"
        )

    def appliance(self, role: str) -> dict[str, tuple[str | bytes, bool]]:
        """``appliance/``: journald capped, the hub as the site's time server (docs/deploy.md)."""
        names = {"journald.conf": f"journald-{'hub' if role == 'hub' else 'node'}.conf"}
        names |= (
            {"chrony.conf": "chrony-hub.conf"}
            if role == "hub"
            else {
                "chrony.conf": "chrony-node.conf",
                "timesyncd.conf": "timesyncd-node.conf",
            }
        )
        values = {"hub_address": self.site.hub_address, "lan": self.site.lan}
        return {
            f"appliance/{name}": (source_file(f"provisioning/appliance/{source}").format(**values), False)
            for name, source in names.items()
        }

    def node_env(self, node: SiteNode) -> str:
        """``node.env``: what ``antrean provision sdcard`` and the first boot need to know of the node."""
        values = {
            "NODE_ID": node.id,
            "ROLE": node.role,
            "PREFIX": self.prefix.rstrip("/"),
            "HUB": self.site.hub_address,
            "WHEELHOUSE": f"http://{self.site.hub_host}:{self.site.web_port}/wheels/",
        }
        return "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())

    def unit(self, name: str) -> str:
        return source_file(f"systemd/{name}").replace(f"{DEFAULT_PREFIX}/", f"{self.prefix.rstrip('/')}/")

    def write(self, rotate: tuple[str, ...] = ()) -> dict[str, list[str]]:
        """Write every bundle; returns ``{node id: [file names]}``. Secrets are 0600 and never returned."""
        make_dir(self.out)
        ids = [HUB_ID, *(node.id for node in self.site.nodes)]
        unknown = sorted(set(rotate) - set(ids))
        if unknown:
            raise ValueError(f"--rotate: no such node in the site file: {', '.join(unknown)}")
        accounts = site_accounts(self.out, ids, rotate)
        ca_dir = make_dir(self.out / "ca")
        broker = broker_certificate(ca_dir, self.site.site, self.site.hub_address)
        ca_cert = (ca_dir / "ca.crt").read_bytes()
        written: dict[str, list[str]] = {}
        for node in self.site.nodes:
            unit = f"antrean-{node.role}.service"
            files: dict[str, tuple[str | bytes, bool]] = {
                f"{node.role}.toml": (self.node_config(node, accounts[node.id]), True),
                "ca.crt": (ca_cert, False),
                unit: (self.unit(unit), False),
                "node.env": (self.node_env(node), False),
                **self.appliance(node.role),
            }
            written[node.id] = self._bundle(node.id, files)
        hub_files: dict[str, tuple[str | bytes, bool]] = {
            "hub.toml": (self.hub_config(), True),
            "ca.crt": (ca_cert, False),
            "mqtt.passwd": (self._password_file(accounts), True),
            "mqtt.acl": (self.acl(), False),
            "broker.crt": (broker.cert + ca_cert, False),  # the chain, as Mosquitto and amqtt send it
            "broker.key": (broker.key, True),
            "mosquitto.conf": (self.mosquitto_conf(), False),
            "hub-mosquitto.env": (self._mosquitto_env(accounts[HUB_ID]), True),
            **{name: (self.unit(name), False) for name in HUB_UNITS},
            **self.appliance(HUB_ID),
        }
        written[HUB_ID] = self._bundle(HUB_ID, hub_files)
        return written

    def _bundle(self, node_id: str, files: dict[str, tuple[str | bytes, bool]]) -> list[str]:
        folder = make_dir(self.out / node_id)
        for name, (data, secret) in files.items():
            write_file(folder / name, data, secret=secret)
        return sorted(files)

    @staticmethod
    def _mosquitto_env(password: str) -> str:
        """Mosquitto sites install it as PREFIX/hub.env (antrean-hub.service reads it): the hub's account."""
        return f"ANTREAN_MQTT_URL=mqtt://{HUB_ID}:{quote(password, safe='')}@127.0.0.1:{PLAIN_PORT}\n"

    @staticmethod
    def _password_file(accounts: dict[str, str]) -> str:
        """The Mosquitto password file of every account, through hub.mqttauth (``$7$`` hashes)."""
        with tempfile.TemporaryDirectory() as temp:
            path = Path(temp) / "mqtt.passwd"
            for user, password in accounts.items():
                set_password(path, user, password)
            return path.read_text(encoding="utf-8")
