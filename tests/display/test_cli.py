"""The ``antrean display`` command line: render, say, check-config and the headless demo."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pygame
import pytest

from firmware.display_node import samples
from firmware.display_node.cli import main
from firmware.display_node.clip import read_wav
from protocol import MqttLink
from protocol.payloads import Announcement, NodeStatus
from protocol.topics import Topics
from tests.support import Recorder, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_render_a_state_file_at_each_size(
    tmp_path: Path, artifacts: Path, capsys: pytest.CaptureFixture
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_bytes(samples.big_numbers().encode())
    services = tmp_path / "services.json"
    services.write_bytes(samples.services("Puskesmas Sukamaju", "Sehat Bersama").encode())
    for size in ("1080x1920", "1366x768"):
        out = artifacts / f"cli_render_{size}.png"
        code = main(
            ["render", str(state_file), "--size", size, "--out", str(out), "--services", str(services),
             "--time", "2026-02-26T10:05:00+07:00", "--highlight", "2"]
        )  # fmt: skip
        assert code == 0
        image = pygame.image.load(str(out))
        assert f"{image.get_width()}x{image.get_height()}" == size
    assert "cli_render_1366x768.png: 1366x768" in capsys.readouterr().out


def test_render_sample_offline_and_bad_input(tmp_path: Path, artifacts: Path) -> None:
    out = artifacts / "cli_render_offline_1920x1080.png"
    assert main(["render", "busy", "--out", str(out), "--offline"]) == 0
    assert pygame.image.load(str(out)).get_size() == (1920, 1080)
    bad = tmp_path / "bad.json"
    bad.write_text('{"v": 1, "counters": "no"}')
    assert main(["render", str(bad), "--out", str(tmp_path / "x.png")]) == 1
    with pytest.raises(SystemExit):
        main(["render", "busy", "--size", "huge", "--out", str(tmp_path / "x.png")])


def test_say_with_espeak(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "call.wav"
    assert main(["say", "--ticket", "P-003", "--counter", "1", "--engine", "espeak", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Nomor antrean, Pe, tiga. Silakan menuju loket satu." in printed
    assert "espeak-ng:id" in printed
    clip = read_wav(out)
    assert 4.0 < clip.duration < 12.0 and clip.peak() > 3000  # chime (1.4 s) + sentence


@pytest.mark.slow  # loads a piper voice
def test_say_with_piper_and_its_fallback(
    tmp_path: Path, joe_model: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "piper.wav"
    args = [
        "say",
        "--ticket",
        "A-1024",
        "--counter",
        "2",
        "--engine",
        "piper",
        "--no-chime",
        "--out",
        str(out),
    ]
    assert main([*args, "--voice", str(joe_model)]) == 0
    assert "piper:en_US-joe-medium" in capsys.readouterr().out
    piper_clip = read_wav(out)
    assert piper_clip.duration > 2.0 and piper_clip.peak() > 3000
    assert main([*args, "--voice", str(tmp_path / "missing.onnx")]) == 0
    assert "espeak-ng:id (piper failed)" in capsys.readouterr().out
    assert read_wav(out).duration > 2.0
    assert main(["say", "--ticket", "A-1", "--counter", "1", "--engine", "piper", "--out", str(out)]) == 2


def test_check_config_with_the_example(capsys: pytest.CaptureFixture) -> None:
    assert main(["--config", str(ROOT / "provisioning/display.example.toml"), "--check-config"]) == 0
    assert "configuration OK: display node display-1" in capsys.readouterr().out


def test_bad_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "display.toml"
    bad.write_text('node_id = "display-1"\n[voice]\nvolume = 3\ntemplate = "{nomer}"\n')
    assert main(["--config", str(bad), "--check-config"]) == 1
    err = capsys.readouterr().err
    assert "voice.volume" in err and "voice.template" in err


@pytest.mark.slow  # the display's demo process
def test_demo_runs_headless_and_prints_calls(mqtt_url: str, site: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        SDL_AUDIODRIVER="dummy", XDG_CACHE_HOME=str(tmp_path / "cache"), ANTREAN_VOICE_WARM_NUMBERS="3"
    )
    snapshot = tmp_path / "screen.png"
    topics = Topics(site)
    recorder = Recorder(mqtt_url, topics.node_status("display-1"))
    hub = MqttLink(mqtt_url, client_id=f"demo-hub-{uuid.uuid4().hex[:6]}")
    assert hub.start(wait=10)
    hub.publish(topics.display_state(), samples.busy_day(), retain=True).wait_for_publish(5)
    command = [sys.executable, "-m", "firmware.display_node", "--demo", "--mqtt-url", mqtt_url,
               "--site", site, "--node-id", "display-1", "--snapshot", str(snapshot)]  # fmt: skip
    log = tmp_path / "display.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True) as process,
    ):
        try:
            status = NodeStatus.decode(recorder.last(topics.node_status("display-1"), timeout=20))
            assert status.state == "online" and status.role == "display"
            announcement = Announcement(
                id="demo-1", ticket_number="P-004", category="prioritas", counter=1, counter_name="Loket 1",
                text="Nomor P-004 silakan menuju loket 1", repeat=False,
            )  # fmt: skip
            hub.publish(topics.display_announce(), announcement).wait_for_publish(5)
            line = process.stdout.readline() if process.stdout else ""
            expected = (
                '[display-1] Loket 1: P-004, spoken: "Nomor antrean, Pe, empat. Silakan menuju loket satu."'
            )
            assert line.strip() == expected, log.read_text()
            wait_until(snapshot.exists, 10)
            time.sleep(0.2)
            assert pygame.image.load(str(snapshot)).get_size() == (1280, 720)
        finally:
            process.terminate()
            code = process.wait(15)
            hub.stop()
    assert code == 0
    wait_until(
        lambda: NodeStatus.decode(recorder.on(topics.node_status("display-1"))[-1].payload).state == "offline"
    )
    recorder.close()


def test_say_from_a_voice_pack(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from protocol.speech import pack_script
    from tests.display.test_voicepack import install, recorded

    keys = [t.key for t in pack_script(["A"], ["Loket 1"])]
    folder = install(tmp_path / "packs", recorded(keys))
    out = tmp_path / "pack.wav"
    base = ["say", "--counter", "1", "--no-chime", "--pack", str(folder), "--out", str(out)]
    assert main([*base, "--ticket", "A-021"]) == 0
    assert "voice pack 'Suara Bu Ani'" in capsys.readouterr().out
    assert read_wav(out).peak() > 1000
    assert main([*base, "--ticket", "P-021"]) == 0  # no "Pe" in this pack: the whole call is synthesized
    assert "the voice pack lacks huruf-p" in capsys.readouterr().out
    assert main([*base, "--ticket", "A-1", "--pack", str(tmp_path / "nothing")]) == 1
