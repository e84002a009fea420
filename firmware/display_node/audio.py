"""The audio output seam: one blocking ``play(clip, label)``; pygame.mixer on a node, fakes in tests.

>>> from firmware.display_node.clip import silence
>>> sink = FakeSink(speed=100.0)
>>> sink.play(silence(0.5), "chime")
>>> [(p.label, round(p.duration, 1)) for p in sink.played]
[('chime', 0.5)]
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from firmware.display_node.clip import SAMPLE_RATE, Clip, join

logger = logging.getLogger(__name__)


class AudioSink(Protocol):
    def play(self, clip: Clip, label: str) -> None:
        """Play ``clip`` and return when it has finished."""


class MixerSink:
    """pygame.mixer: real speakers (or SDL_AUDIODRIVER=dummy, which plays in real time to nowhere)."""

    def __init__(self, device: str | None = None, rate: int = SAMPLE_RATE, volume: float = 1.0) -> None:
        import pygame

        self._pygame = pygame
        self.volume = volume
        self.rate = rate
        pygame.mixer.pre_init(frequency=rate, size=-16, channels=1, buffer=1024)
        pygame.mixer.init(frequency=rate, size=-16, channels=1, buffer=1024, devicename=device)
        frequency, _size, channels = pygame.mixer.get_init()
        self._channels = channels
        if frequency != rate:
            logger.info("audio device runs at %d Hz; clips are resampled", frequency)
            self.rate = frequency
        self.first_sample_at: float | None = None
        self._playing = threading.Lock()
        self._closing = threading.Event()

    def play(self, clip: Clip, label: str) -> None:
        clip = clip.resampled(self.rate)
        pcm = clip.pcm
        if self._channels == 2:
            pcm = b"".join(pcm[i : i + 2] * 2 for i in range(0, len(pcm), 2))
        with self._playing:
            if self._closing.is_set():
                return
            sound = self._pygame.mixer.Sound(buffer=pcm)
            sound.set_volume(self.volume)
            channel = sound.play()
            self.first_sample_at = time.monotonic()
            logger.debug("playing %s (%.2f s)", label, clip.duration)
            deadline = time.monotonic() + clip.duration + 2.0
            while channel is not None and channel.get_busy() and time.monotonic() < deadline:
                if self._closing.wait(0.01):
                    channel.stop()
                    break

    def close(self) -> None:
        """Cut any clip short and release the device (safe while another thread is playing)."""
        self._closing.set()
        with self._playing:
            self._pygame.mixer.quit()


@dataclass(frozen=True)
class Played:
    label: str
    start: float
    end: float
    clip: Clip

    @property
    def duration(self) -> float:
        return self.clip.duration


class FakeSink:
    """Records what would play and when; takes ``duration / speed`` seconds per clip, like a device."""

    def __init__(self, speed: float = 1.0, fail_on: str | None = None) -> None:
        self.speed = speed
        self.fail_on = fail_on
        self.played: list[Played] = []
        self._lock = threading.Lock()

    def play(self, clip: Clip, label: str) -> None:
        if self.fail_on is not None and self.fail_on in label:
            raise OSError(f"audio device gone while playing {label}")
        start = time.monotonic()
        time.sleep(clip.duration / self.speed)
        with self._lock:
            self.played.append(Played(label, start, time.monotonic(), clip))

    def labels(self) -> list[str]:
        with self._lock:
            return [p.label for p in self.played]


class WavSink:
    """Writes everything played into one WAV file (``antrean display say``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.clips: list[Clip] = []

    def play(self, clip: Clip, label: str) -> None:
        self.clips.append(clip)
        join(self.clips).save(self.path)
