"""Speech engines: piper (neural voice, model by path) and espeak-ng (always there), with fallback.

Every engine turns text into a :class:`Clip` at the node's sample rate.

>>> engine = EspeakEngine(voice="id")
>>> engine.name
'espeak-ng:id'
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

from firmware.display_node.clip import SAMPLE_RATE, Clip, read_wav

logger = logging.getLogger(__name__)


class SpeechError(Exception):
    """An engine could not synthesize (missing program or model, or a failure while speaking)."""


class Engine(Protocol):
    name: str

    def synthesize(self, text: str) -> Clip: ...


class EspeakEngine:
    """``espeak-ng -v id -w out.wav TEXT`` (Debian package espeak-ng)."""

    def __init__(
        self, voice: str = "id", speed: int = 150, program: str = "espeak-ng", rate: int = SAMPLE_RATE
    ):
        self.voice, self.speed, self.program, self.rate = voice, speed, program, rate
        self.name = f"espeak-ng:{voice}" + (f"@{speed}" if speed != 150 else "")  # the cache's key

    def synthesize(self, text: str) -> Clip:
        program = shutil.which(self.program)
        if program is None:
            raise SpeechError(f"{self.program} is not installed (Debian package espeak-ng)")
        with tempfile.TemporaryDirectory(prefix="antrean-espeak-") as tmp:
            out = Path(tmp) / "out.wav"
            try:
                subprocess.run(
                    [program, "-v", self.voice, "-s", str(self.speed), "-w", str(out), "--", text],
                    check=True,
                    capture_output=True,
                    timeout=20,
                )
                return read_wav(out).resampled(self.rate)
            except (subprocess.SubprocessError, OSError, ValueError, EOFError) as exc:
                raise SpeechError(f"espeak-ng failed on {text!r}: {exc}") from exc


class PiperEngine:
    """A piper voice loaded once from ``model`` (``.onnx`` with ``.onnx.json`` beside it)."""

    def __init__(self, model: str | Path, rate: int = SAMPLE_RATE) -> None:
        self.model = Path(model)
        self.rate = rate
        self.name = f"piper:{self.model.stem}"
        self._voice: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (raises SpeechError when piper or the model is missing)."""
        with self._lock:
            if self._voice is not None:
                return
            if not self.model.is_file():
                raise SpeechError(f"piper model not found: {self.model}")
            try:
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig
                from piper.voice import ESPEAK_DATA_DIR
            except ImportError as exc:
                raise SpeechError(f"piper-tts is not installed: {exc}") from exc
            tune_memory()
            try:
                import json

                config = json.loads(Path(f"{self.model}.json").read_text(encoding="utf-8"))
                options = onnxruntime.SessionOptions()
                # Memory over speed (measured: resident 207 → 134 MB after 30 phrases, no slower): the arena
                # and the memory pattern keep intermediate buffers, prepacking keeps a second copy of weights.
                options.enable_cpu_mem_arena = False
                options.enable_mem_pattern = False
                options.add_session_config_entry("session.disable_prepacking", "1")
                options.intra_op_num_threads = 1
                session = onnxruntime.InferenceSession(
                    str(self.model), sess_options=options, providers=["CPUExecutionProvider"]
                )
                self._voice = PiperVoice(
                    config=PiperConfig.from_dict(config),
                    session=session,
                    espeak_data_dir=Path(ESPEAK_DATA_DIR),
                    download_dir=Path(tempfile.gettempdir()),
                )
            except Exception as exc:
                raise SpeechError(f"piper could not load {self.model}: {exc}") from exc
            release_memory()
            logger.info("piper voice %s loaded", self.model)

    def synthesize(self, text: str) -> Clip:
        self.load()
        try:
            with self._lock:
                chunks = list(self._voice.synthesize(text))
        except Exception as exc:
            raise SpeechError(f"piper failed on {text!r}: {exc}") from exc
        finally:
            release_memory()
        if not chunks:
            raise SpeechError(f"piper produced no audio for {text!r}")
        rate = chunks[0].sample_rate
        return Clip(b"".join(chunk.audio_int16_bytes for chunk in chunks), rate).resampled(self.rate)


def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _libc()
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def tune_memory() -> None:
    """Big buffers (inference tensors) straight from and back to the OS: glibc otherwise keeps them in its
    heaps, and a node grows by tens of MB while it warms its clip cache (measured: peak 259 → 219 MB)."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        _LIBC.mallopt(M_TRIM_THRESHOLD, 128 * 1024)


def release_memory() -> None:
    """Hand the buffers freed after an inference back to the OS (glibc keeps them otherwise)."""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


class FallbackEngine:
    """Try ``primary``; on any SpeechError log it once and use ``fallback`` for that text."""

    def __init__(self, primary: Engine, fallback: Engine) -> None:
        self.primary, self.fallback = primary, fallback
        self.name = f"{primary.name}+{fallback.name}"
        self.failures = 0

    def synthesize(self, text: str) -> Clip:
        try:
            return self.primary.synthesize(text)
        except SpeechError as exc:
            self.failures += 1
            if self.failures == 1 or self.failures % 100 == 0:
                logger.warning("%s; using %s (%d failures)", exc, self.fallback.name, self.failures)
            return self.fallback.synthesize(text)


def build_engine(
    engine: str, piper_model: Path | None, espeak_voice: str = "id", espeak_speed: int = 150
) -> Engine:
    """The engine a config asks for: piper with espeak-ng behind it, or espeak-ng alone."""
    espeak = EspeakEngine(voice=espeak_voice, speed=espeak_speed)
    if engine == "espeak-ng" or (engine == "auto" and piper_model is None):
        return espeak
    if piper_model is None:
        logger.warning("voice.engine is piper but voice.piper_model is not set; using espeak-ng")
        return espeak
    piper = PiperEngine(piper_model)
    try:
        piper.load()
    except SpeechError as exc:
        logger.warning("%s; calls will use espeak-ng", exc)
        return espeak
    return FallbackEngine(piper, espeak)
