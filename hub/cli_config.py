"""How the hub's technician commands (``hub``, ``db``, ``user``, ``backup``) find their configuration, and
say which one they use: a user added "for the demo" must not go quietly into another database."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from antrean.config import load_config
from hub.config import HubConfig
from hub.db.identity import describe

SITE_CONFIG = Path("/etc/antrean/hub.toml")


def load_hub_command_config(
    prog: str,
    path: str | None,
    overrides: Mapping[str, Any] | None = None,
    *,
    out: TextIO | None = None,
    site_config: Path = SITE_CONFIG,
) -> HubConfig:
    """The validated config of ``path`` (or the built-in defaults), after one line on ``out`` (stderr)
    saying which config, data folder and database are in use. Raises :class:`antrean.config.ConfigError`."""
    config = load_config(HubConfig, path, overrides=overrides)
    (out or sys.stderr).write(config_notice(prog, path, config, site_config=site_config))
    return config


def config_notice(prog: str, path: str | None, config: HubConfig, *, site_config: Path = SITE_CONFIG) -> str:
    """The line (or two) a command prints about the config it uses.

    >>> notice = config_notice("antrean user", None, HubConfig(), site_config=Path("/nonexistent"))
    >>> for part in notice.split(", "):
    ...     print(part.strip())
    antrean user: no --config given: built-in defaults in effect (data folder /var/lib/antrean
    database /var/lib/antrean/antrean.db
    MQTT 0.0.0.0:1883)
    """
    where = f"data folder {config.data_dir}, database {describe(config.database_url)}"
    if path:
        return f"{prog}: config {path} ({where})\n"
    mqtt = config.mqtt.url or f"{config.broker.host}:{config.broker.port}"
    line = f"{prog}: no --config given: built-in defaults in effect ({where}, MQTT {mqtt})\n"
    if site_config.is_file():
        line += f"{prog}: note: {site_config} exists but is not used; pass --config {site_config}\n"
    return line
