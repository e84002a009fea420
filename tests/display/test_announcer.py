"""The announcement queue: order, no overlap, duplicates ignored, recalls spoken, failures survived."""

from __future__ import annotations

import itertools
import time

import pytest

from firmware.display_node.announcer import Announcer, Call
from firmware.display_node.audio import FakeSink, MixerSink, Played
from firmware.display_node.cache import ClipCache
from firmware.display_node.clip import Clip, chime
from firmware.display_node.tts import EspeakEngine


class ToneEngine:
    """Stands in for a TTS engine: a tone whose length grows with the text, optionally slow."""

    name = "tone"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.texts: list[str] = []

    def synthesize(self, text: str) -> Clip:
        self.texts.append(text)
        time.sleep(self.delay)
        return Clip(chime(22050).pcm[: 2 * 220 * len(text)])


def no_overlap(played: list[Played]) -> bool:
    return all(later.start >= earlier.end - 1e-3 for earlier, later in itertools.pairwise(played))


def test_burst_of_calls_plays_in_order_without_overlap() -> None:
    sink = FakeSink(speed=40.0)
    announcer = Announcer(ClipCache(ToneEngine(), None), sink)
    announcer.start()
    calls = [Call(f"c{i}", f"A-{i:03d}", 1 + i % 3, f"Loket {1 + i % 3}") for i in range(12)]
    for call in calls:
        assert announcer.submit(call)
    assert announcer.wait_idle(30)
    announcer.stop()
    expected = [label for call in calls for label in (f"chime {call.id}", f"voice {call.id}")]
    assert sink.labels() == expected
    assert no_overlap(sink.played)
    assert [s.call.ticket_number for s in announcer.spoken] == [c.ticket_number for c in calls]
    assert announcer.spoken[3].sentence == "Nomor antrean, A, tiga. Silakan menuju loket satu."


def test_duplicate_ids_are_ignored_and_recalls_are_spoken() -> None:
    sink = FakeSink(speed=40.0)
    announcer = Announcer(ClipCache(ToneEngine(), None), sink)
    announcer.start()
    assert announcer.submit(Call("a1", "P-003", 1, "Loket 1"))
    assert not announcer.submit(Call("a1", "P-003", 1, "Loket 1"))  # the same message delivered twice
    assert announcer.submit(Call("a2", "P-003", 1, "Loket 1", repeat=True))  # a recall: a new id
    assert announcer.wait_idle(10)
    announcer.stop()
    assert sink.labels() == ["chime a1", "voice a1", "chime a2", "voice a2"]


@pytest.mark.slow  # plays in real time
def test_voice_is_prepared_while_the_chime_plays() -> None:
    """Uncached phrases are synthesized during the chime: the call starts at once all the same."""
    engine = ToneEngine(delay=0.05)
    sink = FakeSink(speed=1.0)
    announcer = Announcer(ClipCache(engine, None), sink)
    announcer.start()
    announcer.submit(Call("u1", "B-117", 2, "Loket 2"))
    assert announcer.wait_idle(15)
    announcer.stop()
    spoken = announcer.spoken[0]
    assert spoken.latency < 0.1  # the chime did not wait for 5 phrases x 50 ms of synthesis
    assert spoken.voice_at is not None
    assert spoken.voice_at - spoken.first_sample_at < 1.45  # the voice follows the chime directly
    assert len(engine.texts) == 5


def test_audio_failure_never_stops_the_queue() -> None:
    sink = FakeSink(speed=40.0, fail_on="voice b2")
    announcer = Announcer(ClipCache(ToneEngine(), None), sink)
    announcer.start()
    for i in (1, 2, 3):
        announcer.submit(Call(f"b{i}", f"A-00{i}", 1, "Loket 1"))
    assert announcer.wait_idle(10)
    announcer.stop()
    assert sink.labels() == ["chime b1", "voice b1", "chime b2", "chime b3", "voice b3"]


