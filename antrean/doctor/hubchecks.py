"""``antrean doctor`` on the hub: its broker listening (the embedded one or the configured one), the TLS
listener and its certificate, the database, disk and watchdog. The hub is the site's time reference, and
its report goes straight into its own database (the hub keeps its own node-health row)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from datetime import UTC

import antrean
from antrean.doctor import checks, probes
from hub.config import HubConfig
from protocol.payloads import DoctorCheck, DoctorReport
from protocol.transport import parse_mqtt_url

LocalChecks = Callable[[str, str], list[DoctorCheck]]


def _listening(host: str, port: int, *, tls: bool = False) -> str | None:
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    try:
        with socket.create_connection((host, port), timeout=5) as raw:
            if tls:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # only: does it speak TLS
                with context.wrap_socket(raw, server_hostname=host):
                    pass
    except (OSError, ssl.SSLError) as exc:
        return f"nothing answers on {host}:{port} ({exc}): is antrean-hub (or the broker) running?"
    return None


def _certificate(certfile: str, clock: probes.Clock) -> DoctorCheck:
    from cryptography import x509

    try:
        with open(certfile, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError) as exc:
        return checks.check("broker-cert", "FAIL", f"cannot read {certfile}: {exc}")
    subject = ", ".join(a.rfc4514_string() for a in cert.subject)
    return checks.certificate("broker-cert", subject, cert.not_valid_after_utc.astimezone(UTC), clock())


def _database(config: HubConfig, found: list[DoctorCheck], clock: probes.Clock) -> DoctorCheck:
    from hub.db.database import open_database
    from hub.nodes import record_doctor_report

    try:
        engine, sessions = open_database(config)
    except Exception as exc:  # IdentityError, OperationalError, a missing folder...
        return checks.check("database", "FAIL", f"cannot open the database: {exc}")
    try:
        result = checks.check("database", "OK", f"{engine.dialect.name} database open, schema up to date")
        every = [*found, result]
        running = next(c.level == "OK" for c in found if c.name == "broker")
        record_doctor_report(
            sessions,
            DoctorReport(
                node=config.node_id,
                role="hub",
                version=antrean.__version__,
                checked_at=clock(),
                ok=not checks.failed(every),
                clock_offset_s=0.0,
                checks=every,
            ),
            state="online" if running else "offline",
        )
        return result
    finally:
        engine.dispose()


def hub_checks(config: HubConfig, clock: probes.Clock, local: LocalChecks) -> list[DoctorCheck]:
    found: list[DoctorCheck] = []
    broker = config.broker
    if config.mqtt.url:
        address = parse_mqtt_url(config.mqtt.url)
        where = f"broker {address.host}:{address.port} ([mqtt] url)"
        found.append(checks.outcome("broker", f"{where} listening", _listening(address.host, address.port)))
    else:
        where = f"embedded broker on {broker.host}:{broker.port}"
        found.append(checks.outcome("broker", f"{where} listening", _listening(broker.host, broker.port)))
        if broker.tls_port:
            error = _listening(broker.tls_host, broker.tls_port, tls=True)
            found.append(checks.outcome("tls", f"TLS listener on port {broker.tls_port} answers", error))
            found.append(_certificate(broker.certfile, clock))
        else:
            found.append(checks.check("tls", "WARN", "no TLS listener ([broker] tls_port = 0)"))
    found += local("hub", config.data_dir)
    found.append(checks.check("clock", "OK", "this is the hub: the site's time reference"))
    found.append(_database(config, found, clock))
    return found
