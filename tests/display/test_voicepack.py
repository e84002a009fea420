"""The recorded voice pack on the display: install and atomic switch, checks, levels, calls assembled from
clips with gaps by position, and the whole call synthesized when a word is missing."""

from __future__ import annotations

import array
import math
import wave
from io import BytesIO
from pathlib import Path

import pytest

from firmware.display_node.announcer import Announcer, Call
from firmware.display_node.audio import FakeSink
from firmware.display_node.cache import ClipCache
from firmware.display_node.clip import SAMPLE_RATE, Clip
from firmware.display_node.config import DisplayConfig
from firmware.display_node.node import DisplayNode
from firmware.display_node.voicepack import TARGET_RMS, PackError, PackStore, load_pack
from protocol.speech import DEFAULT_TEMPLATE, call_parts, pack_script
from protocol.voicepack import VoicePackManifest


def wav(seconds: float, rate: int = 16000, amplitude: float = 0.3, channels: int = 1) -> bytes:
    """A real 16-bit PCM WAV: a 220 Hz tone."""
    values = array.array("h")
    for i in range(int(seconds * rate)):
        sample = int(32767 * amplitude * math.sin(2 * math.pi * 220 * i / rate))
        values.extend([sample] * channels)
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(values.tobytes())
    return buffer.getvalue()


def recorded(keys: list[str], seconds: float = 0.2, **kwargs: float) -> dict[str, tuple[str, bytes]]:
    return {key: (key, wav(seconds, **kwargs)) for key in keys}  # type: ignore[arg-type]


SCRIPT = [t.key for t in pack_script(["A", "P"], ["Loket 1", "Loket 2"])]


def install(root: Path, clips: dict[str, tuple[str, bytes]], name: str = "Suara Bu Ani") -> Path:
    manifest = VoicePackManifest.build(name, clips)
    return PackStore(root).install(manifest, {k: data for k, (_t, data) in clips.items()})


class CountingEngine:
    name = "counting"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def synthesize(self, text: str) -> Clip:
        self.texts.append(text)
        return Clip(b"\x01\x00" * 2205)


def test_install_switches_atomically_and_prunes(tmp_path: Path) -> None:
    store = PackStore(tmp_path)
    first = install(tmp_path, recorded(SCRIPT))
    assert store.current() == first and (first / "clips" / "tiga.wav").is_file()
    second = install(tmp_path, recorded(SCRIPT, seconds=0.3), name="Suara Pak Budi")
    assert store.current() == second != first
    assert not first.exists()
    assert load_pack(second).name == "Suara Pak Budi"
    # a clip that is not the one the manifest names is refused, the current pack stays
    clips = recorded(["tiga"])
    manifest = VoicePackManifest.build("x", clips)
    with pytest.raises(PackError, match="tiga"):
        store.install(manifest, {"tiga": wav(0.5)})
    assert store.current() == second


def test_a_damaged_clip_makes_the_pack_unusable(tmp_path: Path) -> None:
    directory = install(tmp_path, recorded(["tiga", "dua"]))
    (directory / "clips" / "dua.wav").write_bytes(wav(0.1, amplitude=0.9))
    with pytest.raises(PackError, match=r"dua\.wav does not match"):
        load_pack(directory)


def test_clips_are_converted_and_levelled_at_load(tmp_path: Path) -> None:
    clips = {"satu": ("satu", wav(0.5, rate=16000, amplitude=0.05)), "dua": ("dua", wav(0.5, 44100, 0.6, 2))}
    pack = load_pack(install(tmp_path, clips))
    quiet, loud = pack.clips["satu"], pack.clips["dua"]
    assert quiet.rate == loud.rate == SAMPLE_RATE
    assert quiet.duration == pytest.approx(0.5, abs=0.01) and loud.duration == pytest.approx(0.5, abs=0.01)
    assert quiet.rms() == pytest.approx(TARGET_RMS, rel=0.05)
    assert loud.rms() == pytest.approx(TARGET_RMS, rel=0.05)


