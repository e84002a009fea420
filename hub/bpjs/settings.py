"""PCare connection settings: stored in ``bpjs_configs`` (secrets encrypted), with the hub config as fallback.

Admins edit them in the web; the consumer secret, user key and PCare password are write-only there
(:meth:`PcareSettings.public_view` shows only whether they are set). A blank or missing value in
:func:`save_settings` keeps the stored one; ``None`` removes it.

>>> s = PcareSettings(cons_id="1", secret="s", user_key="u", username="n", password="p", base_url="http://x")
>>> s.configured, s.public_view()["secret"]
(True, True)
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.secretbox import KEY_ENV, SecretBox, SecretError, parse_key
from hub.bpjs.signing import APP_CODE, Credentials
from hub.config import BpjsSettings
from hub.db.base import utcnow
from hub.db.models import BpjsConfig

logger = logging.getLogger(__name__)

# field of PcareSettings -> (config_key in bpjs_configs, encrypted)
DB_KEYS: dict[str, tuple[str, bool]] = {
    "cons_id": ("consumer_id", False),
    "secret": ("consumer_secret", True),
    "user_key": ("user_key", True),
    "username": ("pcare_username", False),
    "password": ("pcare_password", True),
    "app_code": ("app_code", False),
    "base_url": ("base_url", False),
    "provider_code": ("provider_code", False),
    "provider_name": ("provider_name", False),
    "content_type": ("content_type", False),
    "connect_timeout_s": ("connect_timeout_s", False),
    "read_timeout_s": ("read_timeout_s", False),
}
SECRET_FIELDS = frozenset(name for name, (_, encrypted) in DB_KEYS.items() if encrypted)


class SettingsError(ValueError):
    """A value given to :func:`save_settings` is not acceptable; the message names the field."""


@dataclass(frozen=True)
class PcareSettings:
    """Everything the client needs to talk to PCare. ``repr`` never shows the secrets."""

    cons_id: str = ""
    secret: str = ""
    user_key: str = ""
    username: str = ""
    password: str = ""
    app_code: str = APP_CODE
    base_url: str = ""
    provider_code: str = ""
    provider_name: str = ""
    content_type: str = "Application/x-www-form-urlencoded"
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    read_retries: int = 1
    breaker_failures: int = 3
    breaker_reset_s: float = 30.0

    def __repr__(self) -> str:
        return (
            f"PcareSettings(base_url={self.base_url!r}, cons_id={self.cons_id!r}, "
            f"username={self.username!r}, provider_code={self.provider_code!r}, secrets=***)"
        )

    @property
    def configured(self) -> bool:
        return all((self.base_url, self.cons_id, self.secret, self.user_key, self.username, self.password))

    @property
    def credentials(self) -> Credentials:
        return Credentials(
            cons_id=self.cons_id,
            secret=self.secret,
            user_key=self.user_key,
            username=self.username,
            password=self.password,
            app_code=self.app_code,
        )

    def public_view(self) -> dict[str, Any]:
        """What a settings page may show: every value, except secrets, which become "is set" booleans."""
        view = asdict(self)
        for name in SECRET_FIELDS:
            view[name] = bool(view[name])
        return view

    @classmethod
    def from_config(cls, config: BpjsSettings) -> PcareSettings:
        """The fallback values from the hub config ``[bpjs]`` section."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in config.model_dump().items() if k in names}
        return cls(**values)


_default_box: SecretBox | None = None


def set_default_box(box: SecretBox | None) -> None:
    """The key used when :func:`load_settings` / :func:`save_settings` get no ``box`` (set by the bridge)."""
    global _default_box
    _default_box = box


def _box(box: SecretBox | None) -> SecretBox | None:
    if box is not None:
        return box
    if _default_box is not None:
        return _default_box
    import os

    return SecretBox(parse_key(os.environ[KEY_ENV])) if os.environ.get(KEY_ENV) else None


def _coerce(name: str, raw: str) -> Any:
    kind = type(getattr(PcareSettings(), name))
    if kind is float:
        return float(raw)
    if kind is int:
        return int(raw)
    return raw


