"""The announcement queue: calls are spoken in arrival order, one at a time, each id only once.

A call is the chime then the sentence. The sentence's clips are looked up (or synthesized) while the
chime plays, so a call starts at once even when a phrase is not cached yet. An audio or speech failure
is logged and the queue goes on with the next call.

>>> from firmware.display_node.audio import FakeSink
>>> from firmware.display_node.cache import ClipCache
>>> from firmware.display_node.clip import silence
>>> class Quiet:
...     name = "quiet"
...     def synthesize(self, text): return silence(0.05)
>>> sink = FakeSink(speed=50.0)
>>> a = Announcer(ClipCache(Quiet(), None), sink)
>>> a.start()
>>> a.submit(Call("x1", "P-003", 1, "Loket 1"))
True
>>> a.submit(Call("x1", "P-003", 1, "Loket 1"))
False
>>> a.wait_idle(5)
True
>>> sink.labels()
['chime x1', 'voice x1']
>>> a.stop()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from firmware.display_node.audio import AudioSink
from firmware.display_node.cache import ClipCache
from firmware.display_node.clip import Clip, chime, join, silence
from firmware.display_node.voicepack import VoicePack, assemble
from protocol.payloads import Announcement
from protocol.speech import DEFAULT_TEMPLATE, call_parts, sentence

logger = logging.getLogger(__name__)

SEEN_IDS = 2000


@dataclass(frozen=True)
class Call:
    """One call to speak (built from a ``display/announce`` message)."""

    id: str
    ticket_number: str
    counter: int
    counter_name: str
    repeat: bool = False
    received_at: float = field(default_factory=time.monotonic, compare=False)

    @classmethod
    def of(cls, message: Announcement) -> Call:
        return cls(message.id, message.ticket_number, message.counter, message.counter_name, message.repeat)


@dataclass(frozen=True)
class Spoken:
    """What the announcer did with a call: the sentence and when the first sample went out."""

    call: Call
    sentence: str
    first_sample_at: float
    voice_at: float | None

    @property
    def latency(self) -> float:
        return self.first_sample_at - self.call.received_at


Listener = Callable[[Spoken], None]


class Announcer:
    """Plays calls one after another on ``sink``; ``submit`` never blocks."""

    def __init__(
        self,
        cache: ClipCache | None,
        sink: AudioSink,
        *,
        template: str = DEFAULT_TEMPLATE,
        with_chime: bool = True,
        pause: float = 0.18,
        volume: float = 1.0,
        pack: VoicePack | None = None,
        word_gap: float = 0.12,
        phrase_gap: float = 0.3,
        unit: str = "phrase",
    ) -> None:
        self.cache = cache
        self.sink = sink
        self.template = template
        self.pause = pause
        # the recorded voice; replaced whole (one assignment) when the hub sends a new pack
        self.pack = pack
        self.word_gap, self.phrase_gap = word_gap, phrase_gap
        self.unit = unit  # what the engine synthesizes: "word" (assembled like a pack) or "phrase"
        self.volume = volume
        self.chime: Clip | None = chime().scaled(volume) if with_chime else None
        self._queue: queue.Queue[Call | None] = queue.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None
        self._speaker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._stopping = False
        self.on_start: list[Callable[[Call, str], None]] = []
        self.listeners: list[Listener] = []
        self.spoken: list[Spoken] = []

    # -- queue ----------------------------------------------------------------------------------

    def submit(self, call: Call) -> bool:
        """Queue ``call``; False (and nothing queued) if its id was already heard."""
        with self._seen_lock:
            if call.id in self._seen:
                logger.info("announcement %s already heard; ignored", call.id)
                return False
            self._seen[call.id] = None
            while len(self._seen) > SEEN_IDS:
                self._seen.popitem(last=False)
            self._busy.set()
        self._queue.put(call)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True  # calls still queued are dropped: the node is going away
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        self._speaker.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued call has been played."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._busy.is_set() and self._queue.empty():
                return True
            time.sleep(0.01)
        return False

    # -- speaking -------------------------------------------------------------------------------

    def voice(self, call: Call) -> tuple[str, Clip | None]:
        """The sentence and its audio (None when TTS is off): from the voice pack when it has every word
        of the call, else from synthesized (cached) phrases."""
        parts = call_parts(self.template, call.ticket_number, call.counter_name)
        text = sentence(parts)
        pack = self.pack
        if pack is not None:
            missing = pack.missing(parts)
            if not missing:
                return text, pack.assemble(parts, self.word_gap, self.phrase_gap).scaled(self.volume)
            logger.info("voice pack %r has no clip for %s; %s is synthesized", pack.name, missing, call.id)
        if self.cache is None:
            return text, None
        if self.unit == "word" and all(part.tokens for part in parts):
            words = {token.key: self.cache.get(token.text) for part in parts for token in part.tokens}
            return text, assemble(parts, words, self.word_gap, self.phrase_gap).scaled(self.volume)
        gap = silence(self.pause)
        clips: list[Clip] = []
        for part in parts:
            clips += [self.cache.get(part.text), gap]
        return text, join(clips[:-1]).scaled(self.volume)

    def _run(self) -> None:
        while True:
            call = self._queue.get()
            if call is None or self._stopping:
                return
            try:
                self._speak(call)
            except Exception:
                if self._stopping:  # stopped in the middle of a call: nothing failed
                    logger.debug("announcement %s cut short by the stop", call.id)
                    return
                logger.exception("announcement %s (%s) failed; continuing", call.id, call.ticket_number)
            finally:
                if self._queue.empty():
                    self._busy.clear()

    def _speak(self, call: Call) -> None:
        pending = self._speaker.submit(self.voice, call)
        announced = sentence(call_parts(self.template, call.ticket_number, call.counter_name))
        self._notify(self.on_start, call, announced)
        first: float | None = None
        if self.chime is not None:
            first = time.monotonic()
            try:
                self.sink.play(self.chime, f"chime {call.id}")
            except Exception:
                logger.exception("chime for %s failed", call.id)
        text, clip = pending.result()
        voice_at: float | None = None
        if clip is not None:
            voice_at = time.monotonic()
            first = first or voice_at
            self.sink.play(clip, f"voice {call.id}")
        done = Spoken(call, text, first or time.monotonic(), voice_at)
        self.spoken.append(done)
        logger.info(
            "called %s to %s: %s (start after %.0f ms)",
            call.ticket_number,
            call.counter_name,
            text,
            1000 * done.latency,
        )
        self._notify(self.listeners, done)

    @staticmethod
    def _notify(listeners: list[Callable[..., None]], *args: object) -> None:
        for listener in listeners:
            try:
                listener(*args)
            except Exception:
                logger.exception("announcement listener failed")
