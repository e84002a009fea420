"""General consent signature (seed step 5, "pasien tanda tangan"): the patient signs on the loket's touch
screen or a tablet (a canvas driven by pointer events, with Hapus and Simpan); the drawing is stored as a PNG
with the visit (data_dir/uploads, as patient documents are) and shown on the registration page.

The image is checked on the server, whatever the browser sent: a PNG by its content, within a size limit and
sane dimensions, and not blank."""

from __future__ import annotations

import base64
import binascii
import io
import logging
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from PIL import Image, UnidentifiedImageError
from werkzeug.wrappers import Response

from hub.db.models import MandatoryInfoConsent, Patient, Registration
from hub.web import uploads, visits
from hub.web.audit import record
from hub.web.auth import login_required
from hub.web.db import db, services, writing

logger = logging.getLogger(__name__)
bp = Blueprint("signature", __name__, url_prefix="/registrasi")

MAX_BYTES = (
    256 * 1024
)  # a signature pad's PNG is a few tens of KB; base64 stays under Werkzeug's 500 KB form field limit
MAX_SIDE = 2400  # pixels
MIN_INK = 50  # drawn pixels below which the pad counts as blank (a stray tap)
DATA_URL_PREFIX = "data:image/png;base64,"


class SignatureError(ValueError):
    """Why a signature was refused, in Indonesian."""


def decode(data_url: str) -> bytes:
    """The PNG bytes of the canvas's ``toDataURL('image/png')``; :class:`SignatureError` otherwise.

    >>> decode("data:image/png;base64,iVBORw0KGgo=")[:4]
    b'\\x89PNG'
    """
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureError("Tanda tangan belum dibuat.")
    encoded = data_url[len(DATA_URL_PREFIX) :]
    if len(encoded) > MAX_BYTES * 4 // 3 + 4:
        raise SignatureError("Gambar tanda tangan terlalu besar.")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("Gambar tanda tangan rusak. Coba lagi.") from None


def ink(content: bytes) -> int:
    """How many pixels of the signature carry ink (not transparent, not white); checks it is a real PNG."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG":
                raise SignatureError("Tanda tangan harus berupa gambar PNG.")
            if max(image.size) > MAX_SIDE:
                raise SignatureError("Ukuran gambar tanda tangan tidak wajar.")
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError):
        raise SignatureError("Gambar tanda tangan rusak. Coba lagi.") from None
    # ink: opaque enough and darker than paper
    luminance = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    opaque = rgba.getchannel("A").point(lambda v: 255 if v > 64 else 0)
    drawn = Image.composite(luminance, Image.new("L", rgba.size, 0), opaque)
    return int(drawn.histogram()[255])


def checked(data_url: str) -> bytes:
    """The PNG to store; refused (in Indonesian) when it is no PNG, too big, or blank."""
    content = decode(data_url)
    try:
        uploads.check(content, MAX_BYTES)
    except uploads.UploadError as error:
        raise SignatureError(str(error)) from None
    if uploads.sniff(content[:16]) != ("image/png", "png"):
        raise SignatureError("Tanda tangan harus berupa gambar PNG.")
    if ink(content) < MIN_INK:
        raise SignatureError("Tanda tangan masih kosong. Minta pasien menandatangani lalu tekan Simpan.")
    return content


def registration_or_404(registration_id: int) -> tuple[Registration, Patient]:
    registration = db().get(Registration, registration_id)
    patient = db().get(Patient, registration.patient_id) if registration is not None else None
    if registration is None or patient is None:
        abort(404)
    return registration, patient


@bp.route("/<int:registration_id>/tanda-tangan")
@login_required
def pad(registration_id: int) -> str:
    registration, patient = registration_or_404(registration_id)
    consent = visits.consent_of(db(), registration.id)
    return render_template("signature.html", r=registration, p=patient, consent=consent, max_bytes=MAX_BYTES)


@bp.route("/<int:registration_id>/tanda-tangan", methods=["POST"])
@login_required
def save(registration_id: int) -> Any:
    registration, patient = registration_or_404(registration_id)
    try:
        content = checked(request.form.get("signature", ""))
    except SignatureError as error:
        flash(str(error), "error")
        return redirect(url_for("signature.pad", registration_id=registration.id)), 400
    stored = uploads.store(services().data_dir, patient.id, content, MAX_BYTES)
    with writing() as session:
        previous = visits.consent_of(session, registration.id)
        flags = {key: bool(previous and getattr(previous, key)) for key in visits.CONSENT_ITEMS}
        flags["general_consent"] = True  # the patient signed the general consent
        session.add(
            MandatoryInfoConsent(
                registration_id=registration.id,
                patient_id=patient.id,
                informed_by=g.user.id,
                informed_at=services().clock(),
                consent_signature_file=stored.relative_path,
                **flags,
            )
        )
        row = session.get(Registration, registration.id)
        assert row is not None
        row.info_consent_completed = all(flags.values())
        record(
            session,
            "consent_signature",
            table="mandatory_info_consents",
            record_id=registration.id,
            new_values={"file": stored.relative_path, "bytes": stored.size},
        )
    logger.info("consent signature stored for registration %s (%d bytes)", registration.id, stored.size)
    flash("Tanda tangan persetujuan umum tersimpan.", "success")
    return redirect(url_for("registration.show", registration_id=registration.id))


@bp.route("/<int:registration_id>/tanda-tangan.png")
@login_required
def image(registration_id: int) -> Response:
    registration, _patient = registration_or_404(registration_id)
    consent = visits.consent_of(db(), registration.id)
    if consent is None or not consent.consent_signature_file:
        abort(404)
    return uploads.send_upload(
        consent.consent_signature_file,
        "image/png",
        action="consent_signature_view",
        table="mandatory_info_consents",
        record_id=registration.id,
    )
