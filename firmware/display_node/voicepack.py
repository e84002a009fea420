"""The display's voice pack: recorded clips (protocol/voicepack.py) loaded, levelled and assembled into calls.

A call is spoken from the pack only when the pack has every word of it; otherwise the whole call is
synthesized (piper / espeak-ng): a sentence half in a recorded voice and half in a synthetic one sounds
worse than either. Clips are converted at load (mono, the node's sample rate, one loudness) so that
assembling a call is only joining bytes.

>>> from firmware.display_node.clip import Clip, silence
>>> tone = Clip(b"\\x00\\x10" * 2205)
>>> pack = VoicePack("test", "v1", {k: tone for k in ("nomor", "antrean", "tiga")})
>>> from protocol.speech import call_parts
>>> parts = call_parts("Nomor antrean, {nomor}.", "3", "Loket 1")
>>> pack.missing(parts), round(pack.assemble(parts, 0.12, 0.3).duration, 2)
([], 0.72)
>>> pack.missing(call_parts("Nomor antrean, {nomor}.", "4", "Loket 1"))
['empat']
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from firmware.display_node.clip import SAMPLE_RATE, Clip, join, read_wav, silence
from protocol.errors import ProtocolError
from protocol.speech import Part
from protocol.voicepack import MANIFEST, PackError, PackStore, VoiceClip, VoicePackManifest, check_wav

__all__ = ["PackError", "PackReceiver", "PackStore", "VoicePack", "assemble", "levelled", "load_pack"]

logger = logging.getLogger(__name__)

TARGET_RMS = 3500.0  # about -19 dBFS: a clear voice with room for peaks
MAX_PEAK = 29000


@dataclass(frozen=True)
class VoicePack:
    name: str
    version: str
    clips: Mapping[str, Clip]

    def missing(self, parts: list[Part]) -> list[str]:
        """The keys of ``parts`` this pack has no clip for (a part without tokens counts as missing)."""
        absent = [t.key for p in parts for t in p.tokens if t.key not in self.clips]
        absent += [p.text for p in parts if not p.tokens]
        return list(dict.fromkeys(absent))

    def assemble(self, parts: list[Part], word_gap: float, phrase_gap: float) -> Clip:
        """The call: the clips of each part ``word_gap`` apart, the parts ``phrase_gap`` apart."""
        return assemble(parts, self.clips, word_gap, phrase_gap)


def assemble(parts: list[Part], clips: Mapping[str, Clip], word_gap: float, phrase_gap: float) -> Clip:
    """``parts`` spoken from ``clips`` (token key → clip): words ``word_gap`` apart, parts ``phrase_gap``."""
    rate = next(iter(clips.values())).rate if clips else SAMPLE_RATE
    word, phrase = silence(word_gap, rate), silence(phrase_gap, rate)
    pieces: list[Clip] = []
    for index, part in enumerate(parts):
        if index:
            pieces.append(phrase)
        for position, token in enumerate(part.tokens):
            if position:
                pieces.append(word)
            pieces.append(clips[token.key])
    return join(pieces, rate)


def levelled(clip: Clip, rate: int = SAMPLE_RATE) -> Clip:
    """``clip`` at ``rate`` and at one loudness (RMS ``TARGET_RMS``, peaks kept under ``MAX_PEAK``)."""
    clip = clip.resampled(rate)
    rms, peak = clip.rms(), clip.peak()
    if rms < 1.0 or peak == 0:
        return clip
    return clip.scaled(min(TARGET_RMS / rms, MAX_PEAK / peak))


def load_pack(directory: Path, rate: int = SAMPLE_RATE) -> VoicePack:
    """Read, check (sha256, WAV format) and level every clip of the pack in ``directory``."""
    try:
        manifest = VoicePackManifest.decode((directory / MANIFEST).read_bytes(), tolerant=True)
    except (OSError, ProtocolError) as exc:
        raise PackError(f"voice pack {directory}: {exc}") from exc
    clips: dict[str, Clip] = {}
    for entry in manifest.clips:
        path = directory / entry.path
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PackError(f"voice pack {directory}: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise PackError(f"voice pack {directory}: {entry.path} does not match its sha256")
        problem = check_wav(data)
        if problem is not None:
            raise PackError(f"voice pack {directory}: {entry.path}: {problem}")
        clips[entry.key] = levelled(read_wav(data), rate)
    return VoicePack(manifest.name, manifest.version, clips)


class PackReceiver:
    """Collects the pack the hub keeps retained (``display/voice/pack`` and ``display/voice/clip/{key}``) and,
    once every clip the manifest names has arrived intact, installs it (atomic switch on disk) and hands the
    loaded pack to ``on_pack``, off paho's thread. A cleared manifest means: no pack (``on_pack(None)``)."""

    def __init__(self, store: PackStore, on_pack: Callable[[VoicePack | None], None]) -> None:
        self.store, self.on_pack = store, on_pack
        self.manifest: VoicePackManifest | None = None
        self.clips: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._installing: str | None = None

    def on_manifest(self, _topic: str, manifest: VoicePackManifest) -> None:
        with self._lock:
            self.manifest = manifest
        self._check(manifest_arrived=True)

    def on_cleared(self, _topic: str) -> None:
        with self._lock:
            self.manifest = None
            self.clips.clear()
            self.store.clear()
        self.on_pack(None)

    def on_clip(self, _topic: str, clip: VoiceClip) -> None:
        try:
            data = clip.data()
        except ProtocolError as exc:
            logger.warning("voice pack: %s", exc.detail)
            return
        with self._lock:
            self.clips[clip.key] = data
        self._check()

    def _check(self, manifest_arrived: bool = False) -> None:
        with self._lock:
            manifest = self.manifest
            if manifest is None or self._installing is not None:
                return  # one install at a time; the one running checks again when it is done
            if manifest.version == self.store.current_version():
                if manifest_arrived:
                    self.clips.clear()  # the retained clips of the pack already installed: not needed
                return
            ready: dict[str, bytes] = {}
            for entry in manifest.clips:
                data = self.clips.get(entry.key)
                if data is None or hashlib.sha256(data).hexdigest() != entry.sha256:
                    data = self._installed(entry.path, entry.sha256)  # a word the new pack did not change
                if data is None:
                    return
                ready[entry.key] = data
            self._installing = manifest.version
        threading.Thread(target=self._install, args=(manifest, ready), name="voice-pack", daemon=True).start()

    def _installed(self, path: str, sha256: str) -> bytes | None:
        directory = self.store.current()
        try:
            data = (directory / path).read_bytes() if directory is not None else None
        except OSError:
            return None
        return data if data is not None and hashlib.sha256(data).hexdigest() == sha256 else None

    def _install(self, manifest: VoicePackManifest, clips: dict[str, bytes]) -> None:
        try:
            pack = load_pack(self.store.install(manifest, clips))
        except (PackError, OSError) as exc:
            logger.error("voice pack %r from the hub not installed: %s", manifest.name, exc)
            return
        finally:
            with self._lock:
                self._installing = None
                self.clips = {k: d for k, d in self.clips.items() if clips.get(k) != d}
        logger.info("voice pack %r (%d clips) received and installed", pack.name, len(pack.clips))
        self.on_pack(pack)
        self._check()  # a newer manifest may have arrived meanwhile
