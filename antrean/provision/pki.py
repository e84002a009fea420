"""The site CA and the broker's certificate (``cryptography``), created once and kept in ``DIR/ca/``.

The CA key never leaves the provisioning folder; nodes get ``ca.crt`` and verify the broker with it. The
broker's certificate names ``hub_address`` (as an IP address or a DNS name) plus ``localhost`` and
``127.0.0.1``; it is made again only when missing, when the names change or when it expires within a year.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from antrean.provision.files import write_file

logger = logging.getLogger(__name__)
CA_YEARS = 20
BROKER_YEARS = 10  # a puskesmas hub runs for years without anyone renewing certificates
RENEW_BEFORE = dt.timedelta(days=365)


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # fast to make and to handshake with on a Pi Zero


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Antrean"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _load(folder: Path, stem: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    if not (cert_path.exists() and key_path.exists()):
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an EC private key written by antrean provision")
    return cert, key


def _save(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
    pem = Pem(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))
    write_file(folder / f"{stem}.key", pem.key, secret=True)
    write_file(folder / f"{stem}.crt", pem.cert)
    return pem


def site_ca(folder: Path, site: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The site CA in ``folder`` (``ca.crt``, ``ca.key`` 0600), created on the first run."""
    found = _load(folder, "ca")
    if found is not None:
        return found
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    name = _name(f"Antrean site CA {site}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _save(folder, "ca", cert, key)
    logger.info("created the site CA in %s", folder)
    return cert, key


def _alt_names(hub_address: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    try:
        address: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(hub_address))
    except ValueError:
        address = x509.DNSName(hub_address)
    return [address, *(name for name in names if name != address)]


def broker_certificate(folder: Path, site: str, hub_address: str) -> Pem:
    """The broker's certificate and key in ``folder`` (``broker.crt``, ``broker.key`` 0600), signed by the
    site CA; the key is kept across runs, the certificate re-made when its names or its CA changed."""
    ca_cert, ca_key = site_ca(folder, site)
    wanted = _alt_names(hub_address)
    found = _load(folder, "broker")
    now = dt.datetime.now(dt.UTC)
    if found is not None:
        cert, key = found
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if (
            set(names) == set(wanted)
            and cert.issuer == ca_cert.subject
            and cert.not_valid_after_utc - now > RENEW_BEFORE
        ):
            return Pem(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))
        logger.info("the broker certificate in %s is re-made (names, CA or expiry changed)", folder)
    key = found[1] if found is not None else _new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hub_address))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365 * BROKER_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(wanted), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _save(folder, "broker", cert, key)
