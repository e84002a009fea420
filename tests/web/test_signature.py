"""The general consent signature: stored as a checked PNG with the visit, shown on the registration page,
refused when blank, not a PNG or too big; the consent checklist keeps it."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from hub.db.models import MandatoryInfoConsent
from hub.web import signature
from hub.web.context import WebServices
from tests.web.conftest import Web, last_audit, patient_form
from tests.web.test_registration import ALL_CONSENT, registration


def png(draw: bool = True, size: tuple[int, int] = (900, 300), fmt: str = "PNG") -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line(
            [(50, 200), (300, 80), (600, 220), (850, 90)], fill=(17, 24, 39, 255), width=5
        )
    buffer = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else "RGBA").save(buffer, fmt)
    kind = "png" if fmt == "PNG" else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def registration_id(staff: Web) -> int:
    created = staff.post("/pasien/baru", {**patient_form(), "loket": "1"})
    return int(created.headers["Location"].rsplit("/", 1)[1])


def consents(services: WebServices, registration_id: int) -> list[MandatoryInfoConsent]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(MandatoryInfoConsent)
                .where(MandatoryInfoConsent.registration_id == registration_id)
                .order_by(MandatoryInfoConsent.id)
            )
        )


def test_a_signature_is_stored_with_the_visit_and_shown(
    staff: Web, services: WebServices, registration_id: int
) -> None:
    page = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert 'id="link-signature"' in page
    pad = staff.get(f"/registrasi/{registration_id}/tanda-tangan").get_data(as_text=True)
    assert 'id="signature-pad"' in pad and "Hapus" in pad and "Simpan" in pad
    response = staff.post(f"/registrasi/{registration_id}/tanda-tangan", {"signature": png()})
    assert response.status_code == 302
    [row] = consents(services, registration_id)
    assert row.general_consent and row.consent_signature_file
    assert (services.data_dir / "uploads" / row.consent_signature_file).read_bytes().startswith(b"\x89PNG")
    assert last_audit(services, "consent_signature").new_values["file"] == row.consent_signature_file  # type: ignore[index]
    shown = staff.get(f"/registrasi/{registration_id}").get_data(as_text=True)
    assert 'id="signature-image"' in shown
    image = staff.get(f"/registrasi/{registration_id}/tanda-tangan.png")
    content = image.get_data()
    image.close()
    assert image.mimetype == "image/png" and signature.ink(content) >= signature.MIN_INK
    # the checklist saved afterwards keeps the signature, and completes the consent
    staff.post(f"/registrasi/{registration_id}/informasi", ALL_CONSENT)
    assert consents(services, registration_id)[-1].consent_signature_file == row.consent_signature_file
    assert registration(services, registration_id).info_consent_completed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "belum dibuat"),
        (png(draw=False), "masih kosong"),
        (png(fmt="JPEG"), "belum dibuat"),  # a JPEG data URL
        ("data:image/png;base64," + base64.b64encode(b"GIF89a" + bytes(100)).decode(), "hanya JPG, PNG"),
        ("data:image/png;base64,!!!", "rusak"),
        (png(size=(3000, 100)), "tidak wajar"),
        ("data:image/png;base64," + "A" * (signature.MAX_BYTES * 3 // 2), "terlalu besar"),
    ],
    ids=["missing", "blank", "jpeg", "gif", "not-base64", "huge-dimensions", "too-big"],
)
def test_bad_signatures_are_refused_in_indonesian(
    staff: Web, services: WebServices, registration_id: int, data: str, message: str
) -> None:
    response = staff.post(f"/registrasi/{registration_id}/tanda-tangan", {"signature": data})
    assert response.status_code == 400
    assert message in staff.get(f"/registrasi/{registration_id}/tanda-tangan").get_data(as_text=True)
    assert consents(services, registration_id) == []
    assert not (services.data_dir / "uploads").exists()


def test_no_signature_no_image(staff: Web, registration_id: int) -> None:
    assert staff.get(f"/registrasi/{registration_id}/tanda-tangan.png").status_code == 404
    assert staff.get("/registrasi/999/tanda-tangan").status_code == 404
