"""Password policy (seed section 10: 8+ characters, letters, digits and a symbol) and argon2 hashing."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_dummy: str | None = None


def set_cost(time_cost: int, memory_kib: int) -> None:
    """Change the hashing cost (tests lower it; production keeps argon2-cffi's RFC 9106 defaults)."""
    global _hasher, _dummy
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _dummy = None


def password_problems(password: str) -> list[str]:
    """What is wrong with ``password``, in Indonesian; empty when it is acceptable.

    >>> password_problems("Rahasia#2026")
    []
    >>> password_problems("rahasia")
    ['minimal 8 karakter', 'harus memuat angka', 'harus memuat simbol (mis. ! @ # ?)']
    """
    problems = []
    if len(password) < 8:
        problems.append("minimal 8 karakter")
    if not any(c.isalpha() for c in password):
        problems.append("harus memuat huruf")
    if not any(c.isdigit() for c in password):
        problems.append("harus memuat angka")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        problems.append("harus memuat simbol (mis. ! @ # ?)")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash of a random password at the current cost: verifying against it takes as long as against a real
    account's, so a login for an unknown username answers in the same time.

    >>> verify_password(dummy_hash(), "Rahasia#2026")
    False
    """
    global _dummy
    if _dummy is None:
        _dummy = _hasher.hash(secrets.token_urlsafe(24))
    return _dummy


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
