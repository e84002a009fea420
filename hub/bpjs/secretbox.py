"""Secrets at rest: AES-256-GCM (pycryptodome) with a key kept outside the database.

The key comes from the environment (``ANTREAN_BPJS_KEY``, base64 of 32 bytes) or from a key file
(``[bpjs] key_file``, default ``data_dir/bpjs.key``) that is created with mode 0600 on first use.
Each value is bound to its setting name, so ciphertexts cannot be swapped between settings.

>>> box = SecretBox(bytes(32))
>>> box.decrypt(box.encrypt("rahasia", "consumer_secret"), "consumer_secret")
'rahasia'
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes

logger = logging.getLogger(__name__)
KEY_ENV = "ANTREAN_BPJS_KEY"
PREFIX = "gcm1:"


class SecretError(ValueError):
    """A secret cannot be decrypted (wrong key) or the key itself is unusable."""


def parse_key(text: str) -> bytes:
    """A 32-byte key from base64 (44 chars) or hex (64 chars)."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SecretError("BPJS key is neither base64 nor hex") from error
    if len(key) != 32:
        raise SecretError(f"BPJS key must be 32 bytes, got {len(key)}")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, 32 random bytes in base64) if it does not exist."""
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = get_random_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return parse_key(path.read_text(encoding="ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(key).decode("ascii") + "\n")
    logger.info("created BPJS secrets key file %s", path)
    return key


class SecretBox:
    """Encrypts and decrypts setting values with one 32-byte key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise SecretError("BPJS key must be 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "SecretBox(***)"

    @classmethod
    def from_sources(cls, key_file: str | Path, env: Mapping[str, str] | None = None) -> SecretBox:
        """The key from ``ANTREAN_BPJS_KEY`` if set, else from ``key_file`` (created if missing)."""
        environ = os.environ if env is None else env
        if environ.get(KEY_ENV):
            return cls(parse_key(environ[KEY_ENV]))
        return cls(load_or_create_key_file(Path(key_file)))

    def encrypt(self, plain: str, name: str) -> str:
        cipher = AES.new(self._key, AES.MODE_GCM)
        cipher.update(name.encode("utf-8"))
        data, tag = cipher.encrypt_and_digest(plain.encode("utf-8"))
        return PREFIX + base64.b64encode(cipher.nonce + data + tag).decode("ascii")

    def decrypt(self, stored: str, name: str) -> str:
        if not stored.startswith(PREFIX):
            raise SecretError(f"setting {name} is not in the encrypted format")
        try:
            raw = base64.b64decode(stored[len(PREFIX) :], validate=True)
            cipher = AES.new(self._key, AES.MODE_GCM, nonce=raw[:16])
            cipher.update(name.encode("utf-8"))
            plain = cipher.decrypt_and_verify(raw[16:-16], raw[-16:])
        except (binascii.Error, ValueError) as error:
            raise SecretError(f"setting {name} cannot be decrypted (wrong key?)") from error
        return plain.decode("utf-8")