def test_a_call_is_assembled_with_gaps_by_position(tmp_path: Path) -> None:
    pack = load_pack(install(tmp_path, recorded(SCRIPT, seconds=0.25)))
    engine = CountingEngine()
    sink = FakeSink(speed=50.0)
    announcer = Announcer(ClipCache(engine, None), sink, pack=pack, word_gap=0.12, phrase_gap=0.3)
    text, clip = announcer.voice(Call("c1", "P-115", 2, "Loket 2"))
    assert text == "Nomor antrean, Pe, seratus lima belas. Silakan menuju loket dua."
    assert clip is not None and engine.texts == []
    # 10 words; word gaps inside phrases: 1 + 0 + 2 + 1 + 1 = 5; phrase gaps: 4
    assert clip.duration == pytest.approx(10 * 0.25 + 5 * 0.12 + 4 * 0.3, abs=0.01)


def test_a_missing_word_makes_the_whole_call_synthesized(tmp_path: Path) -> None:
    pack = load_pack(install(tmp_path, recorded([k for k in SCRIPT if k != "belas"])))
    engine = CountingEngine()
    announcer = Announcer(ClipCache(engine, None), FakeSink(speed=50.0), pack=pack)
    announcer.voice(Call("c1", "A-012", 1, "Loket 1"))
    assert engine.texts == [p.text for p in call_parts(DEFAULT_TEMPLATE, "A-012", "Loket 1")]
    engine.texts.clear()
    announcer.voice(Call("c2", "A-020", 1, "Loket 1"))
    assert engine.texts == []


def test_the_node_speaks_from_the_installed_pack(tmp_path: Path) -> None:
    install(tmp_path / "packs", recorded(SCRIPT))
    config = DisplayConfig(
        node_id="display-1",
        voice={"engine": "espeak-ng", "pack_dir": str(tmp_path / "packs"), "cache_dir": str(tmp_path / "c")},
    )
    node = DisplayNode(config, sink=FakeSink(speed=50.0), engine=CountingEngine())
    assert node.announcer.pack is not None and node.announcer.pack.name == "Suara Bu Ani"
    off = DisplayConfig(node_id="display-1", voice={"pack": False, "pack_dir": str(tmp_path / "packs")})
    assert DisplayNode(off, sink=FakeSink(), engine=CountingEngine()).announcer.pack is None


def test_the_receiver_ends_on_the_newest_pack_and_checks_every_clip(tmp_path: Path) -> None:
    from firmware.display_node.voicepack import PackReceiver
    from protocol.voicepack import VoiceClip
    from tests.support import wait_until

    got: list[str | None] = []
    receiver = PackReceiver(PackStore(tmp_path), lambda pack: got.append(pack.version if pack else None))
    packs = [recorded(["satu", "dua"]), recorded(["satu", "dua", "tiga"], seconds=0.3)]
    manifests = [VoicePackManifest.build(f"v{i}", clips) for i, clips in enumerate(packs)]
    # a damaged clip is refused; the pack waits for the right one
    bad = VoiceClip.of("dua", packs[0]["dua"][1]).model_copy(update={"sha256": "0" * 64})
    receiver.on_clip("t", bad)
    receiver.on_manifest("t", manifests[0])
    for key, (_text, data) in packs[0].items():
        receiver.on_clip("t", VoiceClip.of(key, data))
    receiver.on_manifest("t", manifests[1])  # arrives while the first one may still be installing
    for key, (_text, data) in packs[1].items():
        receiver.on_clip("t", VoiceClip.of(key, data))
    assert wait_until(lambda: got and got[-1] == manifests[1].version, 10)
    assert PackStore(tmp_path).current_version() == manifests[1].version
    receiver.on_cleared("t")
    assert got[-1] is None and PackStore(tmp_path).current() is None
