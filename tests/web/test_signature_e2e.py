"""The patient signs the general consent on the loket's touch screen: real Chromium against a real hub,
drawing with the mouse (pointer events), Hapus, Simpan; the stored image is a PNG with ink on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from hub.web import signature
from tests.support import artifacts_dir
from tests.web.conftest import patient_form
from tests.web.live import LiveHub
from tests.web.test_desk_e2e import browser, login  # noqa: F401  (browser is a fixture)

pytestmark = pytest.mark.slow  # a browser against a real hub process


def sign(page: Page, strokes: list[list[tuple[float, float]]]) -> None:
    box = page.locator("#signature-pad").bounding_box()
    assert box is not None
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()


def canvas_is_blank(page: Page) -> bool:
    return bool(
        page.evaluate(
            "() => { const c = document.getElementById('signature-pad');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4) { if (d[i]) return false; } return true; }"
        )
    )


def test_the_patient_signs_on_the_touch_screen(browser: Browser, live_hub: LiveHub) -> None:  # noqa: F811
    http = live_hub.session("siti")
    created = http.post(f"{live_hub.url}/pasien/baru", data={**patient_form(), "loket": "1"}, timeout=10)
    assert created.status_code == 200 and "/registrasi/" in created.url
    registration_url = created.url
    page = login(browser, live_hub)
    page.goto(registration_url)
    page.click("#link-signature")
    page.click("#btn-signature-save")  # nothing drawn yet: refused on the page itself
    assert page.is_visible("#signature-empty") and "/tanda-tangan" in page.url
    sign(page, [[(0.1, 0.7), (0.25, 0.3), (0.4, 0.75)]])
    assert not canvas_is_blank(page) and page.is_hidden("#signature-empty")
    page.click("#btn-signature-clear")
    assert canvas_is_blank(page)
    sign(page, [[(0.1, 0.6), (0.2, 0.3), (0.35, 0.7), (0.5, 0.35)], [(0.55, 0.7), (0.9, 0.4)]])
    page.screenshot(path=str(artifacts_dir("web") / "signature_pad.png"))
    page.click("#btn-signature-save")
    page.wait_for_url(registration_url)
    assert "Tanda tangan persetujuan umum tersimpan" in page.inner_text(".flashes")
    page.wait_for_function("() => document.getElementById('signature-image').naturalWidth > 0")
    page.locator("#consent-card").screenshot(path=str(artifacts_dir("web") / "signature_shown.png"))
    stored = http.get(f"{registration_url}/tanda-tangan.png", timeout=10)
    assert stored.headers["Content-Type"] == "image/png" and stored.content.startswith(b"\x89PNG")
    assert signature.ink(stored.content) > 500  # two strokes of a 4-pixel pen, not a blank pad
