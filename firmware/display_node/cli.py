"""``antrean display``: run the waiting-room screen, or check a screen (``render``) and speakers (``say``).

antrean display --config /etc/antrean/display.toml
antrean display --demo --mqtt-url mqtt://127.0.0.1:1883 --site pkm --node-id display-1
antrean display render state.json --size 1920x1080 --out layar.png     (or a sample: busy, empty, long, big)
antrean display say --ticket P-003 --counter 1 --engine espeak --out panggilan.wav
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from antrean.config import ConfigError, load_config
from antrean.logs import setup_logging
from antrean.node import add_common_arguments, common_overrides
from firmware.display_node.config import DEFAULT_TEMPLATE, DisplayConfig

logger = logging.getLogger(__name__)
VOICE_FIRST_S = 15.0  # at most this long before the screen opens (a slow board's first start)
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 1920x1080, not {text!r}") from exc
    if not (100 <= width <= 8192 and 100 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size {text} out of range")
    return width, height


# -- antrean display render ---------------------------------------------------------------------


def render_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrean display render", description="Draw one screen to a PNG.")
    parser.add_argument(
        "state", help="display/state JSON file ('-' for stdin) or a sample: busy, empty, long, big"
    )
    parser.add_argument(
        "--size", type=parse_size, default=(1920, 1080), help="WIDTHxHEIGHT (default 1920x1080)"
    )
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--services", help="services JSON file (site name and motto)")
    parser.add_argument("--time", help="clock shown, ISO 8601 (default: now)")
    parser.add_argument("--timezone", default="Asia/Jakarta")
    parser.add_argument("--offline", action="store_true", help="draw the hub-offline banner")
    parser.add_argument("--highlight", type=int, action="append", default=[], help="highlight loket N")
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from firmware.display_node import samples
    from firmware.display_node.model import ScreenModel
    from firmware.display_node.render import Renderer
    from protocol.errors import ProtocolError
    from protocol.payloads import DisplayState, NodeStatus, Services

    try:
        if args.state in samples.STATES and not Path(args.state).exists():
            state = samples.STATES[args.state]()
            services = samples.services()
        else:
            raw = sys.stdin.buffer.read() if args.state == "-" else Path(args.state).read_bytes()
            state = DisplayState.decode(raw, tolerant=True)  # a state saved from a newer hub renders too
            services = None
        if args.services:
            services = Services.decode(Path(args.services).read_bytes(), tolerant=True)
    except (OSError, ProtocolError) as exc:
        sys.stderr.write(f"antrean display render: {exc}\n")
        return 1
    zone = ZoneInfo(args.timezone)
    wall = datetime.fromisoformat(args.time).astimezone(zone) if args.time else datetime.now(zone)
    model = ScreenModel()
    model.set_broker(True)
    model.set_hub_status(
        NodeStatus(node="hub", role="hub", state="offline" if args.offline else "online", version="")
    )
    if services:
        model.set_services(services)
    model.set_state(state, 0.0)
    for counter in args.highlight:
        model.highlight(counter, 0.0)
    surface = pygame.Surface(args.size)
    Renderer(timezone=args.timezone).render(surface, model.view(0.0), wall, t=0.0)
    pygame.image.save(surface, args.out)
    sys.stdout.write(f"{args.out}: {args.size[0]}x{args.size[1]}\n")
    return 0


# -- antrean display say ------------------------------------------------------------------------


def say_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean display say", description="Speak one call into a WAV file."
    )
    parser.add_argument("--ticket", required=True, help="ticket number, e.g. P-003")
    parser.add_argument("--counter", type=int, required=True, help="loket number")
    parser.add_argument("--counter-name", help="loket name (default 'Loket N')")
    parser.add_argument("--engine", choices=["espeak", "espeak-ng", "piper"], default="espeak")
    parser.add_argument("--voice", help="piper voice model (.onnx); or the espeak-ng voice (default id)")
    parser.add_argument("--template", default=DEFAULT_TEMPLATE, help="call sentence template")
    parser.add_argument("--no-chime", action="store_true", help="voice only")
    parser.add_argument(
        "--unit", choices=["word", "phrase"], default="word", help="synthesize words (default) or phrases"
    )
    parser.add_argument("--pack", type=Path, help="speak from this voice pack folder (manifest.json, clips/)")
    parser.add_argument("--out", required=True, help="WAV file to write")
    args = parser.parse_args(argv)
    setup_logging("WARNING")

    from firmware.display_node.announcer import Announcer, Call
    from firmware.display_node.audio import WavSink
    from firmware.display_node.cache import ClipCache
    from firmware.display_node.clip import read_wav
    from firmware.display_node.tts import Engine, EspeakEngine, FallbackEngine, PiperEngine, SpeechError
    from firmware.display_node.voicepack import PackError, VoicePack, load_pack
    from protocol.speech import call_parts, check_template

    try:
        check_template(args.template)
    except ValueError as exc:
        sys.stderr.write(f"antrean display say: {exc}\n")
        return 2
    engine: Engine
    if args.engine == "piper":
        if not args.voice:
            sys.stderr.write("antrean display say: --engine piper needs --voice MODEL.onnx\n")
            return 2
        engine = FallbackEngine(PiperEngine(args.voice), EspeakEngine())
    else:
        engine = EspeakEngine(voice=args.voice or "id")
    pack: VoicePack | None = None
    if args.pack is not None:
        try:
            pack = load_pack(args.pack)
        except PackError as exc:
            sys.stderr.write(f"antrean display say: {exc}\n")
            return 1
    out = Path(args.out)
    out.unlink(missing_ok=True)
    announcer = Announcer(
        ClipCache(engine, None, trim=args.unit == "word"),
        WavSink(out),
        template=args.template,
        with_chime=not args.no_chime,
        pack=pack,
        unit=args.unit,
    )
    call = Call("say", args.ticket, args.counter, args.counter_name or f"Loket {args.counter}")
    try:
        text, _clip = announcer.voice(call)
    except SpeechError as exc:
        sys.stderr.write(f"antrean display say: {exc}\n")
        return 1
    announcer.start()
    announcer.submit(call)
    announcer.wait_idle(60)
    announcer.stop()
    if not out.exists():
        sys.stderr.write("antrean display say: nothing was written\n")
        return 1
    used = engine.name
    if isinstance(engine, FallbackEngine) and engine.failures:
        used = f"{engine.fallback.name} (piper failed)"
    if pack is not None:
        missing = pack.missing(call_parts(args.template, call.ticket_number, call.counter_name))
        lacks = f"{used} (the voice pack lacks {', '.join(missing)})"
        used = f"voice pack {pack.name!r}" if not missing else lacks
    clip = read_wav(out)
    sys.stdout.write(f"{out}: {clip.duration:.2f} s, {clip.rate} Hz, {used}\n{text}\n")
    return 0


# -- antrean display (the node) -----------------------------------------------------------------


def run_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean display",
        description="Waiting-room screen and voice calls. Also: antrean display render|say --help",
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="a window if $DISPLAY is set, else headless; calls printed as they are spoken",
    )
    parser.add_argument(
        "--window", type=parse_size, help="run in a window of WIDTHxHEIGHT instead of full screen"
    )
    parser.add_argument(
        "--snapshot", type=Path, help="also save the screen to this PNG (every 2 s while it changes)"
    )
    args = parser.parse_args(argv)
    overrides = common_overrides(args)
    if args.demo or args.window:
        size = args.window or (1280, 720)
        overrides.update({"screen.fullscreen": False, "screen.width": size[0], "screen.height": size[1]})
    try:
        config = load_config(DisplayConfig, args.config, overrides=overrides)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    if args.check_config:
        sys.stdout.write(f"configuration OK: display node {config.node_id} on site {config.site}\n")
        model = config.voice.piper_model
        if config.voice.enabled and model is not None and not model.is_file():
            sys.stdout.write(f"warning: piper model {model} not found; calls will use espeak-ng\n")
        return 0
    setup_logging(config.log_level)
    headless = args.demo and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    import pygame

    from firmware.display_node.node import DisplayNode, open_audio, open_screen

    pygame.font.init()
    sink, audio_state = open_audio(config)
    node = DisplayNode(config, sink=sink, audio_state=audio_state)
    if args.demo:

        def show(call: object, sentence: str) -> None:
            ticket = getattr(call, "ticket_number", "?")
            counter = getattr(call, "counter_name", "?")
            sys.stdout.write(f'[{config.node_id}] {counter}: {ticket}, spoken: "{sentence}"\n')
            sys.stdout.flush()

        node.announcer.on_start.append(show)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    node.start()
    logger.info("display node %s started for site %s", config.node_id, config.site)
    # Voice first, then the screen: the speech engine's inferences while it warms (only at the very first
    # start; afterwards the clips come from disk in well under a second) and the screen's buffers and first
    # frame would otherwise add up to the process's memory peak.
    node.wait_ready(VOICE_FIRST_S, stop)
    try:
        if headless:  # nobody watches: a few frames a second keep the snapshot and the model going
            screen = pygame.Surface((config.screen.width, config.screen.height))
            node.run(stop, screen=screen, snapshot=args.snapshot, fps=5)
        else:
            try:
                screen = open_screen(config)
            except pygame.error as exc:  # no screen (HDMI unplugged at boot): systemd starts it again
                logger.error("cannot open the screen (%s); is SDL_VIDEODRIVER right for this machine?", exc)
                return 1
            node.run(stop, screen=screen, snapshot=args.snapshot)
    finally:
        node.stop()
        close = getattr(sink, "close", None)
        if close is not None:
            close()
        pygame.quit()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "render":
        return render_main(args[1:])
    if args and args[0] == "say":
        return say_main(args[1:])
    return run_main(args)