def test_speech_failure_still_rings_the_chime_and_goes_on() -> None:
    class Broken:
        name = "broken"

        def synthesize(self, text: str) -> Clip:
            raise OSError("espeak-ng vanished")

    sink = FakeSink(speed=40.0)
    announcer = Announcer(ClipCache(Broken(), None), sink)
    announcer.start()
    announcer.submit(Call("d1", "A-001", 1, "Loket 1"))
    announcer.submit(Call("d2", "A-002", 1, "Loket 1"))
    assert announcer.wait_idle(10)
    announcer.stop()
    assert sink.labels() == ["chime d1", "chime d2"]


def test_tts_off_means_chime_only_and_chime_off_means_voice_only() -> None:
    sink = FakeSink(speed=40.0)
    announcer = Announcer(None, sink)
    announcer.start()
    announcer.submit(Call("e1", "A-001", 1, "Loket 1"))
    assert announcer.wait_idle(10)
    announcer.stop()
    assert sink.labels() == ["chime e1"]
    sink = FakeSink(speed=40.0)
    announcer = Announcer(ClipCache(ToneEngine(), None), sink, with_chime=False)
    announcer.start()
    announcer.submit(Call("e2", "A-001", 1, "Loket 1"))
    assert announcer.wait_idle(10)
    announcer.stop()
    assert sink.labels() == ["voice e2"]


@pytest.mark.slow  # plays in real time
def test_real_mixer_plays_espeak_calls_one_after_another() -> None:
    """pygame.mixer on SDL's dummy driver plays in real time: two short calls never overlap."""
    sink = MixerSink(volume=0.5)
    played: list[tuple[str, float, float]] = []

    class Timing:
        def play(self, clip: Clip, label: str) -> None:
            start = time.monotonic()
            sink.play(clip, label)
            played.append((label, start, time.monotonic()))

    try:
        announcer = Announcer(ClipCache(EspeakEngine(), None), Timing(), template="{nomor}", with_chime=False)
        announcer.start()
        announcer.submit(Call("m1", "A-001", 1, "Loket 1"))
        announcer.submit(Call("m2", "A-002", 1, "Loket 1"))
        assert announcer.wait_idle(20)
        announcer.stop()
    finally:
        sink.close()
    assert [label for label, _, _ in played] == ["voice m1", "voice m2"]
    (_, s1, e1), (_, s2, _e2) = played
    assert e1 - s1 > 0.2 and s2 >= e1  # the first really took its time; the second waited for it


def test_volume_scales_chime_and_voice() -> None:
    loud, quiet = FakeSink(speed=40.0), FakeSink(speed=40.0)
    for sink, volume in ((loud, 1.0), (quiet, 0.25)):
        announcer = Announcer(ClipCache(ToneEngine(), None), sink, volume=volume)
        announcer.start()
        announcer.submit(Call("v1", "A-001", 1, "Loket 1"))
        assert announcer.wait_idle(10)
        announcer.stop()
    for played_loud, played_quiet in zip(loud.played, quiet.played, strict=True):
        ratio = played_quiet.clip.peak() / played_loud.clip.peak()
        assert 0.23 < ratio < 0.27, (played_loud.label, ratio)


@pytest.mark.slow
def test_no_audio_device_means_silent_calls_not_a_crash() -> None:
    from firmware.display_node.config import DisplayConfig
    from firmware.display_node.node import DisplayNode, SilentSink, open_audio

    config = DisplayConfig(voice={"device": "no such device", "enabled": False, "chime": True})
    sink, state = open_audio(config)
    assert isinstance(sink, SilentSink) and state == "error"
    node = DisplayNode(config, sink=sink, audio_state=state)
    assert node.runtime.status("online").details["audio"] == "error"
    node.announcer.start()
    node.announcer.submit(Call("s1", "A-001", 1, "Loket 1"))
    assert node.announcer.wait_idle(5)
    node.announcer.stop()
    assert [s.call.id for s in node.announcer.spoken] == ["s1"]
