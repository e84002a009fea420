"""The hub's configuration (``/etc/antrean/hub.toml``): one strict model, every key documented."""

from __future__ import annotations

import ipaddress
import re
from datetime import time
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from antrean.config import ConfigModel
from hub.db.base import sqlite_url
from protocol.topics import check_segment

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_RATIO = re.compile(r"^(strict|[1-9]\d?:[1-9]\d?)$")


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"must be a time HH:MM, got {value!r}")
    return value


class BrokerConfig(ConfigModel):
    host: str = Field("0.0.0.0", description="Address the embedded broker listens on")
    port: int = Field(
        1883, ge=1, le=65535, description="Port of the embedded broker (used when [mqtt] url is empty)"
    )
    password_file: str = Field(
        "",
        description="MQTT accounts in Mosquitto's format (antrean broker passwd FILE USER); "
        "required unless allow_anonymous",
    )
    acl_file: str = Field(
        "",
        description="Who may publish and read what, in Mosquitto's ACL format "
        "(template: provisioning/mosquitto.acl)",
    )
    allow_anonymous: bool = Field(
        False,
        description="Let clients in without an account (tests only: without acl_file they may do anything)",
    )
    tls_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of the TLS listener (mqtts://, nodes verify it with the site CA), e.g. 8883; "
        "0: none. With TLS on, set host to 127.0.0.1: the plain listener then only serves the hub itself",
    )
    tls_host: str = Field("0.0.0.0", description="Address the TLS listener listens on")
    certfile: str = Field(
        "", description="The broker's certificate (PEM, signed by the site CA); required with tls_port"
    )
    keyfile: str = Field("", description="The private key of certfile (PEM, 0600); required with tls_port")
    reload_command: str = Field(
        "",
        description="Run after a node's account is revoked, so an external broker reads password_file again, "
        'e.g. "systemctl reload mosquitto"; empty: none (the embedded broker reloads by itself)',
    )

    @model_validator(mode="after")
    def _tls_files(self) -> Self:
        if self.tls_port and not (self.certfile and self.keyfile):
            raise ValueError("tls_port needs certfile and keyfile (antrean provision writes them)")
        if self.tls_port and self.tls_port == self.port and self.tls_host == self.host:
            raise ValueError("tls_port must differ from port")
        return self


class MqttConfig(ConfigModel):
    url: str = Field(
        "", description='External broker, e.g. "mqtt://user:pass@127.0.0.1:1883"; empty: embedded'
    )


class DatabaseConfig(ConfigModel):
    url: str = Field(
        "",
        description="SQLAlchemy URL, e.g. postgresql+psycopg://antrean@localhost/antrean; "
        "empty: SQLite in data_dir",
    )


