"""The hub's configuration (``/etc/antrean/hub.toml``): one strict model, every key documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from antrean.config import ConfigModel, check_hhmm
from hub.config_channels import BookingSettings, JknConfig, PublicConfig, WhatsAppConfig
from hub.db.base import sqlite_url
from protocol.topics import check_segment

_RATIO = re.compile(r"^(strict|[1-9]\d?:[1-9]\d?)$")


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
        return check_hhmm(value)


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
