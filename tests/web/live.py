"""A real ``antrean hub`` with the web on a socket, wired to the PCare simulator, for the server and
browser tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from antrean.cli import main as antrean
from benchmarks.harness import user_add_args
from hub.bpjs.simulator import SimCredentials, SimulatorServer
from hub.broker import free_port
from tests.support import wait_until

PASSWORD = "Rahasia#2026"
CREDS = SimCredentials("1234", "s3cret-pwd", "uk-abcdef", "pkm_gladak", "P@ssw0rd!")
_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def bpjs_toml(base_url: str) -> str:
    return (
        "\n[bpjs]\n"
        f'base_url = "{base_url}"\ncons_id = "{CREDS.cons_id}"\nsecret = "{CREDS.secret}"\n'
        f'user_key = "{CREDS.user_key}"\nusername = "{CREDS.username}"\npassword = "{CREDS.password}"\n'
        'provider_code = "0901R001"\nprovider_name = "PUSKESMAS GLADAK PAKEM"\n'
        "connect_timeout_s = 2.0\nread_timeout_s = 5.0\n"
    )


@dataclass
class LiveHub:
    url: str
    handle: Any
    sim: SimulatorServer

    def session(self, username: str) -> requests.Session:
        """A logged-in HTTP session (with the CSRF token in ``headers``)."""
        http = requests.Session()
        token = _META.search(http.get(f"{self.url}/login", timeout=10).text)
        assert token
        response = http.post(
            f"{self.url}/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
            timeout=10,
        )
        assert response.status_code == 200 and "/login" not in response.url, response.text[-500:]
        page_token = _META.search(http.get(f"{self.url}/dashboard", timeout=10).text)
        assert page_token
        http.headers["X-CSRFToken"] = page_token.group(1)
        return http


def start_live_hub(hub_runner: Callable[..., Any], sim: SimulatorServer, extra_toml: str = "") -> LiveHub:
    """``extra_toml``: queue keys, then further tables, before the ``[bpjs]`` table."""
    port = free_port()
    handle = hub_runner(start=False, web_port=port, extra_toml=extra_toml + bpjs_toml(sim.url))
    config = str(handle.config_path)
    for username, role, extra in (("admin", "admin", []), ("siti", "receptionist", ["--counter", "1"])):
        account = user_add_args(config, username, role, PASSWORD, "--name", username.title(), *extra)
        code = antrean(["user", *account])
        assert code == 0
    handle.start()
    url = f"http://127.0.0.1:{port}"

    wait_for_http(f"{url}/login")
    return LiveHub(url, handle, sim)


def wait_for_http(url: str, timeout: float = 20) -> None:
    """Until ``url`` answers at all (the hub opens its staff and public listeners one after the other)."""

    def up() -> bool:
        try:
            return requests.get(url, timeout=2).status_code < 500
        except requests.ConnectionError:
            return False

    wait_until(up, timeout=timeout, interval=0.1)
