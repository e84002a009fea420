"""The hub's configuration for the patients' channels outside the building: the public listener, online
booking, Mobile JKN (Antrean FKTP) and WhatsApp. Part of :class:`hub.config.HubConfig` (``[public]``,
``[booking]``, ``[jkn]``, ``[whatsapp]``); split from ``hub/config.py`` only for its size."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from antrean.config import ConfigModel, check_hhmm


class PublicConfig(ConfigModel):
    """The public listener: what the internet may reach (ticket status page, online booking, the Mobile JKN
    web service), on its own port, never the loket/admin pages."""

    host: str = Field("0.0.0.0", description="Address the public listener listens on")
    port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the public listener, e.g. 8081 (0: off). Expose only this port to the internet, "
        "through a reverse proxy with HTTPS (see docs/public.md)",
    )
    url: str = Field(
        "",
        description="Base URL of the public listener as patients reach it, e.g. https://antrean.pkm.id; "
        "printed in new ticket QR codes (empty: [web] public_url)",
    )
    threads: int = Field(8, ge=2, le=64, description="Public listener worker threads")
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses of reverse proxies / tunnels whose X-Forwarded-For is believed, "
        'e.g. ["127.0.0.1"] for Caddy or cloudflared on the hub; any other address is its own client',
    )
    lan_networks: list[str] = Field(
        [],
        description='Networks of the puskesmas Wi-Fi/LAN, e.g. ["192.168.1.0/24"]: a patient whose '
        "booking page comes from there may confirm arrival on the phone (empty: only at the kiosk or loket)",
    )

    @field_validator("lan_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network such as 192.168.1.0/24: {network!r}") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            try:
                ipaddress.ip_address(address)
            except ValueError as exc:
                raise ValueError(f"not an IP address: {address!r}") from exc
        return value


class BookingSettings(ConfigModel):
    """Online booking (public listener)."""

    days_ahead: int = Field(
        7, ge=0, le=60, description="A booking may be made for today up to this many days ahead"
    )
    release_at: str = Field(
        "10:00",
        description="Unconfirmed bookings of the day release their quota place at this time (HH:MM)",
    )
    closed_weekdays: list[int] = Field(
        [7], description="Days no booking can be made for, 1 = Monday … 7 = Sunday"
    )
    per_phone_per_day: int = Field(
        2, ge=1, le=20, description="Open bookings one phone number may hold for one day"
    )
    per_client_per_hour: int = Field(
        10, ge=1, le=1000, description="Bookings one client address may make per hour"
    )

    @field_validator("release_at")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)

    @field_validator("closed_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return value


class JknConfig(ConfigModel):
    """Mobile JKN (Antrean FKTP): the web service BPJS calls, and the calls to BPJS."""

    ws_path: str = Field("/jkn", description="Path of the Antrean FKTP web service on the public listener")
    ws_username: str = Field("", description="User name BPJS sends in x-username; empty: web service off")
    ws_password: str = Field(
        "",
        description="argon2 hash of the password BPJS sends in x-password "
        "(make it with `antrean jkn hash-password`; a plain password is refused)",
    )
    token_ttl_s: int = Field(3600, ge=60, le=86400, description="Lifetime of a token from GET auth (s)")
    base_url: str = Field(
        "",
        description="Antrean FKTP base URL at BPJS, e.g. https://apijkn.bpjs-kesehatan.go.id/antreanfktp; "
        "empty: nothing is sent to BPJS. Signed with the PCare credentials ([bpjs] / admin settings)",
    )
    user_key: str = Field(
        "", description="user_key of the Antrean FKTP service when it differs from PCare's; empty: PCare's"
    )
    days_ahead: int = Field(7, ge=0, le=90, description="How many days ahead Mobile JKN may take a number")

    @field_validator("ws_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/") or len(value) < 2:
            raise ValueError(f'must start with "/" and not end with one, e.g. "/jkn", got {value!r}')
        return value

    @field_validator("ws_password")
    @classmethod
    def _hashed(cls, value: str) -> str:
        if value and not value.startswith("$argon2"):
            raise ValueError("must be an argon2 hash: run `antrean jkn hash-password`")
        return value


class WhatsAppConfig(ConfigModel):
    """WhatsApp messages to patients who gave a phone number (bookings, Mobile JKN)."""

    provider: str = Field("", description='"cloud" (WhatsApp Business Cloud API), "gateway" or "" (off)')
    base_url: str = Field("https://graph.facebook.com/v21.0", description="Cloud API base URL")
    phone_number_id: str = Field("", description="Cloud API sender phone number id")
    token: str = Field("", description="Cloud API or gateway token (prefer env ANTREAN_WHATSAPP_TOKEN)")
    language: str = Field("id", description="Language code of the Cloud API templates")
    url: str = Field("", description="Gateway: URL the message is POSTed to")
    body: str = Field("json", description='Gateway: body as "json" or "form"')
    phone_field: str = Field("target", description="Gateway: name of the phone number field")
    message_field: str = Field("message", description="Gateway: name of the message text field")
    token_field: str = Field(
        "", description='Gateway: body field carrying the token; empty: header "Authorization: <token>"'
    )
    notify_before: int = Field(
        3,
        ge=1,
        le=50,
        description='"Giliran Anda sebentar lagi" when this many tickets are ahead: the WhatsApp message, '
        "and the open ticket page rings, vibrates and changes its title (one number for both)",
    )
    reminder_time: str = Field("18:00", description="When the reminder for tomorrow's bookings goes (HH:MM)")
    timeout_s: float = Field(10.0, gt=0, le=60, description="Timeout of one send (s)")
    max_attempts: int = Field(8, ge=1, le=100, description="Attempts before a message is marked failed")
    interval_s: float = Field(1.0, gt=0, le=60, description="How often the sender looks for queue events (s)")

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value not in ("", "cloud", "gateway"):
            raise ValueError(f'must be "cloud", "gateway" or "", got {value!r}')
        return value

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if value not in ("json", "form"):
            raise ValueError(f'must be "json" or "form", got {value!r}')
        return value

    @field_validator("reminder_time")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)
