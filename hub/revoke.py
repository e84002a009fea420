"""Revoking a node: its MQTT account leaves the password file and the broker forgets it at once.

The embedded broker reads the files again on a signal and disconnects the node's client immediately
(:meth:`hub.broker.BrokerProcess.reload`); an external broker (Mosquitto) is told by ``[broker]
reload_command`` (``systemctl reload mosquitto``: Mosquitto reads ``password_file`` again on SIGHUP).

>>> RevokeOutcome("kiosk-1", removed=True, reloaded=["embedded broker"]).summary()
'account kiosk-1 removed; reloaded: embedded broker'
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from dataclasses import dataclass, field

from hub.broker import BrokerProcess
from hub.config import HubConfig
from hub.mqttauth import PasswordFileError, read_password_file, remove_account

logger = logging.getLogger(__name__)
RELOAD_TIMEOUT_S = 30


class RevokeError(Exception):
    """The account could not be removed (no password file, or one that cannot be read or written)."""


@dataclass(frozen=True)
class RevokeOutcome:
    node: str
    removed: bool
    reloaded: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        head = f"account {self.node} {'removed' if self.removed else 'was not in the password file'}"
        parts = [head, f"reloaded: {', '.join(self.reloaded) or 'nothing'}"]
        return "; ".join(parts + self.problems)


def run_reload_command(command: str) -> str | None:
    """Run ``[broker] reload_command``; None when it succeeded, else what went wrong."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=RELOAD_TIMEOUT_S, check=False
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return f"reload command {command!r} failed: {exc}"
    if done.returncode != 0:
        return f"reload command {command!r} exited with {done.returncode}: {done.stderr.strip()[:200]}"
    return None


def revoke_node(config: HubConfig, broker: BrokerProcess | None, node: str) -> RevokeOutcome:
    """Remove ``node``'s account from ``[broker] password_file`` and make the broker reload it."""
    password_file = config.broker.password_file
    if not password_file:
        raise RevokeError("[broker] password_file is not set: there are no accounts to revoke")
    try:
        removed = remove_account(password_file, node)
    except (PasswordFileError, OSError) as exc:
        raise RevokeError(str(exc)) from exc
    reloaded: list[str] = []
    problems: list[str] = []
    if broker is not None and broker.reload():
        reloaded.append("embedded broker")
    if config.broker.reload_command:
        problem = run_reload_command(config.broker.reload_command)
        if problem is None:
            reloaded.append(config.broker.reload_command)
        else:
            problems.append(problem)
    if broker is None and not config.broker.reload_command:
        problems.append("external broker not told: set [broker] reload_command (systemctl reload mosquitto)")
    outcome = RevokeOutcome(node, removed, reloaded, problems)
    logger.warning("node %s revoked: %s", node, outcome.summary())
    return outcome


@dataclass(frozen=True)
class NodeAccounts:
    """The nodes' MQTT accounts as the web sees them: which exist, and revoking one."""

    config: HubConfig
    broker: BrokerProcess | None = None

    def names(self) -> set[str] | None:
        """User names in the password file; None when it cannot be read."""
        try:
            return set(read_password_file(self.config.broker.password_file))
        except (PasswordFileError, OSError):
            return None

    def revoke(self, node: str) -> RevokeOutcome:
        return revoke_node(self.config, self.broker, node)
