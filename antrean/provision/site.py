"""The site file of ``antrean provision``: one strict model describing a puskesmas installation.

>>> site = SiteConfig.model_validate({
...     "site": "pkm", "site_name": "Puskesmas Gladak Pakem", "hub_address": "10.0.0.2",
...     "mqtt_port": 8883, "web_port": 8080,
...     "nodes": [{"id": "kiosk-1", "role": "kiosk"},
...               {"id": "counter-1", "role": "counter", "lokets": [1, 2]}],
... })
>>> [node.id for node in site.nodes], site.hub_is_ip
(['kiosk-1', 'counter-1'], True)
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from antrean.config import ConfigModel
from protocol.topics import check_segment

HUB_ID = "hub"
MAX_LOKETS_PER_COUNTER = 3  # default pin slots of a counter node (firmware.counter_button.config)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class SiteNode(ConfigModel):
    id: str = Field(description="Node id, unique on the site: its MQTT account and bundle folder")
    role: Literal["kiosk", "display", "counter"] = Field(description="kiosk, display or counter")
    lokets: list[int] = Field(
        default_factory=list,
        description="Counter nodes only: the loket numbers its buttons serve (1 to 3, default pins)",
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if value == HUB_ID:
            raise ValueError(f"{HUB_ID!r} is the hub's own id")
        return check_segment(value)

    @model_validator(mode="after")
    def _lokets(self) -> Self:
        if self.role != "counter" and self.lokets:
            raise ValueError("lokets are only for counter nodes")
        if self.role == "counter":
            if not 1 <= len(self.lokets) <= MAX_LOKETS_PER_COUNTER:
                raise ValueError(f"a counter node serves 1 to {MAX_LOKETS_PER_COUNTER} lokets")
            if len(set(self.lokets)) != len(self.lokets) or not all(1 <= n <= 99 for n in self.lokets):
                raise ValueError(f"lokets must be distinct numbers 1 to 99, got {self.lokets}")
        return self


class SiteConfig(ConfigModel):
    site: str = Field(description="Site id: the MQTT root antrean/{site}")
    site_name: str = Field(min_length=1, description="Name of the puskesmas shown on kiosk, tickets, display")
    hub_address: str = Field(description="IP address or host name the nodes connect to (in the certificate)")
    mqtt_port: int = Field(ge=1, le=65535, description="Port of the broker's TLS listener (usually 8883)")
    web_port: int = Field(ge=1, le=65535, description="Port of the hub's web (usually 8080)")
    nodes: list[SiteNode] = Field(min_length=1, description="One [[nodes]] table per node")

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        return check_segment(value)

    @field_validator("hub_address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.match(value):
                raise ValueError(f"not an IP address or host name: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        ids = [node.id for node in self.nodes]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"node ids appear twice: {', '.join(twice)}")
        served: dict[int, str] = {}
        for node in self.nodes:
            for n in node.lokets:
                if n in served:
                    raise ValueError(f"loket {n} is served by both {served[n]} and {node.id}")
                served[n] = node.id
        if self.mqtt_port == self.web_port:
            raise ValueError("mqtt_port and web_port must differ")
        return self

    @property
    def hub_is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.hub_address)
        except ValueError:
            return False
        return True

    @property
    def hub_host(self) -> str:
        """``hub_address`` as the host part of a URL (IPv6 in brackets)."""
        return f"[{self.hub_address}]" if ":" in self.hub_address else self.hub_address

    @property
    def lan(self) -> str:
        """The network the hub serves time to: the /24 of an IPv4 ``hub_address`` (/64 for IPv6); a host
        name gives ``0.0.0.0/0`` (any client: narrow it by hand in the hub's chrony.conf)."""
        if not self.hub_is_ip:
            return "0.0.0.0/0"
        address = ipaddress.ip_address(self.hub_address)
        return str(ipaddress.ip_network(f"{address}/{24 if address.version == 4 else 64}", strict=False))

    def of_role(self, role: str) -> list[SiteNode]:
        return [node for node in self.nodes if node.role == role]
