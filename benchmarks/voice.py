"""Voice measures of ``antrean bench display``: calls spoken from a voice pack, the gaps in a spoken call,
and the node's start (start → voice ready, memory peak) on a first start and on a restart.

The voice pack here is made of espeak-ng recordings of every word of the recording script (real WAV files at
16 kHz, trimmed as the hub trims a recording): the same clips, formats and code path as a pack recorded in
the browser; only the voice differs.
"""

from __future__ import annotations

import operator
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from antrean.bench import percentile
from firmware.display_node import samples
from firmware.display_node.clip import Clip
from firmware.display_node.config import DisplayConfig
from firmware.display_node.node import DisplayNode
from firmware.display_node.tts import Engine, EspeakEngine
from firmware.display_node.voicepack import PackStore
from protocol import MqttLink
from protocol.payloads import Announcement
from protocol.speech import pack_script
from protocol.topics import Topics
from protocol.voicepack import VoicePackManifest, trim_silence

LOKETS = [f"Loket {n}" for n in range(1, 7)]


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def spread(samples_: list[float]) -> list[str]:
    return [ms(percentile(samples_, 50)), ms(percentile(samples_, 99))]


PREFIXES = list("ABCDEP")


def make_pack(root: Path) -> Path:
    """Install a pack of every script word (espeak-ng, 16 kHz, trimmed) under ``root``; its folder."""
    engine = EspeakEngine(rate=16000)
    clips: dict[str, tuple[str, bytes]] = {}
    for token in pack_script(PREFIXES, LOKETS):
        clip = engine.synthesize(token.text)
        clips[token.key] = (token.text, Clip(trim_silence(clip.pcm, clip.rate), clip.rate).to_wav())
    manifest = VoicePackManifest.build("bench (espeak-ng recordings)", clips)
    return PackStore(root).install(manifest, {key: data for key, (_text, data) in clips.items()})


def silences(clip: Clip, frame: float = 0.01, floor: int = 250) -> list[float]:
    """The silent stretches between sounds in ``clip`` (seconds), measured on the audio itself."""
    size = int(clip.rate * frame)
    pcm = clip.pcm
    loud = []
    for start in range(0, len(pcm) // 2, size):
        chunk = Clip(pcm[2 * start : 2 * (start + size)], clip.rate)
        loud.append(chunk.peak() >= floor)
    gaps, run, seen = [], 0, False
    for is_loud in loud:
        if is_loud:
            if seen and run:
                gaps.append(run * frame)
            seen, run = True, 0
        else:
            run += 1
    return [g for g in gaps if g >= 0.05]  # shorter dips are inside a word


def _status(pid: int) -> dict[str, float]:
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


@dataclass
class DisplayRun:
    """A real ``antrean display`` process under test, fed by a stand-in hub on its own site."""

    process: subprocess.Popen[bytes]
    log_path: Path
    hub: MqttLink
    topics: Topics
    started: float

    def wait_ready(self, poll: float) -> float:
        """Seconds from the process start until it logs "voice ready"."""
        while "voice ready" not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() - self.started > 300:
                raise RuntimeError("display node never got ready:\n" + self.log_path.read_text())
            time.sleep(poll)
        return time.monotonic() - self.started

    def announce(self, id: str, number: str, counter: int) -> None:
        message = Announcement(id=id, ticket_number=number, category="umum", counter=counter,
                               counter_name=f"Loket {counter}", text="", repeat=False)  # fmt: skip
        self.hub.publish(self.topics.display_announce(), message).wait_for_publish(5)


@contextmanager
def display_under_test(
    url: str, model: Path | None, cache: Path, data: Path, log_path: Path, name: str
) -> Iterator[DisplayRun]:
    """Retained services and a busy day on a new site, then ``antrean display`` at 1920×1080 (piper when
    ``model`` is given) with its clip cache in ``cache``; stopped and the site cleared afterwards."""
    site = f"{name[0]}{uuid.uuid4().hex[:8]}"
    topics = Topics(site)
    hub = MqttLink(url, client_id=f"bench-{name}-{site}")
    hub.start(wait=10)
    hub.publish(topics.services(), samples.services(), retain=True).wait_for_publish(5)
    hub.publish(topics.display_state(), samples.busy_day(), retain=True).wait_for_publish(5)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", XDG_CACHE_HOME=str(cache),
               XDG_DATA_HOME=str(data))  # fmt: skip
    if model is not None:
        env["ANTREAN_VOICE_PIPER_MODEL"] = str(model)
    command = [sys.executable, "-m", "firmware.display_node", "--window", "1920x1080", "--mqtt-url", url,
               "--site", site, "--node-id", "display-bench"]  # fmt: skip
    with log_path.open("w") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            yield DisplayRun(process, log_path, hub, topics, started)
        finally:
            process.terminate()
            process.wait(20)
            hub.publish(topics.display_state(), b"", retain=True)
            hub.publish(topics.services(), b"", retain=True).wait_for_publish(5)
            hub.stop()


