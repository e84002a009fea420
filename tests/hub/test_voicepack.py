"""The hub's voice pack: recordings converted and trimmed, uploads checked (formats, sizes, zip slip), the
draft recorded word by word and published as the pack."""

from __future__ import annotations

import io
import json
import wave
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.voicepack import MAX_ZIP_BYTES, ClipError, VoicePacks, prepare_clip, read_pack_zip
from protocol import MqttLink, Topics
from protocol.speech import pack_script
from protocol.voicepack import SEND_RATE, VoiceClip, VoicePackManifest, read_pcm
from tests.display.test_voicepack import wav
from tests.support import wait_until


def spoken(seconds: float = 0.5, rate: int = 48000, channels: int = 1) -> bytes:
    """A recording: half a second of quiet room, the word, half a second of quiet room."""
    quiet = wav(0.5, rate, amplitude=0.002, channels=channels)
    word = wav(seconds, rate, amplitude=0.4, channels=channels)
    frames = b"".join(_frames(x) for x in (quiet, word, quiet))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def _frames(data: bytes) -> bytes:
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.readframes(w.getnframes())


def test_a_recording_is_converted_and_trimmed() -> None:
    clip = prepare_clip(spoken(0.5, rate=48000, channels=2))
    pcm, rate = read_pcm(clip)
    assert rate == SEND_RATE
    assert len(pcm) / 2 / rate == pytest.approx(0.5 + 2 * 0.04, abs=0.02)  # the word and its pads


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (wav(1.0, amplitude=0.0), "Tidak ada suara"),
        (spoken(2.0), "terlalu panjang (2,1 detik)"),
        (b"RIFF not a wav", "bukan berkas WAV"),
    ],
)
def test_unusable_recordings_say_why_in_indonesian(data: bytes, message: str) -> None:
    with pytest.raises(ClipError, match=message.replace("(", r"\(").replace(")", r"\)")):
        prepare_clip(data)


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_uploaded_pack_is_read_with_its_texts() -> None:
    manifest = {"name": "Suara Bu Ani", "clips": [{"key": "huruf-p", "text": "Pe"}]}
    name, clips = read_pack_zip(
        zipped(
            {
                "manifest.json": json.dumps(manifest).encode(),
                "clips/huruf-p.wav": spoken(),
                "clips/tiga.wav": spoken(0.3),
            }
        )
    )
    assert name == "Suara Bu Ani"
    assert sorted(clips) == ["huruf-p", "tiga"]
    assert clips["huruf-p"][0] == "Pe" and clips["tiga"][0] == "tiga"
    assert read_pcm(clips["tiga"][1])[1] == SEND_RATE


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/cron.d/x", "clips/../../x.wav", "clips/a/b.wav", "clips/Tiga.wav"]
)
def test_zip_slip_and_unknown_entries_are_refused(name: str) -> None:
    with pytest.raises(ClipError, match="tidak dikenal"):
        read_pack_zip(zipped({"clips/tiga.wav": spoken(), name: spoken()}))


def test_oversized_and_broken_uploads_are_refused() -> None:
    with pytest.raises(ClipError, match="terlalu besar"):
        read_pack_zip(b"PK" + b"\0" * MAX_ZIP_BYTES)
    with pytest.raises(ClipError, match="bukan zip"):
        read_pack_zip(b"not a zip at all")
    with pytest.raises(ClipError, match="terlalu besar"):
        read_pack_zip(zipped({"clips/tiga.wav": b"\0" * 2_000_000}))  # compresses to almost nothing
    with pytest.raises(ClipError, match="Klip dua: Rekaman bukan berkas WAV"):
        read_pack_zip(zipped({"clips/tiga.wav": spoken(), "clips/dua.wav": b"RIFF...."}))
    with pytest.raises(ClipError, match="tidak berisi klip"):
        read_pack_zip(zipped({"manifest.json": b"{}"}))


def test_the_draft_becomes_the_pack(tmp_path: Path) -> None:
    packs = VoicePacks(tmp_path / "voice-pack")
    published: list[str] = []
    packs.listeners.append(lambda: published.append("x"))
    with pytest.raises(ClipError, match="Belum ada"):
        packs.publish_draft("Suara Bu Ani", pack_script(["A"], ["Loket 1"]))
    packs.save_draft("nomor", spoken())
    packs.save_draft("huruf-a", spoken(0.3))
    assert packs.draft_keys() == {"nomor", "huruf-a"}
    manifest = packs.publish_draft("Suara Bu Ani", pack_script(["A"], ["Loket 1"]))
    assert [(c.key, c.text) for c in manifest.clips] == [("huruf-a", "A"), ("nomor", "Nomor")]
    current = packs.current()
    assert current is not None and current[0] == manifest and set(current[1]) == {"nomor", "huruf-a"}
    assert published == ["x"]
    with pytest.raises(ClipError, match="Kunci"):
        packs.save_draft("../x", spoken())


@pytest.mark.slow
def test_the_hub_sends_its_pack_at_every_start(
    hub_runner: Callable[..., Any], tmp_path: Path, mqtt_url: str, site: str
) -> None:
    """A pack installed before the hub starts (the embedded broker keeps nothing across restarts) is retained
    on the broker once the hub is up: manifest and every clip."""
    packs = VoicePacks(tmp_path / "data" / "voice-pack")
    manifest = packs.install("Suara Bu Ani", {"tiga": ("tiga", prepare_clip(spoken(0.3)))})
    hub_runner()
    received: dict[str, bytes] = {}
    listener = MqttLink(mqtt_url, client_id=f"listener-{site}")
    topics = Topics(site)
    listener.route(topics.voice_pack(), lambda topic, payload: received.__setitem__(topic, payload))
    listener.route(topics.voice_clip("tiga"), lambda topic, payload: received.__setitem__(topic, payload))
    listener.start(wait=10)
    try:
        wait_until(lambda: len(received) == 2, 20)
    finally:
        listener.stop()
    assert VoicePackManifest.decode(received[topics.voice_pack()]) == manifest
    clip = VoiceClip.decode(received[topics.voice_clip("tiga")])
    assert clip.data() == (packs.current() or (manifest, {}))[1]["tiga"]
