"""Password files in Mosquitto's format: one ``user:hash`` line per account.

Hashes are those of ``mosquitto_passwd``: ``$7$iterations$salt$hash`` (PBKDF2-HMAC-SHA512, Mosquitto 2.0's
default) and the older ``$6$salt$hash`` (SHA-512 of password + salt), salt and hash in standard base64.

>>> stored = hash_password("sebuah-kata-sandi")
>>> stored.startswith("$7$101$"), verify_password("sebuah-kata-sandi", stored), verify_password("x", stored)
(True, True, False)
>>> password_problem("kiosk-1", "kiosk-1")
'the password must have at least 10 characters'
>>> password_problem("kiosk-1234", "Kiosk-1234!")
'the password must not be the user name'
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

# mosquitto_passwd's own count: a CONNECT costs one verification in the broker's event loop, so a high
# count would let a flood of wrong passwords stall the broker; the file itself is readable by root only
ITERATIONS = 101
SALT_BYTES = 12
MIN_LENGTH = 10
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "1q2w3e4r5t",
        "qwertyuiop",
        "password123",
        "password1234",
        "passw0rd123",
        "administrator",
        "puskesmas123",
        "puskesmas2024",
        "puskesmas2025",
        "puskesmas2026",
        "antrean123",
        "antrean2026",
        "rahasia123",
        "katasandi123",
        "bismillah123",
        "indonesia123",
        "changeme123",
        "raspberrypi",
        "raspberry123",
        "mosquitto123",
    }
)


class PasswordFileError(ValueError):
    """A password file cannot be used; the message names the file and the line."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The ``$7$`` hash ``mosquitto_passwd`` writes for ``password``."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return f"$7${iterations}${_b64(salt)}${_b64(_pbkdf2(password, salt, iterations))}"


def check_hash(stored: str) -> None:
    """Raise ValueError unless ``stored`` is a ``$7$`` or ``$6$`` hash this module can verify."""
    parts = stored.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7" and int(parts[2]) > 0:
            base64.b64decode(parts[3], validate=True)
            base64.b64decode(parts[4], validate=True)
            return
        if len(parts) == 4 and parts[1] == "6":
            base64.b64decode(parts[2], validate=True)
            base64.b64decode(parts[3], validate=True)
            return
    except (ValueError, binascii.Error):
        pass
    raise ValueError("not a $7$ (sha512-pbkdf2) or $6$ (sha512) hash as mosquitto_passwd writes them")


def verify_password(password: str, stored: str) -> bool:
    """True if ``password`` matches the Mosquitto hash ``stored``; compared in constant time."""
    parts = stored.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7":
            salt, expected = base64.b64decode(parts[3]), base64.b64decode(parts[4])
            actual = _pbkdf2(password, salt, int(parts[2]))
        elif len(parts) == 4 and parts[1] == "6":
            salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            actual = hashlib.sha512(password.encode("utf-8") + salt).digest()
        else:
            return False
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def parse_password_lines(text: str, source: str = "password file") -> dict[str, str]:
    """``{user: hash}`` from the lines of a password file; a malformed line raises naming its number."""
    accounts: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not user:
            raise PasswordFileError(f"{source}, line {number}: expected USER:HASH")
        try:
            check_hash(stored)
        except ValueError as exc:
            raise PasswordFileError(f"{source}, line {number} (user {user!r}): {exc}") from exc
        accounts[user] = stored
    return accounts


def read_password_file(path: str | Path) -> dict[str, str]:
    """``{user: hash}`` of a Mosquitto password file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PasswordFileError(f"cannot read password file {path}: {exc.strerror or exc}") from exc
    return parse_password_lines(text, str(path))


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def password_problem(username: str, password: str) -> str | None:
    """Why ``password`` is too weak for an MQTT account, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    plain, user = _alnum(password), _alnum(username)
    if user and plain.startswith(user) and (plain == user or plain[len(user) :].isdigit()):
        return "the password must not be the user name"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return "this password is too common or too simple; choose another"
    return None


def _rewrite(target: Path, lines: list[str]) -> None:
    """Write ``lines`` to ``target`` atomically, 0600, keeping the owner of the file it replaces."""
    fd, temp = tempfile.mkstemp(prefix=".passwd-", dir=target.parent or Path("."))
    try:
        os.fchmod(fd, 0o600)
        if target.exists():  # keep the owner (e.g. the hub's user after "chown antrean:") when run as root
            owner = target.stat()
            with contextlib.suppress(PermissionError):
                os.fchown(fd, owner.st_uid, owner.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{line}\n" for line in lines))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _lines(target: Path) -> list[str]:
    lines = target.read_text(encoding="utf-8").splitlines() if target.exists() else []
    parse_password_lines("\n".join(lines), str(target))  # refuse to rewrite a file we cannot read
    return lines


def set_password(path: str | Path, username: str, password: str) -> bool:
    """Add or update ``username`` in the password file (created 0600 if missing; rewritten atomically, 0600,
    keeping its owner). Returns True if the account is new."""
    target = Path(path)
    lines = _lines(target)
    kept = [line for line in lines if line.partition(":")[0] != username]
    _rewrite(target, [*kept, f"{username}:{hash_password(password)}"])
    return len(kept) == len(lines)


def remove_account(path: str | Path, username: str) -> bool:
    """Remove ``username`` from the password file (rewritten as :func:`set_password` does). Returns False
    when there was no such account (the file is then left alone)."""
    target = Path(path)
    if not target.exists():
        raise PasswordFileError(f"password file {target} does not exist")
    lines = _lines(target)
    kept = [line for line in lines if line.partition(":")[0] != username]
    if len(kept) == len(lines):
        return False
    _rewrite(target, kept)
    return True