def load_settings(
    sessions: sessionmaker[Session],
    *,
    box: SecretBox | None = None,
    fallback: PcareSettings | None = None,
) -> PcareSettings:
    """The effective settings: values in ``bpjs_configs`` over ``fallback`` (the hub config).
    A secret that cannot be decrypted (wrong key) is treated as unset and logged."""
    key_box = _box(box)
    values: dict[str, Any] = {}
    by_key = {config_key: (name, encrypted) for name, (config_key, encrypted) in DB_KEYS.items()}
    with sessions() as session:
        rows = session.scalars(select(BpjsConfig).where(BpjsConfig.config_key.in_(by_key))).all()
    for row in rows:
        name, encrypted = by_key[row.config_key]
        raw = row.config_value
        if encrypted or row.is_encrypted:
            if key_box is None:
                logger.error("BPJS setting %s is encrypted but no key is available", row.config_key)
                continue
            try:
                raw = key_box.decrypt(raw, row.config_key)
            except SecretError:
                logger.error("BPJS setting %s cannot be decrypted (wrong key file?)", row.config_key)
                continue
        try:
            values[name] = _coerce(name, raw)
        except ValueError:
            logger.error("BPJS setting %s has an unusable value", row.config_key)
    return replace(fallback or PcareSettings(), **values)


def _validate(name: str, value: str) -> str:
    if name not in DB_KEYS:
        raise SettingsError(f"{name}: bukan pengaturan BPJS yang dikenal")
    value = value.strip()
    if name == "base_url" and value and not value.startswith(("https://", "http://")):
        raise SettingsError("base_url: harus diawali https://")
    if name in ("connect_timeout_s", "read_timeout_s"):
        try:
            number = float(value)
        except ValueError as error:
            raise SettingsError(f"{name}: harus berupa angka detik") from error
        if not 0 < number <= 120:
            raise SettingsError(f"{name}: harus antara 0 dan 120 detik")
    return value


def save_settings(
    sessions: sessionmaker[Session],
    values: dict[str, str | None],
    user_id: int | None,
    *,
    box: SecretBox | None = None,
) -> list[str]:
    """Store admin-edited settings (keys are :class:`PcareSettings` field names). Secrets are encrypted;
    a blank value keeps what is stored (write-only fields); ``None`` removes the setting.
    Returns the names that changed. Raises :class:`SettingsError` naming a bad field."""
    checked: dict[str, str | None] = {}
    for name, value in values.items():
        if value is None:
            if name not in DB_KEYS:
                raise SettingsError(f"{name}: bukan pengaturan BPJS yang dikenal")
            checked[name] = None
            continue
        cleaned = _validate(name, value)
        if cleaned == "" and name in SECRET_FIELDS:
            continue
        checked[name] = cleaned
    key_box = _box(box)
    if key_box is None and any(name in SECRET_FIELDS and v for name, v in checked.items()):
        raise SettingsError("kunci enkripsi BPJS tidak tersedia")
    changed: list[str] = []
    with sessions.begin() as session:
        for name, value in checked.items():
            config_key, encrypted = DB_KEYS[name]
            row = session.scalar(select(BpjsConfig).where(BpjsConfig.config_key == config_key))
            if value is None:
                if row is not None:
                    session.delete(row)
                    changed.append(name)
                continue
            stored = key_box.encrypt(value, config_key) if encrypted and key_box is not None else value
            if row is None:
                row = BpjsConfig(config_key=config_key, config_value=stored, is_encrypted=encrypted)
                session.add(row)
            elif not encrypted and row.config_value == stored:
                continue
            row.config_value = stored
            row.is_encrypted = encrypted
            row.updated_by = user_id
            row.updated_at = utcnow()
            changed.append(name)
    logger.info("BPJS settings changed by user %s: %s", user_id, ", ".join(changed) or "nothing")
    return changed


def settings_version(session: Session) -> tuple[Any, int]:
    """A cheap fingerprint of ``bpjs_configs`` (latest change, row count) to notice admin edits."""
    latest, count = session.execute(select(func.max(BpjsConfig.updated_at), func.count(BpjsConfig.id))).one()
    return latest, int(count)
