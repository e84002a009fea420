"""The embedded MQTT broker (amqtt) the hub starts when ``[mqtt] url`` names no external broker.

It enforces the same password file and ACL file as Mosquitto (``hub.mqttauth``, ``hub.brokerguard``); the
hub connects with an internal account whose password it generates at each start. The broker runs in a child
process that the hub supervises: if it dies, it is started again on the same port with the same accounts.

>>> settings = BrokerSettings.anonymous("127.0.0.1", 1883)  # tests and benchmarks only
>>> settings.url
'mqtt://127.0.0.1:1883'
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import json
import logging
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hub.mqttauth import Acl, AclError, BrokerPolicy, InternalAccount, PasswordFileError, read_password_file

if TYPE_CHECKING:
    from hub.brokerguard import GuardedBroker
    from hub.config import HubConfig

logger = logging.getLogger(__name__)
try:
    _PRCTL: Any = ctypes.CDLL(None).prctl  # resolved in the parent, before any fork
except (OSError, AttributeError):  # not Linux
    _PRCTL = None
RESTART_DELAYS_S = (0.2, 0.5, 1.0, 2.0)  # then every 2 s until it starts again


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


class EmbeddedBroker:
    """amqtt on ``host:port`` with the settings' policy, in a background thread."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.host, settings.port
        self._policy = settings.policy()
        self._broker: GuardedBroker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    def start(self, timeout: float = 10.0) -> None:
        for host, port in self.settings.listeners():
            check_port_free(host, port)
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(ready, failure))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="mqtt-broker", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} did not start in {timeout} s")
        if failure:
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} failed: {failure[0]}")
        logger.info("embedded MQTT broker listening on %s", self.settings.listeners())

    async def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        from hub.brokerguard import GuardedBroker, TlsListener, broker_config

        self._stopped = asyncio.Event()
        settings = self.settings
        tls = None
        if settings.tls_port:
            tls = TlsListener(settings.tls_host, settings.tls_port, settings.certfile, settings.keyfile)
        try:
            broker = GuardedBroker(broker_config(self.host, self.port, self._policy, tls), self._policy)
            await broker.start()
            self._broker = broker
        except Exception as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await self._stopped.wait()
        await broker.shutdown()

    def reload(self, timeout: float = 10.0) -> list[str]:
        """Read the password and ACL files again and disconnect at once every client whose account is gone
        (a revoked node). Returns the disconnected client ids; a file that cannot be read leaves the
        accounts as they were (:class:`BrokerStartError`)."""
        fresh = self.settings.policy()
        gone = self._policy.replace_accounts(fresh)
        logger.warning("accounts reloaded (%d); removed: %s", len(fresh.passwords), ", ".join(gone) or "none")
        if self._loop is None or self._broker is None:
            return []
        future = asyncio.run_coroutine_threadsafe(self._broker.drop_unknown(), self._loop)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._stopped is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout)


class BrokerProcess:
    """The embedded broker in a process of its own, so the hub's threads and the broker never wait for the
    same interpreter lock (measured: about 40 % more tickets per second on 2 cores), supervised: when the
    child dies it is started again with the same settings. The child is started with PR_SET_PDEATHSIG, so it
    dies with the hub (or with the supervising thread, which lives as long as the hub): a killed hub never
    leaves the port taken."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.host, self.port = settings.host, settings.port
        self.restarts = 0
        self._process: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.settings.url

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = 15.0) -> None:
        self.settings.policy()  # a bad file is reported here, in the hub's own words
        for host, port in self.settings.listeners():
            check_port_free(host, port)
        self._spawn(timeout)
        tls = f", TLS on {self.settings.tls_host}:{self.settings.tls_port}" if self.settings.tls_port else ""
        logger.info("embedded MQTT broker (pid %s) listening on %s:%s%s", self.pid, self.host, self.port, tls)
        self._watcher = threading.Thread(target=self._supervise, name="broker-supervisor", daemon=True)
        self._watcher.start()

    def _spawn(self, timeout: float) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.broker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,  # only a C call: see _die_with_parent
        )
        self._process = process
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(self.settings.to_json() + "\n")
            stdin.close()
        except OSError:
            pass  # the child died at once: its exit is reported below
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(stdout.readline().strip()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not first or first[0] != "ready":
            self._terminate(process)
            detail = first[0] if first and first[0] else "no answer"
            raise BrokerStartError(f"embedded broker on {self.host}:{self.port} did not start: {detail}")

    def _supervise(self) -> None:
        """Wait for the child; if it dies while the hub runs, start it again (same port, same accounts)."""
        while not self._stopping.is_set():
            process = self._process
            assert process is not None
            code = process.wait()
            if process.stdout is not None:
                process.stdout.close()
            if self._stopping.is_set():
                return
            logger.error(
                "embedded MQTT broker (pid %d) exited with %s: starting it again on %s:%s",
                process.pid,
                code,
                self.host,
                self.port,
            )
            for attempt in range(10_000):
                if self._stopping.wait(RESTART_DELAYS_S[min(attempt, len(RESTART_DELAYS_S) - 1)]):
                    return
                try:
                    self._spawn(15.0)
                except BrokerStartError as error:
                    logger.error(
                        "embedded MQTT broker did not start again (attempt %d): %s", attempt + 1, error
                    )
                    continue
                self.restarts += 1
                logger.warning("embedded MQTT broker running again (pid %s)", self.pid)
                break

    def reload(self) -> bool:
        """Make the broker read its password and ACL files again and drop revoked clients (SIGHUP to the
        child); False if it is not running (a restart reads the files anyway)."""
        process = self._process
        if process is None or process.poll() is not None:
            return False
        process.send_signal(signal.SIGHUP)
        return True

    @staticmethod
    def _terminate(process: subprocess.Popen[str], timeout: float = 10.0) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._process is not None:
            self._terminate(self._process, timeout)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)


def _die_with_parent() -> None:
    """In the child, between fork and exec: receive SIGTERM when the parent thread dies (Linux). Only a call
    into the C library already loaded here: nothing that could wait for a lock another thread held at fork."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.broker``: reads its :class:`BrokerSettings` as one JSON line on stdin, runs the
    embedded broker until SIGTERM and prints "ready" once it listens. SIGHUP: read the password and ACL
    files again (see :meth:`EmbeddedBroker.reload`)."""
    del argv
    reload = threading.Event()
    signal.signal(signal.SIGHUP, lambda *_: reload.set())  # first: a reload never kills the broker
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    # nothing here outlives the process (no persistence): on SIGTERM, from the hub or from the kernel when
    # the hub died, go at once, so every client sees the broker gone and the port is free again
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        broker = EmbeddedBroker(BrokerSettings.from_json(sys.stdin.readline()))
        broker.start()
    except (BrokerStartError, ValueError, TypeError) as error:
        sys.stdout.write(f"error: {error}\n")
        sys.stdout.flush()
        return 3
    sys.stdout.write("ready\n")  # the parent waits for this line
    sys.stdout.flush()
    parent = os.getppid()
    while not stop.is_set():
        if reload.wait(1.0):
            reload.clear()
            try:
                broker.reload()
            except Exception:  # a file unreadable now: keep serving with the accounts as they were
                logger.exception("reloading the broker's accounts failed; the previous accounts stay")
        if os.getppid() != parent:  # the hub is gone (where PR_SET_PDEATHSIG is not available)
            break
    broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
