"""Audio clips as plain bytes: 16-bit signed mono PCM at one sample rate, WAV in and out, the chime.

Pure Python (``array`` and ``wave``); no numpy needed on a node that only runs espeak-ng.

>>> c = chime(22050)
>>> round(c.duration, 2), c.peak() > 10000
(1.4, True)
>>> join([silence(0.1, 22050), c]).duration > c.duration
True
"""

from __future__ import annotations

import array
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.voicepack import read_pcm, resample_pcm, trim_silence, wav_bytes

SAMPLE_RATE = 22050


@dataclass(frozen=True)
class Clip:
    """Mono signed 16-bit little-endian PCM."""

    pcm: bytes
    rate: int = SAMPLE_RATE

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        return self.samples / self.rate

    def _array(self) -> array.array[int]:
        values = array.array("h")
        values.frombytes(self.pcm)
        if sys.byteorder == "big":
            values.byteswap()
        return values

    def peak(self) -> int:
        np = _numpy()
        if np is not None:
            samples = np.frombuffer(self.pcm[: 2 * self.samples], dtype="<i2").astype(np.int32)
            return int(np.abs(samples).max()) if samples.size else 0
        values = self._array()
        return max((abs(v) for v in values), default=0)

    def rms(self) -> float:
        np = _numpy()
        if np is not None:
            samples = np.frombuffer(self.pcm[: 2 * self.samples], dtype="<i2").astype(np.float64)
            return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0
        values = self._array()
        if not values:
            return 0.0
        return math.sqrt(sum(v * v for v in values) / len(values))

    def scaled(self, gain: float) -> Clip:
        """Louder or quieter (the volume); numpy when present (it comes with piper), else pure Python."""
        if gain == 1.0:
            return self
        try:
            import numpy
        except ImportError:
            values = array.array("h", (max(-32768, min(32767, int(v * gain))) for v in self._array()))
            return Clip(_to_bytes(values), self.rate)
        samples = numpy.frombuffer(self.pcm, dtype="<i2").astype(numpy.float32) * gain
        return Clip(numpy.clip(samples, -32768, 32767).astype("<i2").tobytes(), self.rate)

    def resampled(self, rate: int) -> Clip:
        """Linear interpolation; good enough for speech between 16 and 48 kHz (numpy when present)."""
        np = _numpy()
        if np is None or rate == self.rate or self.samples < 2:
            return Clip(resample_pcm(self.pcm, self.rate, rate), rate)
        source = np.frombuffer(self.pcm[: 2 * self.samples], dtype="<i2").astype(np.float64)
        count = max(1, round(source.size * rate / self.rate))
        positions = np.linspace(0, source.size - 1, count)
        out = np.interp(positions, np.arange(source.size), source)
        return Clip(out.astype("<i2").tobytes(), rate)

    def trimmed(self) -> Clip:
        """Without the silence before and after the voice (a speech engine pads every word)."""
        return Clip(trim_silence(self.pcm, self.rate), self.rate)

    def to_wav(self) -> bytes:
        return wav_bytes(self.pcm, self.rate)

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_wav())


def _numpy() -> Any:
    """numpy when installed (it comes with piper), else None: the pure-Python paths do the same, slower."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _to_bytes(values: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array.array("h", values)
        values.byteswap()
    return values.tobytes()


def read_wav(data: bytes | str | Path) -> Clip:
    """A 16-bit WAV (mono, or stereo mixed down) as a Clip."""
    pcm, rate = read_pcm(data if isinstance(data, bytes) else Path(data).read_bytes())
    return Clip(pcm, rate)


def silence(seconds: float, rate: int = SAMPLE_RATE) -> Clip:
    return Clip(b"\x00\x00" * int(seconds * rate), rate)


def join(clips: list[Clip], rate: int | None = None) -> Clip:
    """Concatenate, resampling each clip to ``rate`` (default: the first clip's rate)."""
    if not clips:
        return Clip(b"", rate or SAMPLE_RATE)
    target = rate or clips[0].rate
    return Clip(b"".join(c.resampled(target).pcm for c in clips), target)


def chime(rate: int = SAMPLE_RATE, amplitude: float = 0.6) -> Clip:
    """A two-tone ding-dong (E5 then C5), bell-like: a decaying fundamental with a soft overtone."""
    values = array.array("h")
    for frequency, length in ((659.25, 0.6), (523.25, 0.8)):
        count = int(length * rate)
        for i in range(count):
            t = i / rate
            attack = min(1.0, t / 0.01)
            envelope = attack * math.exp(-3.2 * t)
            sample = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(4 * math.pi * frequency * t)
            values.append(int(32767 * amplitude * envelope * sample / 1.3))
    return Clip(_to_bytes(values), rate)
