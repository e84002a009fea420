"""What the embedded broker is started with (:class:`BrokerSettings`: listeners, accounts, ACL, TLS; handed
to the broker's child process as JSON on stdin), read from the hub's ``[broker]`` keys, and the port checks
before it starts. The broker itself is :mod:`hub.broker`.

>>> settings = BrokerSettings.anonymous("127.0.0.1", 1883)  # tests and benchmarks only
>>> settings.url
'mqtt://127.0.0.1:1883'
"""

from __future__ import annotations

import errno
import json
import logging
import secrets
import socket
import ssl
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import quote

from hub.mqttauth import Acl, AclError, BrokerPolicy, InternalAccount, PasswordFileError, read_password_file

if TYPE_CHECKING:
    from hub.config import HubConfig

logger = logging.getLogger(__name__)


class BrokerStartError(RuntimeError):
    """The embedded broker could not start; the message names the address or the file."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`BrokerStartError` naming the port if something already listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BrokerStartError(
                    f"port {port} on {host} is already in use (another MQTT broker such as Mosquitto?): "
                    f"set [broker] port to a free port, or set [mqtt] url to use that broker"
                ) from exc
            raise BrokerStartError(f"cannot listen on {host}:{port}: {exc}") from exc


@dataclass(frozen=True)
class BrokerSettings:
    """Where the embedded broker listens and whom it lets in. Handed to the child process on its stdin
    (never in argv, which every local user can read)."""

    host: str
    port: int
    site: str = "pkm"
    password_file: str = ""
    acl_file: str = ""
    allow_anonymous: bool = False
    internal: InternalAccount | None = field(default=None, repr=False)
    tls_host: str = "0.0.0.0"
    tls_port: int = 0  # 0: no TLS listener
    certfile: str = ""
    keyfile: str = ""

    @classmethod
    def anonymous(cls, host: str, port: int) -> BrokerSettings:
        """Anyone may connect and do anything: tests and benchmarks on 127.0.0.1, never a site."""
        return cls(host, port, allow_anonymous=True)

    @property
    def url(self) -> str:
        """URL to reach the broker from this machine, with the internal account's credentials if any."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if self.internal is None:
            return f"mqtt://{host}:{self.port}"
        user, password = quote(self.internal.username, safe=""), quote(self.internal.password, safe="")
        return f"mqtt://{user}:{password}@{host}:{self.port}"

    def listeners(self) -> list[tuple[str, int]]:
        """(host, port) of the plain listener and, if any, of the TLS listener."""
        return [(self.host, self.port), *([(self.tls_host, self.tls_port)] if self.tls_port else [])]

    def policy(self) -> BrokerPolicy:
        """Load the password and ACL files (and the TLS certificate and key, if any);
        :class:`BrokerStartError` names a file that cannot be used."""
        if self.tls_port:
            from hub.brokerguard import server_tls_context

            try:
                server_tls_context(self.certfile, self.keyfile)
            except (OSError, ssl.SSLError) as exc:
                raise BrokerStartError(
                    f"[broker] certfile {self.certfile} / keyfile {self.keyfile} cannot be used: {exc}"
                ) from exc
        if not self.password_file and not self.allow_anonymous:
            raise BrokerStartError(
                "[broker] password_file is empty, so the embedded broker would let anyone on the network "
                "take over the queue. Create an account per node with\n"
                "  antrean broker passwd /etc/antrean/mqtt.passwd kiosk-1\n"
                "(also display-1, counter-1, ...), copy provisioning/mosquitto.acl to /etc/antrean/mqtt.acl, "
                "and set [broker] password_file and acl_file; or set [broker] allow_anonymous = true "
                "(tests only)."
            )
        if self.password_file and not self.acl_file:
            raise BrokerStartError(
                "[broker] acl_file is empty: without it every account could do everything. Copy "
                "provisioning/mosquitto.acl (change 'pkm' to your site) and set [broker] acl_file to it."
            )
        try:
            passwords = read_password_file(self.password_file) if self.password_file else {}
            acl = Acl.load(self.acl_file) if self.acl_file else None
        except (PasswordFileError, AclError) as exc:
            raise BrokerStartError(str(exc)) from exc
        policy = BrokerPolicy(
            site=self.site,
            passwords=passwords,
            acl=acl,
            allow_anonymous=self.allow_anonymous,
            internal=self.internal,
        )
        if acl is not None and not acl.grants_under(policy.root):
            logger.warning(
                "the ACL file %s grants nothing under %s/: is its site right?", self.acl_file, policy.root
            )
        return policy

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> BrokerSettings:
        data = json.loads(text)
        internal = data.pop("internal", None)
        return cls(**data, internal=InternalAccount(**internal) if internal else None)

    def with_internal_account(self, username: str) -> BrokerSettings:
        """These settings plus an internal account ``username`` with a new random password."""
        return replace(self, internal=InternalAccount(username, secrets.token_urlsafe(32)))


def hub_broker_settings(config: HubConfig) -> BrokerSettings:
    """The embedded broker of a hub: its ``[broker]`` keys plus an internal account for the hub itself,
    named after its node id, with a password new at each start. :class:`BrokerStartError` if the files are
    missing or unusable."""
    broker = config.broker
    settings = BrokerSettings(
        host=broker.host,
        port=broker.port,
        site=config.site,
        password_file=broker.password_file,
        acl_file=broker.acl_file,
        allow_anonymous=broker.allow_anonymous,
        tls_host=broker.tls_host,
        tls_port=broker.tls_port,
        certfile=broker.certfile,
        keyfile=broker.keyfile,
    ).with_internal_account(config.node_id)
    settings.policy()
    if broker.tls_port and broker.host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning(
            "[broker] host %s: the plain listener (port %s) is reachable beside the TLS one; set host = "
            '"127.0.0.1" so passwords only travel encrypted',
            broker.host,
            broker.port,
        )
    if broker.allow_anonymous and broker.host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning(
            "[broker] allow_anonymous = true on %s: anyone on the network can connect without an account",
            broker.host,
        )
    return settings
