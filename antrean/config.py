"""Strict configuration loading shared by every Antrean process.

One TOML file per process, every key overridable by an ``ANTREAN_...`` environment variable
(``ANTREAN_SITE``, ``ANTREAN_MQTT_URL``, ``ANTREAN_QUEUE_PRIORITY_RATIO``...), unknown keys refused,
and a clear error naming the bad key.

>>> from pydantic import Field
>>> class Example(ConfigModel):
...     site: str = Field("pkm", description="MQTT root")
>>> load_config(Example, None, env={"ANTREAN_SITE": "x"}).site
'x'
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

ENV_PREFIX = "ANTREAN_"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


class ConfigModel(BaseModel):
    """Base of every config section: unknown keys are an error, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


T = TypeVar("T", bound=ConfigModel)


def _section_model(annotation: Any) -> type[ConfigModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, ConfigModel):
        return annotation
    return None


def _env_value(raw: str, annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (list, tuple, dict) or annotation in (list, dict):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return [part.strip() for part in raw.split(",") if part.strip()]
    for arg in get_args(annotation):
        if get_origin(arg) in (list, dict):
            return json.loads(raw)
    return raw


def _apply_env(model: type[ConfigModel], data: dict[str, Any], env: Mapping[str, str], prefix: str) -> None:
    for name, field in model.model_fields.items():
        env_name = f"{prefix}{name}".upper()
        section = _section_model(field.annotation)
        if section is not None:
            sub = data.setdefault(name, {})
            if isinstance(sub, dict):
                _apply_env(section, sub, env, f"{prefix}{name}_")
            continue
        if env_name in env:
            data[name] = _env_value(env[env_name], field.annotation)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _format_errors(source: str, error: ValidationError) -> str:
    lines = [f"invalid configuration in {source}:"]
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        key = ".".join(loc) if loc else "(root)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        else:
            lines.append(f"  {key}: {item['msg']}")
    return "\n".join(lines)


def load_config(
    model: type[T],
    path: str | Path | None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """Read ``path`` (TOML), overlay ``ANTREAN_*`` environment variables and ``overrides``
    (dotted keys such as ``"mqtt.url"``; ``None`` values are ignored), validate strictly."""
    source = str(path) if path else "(defaults)"
    data: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    _apply_env(model, data, os.environ if env is None else env, ENV_PREFIX)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc)) from exc


def describe_config(model: type[ConfigModel], title: str) -> str:
    """Markdown reference of every key of ``model`` (used for docs/configuration.md)."""
    lines = [f"## {title}", "", "| key | default | environment | description |", "|---|---|---|---|"]

    def walk(current: type[ConfigModel], prefix: str) -> None:
        for name, field in current.model_fields.items():
            section = _section_model(field.annotation)
            dotted = f"{prefix}{name}"
            if section is not None:
                walk(section, f"{dotted}.")
                continue
            default = field.get_default(call_default_factory=True)
            env_name = ENV_PREFIX + dotted.replace(".", "_").upper()
            description = (field.description or "").replace("|", "\\|")
            shown = json.dumps(default, ensure_ascii=False, default=str)
            lines.append(f"| `{dotted}` | `{shown}` | `{env_name}` | {description} |")

    walk(model, "")
    return "\n".join(lines) + "\n"


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_hhmm(value: str) -> str:
    """A time of day as the configs write it, ``HH:MM`` (validators raise on anything else)."""
    if not _HHMM.match(value):
        raise ValueError(f"must be a time HH:MM, got {value!r}")
    return value


def parse_hhmm(value: str) -> time:
    """``"07:30"`` → ``time(7, 30)`` (after :func:`check_hhmm`)."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
