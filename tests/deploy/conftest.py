"""A wheelhouse of this project at three versions (the last one broken) and pip, built once per session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.releases import build_wheel

GOOD, NEWER, BROKEN = "0.9.1", "0.9.2", "0.9.3"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheels")
    out = work / "wheelhouse"
    build_wheel(GOOD, out, work)
    build_wheel(NEWER, out, work)
    build_wheel(BROKEN, out, work, broken=True)
    download = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(out), "pip"]
    subprocess.run(download, check=True, capture_output=True, timeout=300)
    return out
