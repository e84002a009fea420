"""The MQTT accounts of a site, kept in ``DIR/secrets.json`` (0600) so that running ``antrean provision``
again gives every node the password it already has; ``--rotate NODE`` makes a new one.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> first = site_accounts(folder, ["hub", "kiosk-1"])
>>> again = site_accounts(folder, ["hub", "kiosk-1"], rotate=["kiosk-1"])
>>> first["hub"] == again["hub"], first["kiosk-1"] == again["kiosk-1"]
(True, False)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path

from antrean.provision.files import write_file
from hub.mqttauth import password_problem

SECRETS_FILE = "secrets.json"


def new_password(user: str) -> str:
    while True:
        password = secrets.token_urlsafe(24)  # 32 URL-safe characters: no quoting needed in mqtts:// URLs
        if password_problem(user, password) is None:
            return password


def site_accounts(folder: Path, users: Iterable[str], rotate: Iterable[str] = ()) -> dict[str, str]:
    """``{user: password}`` for ``users``: kept from the last run, new for new users and for ``rotate``.
    Accounts of users no longer listed are dropped (a node added again later gets a new password)."""
    path = folder / SECRETS_FILE
    kept: dict[str, str] = {}
    if path.exists():
        kept = json.loads(path.read_text(encoding="utf-8")).get("mqtt_accounts", {})
    renew = set(rotate)
    accounts = {
        user: kept[user] if user in kept and user not in renew else new_password(user) for user in users
    }
    write_file(path, json.dumps({"mqtt_accounts": accounts}, indent=2) + "\n", secret=True)
    return accounts
