"""What every node process (kiosk, display, counter) shares: common config keys and CLI overrides.

A node's config model subclasses :class:`NodeConfig`; its ``main()`` adds :func:`add_common_arguments`
to its parser and passes :func:`common_overrides` to :func:`antrean.config.load_config`.
"""

from __future__ import annotations

import argparse
import ssl
from typing import Any

from pydantic import Field, field_validator

from antrean.config import ConfigModel
from protocol.topics import check_segment
from protocol.transport import client_tls_context


class NodeMqttConfig(ConfigModel):
    url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="Broker URL, e.g. mqtt://user:pass@hub.local:1883, or mqtts://user:pass@10.0.0.2:8883 "
        "for TLS (what antrean provision writes)",
    )
    ca_file: str = Field(
        "",
        description="For mqtts://: the CA certificate (PEM) the broker's certificate must chain to, e.g. "
        "/etc/antrean/ca.crt (the site CA of antrean provision); empty: the system's CAs",
    )

    @field_validator("ca_file")
    @classmethod
    def _readable_ca(cls, value: str) -> str:
        if value:
            try:
                client_tls_context(value)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"cannot use {value} as CA certificate: {exc}") from exc
        return value


class NodeConfig(ConfigModel):
    site: str = Field("pkm", description="Site id: the MQTT root is antrean/{site}")
    node_id: str = Field(description="This node's id, unique on the site (e.g. kiosk-1)")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    timezone: str = Field("Asia/Jakarta", description="Time zone for dates and clocks shown")
    mqtt: NodeMqttConfig = Field(NodeMqttConfig(), description="Broker connection")

    @field_validator("site", "node_id")
    @classmethod
    def _segment(cls, value: str) -> str:
        return check_segment(value)


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML config file")
    parser.add_argument("--mqtt-url", help="override [mqtt] url")
    parser.add_argument("--site", help="override site")
    parser.add_argument("--node-id", help="override node_id")
    parser.add_argument("--check-config", action="store_true", help="validate the config and exit")


def common_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"mqtt.url": args.mqtt_url, "site": args.site, "node_id": args.node_id}
