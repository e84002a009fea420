"""A voice pack: the puskesmas's own recorded voice, one short WAV clip per word of the call sentence.

On disk (what the hub stores and every display keeps)::

    <pack>/manifest.json      VoicePackManifest (below)
    <pack>/clips/<key>.wav    one clip per key of protocol.speech (``nomor``, ``huruf-p``, ``tiga`` …):
                              16-bit PCM mono WAV, at most MAX_CLIP_SECONDS long

The manifest names every clip with its sha256 so a copy can be checked; ``version`` is the sha256 of the
sorted (key, sha256) pairs, so two packs with the same clips have the same version. Over MQTT the manifest is
retained on ``display/voice/pack`` and each clip (:class:`VoiceClip`) on ``display/voice/clip/{key}``.

Also here, because the hub and the display both need them (the hub must not import firmware): the store of
packs on disk with its atomic switch (:class:`PackStore`), and plain 16-bit PCM helpers (read a WAV, write
one, resample, trim the silence around a word).

>>> m = VoicePackManifest.build("Suara Bu Ani", {"tiga": ("tiga", b"RIFF..")})
>>> m.clip("tiga").path, len(m.version)
('clips/tiga.wav', 64)
>>> VoicePackManifest.decode(m.encode()) == m
True
"""

from __future__ import annotations

import array
import base64
import hashlib
import io
import os
import shutil
import sys
import tempfile
import wave
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator

from protocol.errors import ProtocolError
from protocol.payloads import Part, Payload
from protocol.speech import is_key

MANIFEST = "manifest.json"
MAX_CLIP_SECONDS = 4.0
MAX_CLIP_BYTES = 48_000 * 2 * 2 * int(MAX_CLIP_SECONDS) + 1024  # stereo 48 kHz 16-bit, with headers
MAX_CLIPS = 200
SEND_RATE = 16000  # clips the hub stores and sends: mono 16-bit at 16 kHz ...
SEND_SECONDS = 1.4  # ... of at most 1.4 s: 45 KB of WAV, 60 KB in base64, one MQTT message each


class PackError(Exception):
    """A pack that cannot be used (missing or bad manifest, a clip missing, damaged or not a usable WAV)."""


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


class VoiceClip(Payload):
    """One clip of the current pack, retained on ``display/voice/clip/{key}`` (WAV bytes in base64: a clip
    of at most ``SEND_SECONDS`` at ``SEND_RATE`` Hz fits the 64 KiB payload limit)."""

    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    wav: str = Field(description="the WAV file, base64")

    @classmethod
    def of(cls, key: str, data: bytes) -> VoiceClip:
        return cls(key=key, sha256=hashlib.sha256(data).hexdigest(), wav=base64.b64encode(data).decode())

    def data(self) -> bytes:
        """The WAV bytes; ProtocolError when they are not the ones ``sha256`` names."""
        try:
            data = base64.b64decode(self.wav, validate=True)
        except ValueError as exc:
            raise ProtocolError(f"clip {self.key}: bad base64") from exc
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ProtocolError(f"clip {self.key}: sha256 does not match")
        return data


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


def _samples(pcm: bytes) -> array.array[int]:
    values = array.array("h")
    values.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _pcm(values: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array.array("h", values)
        values.byteswap()
    return values.tobytes()


def resample_pcm(pcm: bytes, rate: int, target: int) -> bytes:
    """16-bit mono PCM from ``rate`` to ``target`` Hz by linear interpolation (good enough for speech).

    >>> len(resample_pcm(b"\\x00\\x00" * 4800, 48000, 16000)) // 2
    1600
    """
    if rate == target or not pcm:
        return pcm
    source = _samples(pcm)
    count = max(1, round(len(source) * target / rate))
    step = (len(source) - 1) / max(1, count - 1)
    out = array.array("h")
    for i in range(count):
        position = i * step
        low = int(position)
        high = min(low + 1, len(source) - 1)
        out.append(int(source[low] + (source[high] - source[low]) * (position - low)))
    return _pcm(out)


def read_pcm(data: bytes) -> tuple[bytes, int]:
    """(mono 16-bit PCM, sample rate) of a 16-bit WAV (stereo is mixed down); ValueError if not one."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise ValueError(f"expected 16-bit WAV, got {8 * wav.getsampwidth()}-bit")
            frames = wav.readframes(wav.getnframes())
            rate, channels = wav.getframerate(), wav.getnchannels()
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV file: {exc}") from exc
    if channels == 1:
        return frames, rate
    values = _samples(frames)
    mono = array.array(
        "h", (sum(values[i : i + channels]) // channels for i in range(0, len(values), channels))
    )
    return _pcm(mono), rate


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    """A mono 16-bit WAV file of ``pcm``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


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
    samples = _samples(pcm)
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


class PackStore:
    """Packs on disk under ``root``: one folder per version, ``current`` a symlink switched atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current(self) -> Path | None:
        link = self.current_link
        return link.resolve() if link.exists() else None

    def current_version(self) -> str | None:
        path = self.current()
        return path.name if path is not None else None

    def clear(self) -> None:
        """No current pack any more (the folders stay until the next install prunes them)."""
        self.current_link.unlink(missing_ok=True)

    def install(self, manifest: VoicePackManifest, clips: Mapping[str, bytes]) -> Path:
        """Write the pack (every clip checked against the manifest), then switch ``current`` to it."""
        for entry in manifest.clips:
            data = clips.get(entry.key)
            if data is None or hashlib.sha256(data).hexdigest() != entry.sha256:
                raise PackError(f"clip {entry.key} missing or not the one the manifest names")
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / manifest.version
        if not final.is_dir():
            staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
            (staging / "clips").mkdir()
            for entry in manifest.clips:
                (staging / entry.path).write_bytes(clips[entry.key])
            (staging / MANIFEST).write_bytes(manifest.encode())
            os.replace(staging, final)
        link = self.root / f".current-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(final.name)
        os.replace(link, self.current_link)  # atomic: a reader sees the old pack or the new one
        self._prune(keep=final)
        return final

    def _prune(self, keep: Path) -> None:
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink() and child != keep:
                shutil.rmtree(child, ignore_errors=True)
