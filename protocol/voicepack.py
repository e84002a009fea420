"""A voice pack: the puskesmas's own recorded voice, one short WAV clip per word of the call sentence.

On disk (what the hub stores and every display keeps)::

    <pack>/manifest.json      VoicePackManifest (below)
    <pack>/clips/<key>.wav    one clip per key of protocol.speech (``nomor``, ``huruf-p``, ``tiga`` …):
                              16-bit PCM mono WAV, at most MAX_CLIP_SECONDS long

The manifest names every clip with its sha256 so a copy can be checked; ``version`` is the sha256 of the
sorted (key, sha256) pairs, so two packs with the same clips have the same version.

>>> m = VoicePackManifest.build("Suara Bu Ani", {"tiga": ("tiga", b"RIFF..")})
>>> m.clip("tiga").path, len(m.version)
('clips/tiga.wav', 64)
>>> VoicePackManifest.decode(m.encode()) == m
True
"""

from __future__ import annotations

import array
import hashlib
import io
import sys
import wave
from typing import Self

from pydantic import Field, field_validator, model_validator

from protocol.payloads import Part, Payload
from protocol.speech import is_key

MANIFEST = "manifest.json"
MAX_CLIP_SECONDS = 4.0
MAX_CLIP_BYTES = 48_000 * 2 * 2 * int(MAX_CLIP_SECONDS) + 1024  # stereo 48 kHz 16-bit, with headers
MAX_CLIPS = 200


class PackClip(Part):
    key: str = Field(description="clip key from protocol.speech, e.g. tiga or huruf-p")
    text: str = Field(max_length=80, description="what the clip says (shown to the person recording)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=44, le=MAX_CLIP_BYTES)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not is_key(value) or len(value) > 40:
            raise ValueError(f"bad clip key {value!r}: lower-case letters, digits and '-' only")
        return value

    @property
    def path(self) -> str:
        return f"clips/{self.key}.wav"


class VoicePackManifest(Payload):
    """``manifest.json`` of a voice pack (also the retained message that announces a pack to displays)."""

    name: str = Field(min_length=1, max_length=80)
    version: str = Field(pattern=r"^[0-9a-f]{64}$")
    clips: list[PackClip] = Field(max_length=MAX_CLIPS)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [c.key for c in self.clips]
        if len(keys) != len(set(keys)):
            raise ValueError("a clip key appears twice")
        if self.version != version_of(self.clips):
            raise ValueError("version does not match the clips")
        return self

    @classmethod
    def build(cls, name: str, clips: dict[str, tuple[str, bytes]]) -> VoicePackManifest:
        """The manifest of ``clips`` (key → (text, WAV bytes))."""
        entries = [
            PackClip(key=key, text=text, sha256=hashlib.sha256(data).hexdigest(), size=max(44, len(data)))
            for key, (text, data) in sorted(clips.items())
        ]
        return cls(name=name, version=version_of(entries), clips=entries)

    def clip(self, key: str) -> PackClip:
        for entry in self.clips:
            if entry.key == key:
                return entry
        raise KeyError(key)

    def keys(self) -> set[str]:
        return {c.key for c in self.clips}


def version_of(clips: list[PackClip]) -> str:
    digest = hashlib.sha256()
    for entry in sorted(clips, key=lambda c: c.key):
        digest.update(f"{entry.key}:{entry.sha256}\n".encode())
    return digest.hexdigest()


def check_wav(data: bytes) -> str | None:
    """None for a clip a display can play (16-bit PCM WAV, 1–2 channels, 8–48 kHz, ≤ MAX_CLIP_SECONDS);
    else what is wrong, in English (for logs and technicians)."""
    if len(data) > MAX_CLIP_BYTES:
        return f"clip of {len(data)} bytes is too large"
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            width, channels, rate, frames = (
                wav.getsampwidth(),
                wav.getnchannels(),
                wav.getframerate(),
                wav.getnframes(),
            )
    except (wave.Error, EOFError) as exc:
        return f"not a PCM WAV file: {exc}"
    if width != 2:
        return f"expected 16-bit samples, got {8 * width}-bit"
    if channels not in (1, 2):
        return f"expected mono or stereo, got {channels} channels"
    if not 8000 <= rate <= 48000:
        return f"sample rate {rate} Hz out of range 8000–48000"
    if frames == 0:
        return "clip is empty"
    if frames / rate > MAX_CLIP_SECONDS:
        return f"clip of {frames / rate:.1f} s is longer than {MAX_CLIP_SECONDS:.0f} s"
    return None


def trim_silence(
    pcm: bytes, rate: int, *, relative: float = 0.08, floor: int = 250, pad: float = 0.04, frame: float = 0.01
) -> bytes:
    """16-bit mono PCM without the silence before and after the voice.

    A 10 ms frame is voice when its mean absolute amplitude reaches ``relative`` × the loudest frame's (and
    at least ``floor``, so a silent recording stays silent: it is returned empty); ``pad`` seconds are kept
    on each side so that soft onsets and endings are not cut. Used for recorded clips (hub) and for words
    a speech engine synthesized (display).

    >>> quiet, loud = b"\\x10\\x00" * 8000, b"\\x00\\x20" * 4000
    >>> len(trim_silence(quiet + loud + quiet, 16000)) // 2   # 4000 samples of voice + 2 × 40 ms of pad
    5280
    >>> trim_silence(quiet, 16000)
    b''
    """
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    size = max(1, int(rate * frame))
    energies = [
        sum(abs(v) for v in samples[start : start + size]) / len(samples[start : start + size])
        for start in range(0, len(samples), size)
    ]
    if not energies:
        return b""
    threshold = max(floor, relative * max(energies))
    voiced = [index for index, energy in enumerate(energies) if energy >= threshold]
    if not voiced:
        return b""
    margin = int(pad * rate)
    first = max(0, voiced[0] * size - margin)
    last = min(len(samples), (voiced[-1] + 1) * size + margin)
    return pcm[2 * first : 2 * last]