STARTS = ("first start (empty cache)", "restart (clips on disk)", "first start with a voice pack installed")


def node_start(url: str, model: Path | None, workdir: Path) -> list[dict[str, float]]:
    """Start ``antrean display`` for each of ``STARTS``: per start the seconds from the process start to
    "voice ready", the peak resident memory until then plus 5 s of screen and a call, and the resident
    memory after the call."""
    results = []
    workdir.mkdir(parents=True, exist_ok=True)
    for run, _label in enumerate(STARTS):
        cache = workdir / ("cache" if run < 2 else "cache-pack")
        if run == 2:
            make_pack(workdir / "data" / "antrean" / "voice-pack")
        figures: dict[str, float] = {}
        log_path = workdir / f"start-{run}.log"
        with display_under_test(url, model, cache, workdir / "data", log_path, "start") as node:
            figures["ready_s"] = node.wait_ready(poll=0.05)
            time.sleep(5.0)
            node.announce("s1", "A-1437", 3)
            time.sleep(8.0)
            status = _status(node.process.pid)
            figures["rss_after_call"], figures["peak"] = status["VmRSS"], status["VmHWM"]
        results.append(figures)
    return results


# -- calls --------------------------------------------------------------------------------------


class StampSink:
    """Records when each clip is handed to the output and returns at once (no waiting for playback)."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {}
        self.clips: dict[str, Clip] = {}
        self.done = threading.Condition()

    def play(self, clip: Clip, label: str) -> None:
        with self.done:
            self.starts[label] = time.monotonic()
            self.clips[label] = clip
            self.done.notify_all()


def call_latencies(
    url: str,
    engine: Engine,
    numbers: list[int],
    warm: list[int],
    cache_dir: Path,
    unit: str = "phrase",
    pack_dir: Path | None = None,
    clips: list[Clip] | None = None,
) -> tuple[list[float], list[float]]:
    """(message → first sample, message → voice ready) for calls of ``numbers`` after warming ``warm``
    (unit phrase) or every word (unit word), from the voice pack in ``pack_dir`` if given; the voice clips
    are appended to ``clips``."""
    site = f"b{uuid.uuid4().hex[:8]}"
    config = DisplayConfig(
        site=site,
        node_id="display-bench",
        mqtt={"url": url},
        voice={
            "warm_numbers": 0,
            "cache_dir": str(cache_dir),
            "unit": unit,
            "pack_dir": str(pack_dir or cache_dir / "no-pack"),
        },
    )
    sink = StampSink()
    node = DisplayNode(config, sink=sink, engine=engine)
    node.start(wait=10)
    node.wait_ready(600)
    node._warm(["Loket 1"], ["A", "P"], 0)
    if node.cache is not None and unit == "phrase":
        node.cache.warm([f"{w}." for w in _words(warm)], background=False)
        node.cache.wait_warm(600)
    hub = MqttLink(url, client_id=f"bench-hub-{site}")
    hub.start(wait=10)
    topic = Topics(site).display_announce()
    first, voice = [], []
    try:
        for index, number in enumerate(numbers):
            message = Announcement(
                id=f"c{index}",
                ticket_number=f"A-{number:03d}",
                category="umum",
                counter=1,
                counter_name="Loket 1",
                text="",
                repeat=False,
            )
            sent = time.monotonic()
            hub.publish(topic, message)
            label = f"voice c{index}"
            with sink.done:
                sink.done.wait_for(partial(operator.contains, sink.starts, label), 60)
            first.append(sink.starts[f"chime c{index}"] - sent)
            voice.append(sink.starts[f"voice c{index}"] - sent)
            if clips is not None:
                clips.append(sink.clips[f"voice c{index}"])
    finally:
        hub.stop()
        node.stop()
    return first, voice


def _words(numbers: list[int]) -> list[str]:
    from protocol.speech import number_words

    return [number_words(n) for n in numbers]


def voice_tables(
    say: Callable[[str], None], url: str, engines: list[tuple[str, Callable[[], Engine]]], quick: bool
) -> dict[str, float]:
    """The call latency table (per engine and unit, and from a voice pack) and the gaps of a spoken call."""
    results: dict[str, float] = {}
    count = 10 if quick else 40
    say("Call latency: a `display/announce` message published through the broker → the first audio sample "
        "handed to the mixer (the chime), and → the voice clip ready to follow. The voice is assembled while "
        "the 1.4 s chime plays, so a voice ready within 1.4 s starts without any gap.")  # fmt: skip
    say("")
    say("| voice | clips | calls | first sample p50 ms | first sample p99 ms | voice ready p50 ms | "
        "voice ready p99 ms |")  # fmt: skip
    say("|---|---|---|---|---|---|---|")
    numbers = list(range(1, count + 1))
    fresh = list(range(500, 500 + (5 if quick else 15)))
    spoken: dict[str, list[Clip]] = {}
    with tempfile.TemporaryDirectory(prefix="antrean-bench-") as tmp:
        pack_root = Path(tmp) / "pack"
        started = time.monotonic()
        make_pack(pack_root)
        results["pack_make_s"] = time.monotonic() - started
        spoken["voice pack"] = []
        first, voice = call_latencies(url, EspeakEngine(), numbers, [], Path(tmp) / "p", "word", pack_root,
                                      spoken["voice pack"])  # fmt: skip
        results["cached_first_p99_pack"] = percentile(first, 99)
        results["pack_voice_p99"] = percentile(voice, 99)
        say(row("voice pack (recorded words)", "pack", count, *spread(first), *spread(voice)))
        for name, make in engines:
            engine = make()
            spoken[name] = []
            first, voice = call_latencies(url, engine, numbers, [], Path(tmp) / f"w{name}", "word", None,
                                          spoken[name])  # fmt: skip
            results[f"cached_first_p99_{name}"] = percentile(first, 99)
            say(row(f"{name}, words (default)", "cached", count, *spread(first), *spread(voice)))
            first, voice = call_latencies(url, engine, numbers, numbers, Path(tmp) / f"c{name}")
            say(row(f"{name}, phrases", "cached", count, *spread(first), *spread(voice)))
            first, voice = call_latencies(url, engine, fresh, [], Path(tmp) / f"u{name}")
            say(row(f"{name}, phrases", "uncached number", len(fresh), *spread(first), *spread(voice)))
    say("")
    say("Gaps inside a spoken call, measured on the audio handed to the mixer (silences of 50 ms or more "
        "between sounds; configured: 120 ms between words, 300 ms between phrases, plus what a clip keeps "
        "of its own silence; nothing waits a fixed second):")  # fmt: skip
    say("")
    say("| voice | calls | gaps | min ms | median ms | p90 ms | max ms |")
    say("|---|---|---|---|---|---|---|")
    for name, clips in spoken.items():
        gaps = [gap for clip in clips for gap in silences(clip)]
        if gaps:
            say(row(name, len(clips), len(gaps), ms(min(gaps)), ms(percentile(gaps, 50)),
                    ms(percentile(gaps, 90)), ms(max(gaps))))  # fmt: skip
            results[f"gap_max_{name}"] = max(gaps)
    say("")
    say(f"Making the bench's voice pack (espeak-ng, {len(pack_script(PREFIXES, LOKETS))} words, checked, "
        f"installed): {results['pack_make_s']:.1f} s.")  # fmt: skip
    say("")
    return results
