"""Configuration: the queue rules (applied live) and the BPJS connection (write-only secrets)."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hub.config import QueueSettings
from hub.db.models import QueueConfig
from hub.dispatch.rules import load_settings, store_settings
from hub.web import bridge
from hub.web.admin import bp, changed_master
from hub.web.audit import record
from hub.web.db import db, services, writing
from hub.web.fields import Form
from hub.web.sequences import DEFAULT_RM_PATTERN, RM_PATTERN_KEY, render_rm, rm_pattern, rm_pattern_problem

logger = logging.getLogger(__name__)


QUEUE_LABELS = {
    "priority_ratio": "Rasio prioritas : umum",
    "max_general_wait_min": "Batas tunggu pasien umum (menit)",
    "reset_time": "Reset harian",
    "operating_start": "Jam buka",
    "operating_end": "Jam tutup",
    "avg_service_minutes": "Rata-rata waktu layanan loket (menit)",
    "tts_enabled": "Panggilan suara (TTS)",
    "running_text": "Running text",
    "target_wait_min": "Target rata-rata waktu tunggu untuk saran jumlah loket (menit)",
}


# ---------------------------------------------------------------- queue configuration


@bp.route("/antrean", methods=["GET", "POST"])
def queue_config() -> Any:
    session = db()
    current = load_settings(session).model_dump()
    current[RM_PATTERN_KEY] = rm_pattern(session)
    errors: dict[str, str] = {}
    values: Any = current
    if request.method == "POST":
        form = Form(request.form)
        submitted: dict[str, Any] = {key: form.raw(key) for key in QUEUE_LABELS if key != "tts_enabled"}
        if "target_wait_min" not in request.form:  # a form from before the staffing advice keeps it
            del submitted["target_wait_min"]
        submitted["tts_enabled"] = form.flag("tts_enabled")
        pattern = form.raw(RM_PATTERN_KEY) or DEFAULT_RM_PATTERN
        with writing() as unit:
            errors = _queue_problems(unit, submitted, pattern)
            changed = {} if errors else _store_queue(unit, submitted, pattern, current[RM_PATTERN_KEY])
        if not errors:
            changed_master("queue configuration")
            flash(
                "Konfigurasi antrean disimpan dan diterapkan." if changed else "Tidak ada perubahan.",
                "success",
            )
            return redirect(url_for("admin.queue_config"))
        values = {**request.form, "tts_enabled": form.flag("tts_enabled")}
    example = render_rm(values.get(RM_PATTERN_KEY) or DEFAULT_RM_PATTERN, services().clock().date(), 1)
    return render_template(
        "admin/queue.html",
        values=values,
        errors=errors,
        labels=QUEUE_LABELS,
        rm_key=RM_PATTERN_KEY,
        example=example,
    ), (400 if errors else 200)


def _queue_problems(session: Session, submitted: dict[str, Any], pattern: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        QueueSettings.model_validate({**load_settings(session).model_dump(), **submitted})
    except ValidationError as error:
        for item in error.errors():
            key = str(item["loc"][0]) if item["loc"] else "form"
            errors.setdefault(key, _queue_error(key))
    problem = rm_pattern_problem(pattern)
    if problem:
        errors[RM_PATTERN_KEY] = problem
    return errors


def _store_queue(
    session: Session, submitted: dict[str, Any], pattern: str, old_pattern: str
) -> dict[str, tuple[Any, Any]]:
    """Store the queue rules and the RM pattern, audited; what changed as (old, new) by key."""
    changed = store_settings(session, submitted, g.user.id)
    if pattern != old_pattern:
        row = session.scalar(select(QueueConfig).where(QueueConfig.config_key == RM_PATTERN_KEY))
        if row is None:
            session.add(
                QueueConfig(
                    config_key=RM_PATTERN_KEY,
                    config_value=pattern,
                    description="Pola nomor rekam medis",
                    updated_by=g.user.id,
                )
            )
        else:
            row.config_value, row.updated_by = pattern, g.user.id
        changed[RM_PATTERN_KEY] = (old_pattern, pattern)
    if changed:
        record(
            session,
            "queue_config_update",
            table="queue_configs",
            old_values={k: old for k, (old, _new) in changed.items()},
            new_values={k: new for k, (_old, new) in changed.items()},
        )
    return changed


def _queue_error(key: str) -> str:
    if key == "priority_ratio":
        return 'Isi "N:M" (mis. 2:1) atau "strict".'
    if key in ("reset_time", "operating_start", "operating_end"):
        return "Jam tidak valid (JJ:MM)."
    return "Nilai tidak valid."


# ---------------------------------------------------------------- BPJS configuration


BPJS_FIELDS = [
    ("base_url", "URL dasar PCare", False),
    ("cons_id", "Consumer ID", False),
    ("secret", "Consumer secret", True),
    ("user_key", "User key", True),
    ("username", "Username PCare", False),
    ("password", "Password PCare", True),
    ("app_code", "Kode aplikasi", False),
    ("provider_code", "Kode FKTP (provider)", False),
    ("provider_name", "Nama FKTP", False),
    ("connect_timeout_s", "Batas waktu koneksi (detik)", False),
    ("read_timeout_s", "Batas waktu baca (detik)", False),
]


@bp.route("/bpjs", methods=["GET", "POST"])
def bpjs_config() -> Any:
    the_bridge = bridge.bridge()
    errors: dict[str, str] = {}
    if request.method == "POST" and the_bridge is not None:
        known = {key for key, _label, _secret in BPJS_FIELDS}
        secrets = {key for key, _label, secret in BPJS_FIELDS if secret}
        stripped = {k: v.strip() for k, v in request.form.items() if k in known}
        values: dict[str, str | None] = {k: v for k, v in stripped.items() if v or k not in secrets}
        try:
            changed = the_bridge.save_settings(values, g.user.id)
        except ValueError as error:
            message = str(error)
            key = message.split(":", 1)[0] if ":" in message else "form"
            errors[key if key in known else "form"] = message
        else:
            with writing() as session:
                record(
                    session,
                    "bpjs_config_update",
                    table="bpjs_configs",
                    new_values={k: ("(rahasia diubah)" if k in secrets else values.get(k)) for k in changed},
                )
            flash("Konfigurasi BPJS disimpan." if changed else "Tidak ada perubahan.", "success")
            return redirect(url_for("admin.bpjs_config"))
    settings: dict[str, Any] = {}
    if the_bridge is not None:
        try:
            settings = the_bridge.settings_view()
        except Exception:
            logger.exception("BPJS settings could not be loaded")
    if errors:
        settings.update({k: v for k, v in request.form.items() if k not in ("csrf_token",)})
    return render_template(
        "admin/bpjs.html",
        items=bridge.outbox_items(),
        installed=the_bridge is not None,
        settings=settings,
        errors=errors,
        available=bridge.available(),
        outbox=bridge.outbox_summary(),
        fields=BPJS_FIELDS,
    ), (400 if errors else 200)


@bp.route("/bpjs/outbox/<int:item_id>/kirim", methods=["POST"])
def outbox_retry(item_id: int) -> Response:
    """Kirim ulang sekarang: a waiting or failed PCare registration/cancellation is tried again at once."""
    the_bridge = bridge.bridge()
    done = bool(the_bridge is not None and the_bridge.retry_outbox(item_id))
    with writing() as session:
        record(
            session,
            "bpjs_outbox_retry",
            table="bpjs_outbox",
            record_id=item_id,
            new_values={"accepted": done},
        )
    flash(
        "Dikirim ulang sekarang." if done else "Item ini tidak dapat dikirim ulang.",
        "success" if done else "error",
    )
    return redirect(url_for("admin.bpjs_config"))
