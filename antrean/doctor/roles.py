"""Which role a config file belongs to: the loader of each role is tried (the one the file's name or its
``node_id`` suggests first), the first that accepts it wins."""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from antrean.config import ConfigError, load_config

ROLES: dict[str, tuple[str, str]] = {
    "hub": ("hub.config", "HubConfig"),
    "kiosk": ("firmware.kiosk_node.config", "KioskConfig"),
    "display": ("firmware.display_node.config", "DisplayConfig"),
    "counter": ("firmware.counter_button.config", "CounterConfig"),
}


@dataclass(frozen=True)
class Loaded:
    role: str | None
    config: Any
    error: str | None


def _hinted(path: str) -> list[str]:
    """Roles in the order to try: the file's name (kiosk.toml), its node_id (kiosk-2), then the rest."""
    hints = [Path(path).stem.split(".")[0]]
    try:
        with open(path, "rb") as handle:
            node_id = tomllib.load(handle).get("node_id")
        if isinstance(node_id, str):
            hints.append(node_id.split("-")[0])
    except (OSError, tomllib.TOMLDecodeError):
        pass
    ordered = [role for role in hints if role in ROLES]
    return list(dict.fromkeys([*ordered, *ROLES]))


def load_role(path: str, role: str | None = None, env: Mapping[str, str] | None = None) -> Loaded:
    """The role and config of ``path`` (``role`` forces one); when no loader accepts it, the error of the
    most likely role."""
    errors: dict[str, str] = {}
    for candidate in [role] if role else _hinted(path):
        module, name = ROLES[candidate]
        try:
            model = getattr(importlib.import_module(module), name)
        except ImportError as exc:
            errors[candidate] = f"the {candidate} part of Antrean is not installed here ({exc.name})"
            continue
        try:
            return Loaded(candidate, load_config(model, path, env=env), None)
        except ConfigError as exc:
            errors[candidate] = str(exc)
    return Loaded(None, None, next(iter(errors.values())))
