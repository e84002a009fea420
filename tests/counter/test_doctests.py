"""The runnable examples in the counter node's docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["feedback", "config", "machine", "hardware", "node", "simulate"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"firmware.counter_button.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
