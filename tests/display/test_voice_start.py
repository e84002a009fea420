"""The display's start: with ``voice.unit = "word"`` every word of a call is synthesized once (trimmed,
kept on disk per engine and voice), so any number is ready seconds after the first start and at once after a
restart; calls are assembled from the words with gaps by position."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.display_node.announcer import Announcer, Call
from firmware.display_node.audio import FakeSink
from firmware.display_node.cache import ClipCache
from firmware.display_node.clip import Clip, join, silence
from firmware.display_node.config import DisplayConfig
from firmware.display_node.node import DisplayNode
from firmware.display_node.tts import EspeakEngine
from protocol.speech import pack_script
from tests.support import wait_until


class PaddedWords:
    """A stand-in engine that pads every word with silence, as piper and espeak-ng do."""

    def __init__(self, name: str = "padded:v1") -> None:
        self.name = name
        self.texts: list[str] = []

    def synthesize(self, text: str) -> Clip:
        self.texts.append(text)
        voice = Clip(b"\x00\x30\x00\xd0" * 1102)  # 0.1 s of a loud square wave
        return join([silence(0.2), voice, silence(0.3)])


def node(tmp_path: Path, engine: PaddedWords, **voice: object) -> DisplayNode:
    config = DisplayConfig(
        node_id="display-1",
        mqtt={"url": "mqtt://127.0.0.1:9"},  # never connected: start() does not wait
        voice={"cache_dir": str(tmp_path / "clips"), "pack": False, **voice},
    )
    return DisplayNode(config, sink=FakeSink(speed=50.0), engine=engine)


def test_words_are_trimmed_and_calls_assembled_with_gaps(tmp_path: Path) -> None:
    engine = PaddedWords()
    announcer = Announcer(ClipCache(engine, None, trim=True), FakeSink(), unit="word")
    text, clip = announcer.voice(Call("c1", "A-021", 1, "Loket 1"))
    assert text == "Nomor antrean, A, dua puluh satu. Silakan menuju loket satu."
    assert engine.texts == ["Nomor", "antrean", "A", "dua", "puluh", "satu", "Silakan", "menuju", "loket"]
    # 10 words of 0.1 s + 2 × 40 ms kept around each; word gaps 1 + 0 + 2 + 1 + 1; phrase gaps 4
    assert clip is not None
    assert clip.duration == pytest.approx(10 * 0.18 + 5 * 0.12 + 4 * 0.3, abs=0.02)
    announcer.voice(Call("c2", "A-012", 1, "Loket 1"))
    assert engine.texts[9:] == ["belas"]  # only the new word


@pytest.mark.slow
def test_first_start_makes_every_number_ready_and_a_restart_synthesizes_nothing(tmp_path: Path) -> None:
    engine = PaddedWords()
    first = node(tmp_path, engine)
    first.start()
    assert wait_until(lambda: first.ready_after is not None, 20)
    first.stop()
    script = {t.text for t in pack_script(list("ABCDEP"), [f"Loket {n}" for n in range(1, 7)])}
    assert set(engine.texts) == script and len(engine.texts) == len(script)
    again = PaddedWords()
    second = node(tmp_path, again)
    second.start()
    assert wait_until(lambda: second.ready_after is not None, 20)
    for number in (7, 99, 1234, 40_017):
        second.announcer.voice(Call(f"c{number}", f"P-{number}", 2, "Loket 2"))
    second.stop()
    assert again.texts == []  # every word came from disk, for any number
    # another voice is another set of clips (the cache is keyed by engine and voice)
    other = PaddedWords("padded:v2")
    third = node(tmp_path, other)
    third.start()
    assert wait_until(lambda: third.ready_after is not None, 20)
    third.stop()
    assert set(other.texts) == script


def test_phrase_unit_keeps_whole_phrases(tmp_path: Path) -> None:
    engine = PaddedWords()
    display = node(tmp_path, engine, unit="phrase", warm_numbers=2)
    display.start()
    assert wait_until(lambda: display.ready_after is not None, 20)
    display.stop()
    assert "Nomor antrean," in engine.texts and "dua." in engine.texts


def test_a_real_engine_word_loses_its_padding() -> None:
    word = EspeakEngine().synthesize("sembilan")
    trimmed = word.trimmed()
    assert 0.2 < trimmed.duration < word.duration
    assert trimmed.rms() > word.rms()


def test_a_pack_that_says_everything_needs_no_synthesis(tmp_path: Path) -> None:
    from tests.display.test_voicepack import install, recorded

    script = [t.key for t in pack_script(list("ABCDEP"), [f"Loket {n}" for n in range(1, 7)])]
    install(tmp_path / "packs", recorded(script))
    engine = PaddedWords()
    display = node(tmp_path, engine, pack=True, pack_dir=str(tmp_path / "packs"))
    display.start()
    assert wait_until(lambda: display.ready_after is not None, 5)
    display._warm(["Loket 2"], ["P"])  # the hub's state and services: still nothing to synthesize
    display.stop()
    assert engine.texts == []
