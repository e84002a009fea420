"""Suara panggilan: the admin records the puskesmas's own voice word by word in the browser (or uploads a
pack as a zip), then publishes it; the hub sends it to every display (hub/voicepack.py).

The browser records with getUserMedia and an AudioWorklet (static/voice.js), shows the input level, lets the
admin listen and record again, and sends each word as a 16-bit PCM WAV; the hub converts it to 16 kHz mono
and trims the silence around the word before storing it in the draft.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db.models import Counter, Polyclinic
from hub.dispatch.issuing import PRIORITY_PREFIX
from hub.voicepack import ClipError, VoicePacks, read_pack_zip
from hub.web.admin import bp
from hub.web.audit import record
from hub.web.db import db, services, writing
from protocol.speech import Token, pack_script
from protocol.voicepack import MAX_CLIP_BYTES

_LOCAL: dict[Path, VoicePacks] = {}


def packs() -> VoicePacks:
    """The hub's packs (sent to the displays); a web without a hub (tests) keeps its own under data_dir."""
    web = services()
    if web.voice is not None:
        return web.voice
    root = web.data_dir / "voice-pack"
    return _LOCAL.setdefault(root, VoicePacks(root))


def script() -> list[Token]:
    """Every word to record: the call sentence, the letters of this site's prefixes, the number words and the
    words of the loket names."""
    session = db()
    prefixes = sorted(set(session.scalars(select(Polyclinic.queue_prefix))) | {PRIORITY_PREFIX})
    lokets = list(session.scalars(select(Counter.name).order_by(Counter.number)))
    return pack_script(prefixes, lokets or ["Loket 1"])


@bp.route("/suara")
def voice() -> Any:
    words = script()
    recorded = packs().draft_keys()
    current = packs().current()
    page = render_template(
        "admin/voice.html",
        words=words,
        recorded=recorded,
        missing=[t for t in words if t.key not in recorded],
        manifest=current[0] if current else None,
        current_keys={c.key for c in current[0].clips} if current else set(),
    )
    # the only page allowed to open the microphone (every other page keeps it off)
    return Response(
        page,
        mimetype="text/html",
        headers={"Permissions-Policy": "camera=(), microphone=(self), geolocation=()"},
    )


@bp.route("/suara/klip/<key>", methods=["POST"])
def voice_save(key: str) -> Any:
    if key not in {t.key for t in script()}:
        return jsonify(error="Kata ini tidak ada dalam daftar rekaman."), 404
    data = request.get_data(cache=False)
    if len(data) > MAX_CLIP_BYTES:
        return jsonify(error="Rekaman terlalu besar."), 400
    try:
        clip = packs().save_draft(key, data)
    except ClipError as error:
        return jsonify(error=str(error)), 400
    seconds = (len(clip) - 44) / 2 / 16000
    return jsonify(ok=True, key=key, seconds=round(seconds, 2), url=url_for("admin.voice_clip", key=key))


@bp.route("/suara/klip/<key>.wav")
def voice_clip(key: str) -> Response:
    data = packs().draft_clip(key)
    if data is None:
        abort(404)
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": "no-store"})


@bp.route("/suara/terbitkan", methods=["POST"])
def voice_publish() -> Response:
    name = (request.form.get("name") or "").strip() or "Suara puskesmas"
    try:
        manifest = packs().publish_draft(name, script())
    except ClipError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.voice"))
    _audit("voice_pack_publish", manifest.name, len(manifest.clips))
    flash(f"Paket suara “{manifest.name}” ({len(manifest.clips)} kata) dikirim ke semua layar.", "success")
    return redirect(url_for("admin.voice"))


@bp.route("/suara/unggah", methods=["POST"])
def voice_upload() -> Response:
    upload = request.files.get("pack")
    if upload is None or not upload.filename:
        flash("Pilih berkas zip paket suara.", "error")
        return redirect(url_for("admin.voice"))
    try:
        name, clips = read_pack_zip(upload.read())
        manifest = packs().install(name, clips)
    except ClipError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.voice"))
    _audit("voice_pack_upload", manifest.name, len(manifest.clips))
    flash(f"Paket suara “{manifest.name}” ({len(manifest.clips)} kata) dikirim ke semua layar.", "success")
    return redirect(url_for("admin.voice"))


@bp.route("/suara/hapus", methods=["POST"])
def voice_remove() -> Response:
    current = packs().current()
    packs().remove()
    if current is not None:
        _audit("voice_pack_remove", current[0].name, len(current[0].clips))
    flash("Paket suara dihapus: layar kembali memakai suara sintetis.", "success")
    return redirect(url_for("admin.voice"))


def _audit(action: str, name: str, clips: int) -> None:
    with writing() as session:
        record(session, action, table="voice_pack", new_values={"name": name, "clips": clips})
