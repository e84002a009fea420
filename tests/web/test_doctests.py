"""The examples in the web modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["fields", "nik", "notify", "participant", "passwords", "sequences", "throttle", "uploads", "urls"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"hub.web.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
