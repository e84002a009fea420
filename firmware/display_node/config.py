"""The display node's configuration: one strict model, every key described.

>>> cfg = DisplayConfig(node_id="display-1")
>>> cfg.voice.engine, cfg.screen.fullscreen
('auto', True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from antrean.config import ConfigModel
from antrean.node import NodeConfig
from protocol.speech import DEFAULT_TEMPLATE, check_template


class ScreenConfig(ConfigModel):
    width: int = Field(0, ge=0, description="Window width in pixels; 0 = the screen's own resolution")
    height: int = Field(0, ge=0, description="Window height in pixels; 0 = the screen's own resolution")
    fullscreen: bool = Field(True, description="Full screen on the TV (false: a window, for a desk test)")
    fps: int = Field(30, ge=5, le=60, description="Frames per second of the running text and clock")
    highlight_seconds: float = Field(
        8.0, ge=0, le=60, description="How long the newest call stays highlighted on its loket card"
    )
    ticker_speed: float = Field(
        0.08, gt=0, le=1, description="Running text speed, in screen widths per second"
    )
    title: str = Field("LOKET PENDAFTARAN", description="Section title shown under the header")


class VoiceConfig(ConfigModel):
    enabled: bool = Field(True, description="Speak calls (false: chime only)")
    chime: bool = Field(True, description="Play the ding-dong chime before each call")
    volume: float = Field(0.9, ge=0, le=1, description="Output volume, 0.0 to 1.0")
    engine: Literal["auto", "piper", "espeak-ng"] = Field(
        "auto",
        description="auto: piper when piper_model is set, espeak-ng otherwise (and as the fallback)",
    )
    piper_model: Path | None = Field(
        None,
        description="Piper voice model (.onnx, with its .onnx.json beside it), e.g. id_ID-news_tts-medium",
    )
    espeak_voice: str = Field("id", description="espeak-ng voice (-v)")
    espeak_speed: int = Field(150, ge=80, le=450, description="espeak-ng words per minute (-s)")
    template: str = Field(
        DEFAULT_TEMPLATE,
        description="Call sentence; placeholders {huruf} (prefix letters), {nomor} (number in words), "
        "{loket} (loket name with numbers in words)",
    )
    pause_ms: int = Field(
        180, ge=0, le=2000, description="Silence between the synthesized parts of a call (piper, espeak-ng)"
    )
    pack: bool = Field(
        True, description="Speak calls from the recorded voice pack the hub sends, when it has every word"
    )
    pack_dir: Path | None = Field(
        None,
        description="Where the voice pack is kept (none: $XDG_DATA_HOME/antrean/voice-pack, "
        "i.e. ~/.local/share/antrean/voice-pack)",
    )
    word_gap_ms: int = Field(120, ge=0, le=1000, description="Silence between the words of a voice-pack call")
    phrase_gap_ms: int = Field(
        300, ge=0, le=2000, description="Silence between the phrases of a voice-pack call"
    )
    unit: Literal["word", "phrase"] = Field(
        "word",
        description="What the engine synthesizes: word (each word once, calls assembled like a voice pack: "
        "every number ready within seconds of the first start, small memory peaks) or phrase (better "
        "prosody; numbers beyond warm_numbers are synthesized during the chime)",
    )
    warm_numbers: int = Field(
        200, ge=0, le=2000, description="unit = phrase: numbers 1..N synthesized into the clip cache at start"
    )
    cache_dir: Path | None = Field(
        None,
        description="Where synthesized clips are kept across restarts "
        "(none: $XDG_CACHE_HOME/antrean/display, i.e. ~/.cache/antrean/display)",
    )
    device: str | None = Field(None, description="SDL audio device name (none: the default output)")

    @field_validator("template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return check_template(value)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "antrean" / "display"


def default_pack_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "antrean" / "voice-pack"


class DisplayConfig(NodeConfig):
    node_id: str = Field("display-1", description="This node's id, unique on the site (e.g. display-1)")
    screen: ScreenConfig = Field(ScreenConfig(), description="The TV screen")
    voice: VoiceConfig = Field(VoiceConfig(), description="Chime and voice calls")
