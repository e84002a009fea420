"""Suara panggilan: the admin records words (as the browser sends them), publishes the pack, uploads one as a
zip; bad recordings and uploads are refused in Indonesian; staff may not touch it. The browser test records
a word with Chromium's fake microphone."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from hub.web.context import WebServices
from protocol.voicepack import SEND_RATE, VoicePackManifest, read_pcm
from tests.hub.test_voicepack import spoken
from tests.support import artifacts_dir
from tests.web.conftest import Web, last_audit
from tests.web.live import LiveHub


def post_clip(admin: Web, key: str, data: bytes) -> tuple[int, dict[str, object]]:
    response = admin.client.post(
        f"/admin/suara/klip/{key}",
        data=data,
        headers={"X-CSRFToken": admin.token(), "Content-Type": "audio/wav"},
    )
    return response.status_code, response.get_json()


def test_words_recorded_one_by_one_become_the_pack(admin: Web, services: WebServices) -> None:
    page = admin.get("/admin/suara").get_data(as_text=True)
    assert "Rekam suara puskesmas" in page and "huruf-p" in page and "sembilan" in page
    status, body = post_clip(admin, "nomor", spoken(0.4, rate=48000))
    assert status == 200 and body["ok"] is True and body["seconds"] == pytest.approx(0.48, abs=0.02)
    stored = admin.get("/admin/suara/klip/nomor.wav")
    assert stored.status_code == 200 and read_pcm(stored.data)[1] == SEND_RATE
    status, body = post_clip(admin, "tiga", spoken(0.01, rate=48000)[:44] + b"\0" * 9600)
    assert status == 400 and "Tidak ada suara" in str(body["error"])
    status, body = post_clip(admin, "bukan-kata", spoken())
    assert status == 404
    response = admin.post("/admin/suara/terbitkan", {"name": "Suara Bu Ani"}, follow_redirects=True)
    assert "dikirim ke semua layar" in response.get_data(as_text=True)
    manifest = VoicePackManifest.decode(
        next((services.data_dir / "voice-pack" / "packs").glob("*/manifest.json")).read_bytes()
    )
    assert manifest.name == "Suara Bu Ani" and [c.key for c in manifest.clips] == ["nomor"]
    assert last_audit(services, "voice_pack_publish").new_values == {"name": "Suara Bu Ani", "clips": 1}
    response = admin.post("/admin/suara/hapus", follow_redirects=True)
    assert "Paket suara dihapus" in response.get_data(as_text=True)
    assert "Belum ada paket suara" in response.get_data(as_text=True)
    assert last_audit(services, "voice_pack_remove").new_values == {"name": "Suara Bu Ani", "clips": 1}


def test_a_zip_is_uploaded_or_refused(admin: Web, services: WebServices) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "manifest.json", '{"name": "Suara Pak Budi", "clips": [{"key": "tiga", "text": "tiga"}]}'
        )
        archive.writestr("clips/tiga.wav", spoken(0.3))
    response = admin.client.post(
        "/admin/suara/unggah",
        data={"csrf_token": admin.token(), "pack": (io.BytesIO(buffer.getvalue()), "suara.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Suara Pak Budi" in response.get_data(as_text=True)
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("../../../etc/cron.d/evil", b"x")
    response = admin.client.post(
        "/admin/suara/unggah",
        data={"csrf_token": admin.token(), "pack": (io.BytesIO(slip.getvalue()), "jahat.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Isi zip tidak dikenal" in response.get_data(as_text=True)
    assert not (services.data_dir.parent / "etc").exists()


def test_staff_cannot_change_the_voice(staff: Web) -> None:
    assert staff.get("/admin/suara").status_code in (302, 403)
    response = staff.client.post(
        "/admin/suara/klip/nomor", data=spoken(), headers={"X-CSRFToken": staff.token()}
    )
    assert response.status_code in (302, 403)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",  # a microphone that beeps
    "--use-fake-ui-for-media-stream",  # microphone permission granted without asking
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.slow
def test_a_word_is_recorded_in_the_browser(browser: Browser, live_hub: LiveHub) -> None:
    from tests.web.test_e2e import login

    page = login(browser, live_hub, "admin")
    page.context.grant_permissions(["microphone"], origin=live_hub.url)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_hub.url}/admin/suara")
    first = page.locator("#voice-key").inner_text()
    word = page.locator("#voice-word").inner_text()
    page.click("#voice-record")
    expect(page.locator("#voice-stop")).to_be_enabled()
    expect(page.locator("#voice-peak")).not_to_have_text("0%", timeout=5000)  # the level meter moves
    page.wait_for_timeout(300)
    page.click("#voice-stop")
    page.click("#voice-play")
    page.click("#voice-save")
    expect(page.locator("#voice-status")).to_contain_text("Tersimpan", timeout=10000)
    expect(page.locator(f'#voice-words tr[data-key="{first}"] .badge.ok')).to_have_count(1)
    expect(page.locator("#voice-word")).not_to_have_text(word)  # on to the next word
    page.screenshot(path=str(artifacts_dir("web") / "admin_suara.png"), full_page=False)
    assert page.locator("#voice-count").inner_text() == "1"
    audio = page.request.get(f"{live_hub.url}/admin/suara/klip/{first}.wav")
    pcm, rate = read_pcm(audio.body())
    assert rate == SEND_RATE and 0.05 < len(pcm) / 2 / rate <= 1.4
    page.click("#voice-publish")
    expect(page.locator(".flash.success")).to_contain_text("dikirim ke semua layar")
    assert problems == []
    assert Path(live_hub.handle.config_path).exists()