class WebConfig(ConfigModel):
    host: str = Field("0.0.0.0", description="Address the web server listens on")
    port: int = Field(8080, ge=0, le=65535, description="Port of the loket/admin web (0: web disabled)")
    public_url: str = Field(
        "",
        description="Base URL printed in ticket QR codes, e.g. http://10.0.0.2:8080; "
        "empty: http://<hostname>:<port>",
    )
    secret_key_file: str = Field(
        "", description="File holding the session signing key; empty: data_dir/secret_key"
    )
    threads: int = Field(8, ge=1, le=64, description="Web server worker threads")
    wheelhouse: str = Field(
        "",
        description="Folder of the wheels the nodes install from (antrean provision wheelhouse), served "
        "read-only without login at /wheels/ on this (LAN) listener; empty: data_dir/wheelhouse",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the web whose X-Forwarded-For is believed (0: clients "
        "connect directly; 1: e.g. Caddy or nginx on the hub). Sets the client address of the login "
        "throttle and the audit log; never set it when clients can reach the web directly",
    )


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
        return _check_hhmm(value)

    @field_validator("closed_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return value


class QueueSettings(ConfigModel):
    """Queue rules. Keys set here are written to the live queue configuration at every start;
    keys not set keep what the admin set in the web."""

    priority_ratio: str = Field("2:1", description='"N:M" (N priority calls, then M general) or "strict"')
    operating_start: str = Field("07:30", description="Tickets are issued from this time (HH:MM)")
    operating_end: str = Field(
        "14:00", description="... until this time (HH:MM); 24-hour polys are always open"
    )
    reset_time: str = Field(
        "06:00", description="Start of the service day (HH:MM); earlier unfinished tickets expire"
    )
    avg_service_minutes: int = Field(
        5, ge=1, le=120, description="Loket service time used until today's is measured"
    )
    max_general_wait_min: int = Field(
        60,
        ge=0,
        le=1440,
        description="Fairness cap: a general ticket waiting longer "
        "is called before further priority tickets (0: off; not applied when priority_ratio is strict)",
    )
    running_text: str = Field(
        "Selamat datang. Budayakan antre dan jaga kebersihan.",
        description="Running text on the waiting-room screen",
    )
    tts_enabled: bool = Field(True, description="Voice calls on the display")
    target_wait_min: int = Field(
        15,
        ge=1,
        le=240,
        description="Staffing advice: the fewest lokets keeping the predicted mean wait under this (minutes)",
    )

    @field_validator("priority_ratio")
    @classmethod
    def _ratio(cls, value: str) -> str:
        if not _RATIO.match(value):
            raise ValueError(f'must be "N:M" such as "2:1", or "strict", got {value!r}')
        return value

    @field_validator("operating_start", "operating_end", "reset_time")
    @classmethod
    def _time(cls, value: str) -> str:
        return _check_hhmm(value)


class BpjsSettings(ConfigModel):
    base_url: str = Field(
        "", description="PCare base URL; empty: BPJS bridge off until configured in the web"
    )
    key_file: str = Field(
        "",
        description="File with the key that encrypts BPJS secrets in the database; "
        "empty: data_dir/bpjs.key (or env ANTREAN_BPJS_KEY)",
    )
    cons_id: str = Field(
        "", description="Consumer ID (X-cons-id); used when the admin has not set one in the web"
    )
    secret: str = Field(
        "", description="Consumer secret; fallback for the web setting (prefer env ANTREAN_BPJS_SECRET)"
    )
    user_key: str = Field("", description="API-gateway user_key; fallback for the web setting")
    username: str = Field("", description="PCare user name; fallback for the web setting")
    password: str = Field("", description="PCare password; fallback for the web setting")
    provider_code: str = Field("", description="Kode provider (FKTP) of this puskesmas, e.g. 0901R001")
    provider_name: str = Field("", description="Name of the provider as PCare knows it")
    content_type: str = Field(
        "Application/x-www-form-urlencoded",
        description="Content-Type sent with the JSON body (some gateways want text/plain)",
    )
    connect_timeout_s: float = Field(3.0, gt=0, le=60, description="Connect timeout of a PCare call (s)")
    read_timeout_s: float = Field(10.0, gt=0, le=120, description="Read timeout of a PCare call (s)")
    read_retries: int = Field(1, ge=0, le=5, description="Retries of a failed read (GET), with backoff")
    breaker_failures: int = Field(
        3, ge=1, le=100, description="Consecutive failures that open the circuit (calls then fail at once)"
    )
    breaker_reset_s: float = Field(
        30.0, gt=0, le=3600, description="Seconds the circuit stays open before one trial call"
    )
    outbox_interval_s: float = Field(
        5.0, gt=0, le=3600, description="How often the outbox worker looks for registrations to send"
    )
    outbox_max_attempts: int = Field(
        50, ge=1, le=10000, description="Attempts after which a queued registration is marked failed"
    )


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
        return _check_hhmm(value)


class BackupConfig(ConfigModel):
    dir: str = Field("", description="Folder of the `antrean backup` files; empty: data_dir/backups")
    keep: int = Field(
        14, ge=1, le=3650, description="Backups kept: after each new one the oldest beyond this many go"
    )


class RetentionConfig(ConfigModel):
    """What the daily prune (``antrean db prune``, after the night's backup) forgets; patients, tickets,
    their events, registrations and BPJS outbox items are never pruned (docs/hub.md, Retention)."""

    request_log_days: int = Field(
        7,
        ge=2,
        le=3650,
        description="Days the request-id log is kept (a retry is only answered the same day)",
    )
    bpjs_log_days: int = Field(
        365, ge=30, le=36500, description="Days PCare call logs (with bodies) are kept"
    )
    audit_log_days: int = Field(1825, ge=365, le=36500, description="Days audit log rows are kept")
    notification_days: int = Field(90, ge=7, le=36500, description="Days messages to patients are kept")
    archive_dir: str = Field(
        "", description="Where pruned rows are archived first (gzip'd JSON lines); empty: data_dir/archive"
    )


class HubConfig(ConfigModel):
    site: str = Field("pkm", description="MQTT root antrean/{site}")
    site_name: str = Field("Puskesmas Gladak Pakem", description="Name shown on kiosk, tickets and display")
    motto: str = Field("Melayani Sepenuh Hati", description="Motto shown under the name")
    data_dir: str = Field("/var/lib/antrean", description="Where the SQLite database, uploads and keys live")
    timezone: str = Field("Asia/Jakarta", description="Time zone of the puskesmas")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    node_id: str = Field("hub", description="Id of this hub process on MQTT")
    broker: BrokerConfig = Field(BrokerConfig(), description="Embedded broker")
    mqtt: MqttConfig = Field(MqttConfig(), description="External broker")
    database: DatabaseConfig = Field(DatabaseConfig(), description="Database")
    web: WebConfig = Field(WebConfig(), description="Web")
    queue: QueueSettings = Field(QueueSettings(), description="Queue rules")
    bpjs: BpjsSettings = Field(BpjsSettings(), description="BPJS bridge")
    backup: BackupConfig = Field(BackupConfig(), description="Backups (`antrean backup`)")
    retention: RetentionConfig = Field(RetentionConfig(), description="Daily prune (`antrean db prune`)")
    jkn: JknConfig = Field(JknConfig(), description="Mobile JKN (Antrean FKTP)")
    whatsapp: WhatsAppConfig = Field(WhatsAppConfig(), description="WhatsApp notifications")
    public: PublicConfig = Field(PublicConfig(), description="Public listener (internet-facing)")
    booking: BookingSettings = Field(BookingSettings(), description="Online booking")

    @field_validator("site", "node_id")
    @classmethod
    def _segment(cls, value: str) -> str:
        return check_segment(value)

    @model_validator(mode="after")
    def _listeners(self) -> Self:
        if self.public.port and self.public.port == self.web.port:
            raise ValueError("[public] port must differ from [web] port: staff pages never share it")
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def database_url(self) -> str:
        return self.database.url or sqlite_url(self.data_dir)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def backup_path(self) -> Path:
        return Path(self.backup.dir) if self.backup.dir else self.data_path / "backups"
