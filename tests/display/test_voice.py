"""Real speech: espeak-ng Indonesian, piper with the joe voice, the fallback, the clip cache, the chime."""

from __future__ import annotations

import array
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.display_node.cache import ClipCache
from firmware.display_node.clip import Clip, chime, join, read_wav, silence
from firmware.display_node.tts import (
    EspeakEngine,
    FallbackEngine,
    PiperEngine,
    SpeechError,
    build_engine,
)


def sox_seconds(path: Path) -> float:
    """Duration as sox measures it (an independent check of our own WAV code)."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    line = next(line for line in out.splitlines() if line.startswith("Length (seconds)"))
    return float(line.split(":")[1])


def assert_speech(clip: Clip, min_seconds: float, max_seconds: float) -> None:
    assert min_seconds <= clip.duration <= max_seconds, clip.duration
    assert clip.peak() > 3000, "silent"
    assert clip.rms() > 300, "nearly silent"


def test_chime_is_a_two_tone_bell(artifacts: Path) -> None:
    clip = chime(22050)
    clip.save(artifacts / "chime.wav")
    assert clip.duration == pytest.approx(1.4, abs=0.01)
    first, second = clip.pcm[: len(clip.pcm) // 2], clip.pcm[len(clip.pcm) // 2 :]
    assert Clip(first).peak() > 15000 and Clip(second).peak() > 8000
    # it fades out: the last 50 ms are far quieter than the start of each tone
    assert Clip(clip.pcm[-2 * 1100 :]).peak() < 0.3 * clip.peak()
    assert sox_seconds(artifacts / "chime.wav") == pytest.approx(1.4, abs=0.01)


def test_espeak_speaks_indonesian(artifacts: Path) -> None:
    engine = EspeakEngine(voice="id")
    clip = engine.synthesize("Nomor antrean, Pe, tiga. Silakan menuju loket satu.")
    clip.save(artifacts / "espeak_call.wav")
    assert clip.rate == 22050
    assert_speech(clip, 2.0, 8.0)
    assert sox_seconds(artifacts / "espeak_call.wav") == pytest.approx(clip.duration, abs=0.01)
    # longer text, longer audio: it really speaks the words
    assert (
        engine.synthesize("seribu dua ratus tiga puluh empat").duration > engine.synthesize("satu").duration
    )


@pytest.mark.slow  # loads a piper voice
def test_piper_speaks_with_a_model_by_path(joe_model: Path, artifacts: Path) -> None:
    engine = PiperEngine(joe_model)
    clip = engine.synthesize("Number three, please go to counter one.")
    clip.save(artifacts / "piper_joe.wav")
    assert engine.name == "piper:en_US-joe-medium"
    assert_speech(clip, 1.0, 6.0)
    assert sox_seconds(artifacts / "piper_joe.wav") == pytest.approx(clip.duration, abs=0.01)


def test_piper_missing_model_falls_back_to_espeak(tmp_path: Path) -> None:
    missing = tmp_path / "id_ID-news_tts-medium.onnx"
    with pytest.raises(SpeechError, match="not found"):
        PiperEngine(missing).load()
    engine = build_engine("piper", missing)
    assert isinstance(engine, EspeakEngine)
    assert_speech(engine.synthesize("tiga"), 0.2, 3.0)
    assert isinstance(build_engine("auto", None), EspeakEngine)


def test_piper_broken_model_falls_back_to_espeak(tmp_path: Path, joe_model: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an onnx model")
    (tmp_path / "broken.onnx.json").write_text(Path(f"{joe_model}.json").read_text())
    assert isinstance(build_engine("auto", broken), EspeakEngine)


@pytest.mark.slow  # loads a piper voice
def test_piper_failing_while_speaking_falls_back_per_phrase(joe_model: Path) -> None:
    class Failing:
        name = "piper:failing"

        def synthesize(self, text: str) -> Clip:
            raise SpeechError("onnxruntime crashed")

    engine = FallbackEngine(Failing(), EspeakEngine())
    clip = engine.synthesize("Silakan menuju loket dua")
    assert_speech(clip, 0.5, 5.0)
    assert engine.failures == 1
    assert isinstance(build_engine("piper", joe_model), FallbackEngine)


def test_clip_cache_synthesizes_once_and_survives_restart(tmp_path: Path) -> None:
    calls: list[str] = []

    class Counting:
        name = "espeak-ng:id"

        def synthesize(self, text: str) -> Clip:
            calls.append(text)
            return EspeakEngine().synthesize(text)

    cache = ClipCache(Counting(), tmp_path)
    cache.warm(["satu.", "dua.", "Silakan menuju"], background=True)
    assert cache.wait_warm(20)
    assert calls == ["satu.", "dua.", "Silakan menuju"]
    assert cache.cached("dua.") and not cache.cached("tiga.")
    first = cache.get("dua.")
    assert cache.get("dua.") is first and calls.count("dua.") == 1
    # a new process: the clips come from disk, the engine is not asked again
    again = ClipCache(Counting(), tmp_path)
    assert again.get("dua.").pcm == first.pcm
    assert calls.count("dua.") == 1
    assert len(list((tmp_path / "espeak-ng_id").glob("*.wav"))) == 3


def test_wav_round_trip_and_resampling() -> None:
    clip = join([silence(0.1, 16000), chime(16000)], rate=22050)
    assert clip.rate == 22050
    assert clip.duration == pytest.approx(1.5, abs=0.01)
    back = read_wav(clip.to_wav())
    assert back == clip


def test_volume_scaling_with_and_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = chime(22050)
    with_numpy = clip.scaled(0.5)
    monkeypatch.setitem(sys.modules, "numpy", None)  # an espeak-only node may have no numpy
    pure = clip.scaled(0.5)
    assert abs(pure.peak() - clip.peak() / 2) <= 1
    assert len(pure.pcm) == len(with_numpy.pcm) == len(clip.pcm)
    a, b = array.array("h", pure.pcm), array.array("h", with_numpy.pcm)
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1
    assert clip.scaled(1.0) is clip
