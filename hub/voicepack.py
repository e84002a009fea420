"""The hub's voice pack: recordings turned into clips, uploaded packs checked, the pack stored and sent to
every display over MQTT.

Layout under ``<data_dir>/voice-pack/``: the installed packs (``protocol.voicepack.PackStore``: one folder
per version, ``current`` a symlink) and ``draft/<key>.wav``, the clips recorded in the browser so far.
Every stored clip is mono 16-bit PCM at 16 kHz, trimmed of the silence around the word, at most 1.4 s: one
retained MQTT message each (``display/voice/clip/{key}``), announced by the retained manifest
(``display/voice/pack``). Displays fetch nothing over HTTP and need no account beyond their MQTT one.

>>> import io, wave
>>> buffer = io.BytesIO()
>>> with wave.open(buffer, "wb") as w:
...     w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000); w.writeframes(b"\\x00\\x00" * 48000)
>>> prepare_clip(buffer.getvalue())
Traceback (most recent call last):
...
hub.voicepack.ClipError: Tidak ada suara terdengar dalam rekaman. Dekatkan mikrofon lalu ulangi.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from protocol import MqttLink, Topics
from protocol.speech import Token, is_key
from protocol.voicepack import (
    MANIFEST,
    MAX_CLIP_BYTES,
    MAX_CLIPS,
    SEND_RATE,
    SEND_SECONDS,
    PackStore,
    VoiceClip,
    VoicePackManifest,
    check_wav,
    read_pcm,
    resample_pcm,
    trim_silence,
    wav_bytes,
)

logger = logging.getLogger(__name__)

MAX_ZIP_BYTES = 16 * 1024 * 1024
_CLIP_NAME = re.compile(r"clips/([a-z0-9]+(?:-[a-z0-9]+)*)\.wav")


class ClipError(ValueError):
    """A recording or an upload that cannot be used; ``str()`` is the Indonesian message for the admin."""


def prepare_clip(data: bytes) -> bytes:
    """A recorded word as the pack stores it: 16 kHz mono WAV, trimmed; ClipError when it cannot be."""
    problem = check_wav(data)
    if problem is not None:
        logger.info("recording refused: %s", problem)
        raise ClipError("Rekaman bukan berkas WAV 16-bit yang dapat dipakai.")
    pcm, rate = read_pcm(data)
    pcm = trim_silence(resample_pcm(pcm, rate, SEND_RATE), SEND_RATE)
    if not pcm:
        raise ClipError("Tidak ada suara terdengar dalam rekaman. Dekatkan mikrofon lalu ulangi.")
    seconds = len(pcm) / 2 / SEND_RATE
    if seconds > SEND_SECONDS:
        raise ClipError(
            f"Rekaman terlalu panjang ({_decimal(seconds)} detik). Ucapkan satu kata saja, paling lama "
            f"{_decimal(SEND_SECONDS)} detik."
        )
    return wav_bytes(pcm, SEND_RATE)


def _decimal(value: float) -> str:
    """``1,4``: the Indonesian decimal comma."""
    return f"{value:.1f}".replace(".", ",")


def read_pack_zip(data: bytes) -> tuple[str, dict[str, tuple[str, bytes]]]:
    """(name, key → (text, clip)) of an uploaded pack: ``manifest.json`` (``name``; ``clips`` with ``key``
    and ``text``) and ``clips/<key>.wav``. Nothing is ever written under a name taken from the zip: any other
    entry (``../x``, ``/etc/x``, ``clips/a/b.wav``), an oversized entry or a bad WAV refuses the upload."""
    if len(data) > MAX_ZIP_BYTES:
        raise ClipError("Berkas zip terlalu besar (paling besar 16 MB).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ClipError("Berkas yang diunggah bukan zip.") from exc
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_CLIPS + 1:
        raise ClipError(f"Zip berisi terlalu banyak berkas (paling banyak {MAX_CLIPS} klip).")
    raw: dict[str, bytes] = {}
    texts: dict[str, str] = {}
    name = "Paket suara"
    for info in entries:
        if info.filename == MANIFEST:
            name, texts = _manifest(_read(archive, info, 64 * 1024))
            continue
        match = _CLIP_NAME.fullmatch(info.filename)
        if match is None:
            raise ClipError(
                f"Isi zip tidak dikenal: {info.filename!r} (hanya manifest.json dan clips/<kunci>.wav)."
            )
        raw[match.group(1)] = _read(archive, info, MAX_CLIP_BYTES)
    if not raw:
        raise ClipError("Zip tidak berisi klip (clips/<kunci>.wav).")
    clips: dict[str, tuple[str, bytes]] = {}
    for key, wav in sorted(raw.items()):
        try:
            clips[key] = (texts.get(key, key), prepare_clip(wav))
        except ClipError as exc:
            raise ClipError(f"Klip {key}: {exc}") from exc
    return name, clips


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise ClipError(f"Berkas {info.filename!r} di dalam zip terlalu besar.")
    with archive.open(info) as member:
        data = member.read(limit + 1)  # never trust the declared size alone (a zip bomb lies)
    if len(data) > limit:
        raise ClipError(f"Berkas {info.filename!r} di dalam zip terlalu besar.")
    return data


def _manifest(data: bytes) -> tuple[str, dict[str, str]]:
    try:
        value = json.loads(data)
        name = str(value.get("name") or "Paket suara")[:80]
        texts = {str(c["key"]): str(c.get("text") or c["key"])[:80] for c in value.get("clips", [])}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ClipError("manifest.json tidak dapat dibaca.") from exc
    return name, texts


class VoicePacks:
    """The pack on the hub: the draft being recorded, the installed pack, and publishing it to displays."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = PackStore(root / "packs")
        self.draft_dir = root / "draft"
        self.listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- the draft (recorded in the browser, one clip at a time) --------------------------------

    def save_draft(self, key: str, data: bytes) -> bytes:
        """Store one recorded word (converted and trimmed); the stored WAV."""
        if not is_key(key):
            raise ClipError("Kunci klip tidak dikenal.")
        clip = prepare_clip(data)
        self.draft_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.draft_dir / f".{key}.tmp"
        tmp.write_bytes(clip)
        tmp.replace(self.draft_dir / f"{key}.wav")
        return clip

    def draft_clip(self, key: str) -> bytes | None:
        path = self.draft_dir / f"{key}.wav"
        return path.read_bytes() if is_key(key) and path.is_file() else None

    def draft_keys(self) -> set[str]:
        if not self.draft_dir.is_dir():
            return set()
        return {p.stem for p in self.draft_dir.glob("*.wav") if is_key(p.stem)}

    def publish_draft(self, name: str, script: list[Token]) -> VoicePackManifest:
        """Install the recorded words of ``script`` as the pack (words not recorded are left out)."""
        clips = {t.key: (t.text, data) for t in script if (data := self.draft_clip(t.key)) is not None}
        if not clips:
            raise ClipError("Belum ada kata yang direkam.")
        return self.install(name, clips)

    # -- the installed pack -----------------------------------------------------------------------

    def install(self, name: str, clips: dict[str, tuple[str, bytes]]) -> VoicePackManifest:
        manifest = VoicePackManifest.build(name.strip()[:80] or "Paket suara", clips)
        with self._lock:
            self.store.install(manifest, {key: data for key, (_text, data) in clips.items()})
        logger.info(
            "voice pack %r installed: %d clips, version %s", manifest.name, len(clips), manifest.version[:12]
        )
        for listener in self.listeners:
            listener()
        return manifest

    def remove(self) -> None:
        """No pack any more: the displays go back to the synthesized voice (the draft stays)."""
        with self._lock:
            self.store.clear()
        logger.info("voice pack removed")
        for listener in self.listeners:
            listener()

    def current(self) -> tuple[VoicePackManifest, dict[str, bytes]] | None:
        """The installed pack and its clips (None without one, or with one that cannot be read: logged)."""
        with self._lock:
            directory = self.store.current()
            if directory is None:
                return None
            try:
                manifest = VoicePackManifest.decode((directory / MANIFEST).read_bytes())
                clips = {c.key: (directory / c.path).read_bytes() for c in manifest.clips}
            except (OSError, ValueError) as exc:
                logger.error("voice pack %s unreadable: %s", directory, exc)
                return None
        return manifest, clips


class VoiceDistributor:
    """Keeps the installed pack retained on the broker: every clip, then the manifest that names them."""

    def __init__(self, link: MqttLink, topics: Topics, packs: VoicePacks) -> None:
        self.link, self.topics, self.packs = link, topics, packs
        self._sent: set[str] = set()
        packs.listeners.append(self.publish)

    def publish(self) -> None:
        pack = self.packs.current()
        if pack is None:  # no pack (or removed): a display that still has one forgets it
            for key in sorted(self._sent):
                self.link.publish(self.topics.voice_clip(key), b"", retain=True)
            self._sent = set()
            self.link.publish(self.topics.voice_pack(), b"", retain=True)
            return
        manifest, clips = pack
        for key, data in sorted(clips.items()):
            self.link.publish(self.topics.voice_clip(key), VoiceClip.of(key, data), retain=True)
        for key in sorted(self._sent - set(clips)):  # a word the new pack has no longer
            self.link.publish(self.topics.voice_clip(key), b"", retain=True)
        self._sent = set(clips)
        self.link.publish(self.topics.voice_pack(), manifest, retain=True)
        logger.info("voice pack %r sent to the displays (%d clips)", manifest.name, len(clips))
