"""The display node: MQTT in, the screen and the voice out.

``DisplayNode`` routes ``display/state``, ``services``, ``hub/status`` and ``display/announce`` into the
screen model and the announcement queue; :meth:`DisplayNode.frame` draws one frame (the main loop calls
it ``fps`` times a second and pushes only the dirty regions to the TV).

>>> from firmware.display_node.config import DisplayConfig
>>> from firmware.display_node.audio import FakeSink
>>> node = DisplayNode(DisplayConfig(node_id="display-1", voice={"enabled": False}), sink=FakeSink())
>>> node.topics.display_state()
'antrean/pkm/display/state'
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pygame

from antrean.runtime import NodeRuntime
from antrean.snapshot import Snapshots
from firmware.display_node.announcer import Announcer, Call
from firmware.display_node.audio import AudioSink
from firmware.display_node.cache import ClipCache
from firmware.display_node.config import DisplayConfig, default_cache_dir, default_pack_dir
from firmware.display_node.layout import Box
from firmware.display_node.model import ScreenModel
from firmware.display_node.render import Renderer
from firmware.display_node.tts import Engine, build_engine
from firmware.display_node.voicepack import PackError, PackReceiver, PackStore, VoicePack, load_pack
from protocol.payloads import Announcement, DisplayState, NodeStatus, Services
from protocol.speech import pack_script, warm_texts
from protocol.topics import TOPICS, Topics
from protocol.voicepack import VoiceClip, VoicePackManifest

logger = logging.getLogger(__name__)

DEFAULT_LOKETS = [f"Loket {n}" for n in range(1, 7)]
DEFAULT_PREFIXES = ["A", "B", "C", "D", "E", "P"]
SNAPSHOT_EVERY_S = 2.0  # --snapshot: a PNG of the screen at most this often


class SilentSink:
    """No audio device: time passes as if the clip played, so calls keep their order and spacing."""

    def play(self, clip: object, label: str) -> None:
        time.sleep(getattr(clip, "duration", 0.0))


def open_audio(config: DisplayConfig) -> tuple[AudioSink, str]:
    """pygame.mixer when a device opens, else a silent stand-in; returns (sink, "ok" | "error")."""
    from firmware.display_node.audio import MixerSink

    try:
        return MixerSink(device=config.voice.device), "ok"
    except Exception as exc:  # pygame.error, or no audio driver at all
        logger.error("no audio output (%s); the screen runs on, calls are silent", exc)
        return SilentSink(), "error"


class DisplayNode:
    """One waiting-room screen with its speakers."""

    def __init__(
        self,
        config: DisplayConfig,
        *,
        sink: AudioSink,
        engine: Engine | None = None,
        audio_state: str = "ok",
    ) -> None:
        self.config = config
        self.topics = Topics(config.site)
        self.model = ScreenModel(config.screen.highlight_seconds)
        self.renderer = Renderer(
            timezone=config.timezone, title=config.screen.title, ticker_speed=config.screen.ticker_speed
        )
        self.zone = ZoneInfo(config.timezone)
        voice = config.voice
        self.cache: ClipCache | None = None
        if voice.enabled:
            engine = engine or build_engine(
                voice.engine, voice.piper_model, voice.espeak_voice, voice.espeak_speed
            )
            self.cache = ClipCache(engine, voice.cache_dir or default_cache_dir(), trim=voice.unit == "word")
        self.announcer = Announcer(
            self.cache,
            sink,
            template=voice.template,
            with_chime=voice.chime,
            pause=voice.pause_ms / 1000,
            volume=voice.volume,
            word_gap=voice.word_gap_ms / 1000,
            phrase_gap=voice.phrase_gap_ms / 1000,
            unit=voice.unit,
        )
        self.packs = PackStore(voice.pack_dir or default_pack_dir())
        if voice.pack:
            self.announcer.pack = self._load_pack()
        self._warmed: set[str] = set()
        self.started_at = time.monotonic()
        self.ready_after: float | None = None  # seconds from start() until every clip of a call was ready
        self._warm_lock = threading.Lock()
        details: dict[str, object] = {"audio": audio_state, "tts": self.cache is not None}
        if self.cache is not None:
            details["engine"] = self.cache.engine.name
        self.runtime = NodeRuntime(config, "display", details=details)
        self.link = self.runtime.link
        # announce first: once the retained state has arrived, no call can be missed
        self.runtime.route(self.topics.display_announce(), Announcement, self._on_announce)
        self.runtime.route(self.topics.hub_status(), NodeStatus, self._on_hub_status)
        self.runtime.route(self.topics.services(), Services, self._on_services)
        self.runtime.route(self.topics.display_state(), DisplayState, self._on_state)
        self.receiver = PackReceiver(self.packs, self._set_pack)
        if voice.pack:
            receiver = self.receiver
            self.runtime.route(
                self.topics.voice_pack(), VoicePackManifest, receiver.on_manifest, cleared=receiver.on_cleared
            )
            self.runtime.route(self.topics.filter(TOPICS["voice_clip"]), VoiceClip, receiver.on_clip)
        self.link.on_connection_change(self.model.set_broker)

    # -- MQTT handlers (paho's thread) ----------------------------------------------------------

    def _on_state(self, _topic: str, state: DisplayState) -> None:
        self.model.set_state(state, time.monotonic())
        self._warm([c.name for c in state.counters], [])

    def _on_services(self, _topic: str, services: Services) -> None:
        self.model.set_services(services)
        self._warm([], sorted({p.prefix for p in services.polys} | {"P"}))

    def _on_hub_status(self, _topic: str, status: NodeStatus) -> None:
        if status.state == "offline":
            logger.warning("hub reports offline")
        self.model.set_hub_status(status)

    def _on_announce(self, _topic: str, message: Announcement) -> None:
        self.model.highlight(message.counter, time.monotonic())
        self.announcer.submit(Call.of(message))

    # -- voice pack -----------------------------------------------------------------------------

    def _load_pack(self) -> VoicePack | None:
        """The installed pack, or None (none installed, or one that cannot be read: logged)."""
        directory = self.packs.current()
        if directory is None:
            return None
        try:
            pack = load_pack(directory)
        except PackError as exc:
            logger.warning("%s; calls are synthesized", exc)
            return None
        logger.info("voice pack %r (%d clips) loaded", pack.name, len(pack.clips))
        return pack

    def _set_pack(self, pack: VoicePack | None) -> None:
        """The hub's new pack (one assignment: a call being assembled keeps the pack it started with)."""
        self.announcer.pack = pack
        if pack is None:
            logger.info("the hub has no voice pack any more; calls are synthesized")
            self._warm(DEFAULT_LOKETS, DEFAULT_PREFIXES, self.config.voice.warm_numbers)

    # -- clip cache -----------------------------------------------------------------------------

    def _warm(
        self,
        lokets: list[str],
        prefixes: list[str],
        numbers: int = 0,
        on_done: Callable[[int], None] | None = None,
    ) -> None:
        """Synthesize in the background what calls at ``lokets`` with ``prefixes`` need: every word
        (unit = word: then any number is ready), or the phrases and numbers 1..``numbers``."""
        if self.cache is None:
            return
        voice = self.config.voice
        script = pack_script(prefixes, lokets or ["Loket 1"], voice.template)
        pack = self.announcer.pack
        if pack is not None and all(token.key in pack.clips for token in script):
            if on_done is not None:  # the recorded voice says all of it: nothing to synthesize
                on_done(0)
            return
        if voice.unit == "word":
            wanted = [t.text for t in script]
        else:
            wanted = warm_texts(voice.template, lokets or ["Loket 1"], prefixes, numbers)
        with self._warm_lock:
            todo = [t for t in wanted if t not in self._warmed]
            self._warmed.update(todo)
        if todo or on_done is not None:
            self.cache.warm(todo, on_done=on_done)

    def wait_ready(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """True once the start's clips are all cached (at once when the voice is off); gives up early when
        ``stop`` is set."""
        deadline = time.monotonic() + timeout
        while self.cache is not None and self.ready_after is None and time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                break
            time.sleep(0.02)
        return self.cache is None or self.ready_after is not None

    def _ready(self, count: int) -> None:
        self.ready_after = time.monotonic() - self.started_at
        pack = self.announcer.pack
        if count == 0 and pack is not None:
            source = f"voice pack {pack.name!r}"
        else:
            source = self.cache.engine.name if self.cache is not None else "-"
        logger.info("voice ready: %d clips (%s) %.1f s after start", count, source, self.ready_after)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Start the announcer, warm the clip cache, connect (optionally wait for the broker)."""
        self.started_at = time.monotonic()
        self.announcer.start()
        self._warm(DEFAULT_LOKETS, DEFAULT_PREFIXES, self.config.voice.warm_numbers, on_done=self._ready)
        return self.runtime.start(wait=wait)

    def stop(self) -> None:
        self.runtime.stop()
        self.announcer.stop(timeout=1.0)  # a call still playing is cut short: the process is ending
        if self.cache is not None:
            self.cache.close()

    def frame(
        self, surface: pygame.Surface, t: float | None = None, wall: datetime | None = None
    ) -> list[Box]:
        """Draw one frame on ``surface``; the boxes that changed."""
        t = time.monotonic() if t is None else t
        view = self.model.view(t)
        return [box for _, box in self.renderer.render(surface, view, wall or datetime.now(self.zone), t)]

    def run(
        self,
        stop: threading.Event,
        screen: pygame.Surface | None = None,
        snapshot: Path | None = None,
        fps: int | None = None,
    ) -> None:
        """The main loop: draw at ``fps`` (default: the config's) until ``stop`` is set or the window is
        closed (Esc closes a window too, never the full-screen TV)."""
        fps = fps or self.config.screen.fps
        escape_quits = not self.config.screen.fullscreen
        if screen is None:
            screen = open_screen(self.config)
        clock = pygame.time.Clock()
        windowed = pygame.display.get_surface() is screen
        snapshots = Snapshots(snapshot, every_s=SNAPSHOT_EVERY_S)
        failures = 0
        while not stop.is_set():
            for event in pygame.event.get() if windowed else ():
                if event.type == pygame.QUIT or (
                    escape_quits and event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE
                ):
                    stop.set()
                elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED, pygame.WINDOWSIZECHANGED):
                    self.renderer.invalidate()
            try:
                dirty = self.frame(screen)
            except Exception:  # a frame that cannot be drawn must not take the screen down for good
                failures += 1
                if failures in (1, 10) or failures % 1000 == 0:
                    logger.exception("frame failed (%d so far); the screen keeps running", failures)
                self.renderer.invalidate()
                dirty = []
            if windowed and dirty:
                pygame.display.update([pygame.Rect(b.as_tuple()) for b in dirty])
            snapshots.offer(screen, changed=bool(dirty))
            clock.tick(fps)


def open_screen(config: DisplayConfig) -> pygame.Surface:
    """The TV (full screen at its own resolution by default) or a window of the configured size."""
    pygame.display.init()
    pygame.display.set_caption("Antrean — layar ruang tunggu")
    size = (config.screen.width, config.screen.height)
    flags = pygame.FULLSCREEN if config.screen.fullscreen else 0
    if size == (0, 0) and not config.screen.fullscreen:
        size = (1280, 720)
    screen = pygame.display.set_mode(size, flags)
    if config.screen.fullscreen:
        pygame.mouse.set_visible(False)
    logger.info("screen %dx%d (%s)", *screen.get_size(), pygame.display.get_driver())
    return screen
