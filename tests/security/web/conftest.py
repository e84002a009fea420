"""The web's fixtures (app → client → logged-in helper on a fresh database, shared with tests/web), and an
attacker's helpers."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.web.conftest import Web, admin, app, clock, services, staff, web  # noqa: F401  (fixtures)

WRONG = "Salah#1234"
ATTACKER = "10.9.9.66"


@pytest.fixture(autouse=True)
def _show_500s(app: Flask) -> None:  # noqa: F811
    """A server error answers 500 (as in production) instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False


def client(app: Flask, address: str = "127.0.0.1") -> Web:  # noqa: F811
    """A browser of its own (its own cookies) at ``address``."""
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = address
    return Web(test_client)


def hammer(app: Flask, username: str, tries: int = 30, address: str = ATTACKER) -> None:  # noqa: F811
    """Wrong passwords for ``username`` from ``address``; every one is answered 401."""
    attacker = client(app, address)
    for _ in range(tries):
        assert attacker.login(username, WRONG).status_code == 401
