"""The clip cache: every phrase synthesized once, kept in memory and on disk, reused at call time.

>>> from firmware.display_node.clip import silence
>>> class Quiet:
...     name = "quiet"
...     def synthesize(self, text): return silence(0.1)
>>> cache = ClipCache(Quiet(), directory=None)
>>> cache.get("tiga").duration, cache.get("tiga") is cache.get("tiga"), cache.misses
(0.1, True, 1)
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

from firmware.display_node.clip import Clip, read_wav
from firmware.display_node.tts import Engine

logger = logging.getLogger(__name__)


class ClipCache:
    """Phrase → Clip for one engine; thread-safe; a disk directory survives restarts."""

    def __init__(
        self, engine: Engine, directory: Path | None, memory_clips: int = 48, *, trim: bool = False
    ) -> None:
        self.engine = engine
        self.trim = trim  # words are kept without the engine's silence around them (assembled like a pack)
        # one folder per engine and voice (the engine's name says both) and per kind of clip
        folder = _safe(engine.name) + ("~words" if trim else "")
        self.directory = directory / folder if directory else None
        # With a disk directory only the most recent clips stay in memory (a WAV read from the page cache
        # takes well under a millisecond); without one, everything stays.
        self.memory_clips = memory_clips
        self._clips: OrderedDict[str, Clip] = OrderedDict()
        self._lock = threading.Lock()
        self._warm_thread: threading.Thread | None = None
        self._closed = threading.Event()
        self.hits = 0
        self.misses = 0
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                logger.warning("clip cache directory %s unusable (%s); memory only", self.directory, exc)
                self.directory = None

    def _path(self, text: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / (hashlib.sha1(text.encode("utf-8")).hexdigest()[:20] + ".wav")

    def cached(self, text: str) -> bool:
        """True when ``text`` is ready without synthesis (in memory or on disk)."""
        with self._lock:
            if text in self._clips:
                return True
        path = self._path(text)
        return path is not None and path.is_file()

    def get(self, text: str) -> Clip:
        """The clip for ``text``: from memory, else disk, else synthesized now (and stored)."""
        with self._lock:
            clip = self._clips.get(text)
            if clip is not None:
                self._clips.move_to_end(text)
                self.hits += 1
                return clip
        path = self._path(text)
        clip = None
        if path is not None and path.is_file():
            try:
                clip = read_wav(path)
            except (OSError, ValueError, EOFError) as exc:
                logger.warning("cached clip %s unreadable (%s); synthesizing again", path, exc)
        if clip is None:
            clip = self.engine.synthesize(text)
            if self.trim:
                clip = clip.trimmed()
            self.misses += 1
            if path is not None:
                try:
                    tmp = path.with_suffix(".tmp")
                    tmp.write_bytes(clip.to_wav())
                    tmp.replace(path)
                except OSError as exc:
                    logger.warning("could not store clip %s: %s", path, exc)
        with self._lock:
            self._clips[text] = clip
            while self.directory is not None and len(self._clips) > self.memory_clips:
                self._clips.popitem(last=False)
        return clip

    def warm(
        self, texts: Iterable[str], background: bool = True, on_done: Callable[[int], None] | None = None
    ) -> None:
        """Synthesize ``texts`` ahead of time (in a background thread by default, one after another: one
        inference at a time keeps the memory peak low); ``on_done(count)`` once all are cached."""
        todo = list(texts)

        def run() -> None:
            for text in todo:
                if self._closed.is_set():
                    return
                try:
                    self.get(text)
                except Exception as exc:
                    logger.warning("warming %r failed: %s", text, exc)
            logger.info("clip cache warm: %d phrases (%s)", len(todo), self.engine.name)
            if on_done is not None:
                on_done(len(todo))

        if not background:
            run()
            return
        self._warm_thread = threading.Thread(target=run, name="clip-warm", daemon=True)
        self._warm_thread.start()

    def close(self, timeout: float = 2.0) -> None:
        """Stop warming (the phrases already cached stay); waits briefly for the phrase in progress."""
        self._closed.set()
        if self._warm_thread is not None:
            self._warm_thread.join(timeout)

    def wait_warm(self, timeout: float | None = None) -> bool:
        if self._warm_thread is not None:
            self._warm_thread.join(timeout)
            return not self._warm_thread.is_alive()
        return True


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
